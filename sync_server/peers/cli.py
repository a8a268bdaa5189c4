"""``python -m sync_server peer-sync``: one replication run against every configured peer."""

from __future__ import annotations

import sys

from sync_server.context import Context
from sync_server.peers import state
from sync_server.peers.client import PeerClient, PeerRefusal, PeerUnreachable
from sync_server.peers.replicate import audit_failure, audit_run, pull_from_peer
from sync_server.settings import Settings, SettingsError


def peer_sync(settings: Settings, *, from_start: bool = False) -> int:
    """Pull once from each peer; prints one line per peer.  Exit status 1 if any failed."""
    if not settings.peers or settings.peer_secret is None:
        raise SettingsError("no peers: set DA_PEERS and DA_PEER_SECRET")
    ctx = Context.open(settings)
    failed = 0
    try:
        ctx.prepare()
        for url in settings.peers:
            client = PeerClient(url, secret=settings.peer_secret, own_id=settings.server_id)
            try:
                if from_start:
                    peer_id = client.directory().server_id
                    with ctx.db.write() as session:
                        state.reset_cursor(session, peer_id)
                run = pull_from_peer(ctx, client)
            except (PeerUnreachable, PeerRefusal) as error:
                failed += 1
                audit_failure(ctx, url, str(error))
                print(f"failed: {error}", file=sys.stderr)
                continue
            finally:
                client.close()
            audit_run(ctx, run)
            print(f"{settings.server_id} pulled {run.describe()}")
    finally:
        ctx.close()
    return 1 if failed else 0
