"""The periodic peer sync (an APScheduler job in every server process that has ``DA_PEERS``).

Each peer has its own exponential backoff with full jitter while it is unreachable or refuses,
so a site that is down costs one failed attempt per backoff period, and recovering sites are
not hit on the same beat.  The audit log gets runs that changed something, the first failure
of an outage and the recovery: not one line every few seconds while nothing happens.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sync_server.context import Context
from sync_server.peers.client import PeerClient, PeerRefusal, PeerUnreachable
from sync_server.peers.replicate import PeerRun, audit_failure, audit_run, pull_from_peer

log = logging.getLogger(__name__)


def backoff_delay(failures: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Seconds to wait after ``failures`` failures in a row (full jitter, capped)."""
    return rng.uniform(0.0, min(cap_s, base_s * 2 ** min(failures, 32)))


@dataclass
class _Peer:
    client: PeerClient
    failures: int = 0
    not_before: float = 0.0


@dataclass
class PeerJob:
    """Callable as ``job(ctx)``: one run against every peer that is due."""

    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    _peers: dict[str, _Peer] = field(default_factory=dict)

    def _peer(self, ctx: Context, url: str) -> _Peer:
        if url not in self._peers:
            secret = ctx.settings.peer_secret
            assert secret is not None  # Settings refuses DA_PEERS without it
            self._peers[url] = _Peer(PeerClient(url, secret=secret, own_id=ctx.settings.server_id))
        return self._peers[url]

    def __call__(self, ctx: Context) -> list[PeerRun]:
        runs = []
        for url in ctx.settings.peers:
            peer = self._peer(ctx, url)
            if self.clock() < peer.not_before:
                continue
            try:
                run = pull_from_peer(ctx, peer.client)
            except (PeerUnreachable, PeerRefusal) as failed:
                self._failed(ctx, url, peer, str(failed))
                continue
            if peer.failures or run.applied or run.directory:
                audit_run(ctx, run)
            peer.failures = 0
            peer.not_before = 0.0
            runs.append(run)
        return runs

    def _failed(self, ctx: Context, url: str, peer: _Peer, reason: str) -> None:
        if peer.failures == 0:
            log.warning("peer sync with %s failed: %s", url, reason)
            audit_failure(ctx, url, reason)
        settings = ctx.settings
        delay = backoff_delay(
            peer.failures, settings.peer_sync_seconds, settings.peer_backoff_max_seconds, self.rng
        )
        peer.failures += 1
        peer.not_before = self.clock() + delay

    def close(self) -> None:
        for peer in self._peers.values():
            peer.client.close()
