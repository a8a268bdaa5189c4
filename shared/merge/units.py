"""Unit merge: descriptive fields LWW, status as an event log, double-booking conflicts.

Every status event keeps its own real time (``event_ms``; late paper entries keep theirs and
are flagged).  The current status is derived by folding the events in real-time order through
the unit lifecycle; an event the lifecycle would not allow is kept and reported as an anomaly,
because a report from the field is a fact a replica must not drop.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Iterator, KeysView
from dataclasses import dataclass, field
from functools import cached_property

from pydantic import BaseModel, Field

from shared.domain import Assignment, ConflictKind, ConflictRecord, StatusEvent, Unit
from shared.lifecycle import COMMITTED, IllegalTransition, UnitStatus, unit_transition
from shared.merge.causality import OpRef, OpTable, Write, pair_id
from shared.merge.conflicts import Conflict, Resolution, Resolutions, Side, raise_conflict
from shared.merge.conflicts import open_ids as open_conflict_ids
from shared.merge.conflicts import records as conflict_records
from shared.merge.registers import lww_write
from shared.protocol import Op, UnitResolve, UnitStatusChange, UnitUpsert


@dataclass(slots=True)
class UnitEvent:
    status: UnitStatus
    incident_id: str | None
    event_ms: int
    late: bool
    by: str
    keep_incident_id: str | None = None


class UnitState(BaseModel):
    """Everything one replica knows about one unit; records name their ops by id in ``ops``."""

    id: str
    ops: OpTable = Field(default_factory=OpTable)
    fields: dict[str, Write] = Field(default_factory=dict)
    superseded: dict[str, Write] = Field(default_factory=dict)
    events: dict[str, UnitEvent] = Field(default_factory=dict)
    conflicts: dict[str, Conflict] = Field(default_factory=dict)
    resolutions: Resolutions = Field(default_factory=dict)
    updated_hlc: str = ""

    @property
    def applied(self) -> KeysView[str]:
        """Ids of every op merged in (each is in ``ops``)."""
        return self.ops.refs.keys()

    def view(self) -> Unit:
        return unit_view(self)

    @cached_property
    def dispatch_index(self) -> dict[str, list[tuple[int, str]]]:
        """Device -> (seq, op id) of its dispatch events, in seq order: a new dispatch is only
        compared with the ones its author had not seen, not with the unit's whole day.
        Derived (not stored, not compared); kept up to date by ``apply_unit_op``."""
        index: dict[str, list[tuple[int, str]]] = {}
        for event in self.events.values():
            if _books(event):
                ref = self.ops[event.by]
                insort(index.setdefault(ref.device, []), (ref.seq, event.by))
        return index

    @cached_property
    def status_fold(self) -> _Fold:
        """Every status event folded through the lifecycle, as the headline needs it.  Derived
        (not stored, not compared); ``apply_unit_op`` extends it while events arrive in time
        order, as they do from the field, so a one-tap change late in a shift does not fold
        the whole day again, and drops it otherwise (see ``_extend_fold``)."""
        return _fold(self, _in_time_order(self))

    def conflict_records(self) -> list[ConflictRecord]:
        return conflict_records(self.ops, self.conflicts, self.resolutions, "unit", self.id)


def knowing_the_same_ops(full: UnitState | None, unit_id: str) -> UnitState:
    """An empty state of ``unit_id`` that has seen what ``full`` has (the same causal context
    for the next op) without its history: a replay's short-lived working copy."""
    return UnitState(id=unit_id, ops=full.ops.model_copy(deep=True) if full else OpTable())


def apply_unit_op(state: UnitState, op: Op) -> bool:
    """Merge ``op`` into ``state`` in place; returns False if it was already applied."""
    if op.op_id in state.ops.refs:
        return False
    ref = state.ops.add(op)
    state.updated_hlc = max(state.updated_hlc, ref.hlc)
    body = op.body
    if isinstance(body, UnitUpsert):
        for name, value in body.model_dump(exclude_unset=True, exclude={"kind"}).items():
            write = Write(field=name, value=value, by=ref.op)
            lww_write(state.ops, state.fields, state.superseded, write)
    elif isinstance(body, UnitStatusChange):
        event = UnitEvent(
            status=body.status,
            incident_id=body.incident_id,
            event_ms=body.event_ms if body.event_ms is not None else ref.wall_ms,
            late=body.late,
            by=ref.op,
        )
        if _books(event):
            _check_double_booking(state, event, ref)
            insort(state.dispatch_index.setdefault(ref.device, []), (ref.seq, ref.op))
        state.events[ref.op] = event
        _extend_fold(state, event)
    elif isinstance(body, UnitResolve):
        _resolve(state, ref, body)
        state.__dict__.pop("status_fold", None)  # a resolution re-reads earlier events
    else:  # pragma: no cover - the replica routes incident ops elsewhere
        raise TypeError(f"{body.kind} is not a unit operation")
    return True


