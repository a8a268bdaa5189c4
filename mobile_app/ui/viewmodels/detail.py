"""Incident detail: where, who called, which units with their times, the timeline, and the
actions the lifecycle allows right now (so the screen never offers a move that would fail).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mobile_app.ui.viewmodels.clock import Now
from mobile_app.ui.viewmodels.labels import (
    PRIORITIES,
    disposition_label,
    incident_status_label,
    incident_type_label,
    place,
    priority_label,
    unit_status_label,
)
from mobile_app.ui.viewmodels.roster import incidents_of, unit_name, unit_sort_key
from mobile_app.ui.viewmodels.timeline import TimelineEntry, build_timeline
from shared.codes import DISPOSITIONS
from shared.domain import Assignment, Incident, Unit
from shared.lifecycle import (
    OPEN_INCIDENT,
    TERMINAL_INCIDENT,
    IncidentStatus,
    incident_allowed,
    is_open,
)

#: The CAD's per-unit timestamps, in the order a call runs.
_UNIT_TIMES = (
    ("Dispatched", "dispatched_ms"),
    ("En route", "enroute_ms"),
    ("On scene", "onscene_ms"),
    ("Transporting", "transporting_ms"),
    ("At hospital", "hospital_ms"),
    ("Cleared", "cleared_ms"),
)

DISPOSITION_OPTIONS: tuple[tuple[str, str], ...] = tuple(
    (code, disposition_label(code)) for code in DISPOSITIONS
)


@dataclass(frozen=True, slots=True)
class AssignedUnit:
    unit_id: str
    name: str
    status_label: str
    times: tuple[tuple[str, str], ...]
    """(what, "14:03:27") for each timestamp recorded, in call order."""
    on_it_now: bool
    late: bool
    double_booked: bool


@dataclass(frozen=True, slots=True)
class StatusMove:
    status: IncidentStatus
    label: str


@dataclass(frozen=True, slots=True)
class IncidentDetail:
    incident_id: str
    title: str
    priority: int | None
    priority_label: str
    status_label: str
    is_open: bool
    received: str
    late_call: bool
    place: str
    cross_street: str
    coordinates: str
    caller_name: str
    callback_number: str
    disposition: str
    units: tuple[AssignedUnit, ...]
    timeline: tuple[TimelineEntry, ...]
    status_moves: tuple[StatusMove, ...]
    priority_choices: tuple[int, ...]
    can_close: bool
    can_cancel: bool
    can_reopen: bool
    can_add_note: bool
    conflict_banner: str | None

    @property
    def disposition_options(self) -> tuple[tuple[str, str], ...]:
        return DISPOSITION_OPTIONS


def build_detail(incident: Incident, units: Sequence[Unit], now: Now) -> IncidentDetail:
    status = incident.status
    open_now = is_open(status)
    allowed = incident_allowed(status) if incident.exists else frozenset()
    location = incident.location
    coordinates = (
        f"{location.lat:.5f}, {location.lon:.5f}"
        if location.lat is not None and location.lon is not None
        else ""
    )
    received = incident.received_ms
    return IncidentDetail(
        incident_id=incident.incident_id,
        title=incident_type_label(incident.incident_type),
        priority=incident.priority,
        priority_label=priority_label(incident.priority),
        status_label=incident_status_label(status),
        is_open=open_now,
        received=now.when(received) if received is not None else "time unknown",
        late_call=incident.late,
        place=place(incident),
        cross_street=location.cross_street or "",
        coordinates=coordinates,
        caller_name=incident.caller.name or "",
        callback_number=incident.caller.callback_number or "",
        disposition=disposition_label(incident.disposition) if incident.disposition else "",
        units=_assigned(incident.incident_id, units, now),
        timeline=build_timeline(incident, units, now),
        status_moves=tuple(
            StatusMove(s, incident_status_label(s))
            for s in IncidentStatus
            if s in allowed and s in OPEN_INCIDENT and s is not IncidentStatus.REOPENED
        ),
        priority_choices=(
            tuple(p for p in PRIORITIES if p != incident.priority) if open_now else ()
        ),
        can_close=IncidentStatus.CLOSED in allowed,
        can_cancel=IncidentStatus.CANCELLED in allowed,
        can_reopen=status in TERMINAL_INCIDENT and IncidentStatus.REOPENED in allowed,
        can_add_note=incident.exists and open_now,
        conflict_banner=_conflict_banner(len(incident.open_conflicts)),
    )


def _assigned(incident_id: str, units: Sequence[Unit], now: Now) -> tuple[AssignedUnit, ...]:
    found = []
    for unit in sorted(units, key=unit_sort_key):
        for assignment in unit.assignments:
            if assignment.incident_id == incident_id:
                found.append(_assigned_unit(unit, assignment, now))
    # Units on the call now first; the ones that cleared stay listed with their times.
    return tuple(sorted(found, key=lambda a: not a.on_it_now))


def _assigned_unit(unit: Unit, assignment: Assignment, now: Now) -> AssignedUnit:
    on_it = assignment.incident_id in incidents_of(unit)
    times = tuple(
        (what, now.clock(ms))
        for what, attr in _UNIT_TIMES
        if isinstance(ms := getattr(assignment, attr), int)
    )
    return AssignedUnit(
        unit_id=unit.unit_id,
        name=unit_name(unit),
        status_label=unit_status_label(unit.status if on_it else assignment.status),
        times=times,
        on_it_now=on_it,
        late=assignment.late,
        double_booked=on_it and unit.double_booked,
    )


def _conflict_banner(count: int) -> str | None:
    if count == 0:
        return None
    what = "a conflict" if count == 1 else f"{count} conflicts"
    return (
        f"Two devices disagreed on this incident offline: {what} for a supervisor to review. "
        "Both versions are kept until then."
    )
