"""Enrolled devices: per-device applied seq, pull acknowledgement, revocation, and who may
author ops from each device."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from sync_server.store.tables import DeviceRow, DeviceUserRow


def get(session: Session, device_id: str) -> DeviceRow | None:
    return session.get(DeviceRow, device_id)


def add(session: Session, device_id: str, user_id: str, name: str, *, now_ms: int) -> DeviceRow:
    row = DeviceRow(device_id=device_id, user_id=user_id, name=name, created_ms=now_ms)
    session.add(row)
    session.flush()
    return row


def ensure(session: Session, device_id: str, user_id: str, name: str, *, now_ms: int) -> DeviceRow:
    """The device row, created if missing (the server's own authoring device)."""
    return get(session, device_id) or add(session, device_id, user_id, name, now_ms=now_ms)


def all_devices(session: Session) -> list[DeviceRow]:
    return list(session.exec(select(DeviceRow).order_by(col(DeviceRow.created_ms))))


def record_logon(session: Session, device_id: str, user_id: str, *, now_ms: int) -> None:
    if session.get(DeviceUserRow, (device_id, user_id)) is None:
        session.add(DeviceUserRow(device_id=device_id, user_id=user_id, first_ms=now_ms))
        session.flush()


def authors(session: Session, device_id: str) -> set[str]:
    """Users who have logged on from this device: the only authors its ops may name."""
    rows = session.exec(
        select(DeviceUserRow.user_id).where(col(DeviceUserRow.device_id) == device_id)
    )
    return set(rows)


def revoke(session: Session, row: DeviceRow, *, now_ms: int) -> None:
    """Refuse the device from now on.  Its refresh tokens stay until they expire, so that a
    refresh attempt, too, is answered with the order to wipe."""
    row.revoked = True
    row.revoked_ms = now_ms
    session.add(row)


def acknowledge(session: Session, device_id: str, cursor: int, *, now_ms: int) -> None:
    """The device holds every change up to ``cursor``; only ever moves forward."""
    session.execute(
        update(DeviceRow)
        .where(col(DeviceRow.device_id) == device_id)
        .where(col(DeviceRow.acked_seq).is_(None) | (col(DeviceRow.acked_seq) < cursor))
        .values(acked_seq=cursor, last_seen_ms=now_ms)
    )


def oldest_acknowledged(session: Session) -> int | None:
    """The lowest cursor any active device that has ever pulled still needs to resume from."""
    rows = session.exec(
        select(DeviceRow.acked_seq)
        .where(col(DeviceRow.revoked).is_(False))
        .where(col(DeviceRow.acked_seq).is_not(None))
    )
    values = [v for v in rows if v is not None]
    return min(values) if values else None
