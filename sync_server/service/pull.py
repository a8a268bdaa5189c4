"""Pull: changes after a cursor, one page at a time, resumable from any page's cursor.

A device's own ops come back too (applying is idempotent), so every device reaches the same
state from the same log.  The cursor a device sends is also its acknowledgement: it holds every
change up to it, which is what lets compaction know what it may drop.
"""

from __future__ import annotations

import logging

from shared import api
from shared.domain import AuditOutcome
from shared.protocol import ErrorCode, PullPage, SyncRequest, SyncResponse
from sync_server.auth.principal import Principal
from sync_server.context import Context
from sync_server.errors import Refused
from sync_server.service.push import push
from sync_server.store import audit, changelog, devices

log = logging.getLogger(__name__)
SNAPSHOT_PATH = api.SNAPSHOT
MAX_CURSOR = 2**62


def pull(ctx: Context, principal: Principal, cursor: int, limit: int) -> PullPage:
    now = ctx.now_ms()
    if cursor >= MAX_CURSOR:
        raise Refused(ErrorCode.INVALID, f"cursor must be below {MAX_CURSOR}")
    try:
        with ctx.db.read() as session:
            changes, has_more = changelog.page(session, ctx.sealer, cursor, limit)
            # Read after the page: a compaction committing meanwhile is seen here, not missed.
            horizon = changelog.horizon(session)
            head = changelog.head(session)
            device = devices.get(session, principal.device_id)
            acked = device.acked_seq if device is not None else None
    except changelog.DamagedChange as damaged:
        raise _resync_past(ctx, principal, damaged) from None
    if cursor < horizon:
        raise Refused(
            ErrorCode.RESYNC_REQUIRED,
            f"changes up to {horizon} were compacted; load GET {SNAPSHOT_PATH} and pull "
            "from its cursor",
        )
    if cursor > head:
        raise Refused(
            ErrorCode.RESYNC_REQUIRED,
            f"cursor {cursor} is beyond this server's log (latest change {head}); "
            f"load GET {SNAPSHOT_PATH} and pull from its cursor",
        )
    if acked is None or cursor > acked:
        with ctx.db.write() as session:
            devices.acknowledge(session, principal.device_id, cursor, now_ms=now)
    next_cursor = changes[-1].seq if changes else cursor
    return PullPage(changes=changes, cursor=next_cursor, has_more=has_more, server_time_ms=now)


def _resync_past(ctx: Context, principal: Principal, damaged: changelog.DamagedChange) -> Refused:
    """A change this server can no longer read is not a reason for every device to stop at
    it: the device loads the merged states, which hold that op's effect, and pulls on from
    their cursor, past the damaged change.  Logged and audited for IT each time."""
    log.error("%s; device %s resyncs from the merged states", damaged, principal.device_id)
    audit.record_now(
        ctx.db,
        component="sync",
        event_type="change.damaged",
        outcome=AuditOutcome.FAILURE,
        now_ms=ctx.now_ms(),
        user_id=principal.user_id,
        device_id=principal.device_id,
        detail=f"{damaged}; the device was sent to the snapshot",
    )
    return Refused(
        ErrorCode.RESYNC_REQUIRED,
        f"change {damaged.seq} cannot be read on this server; load GET {SNAPSHOT_PATH} and "
        "pull from its cursor",
    )


def sync(ctx: Context, principal: Principal, request: SyncRequest) -> SyncResponse:
    """Push, then pull, in one round trip (a device reconnecting)."""
    pushed = push(ctx, principal, request)
    return SyncResponse(push=pushed, pull=pull(ctx, principal, request.cursor, request.limit))
