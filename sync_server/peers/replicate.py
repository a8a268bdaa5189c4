"""One replication run from one peer: its directory, then its log up to its head.

Each page is applied in one append transaction with the cursor checkpoint, through
``service.apply.apply_ops`` (the push path), so conflicts are raised exactly as for a push.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.domain import AuditOutcome
from shared.protocol import MAX_PULL_LIMIT
from sync_server.context import Context
from sync_server.errors import Refused
from sync_server.peers import state
from sync_server.peers.client import PeerClient, PeerRefusal
from sync_server.peers.directory import DirectoryChanges, merge_devices, merge_directory
from sync_server.peers.logrange import ensure_log_base
from sync_server.peers.messages import PeerDirectory, PeerPage
from sync_server.peers.ordering import OutOfOrder, plan_page
from sync_server.service.apply import apply_ops
from sync_server.store import audit, devices


@dataclass(frozen=True)
class PeerRun:
    peer_id: str
    url: str
    directory: DirectoryChanges
    applied: int
    duplicates: int
    cursor: int

    def describe(self) -> str:
        return (
            f"from {self.peer_id} ({self.url}): {self.applied} ops applied, "
            f"{self.duplicates} already here, {self.directory.describe()}, cursor {self.cursor}"
        )


def check_peer(ctx: Context, directory: PeerDirectory) -> None:
    """Refuse a peer that is this server, or shares its site number (cursors would clash)."""
    own = ctx.settings
    if directory.server_id == own.server_id:
        raise PeerRefusal(f"the peer is this server itself ({own.server_id}): check DA_PEERS")
    if directory.site_number == own.site_number:
        raise PeerRefusal(
            f"peer {directory.server_id} has the same DA_SITE_NUMBER ({own.site_number}); "
            "give every site its own, or device cursors would be misread after a failover"
        )


def _apply_page(ctx: Context, peer_id: str, page: PeerPage, changes: DirectoryChanges) -> int:
    """Apply one page with its checkpoint; returns how many ops were new here."""
    now = ctx.now_ms()
    ops = [change.op for change in page.changes]
    head = 0
    with ctx.db.write(append=True) as session:
        merge_devices(session, page.devices, changes, peer_id=peer_id, now_ms=now)
        rows = {d: devices.get(session, d) for d in {op.device_id for op in ops}}
        unknown = sorted(d for d, row in rows.items() if row is None)
        if unknown:
            raise PeerRefusal(f"peer {peer_id} sent ops of devices it did not describe: {unknown}")
        try:
            plan = plan_page({d: row.last_seq for d, row in rows.items() if row}, ops)
        except OutOfOrder as gap:
            raise PeerRefusal(f"from peer {peer_id}: {gap}") from None
        if plan.fresh:
            for device_id, user_id in sorted({(op.device_id, op.user_id) for op in plan.fresh}):
                devices.record_logon(session, device_id, user_id, now_ms=now)
            try:
                refused = {c.op.op_id: c.refused for c in page.changes if c.refused}
                head = apply_ops(ctx, session, plan.fresh, now_ms=now, refused=refused)
            except Refused as refused:
                raise PeerRefusal(
                    f"an op from peer {peer_id} was refused: {refused.detail}"
                ) from None
            for device_id, last_seq in plan.last_seqs.items():
                row = rows[device_id]
                assert row is not None
                row.last_seq = last_seq
                session.add(row)
            ctx.db.notify_in(session, head)
        state.advance_cursor(session, peer_id, page.cursor)
    if head:
        ctx.notifier.publish(head)
    return len(plan.fresh)


def pull_from_peer(ctx: Context, peer: PeerClient, *, page_limit: int = MAX_PULL_LIMIT) -> PeerRun:
    """Bring this server up to the peer's current head; raises ``PeerUnreachable`` or
    ``PeerRefusal`` (nothing half-applied: each page commits with its checkpoint)."""
    ensure_log_base(ctx)
    directory = peer.directory()
    check_peer(ctx, directory)
    peer_id = directory.server_id
    with ctx.db.write() as session:
        changes = merge_directory(session, ctx.sealer, directory, now_ms=ctx.now_ms())
    applied = duplicates = 0
    while True:
        with ctx.db.read() as session:
            cursor = state.cursor(session, peer_id)
        page = peer.changes(cursor, page_limit)
        new = _apply_page(ctx, peer_id, page, changes)
        applied += new
        duplicates += len(page.changes) - new
        if not page.has_more:
            return PeerRun(peer_id, peer.url, changes, applied, duplicates, page.cursor)


def audit_run(ctx: Context, run: PeerRun) -> None:
    audit.record_now(
        ctx.db,
        component="peers",
        event_type="peer.sync",
        outcome=AuditOutcome.SUCCESS,
        now_ms=ctx.now_ms(),
        device_id=run.peer_id,
        detail=run.describe(),
    )


def audit_failure(ctx: Context, url: str, reason: str) -> None:
    audit.record_now(
        ctx.db,
        component="peers",
        event_type="peer.sync",
        outcome=AuditOutcome.FAILURE,
        now_ms=ctx.now_ms(),
        detail=f"{url}: {reason}",
    )
