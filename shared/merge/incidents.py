"""Incident merge: LWW scalar fields, union of notes, and the incident conflict rules.

Conflicts raised here (each a pure predicate on a pair of ops, hence order-free):
- a priority lowered by one dispatcher while another, unaware, raised it;
- any change made by someone who had not seen a concurrent close or cancel.
While a priority conflict is open the incident shows the more urgent priority: a wrong
"too urgent" costs less than a wrong "can wait".
"""

from __future__ import annotations

from collections.abc import KeysView
from dataclasses import dataclass

from pydantic import BaseModel, Field

from shared.domain import (
    Caller,
    ConflictKind,
    ConflictRecord,
    Incident,
    Location,
    Note,
    StatusEvent,
)
from shared.lifecycle import TERMINAL_INCIDENT, IncidentStatus
from shared.merge.causality import OpRef, OpTable, Write, pair_id
from shared.merge.conflicts import Conflict, Resolution, Resolutions, Side, raise_conflict
from shared.merge.conflicts import open_ids as open_conflict_ids
from shared.merge.conflicts import records as conflict_records
from shared.merge.registers import history, lww_write
from shared.protocol import (
    IncidentCreate,
    IncidentPriority,
    IncidentResolve,
    IncidentStatusChange,
    IncidentUpdate,
    NoteAdd,
    Op,
)


@dataclass(slots=True)
class NoteRecord:
    note_id: str
    text: str
    by: str
    event_ms: int
    late: bool = False
    narrative: bool = False


@dataclass(slots=True)
class StatusRecord:
    status: IncidentStatus
    disposition: str | None
    by: str
    event_ms: int
    late: bool


@dataclass(slots=True)
class PriorityRecord:
    by: str
    previous: int
    priority: int

    @property
    def raises(self) -> bool:
        return self.priority < self.previous

    @property
    def lowers(self) -> bool:
        return self.priority > self.previous


class IncidentState(BaseModel):
    """Everything one replica knows about one incident, mergeable and JSON-serialisable.

    Records name their ops by id (``created`` too); ``ops`` holds each op's author, stamp and
    causal context once.
    """

    id: str
    ops: OpTable = Field(default_factory=OpTable)
    created: str | None = None
    received_ms: int | None = None
    late: bool = False
    fields: dict[str, Write] = Field(default_factory=dict)
    superseded: dict[str, Write] = Field(default_factory=dict)
    notes: dict[str, NoteRecord] = Field(default_factory=dict)
    statuses: dict[str, StatusRecord] = Field(default_factory=dict)
    priorities: dict[str, PriorityRecord] = Field(default_factory=dict)
    closes: list[str] = Field(default_factory=list)
    edits: dict[str, str] = Field(default_factory=dict)
    """Op id -> what it changed, for every op but a close: checked against concurrent closes."""
    conflicts: dict[str, Conflict] = Field(default_factory=dict)
    resolutions: Resolutions = Field(default_factory=dict)
    updated_hlc: str = ""

    @property
    def applied(self) -> KeysView[str]:
        """Ids of every op merged in (each is in ``ops``)."""
        return self.ops.refs.keys()

    def view(self) -> Incident:
        return incident_view(self)

    def conflict_records(self) -> list[ConflictRecord]:
        return conflict_records(self.ops, self.conflicts, self.resolutions, "incident", self.id)


def apply_incident_op(state: IncidentState, op: Op) -> bool:
    """Merge ``op`` into ``state`` in place; returns False if it was already applied."""
    if op.op_id in state.ops.refs:
        return False
    ref = state.ops.add(op)
    state.updated_hlc = max(state.updated_hlc, ref.hlc)
    body = op.body
    if isinstance(body, IncidentCreate):
        _create(state, ref, body)
    elif isinstance(body, IncidentUpdate):
        for field, value in body.fields.changes().items():
            _write(state, field, value, ref)
        _edit(state, ref, "changed " + ", ".join(sorted(body.fields.changes())))
    elif isinstance(body, IncidentPriority):
        _priority(state, ref, body)
    elif isinstance(body, IncidentStatusChange):
        _status(state, ref, body)
    elif isinstance(body, NoteAdd):
        state.notes[body.note_id] = NoteRecord(
            note_id=body.note_id,
            text=body.text,
            by=ref.op,
            event_ms=body.event_ms if body.event_ms is not None else ref.wall_ms,
            late=body.late,
        )
        _edit(state, ref, "added a note")
    elif isinstance(body, IncidentResolve):
        _resolve(state, ref, body)
    else:  # pragma: no cover - the replica routes unit ops elsewhere
        raise TypeError(f"{body.kind} is not an incident operation")
    return True


