"""Who may use the peer endpoints: another site's server holding ``DA_PEER_SECRET``.

The secret travels like a bearer token (``Authorization: Peer <secret>``; https between sites)
with the caller's server id in ``X-DA-Peer-Id``.  A user's token, whatever the role, is
refused: the peer endpoints hand out every incident, every password hash and every
authenticator secret.  Every refusal is
audited.
"""

from __future__ import annotations

import hmac
import re

from shared.domain import AuditOutcome
from shared.protocol import ErrorCode
from sync_server.context import Context
from sync_server.errors import Refused
from sync_server.store import audit

SCHEME = "Peer"
PEER_ID_HEADER = "X-DA-Peer-Id"
_PEER_ID = re.compile(r"^[A-Za-z0-9_.-]{1,48}$")


def peer_headers(secret: str, own_id: str) -> dict[str, str]:
    """What a server sends when it pulls from a peer."""
    return {"Authorization": f"{SCHEME} {secret}", PEER_ID_HEADER: own_id}


def _refuse(ctx: Context, code: ErrorCode, detail: str, peer_id: str | None, where: str) -> Refused:
    audit.record_now(
        ctx.db,
        component="peers",
        event_type="peer.denied",
        outcome=AuditOutcome.FAILURE,
        now_ms=ctx.now_ms(),
        device_id=peer_id,
        detail=f"{detail} ({where})",
    )
    return Refused(code, detail)


def authenticate_peer(
    ctx: Context, authorization: str | None, peer_id: str | None, where: str
) -> str:
    """The calling peer's server id, or a refusal (audited)."""
    secret = ctx.settings.peer_secret
    claimed = peer_id if peer_id and _PEER_ID.match(peer_id) else None
    scheme, _, presented = (authorization or "").partition(" ")
    if secret is None:
        raise _refuse(
            ctx,
            ErrorCode.FORBIDDEN,
            "peer sync is not configured here (DA_PEER_SECRET)",
            claimed,
            where,
        )
    if scheme.lower() == "bearer":
        raise _refuse(
            ctx,
            ErrorCode.FORBIDDEN,
            "a user's token cannot be used for server-to-server sync",
            claimed,
            where,
        )
    if scheme != SCHEME or not hmac.compare_digest(presented.strip().encode(), secret.encode()):
        raise _refuse(
            ctx, ErrorCode.UNAUTHORIZED, "missing or wrong peer credential", claimed, where
        )
    if claimed is None:
        raise _refuse(
            ctx, ErrorCode.INVALID, f"{PEER_ID_HEADER} must name the calling server", None, where
        )
    if claimed == ctx.settings.server_id:
        raise _refuse(ctx, ErrorCode.INVALID, "a server cannot be its own peer", claimed, where)
    return claimed
