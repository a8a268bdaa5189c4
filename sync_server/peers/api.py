"""Peer endpoints (server-to-server only): ``GET /v1/peer/directory``, ``GET /v1/peer/changes``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import APIKeyHeader

from shared.protocol import MAX_PULL_LIMIT
from sync_server.api.deps import Ctx
from sync_server.api.errors import responses
from sync_server.peers import source
from sync_server.peers.auth import authenticate_peer
from sync_server.peers.messages import CHANGES, DIRECTORY, PeerDirectory, PeerPage
from sync_server.service.pull import MAX_CURSOR

router = APIRouter(tags=["peers"])
#: Declares the peer credential in the OpenAPI schema; checked in ``peer``.
_credential = APIKeyHeader(
    name="Authorization", auto_error=False, description="Peer <DA_PEER_SECRET>"
)


def peer(request: Request, ctx: Ctx, _scheme: Annotated[object, Depends(_credential)]) -> str:
    return authenticate_peer(
        ctx,
        request.headers.get("authorization"),
        request.headers.get("x-da-peer-id"),
        f"{request.method} {request.url.path}",
    )


PeerId = Annotated[str, Depends(peer)]
_REFUSALS = (401, 403, 410, 422)


@router.get(DIRECTORY, response_model=PeerDirectory, responses=responses(*_REFUSALS))
def get_directory(ctx: Ctx, peer_id: PeerId) -> PeerDirectory:
    """Users (with password hashes), devices (with revocations) and logons, for a peer."""
    return source.directory(ctx)


@router.get(CHANGES, response_model=PeerPage, responses=responses(*_REFUSALS))
def get_changes(
    ctx: Ctx,
    peer_id: PeerId,
    cursor: Annotated[int, Query(ge=0, lt=MAX_CURSOR)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = 500,
) -> PeerPage:
    """This server's change log after ``cursor``, and the devices its ops come from."""
    return source.changes(ctx, peer_id, cursor, limit)
