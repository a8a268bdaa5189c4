"""The HTTP contract between devices and the sync server: paths and the non-sync messages.

Sync messages themselves are in ``shared.protocol``.  Every 4xx carries an
``shared.protocol.ErrorBody``.  Authenticated calls send ``Authorization: Bearer <access>``;
the access token is bound to one user on one enrolled device.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from shared.protocol import DeviceId, EntityId, Priority, UserId

PREFIX = "/v1"
TIME = f"{PREFIX}/time"  # GET -> ServerTime (no auth)
HEALTH = f"{PREFIX}/health"  # GET -> Health (no auth); 503 when the database cannot be read
ENROLL = f"{PREFIX}/devices/enroll"  # POST EnrollRequest -> EnrollResponse
LOGIN = f"{PREFIX}/auth/login"  # POST LoginRequest -> TokenPair
REFRESH = f"{PREFIX}/auth/refresh"  # POST RefreshRequest -> TokenPair
PASSWORD = f"{PREFIX}/auth/password"  # POST PasswordChange -> TokenPair (own account)
SYNC = f"{PREFIX}/sync"  # POST SyncRequest -> SyncResponse (push + pull, one round trip)
PUSH = f"{PREFIX}/push"  # POST PushRequest -> PushResult
PULL = f"{PREFIX}/pull"  # GET ?cursor=&limit= -> PullPage
SNAPSHOT = f"{PREFIX}/snapshot"  # GET ?after=&limit= -> SnapshotPage (after resync_required)
ENTITY = f"{PREFIX}/entities/{{entity}}/{{entity_id}}"  # GET -> EntitySnapshot (one, whole)
EVENTS = f"{PREFIX}/events"  # GET text/event-stream; "event: changes" data {"seq": n}
CONFLICTS = f"{PREFIX}/conflicts"  # GET -> list[ConflictRecord] (supervisor)
CONFLICT = f"{PREFIX}/conflicts/{{conflict_id}}"  # GET -> ConflictRecord
RESOLVE = f"{PREFIX}/conflicts/{{conflict_id}}/resolve"  # POST ResolveRequest -> PushResult
USERS = f"{PREFIX}/admin/users"  # GET/POST (admin)
DEVICES = f"{PREFIX}/admin/devices"  # GET (admin)
REVOKE = f"{PREFIX}/admin/devices/{{device_id}}/revoke"  # POST (admin)
AUDIT = f"{PREFIX}/admin/audit"  # GET (admin)


class Role(StrEnum):
    """Who may do what: dispatchers work incidents and units; supervisors also see every unit
    and resolve conflicts; admins (agency IT) manage users and devices and read the audit log,
    but see no incident data."""

    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


Password = Annotated[str, StringConstraints(min_length=1, max_length=256)]
#: The 6-digit code an authenticator app shows (RFC 6238), the second factor CJIS asks of
#: remote access; required at sign-in for accounts that have an authenticator set up.
OneTimeCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ServerTime(_Msg):
    server_time_ms: int
    server_id: str


class Health(_Msg):
    """For the TLS proxy's and load balancer's checks: is this process able to serve?"""

    status: Literal["ok", "unavailable"]
    server_id: str
    latest_change: int | None = Field(default=None, description="Seq of the newest change")
    detail: str | None = Field(default=None, description="Why it is unavailable")


class EnrollRequest(_Msg):
    username: UserId
    password: Password
    device_name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    otp: OneTimeCode | None = None


class LoginRequest(_Msg):
    username: UserId
    password: Password
    device_id: DeviceId
    otp: OneTimeCode | None = None


class RefreshRequest(_Msg):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=512)]


class TokenPair(_Msg):
    access_token: str
    refresh_token: str
    expires_in: int = Field(description="Seconds the access token is valid")
    user_id: UserId
    role: Role
    server_time_ms: int
    sites: tuple[str, ...] = Field(
        default=(),
        description="Every site's address (primary, standby...) in the order devices try them",
    )


class EnrollResponse(_Msg):
    device_id: DeviceId
    tokens: TokenPair


class ResolveRequest(_Msg):
    """A supervisor's decision; the server turns it into a resolve op that syncs."""

    action: Annotated[str, StringConstraints(pattern=r"^(keep|reopen|set_priority)$")] | None = None
    priority: Priority | None = None
    keep_incident_id: EntityId | None = None
    comment: Annotated[str, StringConstraints(max_length=4000)] = ""


MIN_PASSWORD = 8
"""A new password's least length (account creation, resets, a user's own change)."""
NewPasswordText = Annotated[str, StringConstraints(min_length=MIN_PASSWORD, max_length=256)]


class NewUser(_Msg):
    username: UserId
    password: NewPasswordText
    role: Role
    display_name: Annotated[str, StringConstraints(max_length=64)] = ""


class RoleChange(_Msg):
    role: Role


class PasswordReset(_Msg):
    """An administrator's new password for an account (a forgotten or exposed one)."""

    password: NewPasswordText


class PasswordChange(_Msg):
    """The signed-in user's own new password.  The current one (and, for an account with an
    authenticator app, its code) proves it is them and not whoever picked up an unlocked
    tablet; a wrong one counts toward the lockout like a failed sign-in."""

    current_password: Password
    new_password: NewPasswordText
    otp: OneTimeCode | None = None


class EntitySnapshot(_Msg):
    entity: str
    entity_id: str
    state: dict[str, Any] = Field(description="shared.merge IncidentState / UnitState as JSON")


class SnapshotPage(_Msg):
    """One page of merged entity states, for a device that cannot resume from the change log.

    Keep the ``cursor`` of the FIRST page: after the last page, pull from it.  Later pages may
    already include newer changes; applying them again on pull is a no-op.
    """

    cursor: int
    entities: list[EntitySnapshot]
    next_after: str | None = Field(description="Pass as ?after= for the next page; null at end")
