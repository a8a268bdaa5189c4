"""The supervisor's conflict inbox: list, inspect both sides, resolve.

A resolution is built with ``shared.commands.Commands`` on behalf of the supervisor, authored
from the server's own device (``server-<server_id>``, with its seq persisted like any device's)
and applied like a pushed op, so it reaches every device through the ordinary pull.
"""

from __future__ import annotations

from pydantic import ValidationError

from shared.api import ResolveRequest
from shared.commands import CommandError, Commands
from shared.domain import AuditOutcome, ConflictRecord
from shared.hlc import Hlc, HybridClock
from shared.merge import IncidentState, UnitState
from shared.merge.replica import EntityState
from shared.protocol import Entity, ErrorCode, Op, PushResult
from sync_server.auth.principal import Principal
from sync_server.context import Context
from sync_server.errors import Refused
from sync_server.service.apply import apply_ops
from sync_server.store import audit, devices, entities


def _record(state: EntityState, conflict_id: str) -> ConflictRecord:
    for record in state.conflict_records():
        if record.conflict_id == conflict_id:
            return record
    raise Refused(ErrorCode.NOT_FOUND, f"no conflict {conflict_id!r}")


def list_conflicts(ctx: Context, *, include_resolved: bool = False) -> list[ConflictRecord]:
    with ctx.db.read() as session:
        rows = entities.conflicts(session, include_resolved=include_resolved)
        states: dict[tuple[str, str], EntityState | None] = {}
        records = []
        for row in rows:
            key = (row.entity, row.entity_id)
            if key not in states:
                states[key] = entities.load(session, ctx.sealer, Entity(row.entity), row.entity_id)
            state = states[key]
            if state is not None:
                records.append(_record(state, row.conflict_id))
    return records


def get_conflict(ctx: Context, conflict_id: str) -> ConflictRecord:
    with ctx.db.read() as session:
        row = entities.conflict(session, conflict_id)
        state = (
            None
            if row is None
            else entities.load(session, ctx.sealer, Entity(row.entity), row.entity_id)
        )
    if state is None:
        raise Refused(ErrorCode.NOT_FOUND, f"no conflict {conflict_id!r}")
    return _record(state, conflict_id)


def _build(commands: Commands, state: EntityState, conflict_id: str, req: ResolveRequest) -> Op:
    try:
        if isinstance(state, UnitState):
            if req.keep_incident_id is None:
                raise CommandError("a unit conflict is resolved by naming keep_incident_id")
            return commands.resolve_unit_conflict(
                state, conflict_id, req.keep_incident_id, comment=req.comment
            )
        assert isinstance(state, IncidentState)
        if req.action is None:
            raise CommandError("an incident conflict needs action: keep, reopen or set_priority")
        return commands.resolve_incident_conflict(
            state, conflict_id, req.action, priority=req.priority, comment=req.comment
        )
    except CommandError as error:
        raise Refused(ErrorCode.INVALID, str(error)) from None
    except ValidationError as error:
        reason = "; ".join(e["msg"] for e in error.errors())
        raise Refused(ErrorCode.INVALID, reason) from None


def resolve(
    ctx: Context, principal: Principal, conflict_id: str, request: ResolveRequest
) -> PushResult:
    now = ctx.now_ms()
    server_device = ctx.settings.server_device_id
    with ctx.db.write(append=True) as session:
        row = entities.conflict(session, conflict_id)
        state = (
            None
            if row is None
            else entities.load(session, ctx.sealer, Entity(row.entity), row.entity_id)
        )
        if state is None:
            raise Refused(ErrorCode.NOT_FOUND, f"no conflict {conflict_id!r}")
        device = devices.ensure(session, server_device, principal.user_id, "server", now_ms=now)
        # Stamp after everything the entity has seen, so a set priority wins the LWW register.
        last = Hlc.decode(state.updated_hlc) if state.updated_hlc else Hlc(0)
        clock = HybridClock(ctx.now_ms, last=last)
        seq = device.last_seq + 1
        commands = Commands(server_device, principal.user_id, clock, lambda: seq)
        op = _build(commands, state, conflict_id, request)
        head = apply_ops(ctx, session, [op], now_ms=now)
        device.last_seq = op.seq
        device.last_seen_ms = now
        session.add(device)
        audit.record(
            session,
            component="conflicts",
            event_type="conflict.resolve",
            outcome=AuditOutcome.SUCCESS,
            now_ms=now,
            user_id=principal.user_id,
            device_id=principal.device_id,
            detail=f"{conflict_id} resolved by op {op.op_id}",
        )
        ctx.db.notify_in(session, head)
    ctx.notifier.publish(head)
    return PushResult(
        device_id=server_device, last_seq=op.seq, applied=1, duplicates=0, server_time_ms=now
    )
