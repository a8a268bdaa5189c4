"""The unit board: every unit, its status and time in status, and one button per move the
unit lifecycle allows from there.  Moves that commit a unit ("Assign") need an incident, so
the board also lists the open incidents to pick from, most urgent first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mobile_app.ui.viewmodels.clock import Now
from mobile_app.ui.viewmodels.labels import (
    incident_line,
    unit_action_label,
    unit_status_label,
)
from mobile_app.ui.viewmodels.queue import queue_key, urgency
from mobile_app.ui.viewmodels.roster import incidents_of, unit_name, unit_sort_key
from shared.domain import Incident, Unit
from shared.lifecycle import COMMITTED, UnitStatus, is_open, settle, unit_allowed

#: Buttons in the order a call runs, so the next usual step is always the first button.
_ACTION_ORDER = (
    UnitStatus.ENROUTE,
    UnitStatus.ONSCENE,
    UnitStatus.TRANSPORTING,
    UnitStatus.HOSPITAL,
    UnitStatus.CLEARED,
    UnitStatus.DISPATCHED,
    UnitStatus.AVAILABLE,
    UnitStatus.OUT_OF_SERVICE,
)


@dataclass(frozen=True, slots=True)
class UnitAction:
    status: UnitStatus
    label: str
    needs_incident: bool


@dataclass(frozen=True, slots=True)
class UnitRow:
    unit_id: str
    name: str
    details: str
    status: UnitStatus
    status_label: str
    in_status_for: str
    incident_id: str | None
    incident_label: str
    actions: tuple[UnitAction, ...]
    double_booked: bool
    double_booked_label: str
    anomalies: int


@dataclass(frozen=True, slots=True)
class UnitBoard:
    rows: tuple[UnitRow, ...]
    summary: str
    assignable: tuple[tuple[str, str], ...]
    """(incident id, one-line label) of open incidents a unit can be assigned to."""
    empty_message: str


def build_unit_board(units: Sequence[Unit], incidents: Sequence[Incident], now: Now) -> UnitBoard:
    by_id = {i.incident_id: i for i in incidents}
    rows = tuple(_row(u, by_id, now) for u in sorted(units, key=unit_sort_key))
    open_incidents = sorted((i for i in incidents if i.exists and is_open(i.status)), key=queue_key)
    return UnitBoard(
        rows=rows,
        summary=_summary(units),
        assignable=tuple((i.incident_id, incident_line(i)) for i in open_incidents),
        empty_message="No units on this device yet. Add one with the button above.",
    )


def unit_actions(status: UnitStatus) -> tuple[UnitAction, ...]:
    allowed = unit_allowed(status)
    committed = settle(status) in COMMITTED
    return tuple(
        UnitAction(
            status=target,
            label=("Reassign" if committed else "Assign")
            if target is UnitStatus.DISPATCHED
            else unit_action_label(target),
            needs_incident=target is UnitStatus.DISPATCHED,
        )
        for target in _ACTION_ORDER
        if target in allowed
    )


def _row(unit: Unit, incidents: dict[str, Incident], now: Now) -> UnitRow:
    on = sorted(incidents_of(unit), key=lambda i: urgency(i, incidents))
    double = unit.double_booked
    return UnitRow(
        unit_id=unit.unit_id,
        name=unit_name(unit),
        details=" · ".join(p for p in (unit.unit_type, unit.station) if p),
        status=unit.status,
        status_label=unit_status_label(unit.status),
        in_status_for=now.elapsed(unit.status_since_ms) if unit.status_since_ms is not None else "",
        incident_id=unit.incident_id,
        incident_label=_incident_label(unit.incident_id, incidents),
        actions=unit_actions(unit.status),
        double_booked=double,
        double_booked_label=(
            "Double-booked: " + " and ".join(_incident_label(i, incidents) for i in on)
            if double
            else ""
        ),
        anomalies=len(unit.anomalies),
    )


def _incident_label(incident_id: str | None, incidents: dict[str, Incident]) -> str:
    if incident_id is None:
        return ""
    incident = incidents.get(incident_id)
    return incident_line(incident) if incident is not None else f"incident {incident_id}"


def _summary(units: Sequence[Unit]) -> str:
    available = sum(1 for u in units if u.status is UnitStatus.AVAILABLE)
    out = sum(1 for u in units if u.status is UnitStatus.OUT_OF_SERVICE)
    busy = len(units) - available - out
    text = f"{available} available · {busy} committed · {out} out of service"
    double = sum(1 for u in units if u.double_booked)
    if double:
        text += f" · {double} double-booked"
    return text
