"""Turn SF dispatch records into the ops our CAD would have produced, in real-time order.

Each SF call becomes an incident (created at its received time), each SF unit a unit, and each
per-unit timestamp a status event carrying that real time as ``event_ms``: Dispatched,
EnRoute ("Response DtTm"), OnScene, Transporting, Hospital, and Cleared ("Available DtTm").

Ops are built only through ``Commands``, so every status change passes the live unit lifecycle.
The real data sometimes breaks it (a unit re-dispatched while still on scene elsewhere, a
hospital arrival logged before the transport began); such an event is a past fact, so it goes
in through ``record_late_unit_status``: flagged late, kept with its real time, and reported by
the merge as an anomaly, never dropped.  That path needs the commands' clock to be at or past
the event time: use a real clock, or advance a simulated one in ``before_event``.

Ops are applied to ``replica`` as they are yielded (later commands need the current state).

Speed: ``Commands`` checks a change against the unit's current status, which the merge derives
by folding the unit's whole history, so two weeks replayed against the full state is quadratic
(about two minutes for the SF file).  Commands are therefore built against a per-unit working
state holding only the ops since the unit last became available, seeded with the full state's
causal context.  Because the replay runs in real-time order, folding that suffix from
"Available" gives the same current status as folding everything; the replica still receives
every op.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from shared.commands import CommandError, Commands
from shared.lifecycle import UnitStatus
from shared.merge import Replica, UnitState, apply_op
from shared.merge.units import knowing_the_same_ops
from shared.protocol import Entity, IncidentFields, Op
from shared.sfdata import mapping
from shared.sfdata.records import SfDispatch

_STEPS: tuple[tuple[UnitStatus, str], ...] = (
    (UnitStatus.DISPATCHED, "dispatch_ms"),
    (UnitStatus.ENROUTE, "enroute_ms"),
    (UnitStatus.ONSCENE, "onscene_ms"),
    (UnitStatus.TRANSPORTING, "transport_ms"),
    (UnitStatus.HOSPITAL, "hospital_ms"),
    (UnitStatus.CLEARED, "available_ms"),
)


def incident_id(record: SfDispatch) -> str:
    return f"sf-{record.incident_number}"


def unit_id(record: SfDispatch) -> str:
    return f"sf-{record.unit_id}"


def incident_fields(record: SfDispatch) -> IncidentFields:
    address = record.address if record.city is None else f"{record.address}, {record.city}"
    return IncidentFields(
        incident_type=mapping.incident_type(record.call_type, record.call_type_group),
        address=address[:200],
        lat=record.lat,
        lon=record.lon,
    )


def narrative(record: SfDispatch) -> str:
    """The SF facts our fields cannot hold, so a mapped code never hides the original."""
    group = f" ({record.call_type_group})" if record.call_type_group else ""
    return (
        f"SF Fire call {record.call_number}, incident {record.incident_number}: "
        f"{record.call_type}{group}; priority {record.priority} "
        f"(original {record.original_priority}, final {record.final_priority}); "
        f"final disposition: {record.disposition}"
    )


@dataclass(order=True, frozen=True)
class _Event:
    """A call received (``status`` None) or a unit status, at its real time."""

    event_ms: int
    received_ms: int
    rank: int
    line: int
    status: UnitStatus | None = field(compare=False)
    record: SfDispatch = field(compare=False)


def _events(records: Iterable[SfDispatch]) -> list[_Event]:
    """Every call and unit timestamp, in the order they happened.

    Ties (the CAD records whole seconds) go to the older call first, so a unit clearing one
    call and taking the next in the same second does both in that order, then by lifecycle.
    """
    events = []
    for record in records:
        received = record.received_ms
        events.append(_Event(received, received, -1, record.line, None, record))
        events += [
            _Event(stamp, received, rank, record.line, status, record)
            for rank, (status, attribute) in enumerate(_STEPS)
            if (stamp := getattr(record, attribute)) is not None
        ]
    events.sort()
    return events


def sf_ops(
    records: Iterable[SfDispatch],
    commands: Commands,
    *,
    replica: Replica | None = None,
    before_event: Callable[[int], None] | None = None,
) -> Iterator[Op]:
    """Yield the ops replaying ``records`` (incident creates, unit upserts, status events).

    ``before_event(ms)`` is called with each event's real time before its op is built, so a
    benchmark can run a simulated clock at replay time.
    """
    replica = replica if replica is not None else Replica()
    created: set[str] = set()
    working: dict[str, UnitState] = {}

    def emit(op: Op) -> Op:
        replica.apply(op)
        if op.entity is Entity.UNIT and op.entity_id in working:
            apply_op(working[op.entity_id], op)
        return op

    for event in _events(records):
        record = event.record
        incident = incident_id(record)
        if before_event is not None:
            before_event(event.event_ms)
        if incident not in created:  # at its received time, or first seen if logged earlier
            created.add(incident)
            yield emit(
                commands.create_incident(
                    incident_fields(record),
                    mapping.priority(record.priority),
                    narrative(record),
                    incident_id=incident,
                    received_ms=record.received_ms,
                )
            )
        if event.status is None:
            continue
        unit = unit_id(record)
        if unit not in working:
            working[unit] = knowing_the_same_ops(replica.units.get(unit), unit)
            yield emit(
                commands.upsert_unit(
                    None,
                    unit_id=unit,
                    name=record.unit_id,
                    unit_type=mapping.unit_type(record.unit_type),
                )
            )
        state = working[unit]
        try:
            op = commands.set_unit_status(
                state, event.status, incident_id=incident, event_ms=event.event_ms
            )
        except CommandError:
            op = commands.record_late_unit_status(
                state, event.status, incident_id=incident, event_ms=event.event_ms
            )
        yield emit(op)
        if event.status is UnitStatus.CLEARED:
            view = state.view()
            if view.status is UnitStatus.AVAILABLE and view.incident_id is None:
                working[unit] = knowing_the_same_ops(replica.units[unit], unit)
