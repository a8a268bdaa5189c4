"""Housekeeping: expired refresh tokens, and change-log compaction that never breaks a resume.

Compaction rule (the only one that keeps every device able to resume): delete changes that
(a) every active device and every peer server that has ever pulled has confirmed holding
(its pull cursor), and
(b) are older than ``Settings.compaction_keep_seconds``.  A device that never pulled, or a new
one, asks from a cursor below the new horizon and is told ``resync_required``: it loads the
snapshot and pulls on from there.  A device that stopped syncing holds compaction back until
an administrator revokes it.
"""

from __future__ import annotations

from sqlmodel import Session, col, delete

from shared.domain import AuditOutcome
from sync_server.context import Context
from sync_server.peers import state as peers
from sync_server.store import audit, changelog, devices
from sync_server.store.db import affected
from sync_server.store.tables import RefreshTokenRow


def purge_expired_tokens(ctx: Context) -> int:
    now = ctx.now_ms()
    with ctx.db.write() as session:
        result = session.execute(
            delete(RefreshTokenRow).where(col(RefreshTokenRow.expires_ms) <= now)
        )
        return affected(result)


def _horizon(session: Session, *, now_ms: int, keep_ms: int) -> int:
    """The highest seq that may be deleted now (0: nothing)."""
    held = [devices.oldest_acknowledged(session), peers.oldest_ack(session)]
    confirmed = min((seq for seq in held if seq is not None), default=None)
    old_enough = changelog.newest_received_before(session, now_ms - keep_ms)
    return 0 if confirmed is None else min(confirmed, old_enough)


def compact_changes(ctx: Context) -> int:
    """Delete the compactable prefix of the change log; returns rows removed."""
    now = ctx.now_ms()
    # Appenders are serialized with the same lock, so the horizon is computed and applied
    # without a push slipping in between.
    with ctx.db.write(append=True) as session:
        keep_ms = int(ctx.settings.compaction_keep_seconds * 1000)
        up_to = _horizon(session, now_ms=now, keep_ms=keep_ms)
        removed = changelog.compact(session, up_to) if up_to else 0
        if removed:
            audit.record(
                session,
                component="jobs",
                event_type="changelog.compact",
                outcome=AuditOutcome.SUCCESS,
                now_ms=now,
                detail=f"removed {removed} changes up to seq {up_to}",
            )
    return removed
