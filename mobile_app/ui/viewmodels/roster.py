"""Which units are on which incident, as the queue, the detail and the unit board need it.

Unit status lives on the unit (an event log), not on the incident, so "who is on this call"
is derived from the units.  A double-booked unit counts on every incident it was committed
to until a supervisor decides: hiding it from one of them would hide the problem.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.domain import Unit
from shared.lifecycle import COMMITTED


def incidents_of(unit: Unit) -> tuple[str, ...]:
    """The incidents a unit is committed to now (two or more only while double-booked)."""
    current = {unit.incident_id} if unit.incident_id is not None else set()
    if unit.double_booked:
        current |= {a.incident_id for a in unit.assignments if a.active and a.status in COMMITTED}
    return tuple(sorted(current))


def units_on(incident_id: str, units: Iterable[Unit]) -> list[Unit]:
    """Units committed to ``incident_id`` now, by name."""
    on = [u for u in units if incident_id in incidents_of(u)]
    return sorted(on, key=unit_sort_key)


def committed_map(units: Iterable[Unit]) -> dict[str, list[Unit]]:
    """Incident id -> units committed to it now (one pass for a whole queue)."""
    found: dict[str, list[Unit]] = {}
    for unit in sorted(units, key=unit_sort_key):
        for incident_id in incidents_of(unit):
            found.setdefault(incident_id, []).append(unit)
    return found


def unit_name(unit: Unit) -> str:
    return unit.name or unit.unit_id


def unit_sort_key(unit: Unit) -> tuple[str, str]:
    return (unit_name(unit).casefold(), unit.unit_id)
