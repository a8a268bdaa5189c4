"""The supervisor's inbox: conflicts and timer alerts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from shared import api
from shared.domain import ConflictRecord
from shared.protocol import PushResult
from sync_server.api.deps import Ctx, Supervisor
from sync_server.api.errors import responses
from sync_server.messages import AlertOut
from sync_server.service import alerts, conflicts

router = APIRouter(tags=["supervisor"])
ALERTS = f"{api.PREFIX}/alerts"
ACKNOWLEDGE = f"{ALERTS}/{{alert_id}}/acknowledge"
_COMMON = (401, 403, 410, 422)
ConflictId = Annotated[str, Path(min_length=1, max_length=320)]


@router.get(api.CONFLICTS, response_model=list[ConflictRecord], responses=responses(*_COMMON))
def list_conflicts(
    ctx: Ctx, caller: Supervisor, include_resolved: Annotated[bool, Query()] = False
) -> list[ConflictRecord]:
    """Open conflicts (all of them with include_resolved), both sides of each."""
    return conflicts.list_conflicts(ctx, include_resolved=include_resolved)


@router.get(api.CONFLICT, response_model=ConflictRecord, responses=responses(*_COMMON, 404))
def get_conflict(conflict_id: ConflictId, ctx: Ctx, caller: Supervisor) -> ConflictRecord:
    """One conflict with both sides: who did what, when, and what each side wants."""
    return conflicts.get_conflict(ctx, conflict_id)


@router.post(api.RESOLVE, response_model=PushResult, responses=responses(*_COMMON, 404))
def resolve(
    conflict_id: ConflictId, request: api.ResolveRequest, ctx: Ctx, caller: Supervisor
) -> PushResult:
    """Resolve: the server issues the supervisor's decision as an op that syncs to devices."""
    return conflicts.resolve(ctx, caller, conflict_id, request)


@router.get(ALERTS, response_model=list[AlertOut], responses=responses(*_COMMON))
def list_alerts(
    ctx: Ctx, caller: Supervisor, include_acknowledged: Annotated[bool, Query()] = False
) -> list[AlertOut]:
    """Timer alerts, e.g. a unit on scene longer than the agency allows."""
    return alerts.list_alerts(ctx, include_acknowledged=include_acknowledged)


@router.post(ACKNOWLEDGE, response_model=AlertOut, responses=responses(*_COMMON, 404))
def acknowledge_alert(
    alert_id: Annotated[int, Path(ge=1, lt=2**62)], ctx: Ctx, caller: Supervisor
) -> AlertOut:
    return alerts.acknowledge(ctx, caller, alert_id)