def _write(state: IncidentState, field: str, value: object, ref: OpRef) -> None:
    lww_write(state.ops, state.fields, state.superseded, Write(field=field, value=value, by=ref.op))


def _create(state: IncidentState, ref: OpRef, body: IncidentCreate) -> None:
    # Two creates for one id (a retried create from another device) merge like edits.
    received_ms = body.received_ms if body.received_ms is not None else ref.wall_ms
    if state.created is None or ref.stamp < state.ops.stamp(state.created):
        state.created = ref.op
        state.received_ms = received_ms
        state.late = body.late
    for field, value in body.fields.changes().items():
        _write(state, field, value, ref)
    _write(state, "priority", body.priority, ref)
    _write(state, "status", IncidentStatus.ACTIVE.value, ref)
    if body.narrative:
        note_id = f"{state.id}:narrative:{ref.op}"
        state.notes[note_id] = NoteRecord(
            note_id=note_id,
            text=body.narrative,
            by=ref.op,
            event_ms=received_ms,
            late=body.late,
            narrative=True,
        )


def _priority(state: IncidentState, ref: OpRef, body: IncidentPriority) -> None:
    _write(state, "priority", body.priority, ref)
    change = PriorityRecord(by=ref.op, previous=body.previous, priority=body.priority)
    for other in state.priorities.values():
        opposite = (change.raises and other.lowers) or (change.lowers and other.raises)
        if opposite and state.ops.concurrent(change.by, other.by):
            raise_conflict(
                state.conflicts,
                pair_id("priority", change.by, other.by),
                ConflictKind.PRIORITY_DOWNGRADE,
                _priority_side(change),
                _priority_side(other),
            )
    state.priorities[ref.op] = change
    _edit(state, ref, f"priority {body.previous} -> {body.priority}")


def _priority_side(change: PriorityRecord) -> Side:
    verb = "raised" if change.raises else "lowered"
    return Side(
        by=change.by,
        summary=f"{verb} priority {change.previous} -> {change.priority}",
        value=change.priority,
    )


def _status(state: IncidentState, ref: OpRef, body: IncidentStatusChange) -> None:
    event_ms = body.event_ms if body.event_ms is not None else ref.wall_ms
    state.statuses[ref.op] = StatusRecord(
        status=body.status,
        disposition=body.disposition,
        by=ref.op,
        event_ms=event_ms,
        late=body.late,
    )
    _write(state, "status", body.status.value, ref)
    if body.status is IncidentStatus.CLOSED:
        _write(state, "disposition", body.disposition, ref)
    if body.status in TERMINAL_INCIDENT:
        state.closes.append(ref.op)
        for edit, summary in state.edits.items():
            _check_edit_after_close(state, close=ref.op, edit=edit, summary=summary)
    else:
        _edit(state, ref, f"set status {body.status}")


def _edit(state: IncidentState, ref: OpRef, summary: str) -> None:
    state.edits[ref.op] = summary
    for close in state.closes:
        _check_edit_after_close(state, close=close, edit=ref.op, summary=summary)


def _check_edit_after_close(state: IncidentState, close: str, edit: str, summary: str) -> None:
    if not state.ops.concurrent(close, edit):
        return
    closed_how = state.statuses[close]
    # One record per (close, editing device): five offline notes are one decision to review.
    raise_conflict(
        state.conflicts,
        f"closed:{close}|{state.ops[edit].device}",
        ConflictKind.EDIT_AFTER_CLOSE,
        Side(by=close, summary=f"{closed_how.status.value.lower()} the incident"),
        Side(by=edit, summary=summary),
    )


