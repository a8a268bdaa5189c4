"""Messages of the server's own endpoints (administration, alerts, snapshot).

The sync and auth messages are ``shared.protocol`` / ``shared.api``; these only use pydantic
and ``shared`` too, so a client may import them without the server's dependencies.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.api import Role
from shared.domain import AuditEvent


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserOut(_Out):
    username: str
    role: Role
    display_name: str
    active: bool
    locked: bool


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


class EntitySnapshot(_Out):
    entity: str
    entity_id: str
    state: dict[str, Any] = Field(description="shared.merge IncidentState / UnitState as JSON")


class SnapshotPage(_Out):
    """One page of merged entity states.

    Keep the ``cursor`` of the FIRST page: after the last page, pull from it.  Later pages may
    already include newer changes; applying them again on pull is a no-op.
    """

    cursor: int
    entities: list[EntitySnapshot]
    next_after: str | None = Field(description="Pass as ?after= for the next page; null at end")
