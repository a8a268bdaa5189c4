"""Sync endpoints: server time, health, push, pull, push+pull, snapshot."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.exc import SQLAlchemyError

from shared import api
from shared.protocol import MAX_PULL_LIMIT, PullPage, PushRequest, PushResult, SyncRequest
from shared.protocol import SyncResponse as SyncResult
from sync_server.api.deps import Ctx, SyncCaller
from sync_server.api.errors import responses
from sync_server.messages import EntitySnapshot, SnapshotPage
from sync_server.service import pull as pulling
from sync_server.service import push as pushing
from sync_server.service.pull import MAX_CURSOR
from sync_server.service.snapshot import one_entity, snapshot
from sync_server.store import changelog

log = logging.getLogger(__name__)
router = APIRouter(tags=["sync"])
_AUTH = (401, 403, 410, 422)


@router.get(api.TIME, response_model=api.ServerTime)
def server_time(ctx: Ctx) -> api.ServerTime:
    """The authoritative clock; devices correct their HLC offset with it."""
    return api.ServerTime(server_time_ms=ctx.now_ms(), server_id=ctx.settings.server_id)


@router.get(
    api.HEALTH,
    response_model=api.Health,
    responses={503: {"model": api.Health, "description": "The database cannot be read"}},
)
def health(ctx: Ctx, response: Response) -> api.Health:
    """200 while this process can read its database; 503 when it cannot, so the proxy or load
    balancer in front takes it out of rotation (devices go to the next site on any 5xx)."""
    try:
        with ctx.db.read() as session:
            head = changelog.head(session)
    except SQLAlchemyError as failed:
        log.error("health check: the database cannot be read: %s", failed)
        response.status_code = 503
        why = f"the database cannot be read ({type(failed).__name__})"
        return api.Health(status="unavailable", server_id=ctx.settings.server_id, detail=why)
    return api.Health(status="ok", server_id=ctx.settings.server_id, latest_change=head)


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


@router.get(api.ENTITY, response_model=EntitySnapshot, responses=responses(*_AUTH, 404))
def get_entity(ctx: Ctx, caller: SyncCaller, entity: str, entity_id: str) -> EntitySnapshot:
    """One incident's or unit's whole merged state: for a device that let a closed incident
    go and has since pulled a change to it (someone reopened it)."""
    return one_entity(ctx, entity, entity_id)