def _resolve(state: IncidentState, ref: OpRef, body: IncidentResolve) -> None:
    state.resolutions.setdefault(body.conflict_id, {})[ref.op] = Resolution(
        by=ref.op, action=body.action, comment=body.comment
    )
    if body.action == "set_priority" and body.priority is not None:
        _write(state, "priority", body.priority, ref)
    elif body.action == "reopen":
        state.statuses[ref.op] = StatusRecord(
            status=IncidentStatus.REOPENED,
            disposition=None,
            by=ref.op,
            event_ms=ref.wall_ms,
            late=False,
        )
        _write(state, "status", IncidentStatus.REOPENED.value, ref)


def _value(state: IncidentState, field: str) -> object:
    write = state.fields.get(field)
    return None if write is None else write.value


def effective_priority(state: IncidentState) -> int | None:
    """LWW priority, or the most urgent side while a priority conflict is open."""
    current = _value(state, "priority")
    candidates = [current] if isinstance(current, int) else []
    for conflict_id in open_conflict_ids(state.ops, state.conflicts, state.resolutions):
        conflict = state.conflicts[conflict_id]
        if conflict.kind is ConflictKind.PRIORITY_DOWNGRADE:
            candidates += [s.value for s in conflict.sides.values() if isinstance(s.value, int)]
    return min(candidates) if candidates else None


@dataclass(frozen=True, slots=True)
class IncidentHeadline:
    """The few facts a store keeps in clear columns (queue order, filters, the callback index),
    without building the notes and histories of a full view on every save."""

    exists: bool
    incident_type: str | None
    priority: int | None
    status: IncidentStatus
    received_ms: int | None
    callback_number: str | None
    open_conflicts: int


def incident_headline(state: IncidentState) -> IncidentHeadline:
    return IncidentHeadline(
        exists=state.created is not None,
        incident_type=_str(_value(state, "incident_type")),
        priority=effective_priority(state),
        status=_current_status(state),
        received_ms=state.received_ms,
        callback_number=_str(_value(state, "callback_number")),
        open_conflicts=len(open_conflict_ids(state.ops, state.conflicts, state.resolutions)),
    )


def _current_status(state: IncidentState) -> IncidentStatus:
    status = _value(state, "status")
    return IncidentStatus(status) if isinstance(status, str) else IncidentStatus.ACTIVE


def incident_view(state: IncidentState) -> Incident:
    lat, lon = _value(state, "lat"), _value(state, "lon")
    ops = state.ops
    notes = sorted(state.notes.values(), key=lambda n: (ops.stamp(n.by), n.note_id))
    statuses = sorted(state.statuses.values(), key=lambda s: (s.event_ms, ops.stamp(s.by)))
    return Incident(
        incident_id=state.id,
        exists=state.created is not None,
        incident_type=_str(_value(state, "incident_type")),
        priority=effective_priority(state),
        status=_current_status(state),
        disposition=_str(_value(state, "disposition")),
        location=Location(
            address=_str(_value(state, "address")),
            cross_street=_str(_value(state, "cross_street")),
            lat=float(lat) if isinstance(lat, int | float) else None,
            lon=float(lon) if isinstance(lon, int | float) else None,
            verified=bool(_value(state, "location_verified")),
        ),
        caller=Caller(
            name=_str(_value(state, "caller_name")),
            callback_number=_str(_value(state, "callback_number")),
        ),
        received_ms=state.received_ms,
        created_by=ops.author(state.created) if state.created else None,
        late=state.late,
        notes=tuple(
            Note(
                note_id=n.note_id,
                text=n.text,
                by=ops.author(n.by),
                event_ms=n.event_ms,
                late=n.late,
                narrative=n.narrative,
            )
            for n in notes
        ),
        status_history=tuple(
            StatusEvent(
                status=s.status.value,
                event_ms=s.event_ms,
                by=ops.author(s.by),
                late=s.late,
                disposition=s.disposition,
            )
            for s in statuses
        ),
        field_history=history(ops, state.fields, state.superseded),
        open_conflicts=open_conflict_ids(ops, state.conflicts, state.resolutions),
        updated_hlc=state.updated_hlc,
    )


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
