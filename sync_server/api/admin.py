"""Administration (admins only): users, devices and the audit log.  Admins see no incident
data: the sync and supervisor endpoints refuse them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from shared import api
from shared.protocol import DeviceId, UserId
from sync_server.api.deps import Admin, Ctx
from sync_server.api.errors import responses
from sync_server.messages import AuditEntry, DeviceOut, UserOut
from sync_server.service import admin

router = APIRouter(tags=["admin"])
UNLOCK = f"{api.USERS}/{{username}}/unlock"
DISABLE = f"{api.USERS}/{{username}}/disable"
ROLE = f"{api.USERS}/{{username}}/role"
PASSWORD = f"{api.USERS}/{{username}}/password"
_COMMON = (401, 403, 410, 422)


@router.get(api.USERS, response_model=list[UserOut], responses=responses(*_COMMON))
def list_users(ctx: Ctx, caller: Admin) -> list[UserOut]:
    return admin.list_users(ctx)


@router.post(api.USERS, response_model=UserOut, status_code=201, responses=responses(*_COMMON, 409))
def create_user(new: api.NewUser, ctx: Ctx, caller: Admin) -> UserOut:
    """Create a user; 409 if the username is taken."""
    return admin.create_user(ctx, new, by=caller.user_id, device_id=caller.device_id)


@router.post(UNLOCK, response_model=UserOut, responses=responses(*_COMMON, 404))
def unlock_user(username: Annotated[UserId, Path()], ctx: Ctx, caller: Admin) -> UserOut:
    """Lift a lockout after failed logons."""
    return admin.unlock_user(ctx, username, by=caller.user_id, device_id=caller.device_id)


@router.post(ROLE, response_model=UserOut, responses=responses(*_COMMON, 404))
def set_role(
    username: Annotated[UserId, Path()], change: api.RoleChange, ctx: Ctx, caller: Admin
) -> UserOut:
    """Give an account another role; it applies at the account's next request."""
    return admin.set_role(ctx, username, change.role, by=caller.user_id, device_id=caller.device_id)


@router.post(PASSWORD, response_model=UserOut, responses=responses(*_COMMON, 404))
def reset_password(
    username: Annotated[UserId, Path()], reset: api.PasswordReset, ctx: Ctx, caller: Admin
) -> UserOut:
    """A new password for an account; every session of it ends (its tablets ask again)."""
    return admin.reset_password(
        ctx, username, reset.password, by=caller.user_id, device_id=caller.device_id
    )


@router.post(DISABLE, response_model=UserOut, responses=responses(*_COMMON, 404))
def disable_user(username: Annotated[UserId, Path()], ctx: Ctx, caller: Admin) -> UserOut:
    """Withdraw an account for good: no more sign-in, refresh or sync, at any site."""
    return admin.disable_user(ctx, username, by=caller.user_id, device_id=caller.device_id)


@router.get(api.DEVICES, response_model=list[DeviceOut], responses=responses(*_COMMON))
def list_devices(ctx: Ctx, caller: Admin) -> list[DeviceOut]:
    return admin.list_devices(ctx)


@router.post(api.REVOKE, response_model=DeviceOut, responses=responses(*_COMMON, 404))
def revoke_device(device_id: Annotated[DeviceId, Path()], ctx: Ctx, caller: Admin) -> DeviceOut:
    """Revoke a lost or stolen device: it is refused from now on and told to wipe."""
    return admin.revoke_device(ctx, device_id, by=caller.user_id, by_device=caller.device_id)


@router.get(api.AUDIT, response_model=list[AuditEntry], responses=responses(*_COMMON))
def audit_log(
    ctx: Ctx,
    caller: Admin,
    after_id: Annotated[int, Query(ge=0, lt=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    event_type: Annotated[str | None, Query(max_length=48)] = None,
    user_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[AuditEntry]:
    """Audit records after ``after_id`` (oldest first), optionally filtered."""
    return admin.audit_log(
        ctx, after_id=after_id, limit=limit, event_type=event_type, user_id=user_id
    )