def _books(event: UnitEvent) -> bool:
    """A dispatch that can double-book the unit (a supervisor's resolution cannot)."""
    return event.status is UnitStatus.DISPATCHED and event.keep_incident_id is None


def _unseen_dispatches(state: UnitState, ref: OpRef) -> Iterator[str]:
    """Op ids of dispatches the author of ``ref`` had not seen: only those can be concurrent
    with it (a device's own earlier ops are always seen)."""
    ops = state.ops
    for device, dispatches in state.dispatch_index.items():
        if device == ref.device:
            continue
        position = ops.devices[device]
        seen = ref.ctx[position] if position < len(ref.ctx) else 0
        for _, op_id in dispatches[bisect_right(dispatches, (seen, "\uffff")) :]:
            yield op_id


def _check_double_booking(state: UnitState, event: UnitEvent, ref: OpRef) -> None:
    for op_id in list(_unseen_dispatches(state, ref)):
        other = state.events[op_id]
        if other.incident_id != event.incident_id and state.ops.concurrent(event.by, other.by):
            raise_conflict(
                state.conflicts,
                pair_id(f"double-booked:{state.id}", event.by, other.by),
                ConflictKind.UNIT_DOUBLE_BOOKED,
                Side(
                    by=event.by,
                    summary=f"dispatched to {event.incident_id}",
                    value=event.incident_id,
                ),
                Side(
                    by=other.by,
                    summary=f"dispatched to {other.incident_id}",
                    value=other.incident_id,
                ),
            )


def _resolve(state: UnitState, ref: OpRef, body: UnitResolve) -> None:
    state.resolutions.setdefault(body.conflict_id, {})[ref.op] = Resolution(
        by=ref.op, action=f"kept on {body.keep_incident_id}", comment=body.comment
    )
    # The resolution is itself an event in the unit's log: it puts the unit back on the kept
    # incident and clears it from the others, at the time the supervisor decided.
    state.events[ref.op] = UnitEvent(
        status=UnitStatus.DISPATCHED,
        incident_id=body.keep_incident_id,
        event_ms=ref.wall_ms,
        late=False,
        by=ref.op,
        keep_incident_id=body.keep_incident_id,
    )


def _dropped(conflict: Conflict, keep: str) -> tuple[str, ...]:
    return tuple(sorted({str(s.value) for s in conflict.sides.values() if s.value != keep}))


def _drops_for(state: UnitState, event: UnitEvent) -> tuple[str, ...]:
    """Incidents a resolution clears: derived when viewed, so arrival order cannot matter."""
    dropped: set[str] = set()
    for conflict_id, by_op in state.resolutions.items():
        conflict = state.conflicts.get(conflict_id)
        if conflict is not None and event.by in by_op and event.keep_incident_id:
            dropped.update(_dropped(conflict, event.keep_incident_id))
    return tuple(sorted(dropped))


_OrderKey = tuple[int, tuple[str, str, int]]


@dataclass
class _Fold:
    status: UnitStatus = UnitStatus.AVAILABLE
    since_ms: int | None = None
    incident_id: str | None = None
    assignments: dict[str, dict[str, object]] = field(default_factory=dict)
    anomalies: list[str] = field(default_factory=list)
    last: _OrderKey | None = None
    """Where the last event folded in sorts (see ``_in_time_order``)."""
    resolved: bool = False
    """A supervisor's resolution is folded in: what it clears depends on conflicts that may
    still arrive, so such a fold is never extended."""


_STAMP_FIELD = {
    UnitStatus.DISPATCHED: "dispatched_ms",
    UnitStatus.ENROUTE: "enroute_ms",
    UnitStatus.ONSCENE: "onscene_ms",
    UnitStatus.TRANSPORTING: "transporting_ms",
    UnitStatus.HOSPITAL: "hospital_ms",
    UnitStatus.CLEARED: "cleared_ms",
}


def _in_time_order(state: UnitState) -> list[UnitEvent]:
    """Events by real time, ties broken by stamp: the same order on every replica."""
    stamp = state.ops.stamp
    return sorted(state.events.values(), key=lambda e: (e.event_ms, stamp(e.by)))


def _order_key(state: UnitState, event: UnitEvent) -> _OrderKey:
    return (event.event_ms, state.ops.stamp(event.by))


