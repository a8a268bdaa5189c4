"""Sync protocol messages, validated identically by the app and the server.

Every local action is one ``Op``: an envelope (op id = device id + per-device seq, HLC stamp,
author, entity, causal context) around a typed body.  Bodies forbid unknown fields, so a
malformed request is refused with a reason instead of being half-stored.

``ctx`` is the op's causal context for its entity: for each device, the highest seq of that
device's ops *on this entity* the author had seen.  Because every server accepts a device's
ops in seq order (gaps are refused), any replica knows a prefix of each device's ops, which
makes ``ctx`` an exact "did the author know op X" test (see ``shared.merge.causality``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    SerializerFunctionWrapHandler,
    StringConstraints,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from shared.codes import DISPOSITIONS, INCIDENT_TYPES
from shared.hlc import HlcStr
from shared.lifecycle import IncidentStatus, UnitStatus

PROTOCOL_VERSION = 1
MAX_BATCH = 500
MAX_PULL_LIMIT = 1000
MAX_TEXT = 4000
MAX_CTX = 2000

DeviceId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
EntityId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
UserId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.@-]{1,64}$")]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_/-]{1,32}$")]


def _registered(registry: dict[str, str], name: str) -> AfterValidator:
    def check(code: str) -> str:
        if code not in registry:
            raise ValueError(f"{code!r} is not a known {name} code")
        return code

    return AfterValidator(check)


IncidentType = Annotated[Code, _registered(INCIDENT_TYPES, "APCO 2.103.2 incident type")]
Disposition = Annotated[Code, _registered(DISPOSITIONS, "APCO 1.111.2 disposition")]
ShortText = Annotated[str, StringConstraints(max_length=200)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT)]
Priority = Annotated[int, Field(ge=1, le=5, description="1 is the most urgent")]
EpochMs = Annotated[int, Field(ge=0, lt=10**15)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class Entity(StrEnum):
    INCIDENT = "incident"
    UNIT = "unit"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _SetFieldsOnly(_Body):
    """A body whose unset fields mean "not changed" (``None`` set explicitly clears a field).

    Only the fields that were set are serialised, so an op means the same thing after a JSON
    round trip (sync wire, device store, server store); otherwise every unset field would come
    back as an explicit ``None`` and erase that field on every replica.
    """

    @model_serializer(mode="wrap")
    def _only_set_fields(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        keep = self.model_fields_set | {"kind"}
        return {name: value for name, value in data.items() if name in keep}

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        # Document the fields themselves rather than the serializer's generic dict.
        fields_only = {key: value for key, value in schema.items() if key != "serialization"}
        return handler(cast(CoreSchema, fields_only))


class IncidentFields(_SetFieldsOnly):
    """The scalar incident fields merged last-writer-wins, field by field."""

    incident_type: IncidentType | None = None
    address: ShortText | None = None
    cross_street: ShortText | None = None
    lat: Latitude | None = None
    lon: Longitude | None = None
    location_verified: bool | None = None
    caller_name: ShortText | None = None
    callback_number: Annotated[str, StringConstraints(max_length=32)] | None = None

    def changes(self) -> dict[str, object]:
        """Only the fields this change actually sets, in declaration order (read straight off
        the model: a ``model_dump`` through the set-fields serializer cost ~35 µs per op)."""
        chosen = self.model_fields_set
        return {name: getattr(self, name) for name in type(self).model_fields if name in chosen}


class IncidentCreate(_Body):
    kind: Literal["incident.create"] = "incident.create"
    fields: IncidentFields
    priority: Priority
    narrative: Annotated[str, StringConstraints(max_length=MAX_TEXT)] = ""
    received_ms: EpochMs | None = Field(
        default=None, description="When the call was answered; defaults to the op's HLC time"
    )
    late: bool = Field(default=False, description="Entered after the fact (paper backup)")


class IncidentUpdate(_Body):
    kind: Literal["incident.update"] = "incident.update"
    fields: IncidentFields

    @model_validator(mode="after")
    def _not_empty(self) -> IncidentUpdate:
        if not self.fields.changes():
            raise ValueError("an update must change at least one field")
        return self


class IncidentPriority(_Body):
    kind: Literal["incident.priority"] = "incident.priority"
    priority: Priority
    previous: Priority


class IncidentStatusChange(_Body):
    kind: Literal["incident.status"] = "incident.status"
    status: IncidentStatus
    disposition: Disposition | None = None
    event_ms: EpochMs | None = None
    late: bool = False

    @model_validator(mode="after")
    def _closing_needs_disposition(self) -> IncidentStatusChange:
        if self.status is IncidentStatus.CLOSED and not self.disposition:
            raise ValueError("closing an incident needs a disposition code")
        return self


class NoteAdd(_Body):
    kind: Literal["note.add"] = "note.add"
    note_id: EntityId
    text: LongText
    event_ms: EpochMs | None = None
    late: bool = False


class IncidentResolve(_Body):
    """A supervisor's decision on an incident conflict; it syncs like any other op."""

    kind: Literal["incident.resolve"] = "incident.resolve"
    conflict_id: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    action: Literal["keep", "reopen", "set_priority"]
    priority: Priority | None = None
    comment: Annotated[str, StringConstraints(max_length=MAX_TEXT)] = ""

    @model_validator(mode="after")
    def _priority_given(self) -> IncidentResolve:
        if (self.action == "set_priority") != (self.priority is not None):
            raise ValueError("priority is required exactly when action is set_priority")
        return self


