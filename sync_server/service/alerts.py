"""Timer alerts for supervisors: a unit on scene longer than the agency allows.

``raise_onscene_alerts`` is the job body (``jobs.scheduler`` runs it periodically); it reads
only the clear status columns, raises each alert once per unit per on-scene stint (a unique
key makes that hold across several server processes), and audits it.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from shared.domain import AuditOutcome
from shared.protocol import ErrorCode
from sync_server.auth.principal import Principal
from sync_server.context import Context
from sync_server.errors import Refused
from sync_server.messages import AlertOut
from sync_server.store import alerts, audit, entities
from sync_server.store.tables import AlertRow


def alert_out(row: AlertRow) -> AlertOut:
    return AlertOut.model_validate(row, from_attributes=True)


def raise_onscene_alerts(ctx: Context) -> list[AlertOut]:
    now = ctx.now_ms()
    limit_ms = int(ctx.settings.onscene_alert_minutes * 60_000)
    raised: list[AlertOut] = []
    with ctx.db.read() as session:
        candidates = [
            (row.entity_id, row.incident_id, row.status_since_ms)
            for row in entities.units_on_scene_since(session, now - limit_ms)
            if row.status_since_ms is not None
            and not alerts.exists(
                session, alerts.ONSCENE_TOO_LONG, row.entity_id, row.status_since_ms
            )
        ]
    for unit_id, incident_id, since_ms in candidates:
        assert since_ms is not None
        try:
            with ctx.db.write() as session:
                row = alerts.add(
                    session,
                    alerts.ONSCENE_TOO_LONG,
                    unit_id,
                    incident_id,
                    since_ms=since_ms,
                    now_ms=now,
                )
                audit.record(
                    session,
                    component="jobs",
                    event_type="alert.raise",
                    outcome=AuditOutcome.SUCCESS,
                    now_ms=now,
                    detail=(
                        f"unit {unit_id} on scene at {incident_id} for "
                        f"{(now - since_ms) // 60_000} min"
                    ),
                )
                raised.append(alert_out(row))
        except IntegrityError:  # another server process raised it first
            continue
    return raised


def list_alerts(ctx: Context, *, include_acknowledged: bool = False) -> list[AlertOut]:
    with ctx.db.read() as session:
        return [
            alert_out(row)
            for row in alerts.listing(session, include_acknowledged=include_acknowledged)
        ]


def acknowledge(ctx: Context, principal: Principal, alert_id: int) -> AlertOut:
    now = ctx.now_ms()
    with ctx.db.write() as session:
        row = alerts.get(session, alert_id)
        if row is None:
            raise Refused(ErrorCode.NOT_FOUND, f"no alert {alert_id}")
        if row.acked_ms is None:
            row.acked_ms = now
            row.acked_by = principal.user_id
            session.add(row)
            audit.record(
                session,
                component="alerts",
                event_type="alert.acknowledge",
                outcome=AuditOutcome.SUCCESS,
                now_ms=now,
                user_id=principal.user_id,
                device_id=principal.device_id,
                detail=f"alert {alert_id} on unit {row.unit_id}",
            )
        return alert_out(row)
