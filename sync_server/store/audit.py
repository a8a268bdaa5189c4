"""The audit log (CJIS 5.4.1.1): who did what, from which device, when, and how it ended.

Events that must survive a refused request (a failed logon, a wipe order) are written in their
own transaction with ``record_now``; events that belong to a change (a resolution, a new user)
go in the change's transaction with ``record``, so they exist exactly when the change does.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from shared.domain import AuditOutcome
from sync_server.store.db import Database
from sync_server.store.tables import AuditRow

MAX_DETAIL = 500


def record(
    session: Session,
    *,
    component: str,
    event_type: str,
    outcome: AuditOutcome,
    now_ms: int,
    user_id: str | None = None,
    device_id: str | None = None,
    detail: str = "",
) -> None:
    session.add(
        AuditRow(
            time_ms=now_ms,
            component=component,
            event_type=event_type,
            user_id=user_id[:64] if user_id else user_id,
            device_id=device_id[:64] if device_id else device_id,
            outcome=outcome.value,
            detail=detail[:MAX_DETAIL],
        )
    )


def record_now(
    db: Database,
    *,
    component: str,
    event_type: str,
    outcome: AuditOutcome,
    now_ms: int,
    user_id: str | None = None,
    device_id: str | None = None,
    detail: str = "",
) -> None:
    with db.write() as session:
        record(
            session,
            component=component,
            event_type=event_type,
            outcome=outcome,
            now_ms=now_ms,
            user_id=user_id,
            device_id=device_id,
            detail=detail,
        )


def entries(
    session: Session,
    *,
    after_id: int = 0,
    limit: int = 100,
    event_type: str | None = None,
    user_id: str | None = None,
) -> list[AuditRow]:
    query = select(AuditRow).where(col(AuditRow.id) > after_id)
    if event_type is not None:
        query = query.where(col(AuditRow.event_type) == event_type)
    if user_id is not None:
        query = query.where(col(AuditRow.user_id) == user_id)
    return list(session.exec(query.order_by(col(AuditRow.id)).limit(limit)))
