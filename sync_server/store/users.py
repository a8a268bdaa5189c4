"""Users: accounts, roles, and the failed-logon counter behind the CJIS lockout."""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from shared.api import Role
from sync_server.store.db import affected
from sync_server.store.tables import RefreshTokenRow, UserRow


def get(session: Session, username: str) -> UserRow | None:
    return session.get(UserRow, username)


def add(
    session: Session,
    username: str,
    role: Role,
    password_hash: str,
    *,
    display_name: str = "",
    now_ms: int,
) -> UserRow:
    row = UserRow(
        username=username,
        role=role.value,
        display_name=display_name,
        password_hash=password_hash,
        created_ms=now_ms,
    )
    session.add(row)
    session.flush()
    return row


def all_users(session: Session) -> list[UserRow]:
    return list(session.exec(select(UserRow).order_by(col(UserRow.username))))


def record_failure(
    session: Session, username: str, *, now_ms: int, threshold: int, lock_ms: int
) -> tuple[int, bool]:
    """Count one failed logon atomically; returns (consecutive failures, locked now)."""
    session.execute(
        update(UserRow)
        .where(col(UserRow.username) == username)
        .values(failed_logons=UserRow.failed_logons + 1)
    )
    row = session.get(UserRow, username, populate_existing=True)
    if row is None:
        return 0, False
    if row.failed_logons >= threshold:
        row.locked_until_ms = now_ms + lock_ms
        row.failed_logons = 0
        session.add(row)
        return threshold, True
    return row.failed_logons, False


def clear_failures(session: Session, row: UserRow) -> None:
    row.failed_logons = 0
    row.locked_until_ms = 0
    session.add(row)


def set_role(session: Session, row: UserRow, role: Role, *, now_ms: int) -> None:
    row.role = role.value
    row.role_changed_ms = now_ms
    session.add(row)


def deactivate(session: Session, row: UserRow) -> None:
    """For good: every site keeps a deactivation it hears of (``peers.directory``)."""
    row.active = False
    session.add(row)


def set_password_hash(session: Session, row: UserRow, password_hash: str) -> None:
    row.password_hash = password_hash
    session.add(row)


def reset_password(session: Session, row: UserRow, password_hash: str, *, now_ms: int) -> None:
    """A new password set by an administrator; a lockout on the old one is lifted."""
    row.password_hash = password_hash
    row.password_changed_ms = now_ms
    clear_failures(session, row)


def end_sessions(session: Session, row: UserRow, *, now_ms: int) -> int:
    """End every session of the account at this site: its refresh tokens are forgotten and
    access tokens issued until now are refused, so each of its devices must sign in again
    (its work stays on it meanwhile).  Returns how many sessions were open."""
    row.sessions_ended_ms = now_ms
    session.add(row)
    done = session.execute(
        delete(RefreshTokenRow).where(col(RefreshTokenRow.user_id) == row.username)
    )
    return affected(done)


def set_totp(session: Session, row: UserRow, sealed: bytes, *, now_ms: int) -> None:
    """A new authenticator secret (already sealed): the old app's codes stop working."""
    row.totp = sealed
    row.totp_changed_ms = now_ms
    row.totp_last_step = 0
    session.add(row)


def use_code_step(session: Session, username: str, step: int) -> bool:
    """Mark a one-time code's step used; False if it (or a later one) was used already.

    One conditional UPDATE, so two requests racing with the same code cannot both win."""
    done = session.execute(
        update(UserRow)
        .where(col(UserRow.username) == username, col(UserRow.totp_last_step) < step)
        .values(totp_last_step=step)
    )
    return affected(done) > 0
