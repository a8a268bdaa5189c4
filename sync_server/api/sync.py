"""Sync endpoints: server time, push, pull, push+pull, snapshot."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from shared import api
from shared.protocol import MAX_PULL_LIMIT, PullPage, PushRequest, PushResult, SyncRequest
from shared.protocol import SyncResponse as SyncResult
from sync_server.api.deps import Ctx, SyncCaller
from sync_server.api.errors import responses
from sync_server.messages import SnapshotPage
from sync_server.service import pull as pulling
from sync_server.service import push as pushing
from sync_server.service.pull import MAX_CURSOR
from sync_server.service.snapshot import snapshot

router = APIRouter(tags=["sync"])
_AUTH = (401, 403, 410, 422)


@router.get(api.TIME, response_model=api.ServerTime)
def server_time(ctx: Ctx) -> api.ServerTime:
    """The authoritative clock; devices correct their HLC offset with it."""
    return api.ServerTime(server_time_ms=ctx.now_ms(), server_id=ctx.settings.server_id)


@router.post(api.PUSH, response_model=PushResult, responses=responses(*_AUTH, 409, 413))
def push(request: PushRequest, ctx: Ctx, caller: SyncCaller) -> PushResult:
    """Apply a batch of this device's ops exactly once, all or nothing."""
    return pushing.push(ctx, caller, request)


@router.get(api.PULL, response_model=PullPage, responses=responses(*_AUTH))
def pull(
    ctx: Ctx,
    caller: SyncCaller,
    cursor: Annotated[int, Query(ge=0, lt=MAX_CURSOR, description="Last cursor saved")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = 500,
) -> PullPage:
    """Changes after ``cursor`` in global order; 410 resync_required below the horizon."""
    return pulling.pull(ctx, caller, cursor, limit)


@router.post(api.SYNC, response_model=SyncResult, responses=responses(*_AUTH, 409, 413))
def sync(request: SyncRequest, ctx: Ctx, caller: SyncCaller) -> SyncResult:
    """Push, then pull, in one round trip."""
    return pulling.sync(ctx, caller, request)


@router.get(pulling.SNAPSHOT_PATH, response_model=SnapshotPage, responses=responses(*_AUTH))
def get_snapshot(
    ctx: Ctx,
    caller: SyncCaller,
    after: Annotated[str | None, Query(max_length=100, description="next_after")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> SnapshotPage:
    """Every merged incident and unit state, for a device that must resync."""
    return snapshot(ctx, after, limit)