def _fold(state: UnitState, events: list[UnitEvent]) -> _Fold:
    fold = _Fold()
    for event in events:
        if event.keep_incident_id is not None:
            _apply_resolution(fold, event, _drops_for(state, event))
            fold.resolved = True
        else:
            _apply_event(fold, event)
    if events:
        fold.last = _order_key(state, events[-1])
    return fold


def _extend_fold(state: UnitState, event: UnitEvent) -> None:
    """Keep a computed ``status_fold`` current after ``event`` joined the state's events.

    An event that sorts after every folded one is folded onto it, which is what folding them
    all again would do.  Anything else (a late paper entry, an event after a resolution) drops
    the fold, to be folded from the start when it is next asked for."""
    fold = state.__dict__.get("status_fold")
    if fold is None:
        return
    key = _order_key(state, event)
    if fold.resolved or (fold.last is not None and key <= fold.last):
        del state.__dict__["status_fold"]
        return
    _apply_event(fold, event)
    fold.last = key


def _apply_event(fold: _Fold, event: UnitEvent) -> None:
    about_current = event.incident_id is None or event.incident_id == fold.incident_id
    if about_current or event.status is UnitStatus.DISPATCHED:
        try:
            unit_transition(fold.status, event.status)
        except IllegalTransition as illegal:
            fold.anomalies.append(f"{event.by}: {illegal}")
    if event.incident_id is not None:
        assignment = fold.assignments.setdefault(
            event.incident_id, {"status": event.status, "late": False}
        )
        stamp = _STAMP_FIELD[event.status]
        if assignment.get(stamp) is None:
            assignment[stamp] = event.event_ms
        assignment["status"] = event.status
        assignment["late"] = bool(assignment["late"]) or event.late
    if event.status is UnitStatus.CLEARED:
        if event.incident_id == fold.incident_id:
            fold.status, fold.incident_id, fold.since_ms = (
                UnitStatus.AVAILABLE,
                None,
                event.event_ms,
            )
        return
    if event.status in COMMITTED:
        fold.status, fold.incident_id = event.status, event.incident_id
    else:
        fold.status, fold.incident_id = event.status, None
    fold.since_ms = event.event_ms


def _apply_resolution(fold: _Fold, event: UnitEvent, drops: tuple[str, ...]) -> None:
    for incident_id in drops:
        assignment = fold.assignments.get(incident_id)
        if assignment is not None and assignment.get("cleared_ms") is None:
            assignment["cleared_ms"] = event.event_ms
            assignment["status"] = UnitStatus.CLEARED
    kept = fold.assignments.get(event.keep_incident_id or "")
    if kept is not None and kept.get("cleared_ms") is None:
        status = kept["status"]
        assert isinstance(status, UnitStatus)
        if fold.incident_id != event.keep_incident_id:
            fold.since_ms = event.event_ms
        fold.status, fold.incident_id = status, event.keep_incident_id
    elif fold.incident_id in drops:
        fold.status, fold.incident_id, fold.since_ms = UnitStatus.AVAILABLE, None, event.event_ms


@dataclass(frozen=True, slots=True)
class UnitHeadline:
    """The facts a store keeps in clear columns, without the event list of a full view."""

    name: str | None
    status: UnitStatus
    status_since_ms: int | None
    incident_id: str | None
    open_conflicts: int


def unit_headline(state: UnitState) -> UnitHeadline:
    fold = state.status_fold
    return UnitHeadline(
        name=_text(state, "name"),
        status=fold.status,
        status_since_ms=fold.since_ms,
        incident_id=fold.incident_id,
        open_conflicts=len(open_conflict_ids(state.ops, state.conflicts, state.resolutions)),
    )


def _text(state: UnitState, name: str) -> str | None:
    write = state.fields.get(name)
    return write.value if write is not None and isinstance(write.value, str) else None


def unit_view(state: UnitState) -> Unit:
    events = _in_time_order(state)
    fold = _fold(state, events)
    return Unit(
        unit_id=state.id,
        name=_text(state, "name"),
        unit_type=_text(state, "unit_type"),
        station=_text(state, "station"),
        status=fold.status,
        status_since_ms=fold.since_ms,
        incident_id=fold.incident_id,
        assignments=tuple(
            Assignment(unit_id=state.id, incident_id=incident_id, **values)
            for incident_id, values in sorted(fold.assignments.items())
        ),
        events=tuple(
            StatusEvent(
                status=e.status.value if e.keep_incident_id is None else "Resolved",
                event_ms=e.event_ms,
                by=state.ops.author(e.by),
                late=e.late,
                incident_id=e.incident_id,
            )
            for e in events
        ),
        anomalies=tuple(fold.anomalies),
        open_conflicts=open_conflict_ids(state.ops, state.conflicts, state.resolutions),
        updated_hlc=state.updated_hlc,
    )
