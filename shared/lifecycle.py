"""Incident and unit lifecycles as explicit state machines.

Local commands are checked here before they become operations, so a dispatcher gets a clear
error for an illegal move.  Merged logs are not re-validated: a status event from the field is
a fact, and a replica that received it must keep it (see ``merge.units``).
"""

from __future__ import annotations

from enum import StrEnum


class IncidentStatus(StrEnum):
    """EIDO Incident Status-Common registry values used by the CAD lifecycle."""

    ACTIVE = "Active"
    RESOURCES_ASSIGNED = "ResourcesAssigned"
    RESOURCES_ENROUTE = "ResourcesEnroute"
    RESOURCES_ONSCENE = "ResourcesOnscene"
    CLOSED = "Closed"
    CANCELLED = "Cancelled"
    REOPENED = "ReOpened"


class UnitStatus(StrEnum):
    """EIDO unit statuses (primary ``Available``/``OutofService``, secondary for the rest)."""

    AVAILABLE = "Available"
    DISPATCHED = "Dispatched"
    ENROUTE = "EnRoute"
    ONSCENE = "OnScene"
    TRANSPORTING = "Transporting"
    HOSPITAL = "Hospital"
    CLEARED = "Cleared"
    OUT_OF_SERVICE = "OutofService"


class IllegalTransition(ValueError):
    """A status change the lifecycle does not allow."""

    def __init__(self, what: str, current: str, target: str, allowed: frozenset[str]) -> None:
        self.current = current
        self.target = target
        options = ", ".join(sorted(allowed)) or "none"
        super().__init__(f"{what} cannot go from {current} to {target} (allowed: {options})")


OPEN_INCIDENT = frozenset(
    {
        IncidentStatus.ACTIVE,
        IncidentStatus.RESOURCES_ASSIGNED,
        IncidentStatus.RESOURCES_ENROUTE,
        IncidentStatus.RESOURCES_ONSCENE,
        IncidentStatus.REOPENED,
    }
)
TERMINAL_INCIDENT = frozenset({IncidentStatus.CLOSED, IncidentStatus.CANCELLED})

_INCIDENT_MOVES: dict[IncidentStatus, frozenset[IncidentStatus]] = {
    # Any open status may move among the open ones (units clear and get re-assigned) or end.
    **{
        s: (OPEN_INCIDENT - {s, IncidentStatus.REOPENED}) | TERMINAL_INCIDENT for s in OPEN_INCIDENT
    },
    IncidentStatus.CLOSED: frozenset({IncidentStatus.REOPENED}),
    IncidentStatus.CANCELLED: frozenset({IncidentStatus.REOPENED}),
}


def incident_transition(current: IncidentStatus, target: IncidentStatus) -> IncidentStatus:
    """Return ``target`` if the incident lifecycle allows the move, else raise."""
    allowed = _INCIDENT_MOVES[current]
    if target not in allowed:
        raise IllegalTransition("An incident", current, target, frozenset(allowed))
    return target


def is_open(status: IncidentStatus) -> bool:
    return status in OPEN_INCIDENT


#: Statuses in which a unit is committed to an incident.
COMMITTED = frozenset(
    {
        UnitStatus.DISPATCHED,
        UnitStatus.ENROUTE,
        UnitStatus.ONSCENE,
        UnitStatus.TRANSPORTING,
        UnitStatus.HOSPITAL,
    }
)

_UNIT_MOVES: dict[UnitStatus, frozenset[UnitStatus]] = {
    UnitStatus.AVAILABLE: frozenset({UnitStatus.DISPATCHED, UnitStatus.OUT_OF_SERVICE}),
    UnitStatus.DISPATCHED: frozenset(
        {UnitStatus.ENROUTE, UnitStatus.ONSCENE, UnitStatus.CLEARED, UnitStatus.DISPATCHED}
    ),
    UnitStatus.ENROUTE: frozenset({UnitStatus.ONSCENE, UnitStatus.CLEARED, UnitStatus.DISPATCHED}),
    UnitStatus.ONSCENE: frozenset({UnitStatus.TRANSPORTING, UnitStatus.CLEARED}),
    UnitStatus.TRANSPORTING: frozenset({UnitStatus.HOSPITAL, UnitStatus.CLEARED}),
    UnitStatus.HOSPITAL: frozenset({UnitStatus.CLEARED}),
    UnitStatus.OUT_OF_SERVICE: frozenset({UnitStatus.AVAILABLE}),
}


def settle(status: UnitStatus) -> UnitStatus:
    """The resting status after an event: a cleared unit is available again."""
    return UnitStatus.AVAILABLE if status is UnitStatus.CLEARED else status


def unit_transition(current: UnitStatus, target: UnitStatus) -> UnitStatus:
    """Return the unit's status after ``target`` if allowed, else raise.

    ``Dispatched`` from ``Dispatched``/``EnRoute`` is a deliberate re-assignment to another
    incident; ``Cleared`` lands the unit in ``Available``.
    """
    allowed = _UNIT_MOVES[settle(current)]
    if target not in allowed:
        raise IllegalTransition("A unit", settle(current), target, allowed)
    return settle(target)


def unit_needs_incident(status: UnitStatus) -> bool:
    """Whether an event with this status must name the incident it is about."""
    return status in COMMITTED or status is UnitStatus.CLEARED


def unit_allowed(current: UnitStatus) -> frozenset[UnitStatus]:
    return _UNIT_MOVES[settle(current)]


def incident_allowed(current: IncidentStatus) -> frozenset[IncidentStatus]:
    return _INCIDENT_MOVES[current]
