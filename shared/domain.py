"""The domain as dispatchers see it: read models derived from merged replica state.

These are what the UI renders, what EIDO export maps and what reports aggregate.  They are
plain data: the rules that produce them live in ``shared.merge``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.lifecycle import IncidentStatus, UnitStatus

#: Fields that may hold caller PII or case detail: stored only encrypted on devices and servers.
SENSITIVE_INCIDENT_FIELDS = frozenset(
    {"address", "cross_street", "lat", "lon", "caller_name", "callback_number"}
)


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class Author(_View):
    """Who did something, from which device, and when (HLC)."""

    op_id: str
    user_id: str
    device_id: str
    hlc: str


class Location(_View):
    address: str | None = None
    cross_street: str | None = None
    lat: float | None = None
    lon: float | None = None
    verified: bool = False


class Caller(_View):
    name: str | None = None
    callback_number: str | None = None


class FieldChange(_View):
    """One value a field held or was offered; ``concurrent`` marks a write that lost a race
    (its author never saw the winner) rather than one deliberately overwritten."""

    field: str
    value: Any
    by: Author
    concurrent: bool


class Note(_View):
    note_id: str
    text: str
    by: Author
    event_ms: int
    late: bool = False
    narrative: bool = False


class StatusEvent(_View):
    status: str
    event_ms: int
    by: Author
    late: bool = False
    incident_id: str | None = None
    disposition: str | None = None


class Assignment(_View):
    """One unit on one incident, with the CAD's per-event timestamps (epoch ms)."""

    unit_id: str
    incident_id: str
    status: UnitStatus
    dispatched_ms: int | None = None
    enroute_ms: int | None = None
    onscene_ms: int | None = None
    transporting_ms: int | None = None
    hospital_ms: int | None = None
    cleared_ms: int | None = None
    late: bool = False

    @property
    def active(self) -> bool:
        return self.cleared_ms is None


class ConflictKind(StrEnum):
    UNIT_DOUBLE_BOOKED = "unit_double_booked"
    PRIORITY_DOWNGRADE = "priority_downgrade"
    EDIT_AFTER_CLOSE = "edit_after_close"


class ConflictSide(_View):
    by: Author
    summary: str
    value: Any = None


class ConflictRecord(_View):
    """Two offline decisions that cannot both stand; a supervisor decides, both stay visible."""

    conflict_id: str
    kind: ConflictKind
    entity: str
    entity_id: str
    sides: tuple[ConflictSide, ...]
    open: bool
    resolutions: tuple[StatusEvent, ...] = ()

    @property
    def title(self) -> str:
        return {
            ConflictKind.UNIT_DOUBLE_BOOKED: "Unit committed to two incidents",
            ConflictKind.PRIORITY_DOWNGRADE: "Priority lowered while another escalated",
            ConflictKind.EDIT_AFTER_CLOSE: "Changes made to an incident someone closed",
        }[self.kind]


class Incident(_View):
    incident_id: str
    exists: bool = Field(description="False until the create op has been seen")
    incident_type: str | None
    priority: int | None
    status: IncidentStatus
    disposition: str | None
    location: Location
    caller: Caller
    received_ms: int | None
    created_by: Author | None
    late: bool
    notes: tuple[Note, ...]
    status_history: tuple[StatusEvent, ...]
    field_history: tuple[FieldChange, ...]
    open_conflicts: tuple[str, ...]
    updated_hlc: str


class Unit(_View):
    unit_id: str
    name: str | None
    unit_type: str | None
    station: str | None
    status: UnitStatus
    status_since_ms: int | None
    incident_id: str | None
    assignments: tuple[Assignment, ...]
    events: tuple[StatusEvent, ...]
    anomalies: tuple[str, ...]
    open_conflicts: tuple[str, ...]
    updated_hlc: str

    @property
    def double_booked(self) -> bool:
        return bool(self.open_conflicts)


class AuditOutcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"


class AuditEvent(_View):
    """CJIS 5.4.1.1 audit fields: when, which component, what, who, from where, outcome."""

    time_ms: int
    component: str
    event_type: str
    user_id: str | None
    device_id: str | None
    outcome: AuditOutcome
    detail: str = ""