class UnitUpsert(_SetFieldsOnly):
    kind: Literal["unit.upsert"] = "unit.upsert"
    name: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    unit_type: Code | None = None
    station: Annotated[str, StringConstraints(max_length=32)] | None = None


class UnitStatusChange(_Body):
    kind: Literal["unit.status"] = "unit.status"
    status: UnitStatus
    incident_id: EntityId | None = None
    event_ms: EpochMs | None = Field(
        default=None, description="Real time of the event; defaults to the op's HLC time"
    )
    late: bool = False

    @model_validator(mode="after")
    def _incident_when_committed(self) -> UnitStatusChange:
        from shared.lifecycle import unit_needs_incident

        if unit_needs_incident(self.status) and self.incident_id is None:
            raise ValueError(f"status {self.status} needs the incident it is about")
        if not unit_needs_incident(self.status) and self.incident_id is not None:
            raise ValueError(f"status {self.status} is not about an incident")
        return self


class UnitResolve(_Body):
    kind: Literal["unit.resolve"] = "unit.resolve"
    conflict_id: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    keep_incident_id: EntityId
    comment: Annotated[str, StringConstraints(max_length=MAX_TEXT)] = ""


Body = Annotated[
    IncidentCreate
    | IncidentUpdate
    | IncidentPriority
    | IncidentStatusChange
    | NoteAdd
    | IncidentResolve
    | UnitUpsert
    | UnitStatusChange
    | UnitResolve,
    Field(discriminator="kind"),
]

UNIT_KINDS = frozenset({"unit.upsert", "unit.status", "unit.resolve"})
_ENTITY_OF_KIND = {kind: Entity.UNIT for kind in UNIT_KINDS}
_INCIDENT = Entity.INCIDENT  # read once: an enum member lookup is a descriptor call
CREATING_KINDS = frozenset({"incident.create", "unit.upsert"})


class Op(BaseModel):
    """One operation: the unit of sync, of idempotency and of merge."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    device_id: DeviceId
    seq: Annotated[int, Field(ge=1, lt=2**62)]
    hlc: HlcStr
    user_id: UserId
    entity_id: EntityId
    ctx: Annotated[dict[DeviceId, Annotated[int, Field(ge=0, lt=2**62)]], Field(max_length=MAX_CTX)]
    body: Body

    @property
    def op_id(self) -> str:
        return f"{self.device_id}:{self.seq}"

    @property
    def entity(self) -> Entity:
        return _ENTITY_OF_KIND.get(self.body.kind, _INCIDENT)

    @property
    def stamp(self) -> tuple[str, str, int]:
        """Total order for last-writer-wins: HLC, then device id, then seq."""
        return (self.hlc, self.device_id, self.seq)


class PushRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_id: DeviceId
    ops: Annotated[list[Op], Field(max_length=MAX_BATCH)]

    @model_validator(mode="after")
    def _own_ops_in_order(self) -> PushRequest:
        previous = 0
        for op in self.ops:
            if op.device_id != self.device_id:
                raise ValueError(f"op {op.op_id} is not from device {self.device_id}")
            if op.seq <= previous:
                raise ValueError(f"ops must be in increasing seq order (at {op.op_id})")
            previous = op.seq
        return self


class SyncRequest(PushRequest):
    """Push and pull in one round trip, as a device does when it reconnects."""

    cursor: Annotated[int, Field(ge=0)] = 0
    limit: Annotated[int, Field(ge=1, le=MAX_PULL_LIMIT)] = 500


class PushResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_id: DeviceId
    last_seq: int = Field(description="Highest seq of this device the server has applied")
    applied: int
    duplicates: int
    server_time_ms: int
    refused: int = Field(
        default=0, description="Ops logged as refused, not merged (the pull says why)"
    )


class Change(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seq: int = Field(description="Server's global change sequence")
    op: Op
    refused: str | None = Field(
        default=None,
        max_length=500,
        description="Why the server refused this op for good (e.g. a resolution by someone who "
        "is no longer a supervisor).  It was merged nowhere; replicas skip it, and its own "
        "device undoes it.  Logged so that the device's later ops are not held up behind it.",
    )


class PullPage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    changes: list[Change]
    cursor: int = Field(description="Pass back to get the next page; checkpoint it per page")
    has_more: bool
    server_time_ms: int


class SyncResponse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    push: PushResult
    pull: PullPage


class ErrorCode(StrEnum):
    INVALID = "invalid"
    SEQ_GAP = "seq_gap"
    CLOCK_AHEAD = "clock_ahead"
    BATCH_TOO_LARGE = "batch_too_large"
    UNKNOWN_ENTITY = "unknown_entity"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    DEVICE_REVOKED = "device_revoked"
    RESYNC_REQUIRED = "resync_required"
    NOT_FOUND = "not_found"


class ErrorBody(BaseModel):
    """Every 4xx answer: a stable code for the client and words for a person."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorCode
    detail: str
    wipe: bool = False
    expected_seq: int | None = None
    server_time_ms: int | None = None
