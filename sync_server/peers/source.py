"""What this server gives a peer that pulls from it: its directory and its change log."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from shared.domain import AuditOutcome
from shared.protocol import ErrorCode
from sync_server.context import Context
from sync_server.errors import Refused
from sync_server.peers import state
from sync_server.peers.directory import device_of, read_directory
from sync_server.peers.messages import PeerDirectory, PeerPage
from sync_server.store import audit, changelog, devices

log = logging.getLogger(__name__)


def directory(ctx: Context) -> PeerDirectory:
    with ctx.db.read() as session:
        return read_directory(session, ctx.sealer, ctx.settings.server_id, ctx.settings.site_number)


def changes(ctx: Context, peer_id: str, cursor: int, limit: int) -> PeerPage:
    """Changes after ``cursor``; the cursor is also the peer's acknowledgement."""
    try:
        with ctx.db.read() as session:
            page, has_more = changelog.page(session, ctx.sealer, cursor, limit)
            horizon = changelog.horizon(session)
            head = changelog.head(session)
            rows = [devices.get(session, d) for d in sorted({c.op.device_id for c in page})]
    except changelog.DamagedChange as damaged:
        raise _cannot_send(ctx, peer_id, damaged) from None
    if cursor < horizon:
        raise Refused(
            ErrorCode.RESYNC_REQUIRED,
            f"changes up to {horizon} were compacted before peer {peer_id} read them; "
            "seed that server from a copy of this database",
        )
    if cursor > head:
        raise Refused(
            ErrorCode.RESYNC_REQUIRED,
            f"cursor {cursor} is beyond this server's log (latest change {head}): was this "
            f"database restored from a copy?  Run `python -m sync_server peer-sync "
            f"--from-start` on {peer_id}",
        )
    try:
        with ctx.db.write() as session:
            state.acknowledge(session, peer_id, cursor)
    except IntegrityError:  # acknowledged at the same moment by another process
        pass
    return PeerPage(
        changes=page,
        cursor=page[-1].seq if page else cursor,
        has_more=has_more,
        devices=[device_of(row) for row in rows if row is not None],
    )


def _cannot_send(ctx: Context, peer_id: str, damaged: changelog.DamagedChange) -> Refused:
    """A change this site can no longer read cannot be copied to a peer, and the peer cannot
    skip it (a device's ops apply in seq order there).  A peer that copied it before the
    damage never asks for it again; one that did not is told why, and IT is told where."""
    log.error("%s; peer %s cannot copy it", damaged, peer_id)
    audit.record_now(
        ctx.db,
        component="peers",
        event_type="change.damaged",
        outcome=AuditOutcome.FAILURE,
        now_ms=ctx.now_ms(),
        device_id=peer_id,
        detail=f"{damaged}; peer {peer_id} cannot copy it",
    )
    return Refused(
        ErrorCode.RESYNC_REQUIRED,
        f"{damaged} at {ctx.settings.server_id}; seed {peer_id} from a copy of a database that "
        "holds it (a backup, or another site's)",
    )
