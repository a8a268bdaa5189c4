"""Supervisor alerts raised by timers; each one at most once per unit per on-scene stint."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from sync_server.store.tables import AlertRow

ONSCENE_TOO_LONG = "unit_onscene_too_long"


def exists(session: Session, kind: str, unit_id: str, since_ms: int) -> bool:
    found = session.exec(
        select(AlertRow.id)
        .where(col(AlertRow.kind) == kind)
        .where(col(AlertRow.unit_id) == unit_id)
        .where(col(AlertRow.since_ms) == since_ms)
    ).first()
    return found is not None


def add(
    session: Session,
    kind: str,
    unit_id: str,
    incident_id: str | None,
    *,
    since_ms: int,
    now_ms: int,
) -> AlertRow:
    row = AlertRow(
        kind=kind, unit_id=unit_id, incident_id=incident_id, since_ms=since_ms, raised_ms=now_ms
    )
    session.add(row)
    session.flush()
    return row


def listing(session: Session, *, include_acknowledged: bool = False) -> Sequence[AlertRow]:
    query = select(AlertRow)
    if not include_acknowledged:
        query = query.where(col(AlertRow.acked_ms).is_(None))
    return session.exec(query.order_by(col(AlertRow.id))).all()


def get(session: Session, alert_id: int) -> AlertRow | None:
    return session.get(AlertRow, alert_id)
