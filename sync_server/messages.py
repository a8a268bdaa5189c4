"""Messages of the server's own endpoints (administration, alerts, snapshot).

The sync and auth messages are ``shared.protocol`` / ``shared.api``; these only use pydantic
and ``shared`` too, so a client may import them without the server's dependencies.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.api import EntitySnapshot, Role, SnapshotPage
from shared.domain import AuditEvent


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserOut(_Out):
    username: str
    role: Role
    display_name: str
    active: bool
    locked: bool
    authenticator: bool = Field(
        default=False, description="Signs in with a one-time code from an authenticator app"
    )


class DeviceOut(_Out):
    device_id: str
    user_id: str = Field(description="User who enrolled the device")
    name: str
    last_seq: int = Field(description="Highest of its op seqs the server has applied")
    acked_seq: int | None = Field(description="Highest pull cursor it confirmed holding")
    revoked: bool
    created_ms: int
    last_seen_ms: int | None


class AuditEntry(AuditEvent):
    id: int


class AlertOut(_Out):
    id: int
    kind: str
    unit_id: str
    incident_id: str | None
    since_ms: int
    raised_ms: int
    acked_by: str | None
    acked_ms: int | None


__all__ = ["AlertOut", "AuditEntry", "DeviceOut", "EntitySnapshot", "SnapshotPage", "UserOut"]
