"""Push: a device's batch of ops, applied exactly once, all or nothing.

The device's highest applied seq is stored in the same transaction as the ops' effects and
their change-log rows, so a replayed or retried batch applies nothing twice, and a refused
batch leaves nothing behind.  An op this server will never merge (``batch.refusals``) does not
refuse its batch: it is logged as refused (audited), so the device is not stuck behind it.
"""

from __future__ import annotations

from shared.api import Role
from shared.domain import AuditOutcome
from shared.protocol import ErrorCode, PushRequest, PushResult
from sync_server.auth.principal import Principal, wipe_order
from sync_server.context import Context
from sync_server.errors import Refused
from sync_server.service.apply import apply_ops
from sync_server.service.batch import check_authors, check_clocks, refusals, split_batch
from sync_server.store import audit, devices, users


def push(ctx: Context, principal: Principal, request: PushRequest) -> PushResult:
    if request.device_id != principal.device_id:
        raise Refused(
            ErrorCode.FORBIDDEN,
            f"signed in on device {principal.device_id}; it cannot push for {request.device_id}",
        )
    now = ctx.now_ms()
    check_clocks(request.ops, now, ctx.settings.max_clock_offset_ms)
    revoked = False
    head = 0
    refused: dict[str, str] = {}
    with ctx.db.write(append=True) as session:
        device = devices.get(session, request.device_id)
        if device is None:
            raise Refused(ErrorCode.UNAUTHORIZED, f"device {request.device_id} is not enrolled")
        revoked = device.revoked
        fresh, duplicates = ([], 0) if revoked else split_batch(device.last_seq, request.ops)
        if fresh:
            authors = devices.authors(session, device.device_id)
            roles = {}
            for user_id in {op.user_id for op in fresh} & authors:
                user = users.get(session, user_id)
                if user is not None:
                    roles[user_id] = Role(user.role)
            check_authors(fresh, authors)
            refused = refusals(fresh, roles)
            head = apply_ops(ctx, session, fresh, now_ms=now, refused=refused)
            for reason in refused.values():
                audit.record(
                    session,
                    component="sync",
                    event_type="op.refused",
                    outcome=AuditOutcome.FAILURE,
                    now_ms=now,
                    user_id=principal.user_id,
                    device_id=request.device_id,
                    detail=reason,
                )
            device.last_seq = fresh[-1].seq
            ctx.db.notify_in(session, head)
        device.last_seen_ms = now
        session.add(device)
        last_seq = device.last_seq
    if revoked:  # revoked between authentication and this transaction
        raise wipe_order(ctx, request.device_id, principal.user_id, "sync")
    if head:
        ctx.notifier.publish(head)
    return PushResult(
        device_id=request.device_id,
        last_seq=last_seq,
        applied=len(fresh) - len(refused),
        duplicates=duplicates,
        server_time_ms=now,
        refused=len(refused),
    )
