"""Words for codes: statuses, priorities, APCO incident types and dispositions.

Registry values (``ResourcesEnroute``, ``OutofService``) are precise but hard to read on a
phone at night; every screen uses these labels instead, so one status reads the same
everywhere.
"""

from __future__ import annotations

from shared.codes import DISPOSITIONS, INCIDENT_TYPES
from shared.domain import Author, Incident
from shared.lifecycle import IncidentStatus, UnitStatus

PRIORITIES = (1, 2, 3, 4, 5)

_PRIORITY_WORDS = {1: "Emergency", 2: "Urgent", 3: "Prompt", 4: "Routine", 5: "Non-urgent"}

_INCIDENT_STATUS = {
    IncidentStatus.ACTIVE: "Active",
    IncidentStatus.RESOURCES_ASSIGNED: "Units assigned",
    IncidentStatus.RESOURCES_ENROUTE: "Units en route",
    IncidentStatus.RESOURCES_ONSCENE: "Units on scene",
    IncidentStatus.CLOSED: "Closed",
    IncidentStatus.CANCELLED: "Cancelled",
    IncidentStatus.REOPENED: "Reopened",
}

_UNIT_STATUS = {
    UnitStatus.AVAILABLE: "Available",
    UnitStatus.DISPATCHED: "Dispatched",
    UnitStatus.ENROUTE: "En route",
    UnitStatus.ONSCENE: "On scene",
    UnitStatus.TRANSPORTING: "Transporting",
    UnitStatus.HOSPITAL: "At hospital",
    UnitStatus.CLEARED: "Cleared",
    UnitStatus.OUT_OF_SERVICE: "Out of service",
}

#: What the button that moves a unit *into* a status says.
_UNIT_ACTION = {
    UnitStatus.AVAILABLE: "In service",
    UnitStatus.DISPATCHED: "Assign",
    UnitStatus.ENROUTE: "En route",
    UnitStatus.ONSCENE: "On scene",
    UnitStatus.TRANSPORTING: "Transporting",
    UnitStatus.HOSPITAL: "At hospital",
    UnitStatus.CLEARED: "Clear",
    UnitStatus.OUT_OF_SERVICE: "Out of service",
}

#: Incident fields as a dispatcher names them (history and conflict views).
FIELD_NAMES = {
    "incident_type": "Type",
    "priority": "Priority",
    "address": "Address",
    "cross_street": "Cross street",
    "lat": "Latitude",
    "lon": "Longitude",
    "location_verified": "Location verified",
    "caller_name": "Caller name",
    "callback_number": "Callback number",
    "status": "Status",
    "disposition": "Disposition",
}


def priority_label(priority: int | None) -> str:
    if priority is None:
        return "No priority"
    return f"P{priority} {_PRIORITY_WORDS.get(priority, '')}".rstrip()


def incident_status_label(status: IncidentStatus | str) -> str:
    try:
        return _INCIDENT_STATUS[IncidentStatus(status)]
    except ValueError:
        return str(status)


def unit_status_label(status: UnitStatus | str) -> str:
    try:
        return _UNIT_STATUS[UnitStatus(status)]
    except ValueError:
        return str(status)


def unit_action_label(target: UnitStatus) -> str:
    return _UNIT_ACTION[target]


def incident_type_label(code: str | None) -> str:
    """ "FALL · Fall"; a code this build does not know is shown as it is, never hidden."""
    if not code:
        return "Type not set"
    description = INCIDENT_TYPES.get(code)
    return f"{code} · {description}" if description else code


def disposition_label(code: str | None) -> str:
    if not code:
        return "No disposition"
    description = DISPOSITIONS.get(code)
    return f"{code} · {description}" if description else code


def who(author: Author | None) -> str:
    """The person behind a change; the device only matters when comparing two sides."""
    return author.user_id if author is not None else "unknown"


def field_value(field: str, value: object) -> str:
    """A field history value in words ("P1 Emergency", "FALL · Fall", "(cleared)")."""
    if value is None or value == "":
        return "(cleared)"
    if field == "priority" and isinstance(value, int):
        return priority_label(value)
    if field == "incident_type" and isinstance(value, str):
        return incident_type_label(value)
    if field == "status" and isinstance(value, str):
        return incident_status_label(value)
    if field == "disposition" and isinstance(value, str):
        return disposition_label(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def place(incident: Incident) -> str:
    """Where it is, in one line: address, else coordinates, else a plain warning."""
    location = incident.location
    if location.address:
        return location.address
    if location.lat is not None and location.lon is not None:
        return f"{location.lat:.5f}, {location.lon:.5f}"
    return "No location yet"


def incident_line(incident: Incident) -> str:
    """An incident named in one line wherever another screen refers to it:
    "P1 FALL · 1 Main St"."""
    priority = f"P{incident.priority} " if incident.priority is not None else ""
    return f"{priority}{incident.incident_type or 'No type'} · {place(incident)}"
