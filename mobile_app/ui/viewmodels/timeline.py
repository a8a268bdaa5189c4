"""One incident's story in time order: the call, notes, status changes, units, edits.

Merged from three sources (the incident's notes and status events, each unit's event log,
the incident's field history) because a dispatcher reads them as one log.  Each entry is
placed at the time it happened; one keyed in afterwards from paper says so, and a value that
lost a simultaneous edit stays in the log, marked, instead of silently disappearing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from mobile_app.ui.viewmodels.clock import Now
from mobile_app.ui.viewmodels.labels import (
    FIELD_NAMES,
    disposition_label,
    field_value,
    incident_status_label,
    unit_status_label,
    who,
)
from mobile_app.ui.viewmodels.roster import unit_name
from shared.domain import Author, Incident, Unit
from shared.hlc import Hlc

#: Shown as status events, not as field edits.
_STATUS_FIELDS = frozenset({"status", "disposition"})


class EntryKind(StrEnum):
    CALL = "call"
    NOTE = "note"
    STATUS = "status"
    UNIT = "unit"
    EDIT = "edit"


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at_ms: int
    time: str
    who: str
    kind: EntryKind
    text: str
    late: bool = False
    flag: str = ""
    """Why this entry deserves a second look: entered late, or lost a simultaneous edit."""
    hlc: str = ""


def build_timeline(
    incident: Incident, units: Iterable[Unit], now: Now
) -> tuple[TimelineEntry, ...]:
    entries = [
        *_call(incident, now),
        *_notes(incident, now),
        *_statuses(incident, now),
        *_unit_events(incident.incident_id, units, now),
        *_edits(incident, now),
    ]
    return tuple(sorted(entries, key=lambda e: (e.at_ms, e.hlc, e.kind.value, e.text)))


def _entry(
    now: Now,
    at_ms: int,
    by: Author | None,
    kind: EntryKind,
    text: str,
    *,
    late: bool = False,
    flag: str = "",
) -> TimelineEntry:
    hlc = by.hlc if by is not None else ""
    if late and not flag:
        flag = "entered late"
        if hlc:
            flag += f" at {now.clock(Hlc.decode(hlc).wall)}"
    return TimelineEntry(
        at_ms=at_ms,
        time=now.clock(at_ms),
        who=who(by),
        kind=kind,
        text=text,
        late=late,
        flag=flag,
        hlc=hlc,
    )


def _call(incident: Incident, now: Now) -> list[TimelineEntry]:
    if incident.received_ms is None:
        return []
    return [
        _entry(
            now,
            incident.received_ms,
            incident.created_by,
            EntryKind.CALL,
            "Call received",
            late=incident.late,
        )
    ]


def _notes(incident: Incident, now: Now) -> list[TimelineEntry]:
    return [
        _entry(
            now,
            note.event_ms,
            note.by,
            EntryKind.NOTE,
            f"Narrative: {note.text}" if note.narrative else note.text,
            late=note.late,
        )
        for note in incident.notes
    ]


def _statuses(incident: Incident, now: Now) -> list[TimelineEntry]:
    out = []
    for event in incident.status_history:
        text = f"Status: {incident_status_label(event.status)}"
        if event.disposition:
            text += f", disposition {disposition_label(event.disposition)}"
        out.append(_entry(now, event.event_ms, event.by, EntryKind.STATUS, text, late=event.late))
    return out


def _unit_events(incident_id: str, units: Iterable[Unit], now: Now) -> list[TimelineEntry]:
    out = []
    for unit in units:
        for event in unit.events:
            if event.incident_id != incident_id:
                continue
            if event.status == "Resolved":
                text = f"{unit_name(unit)} kept on this incident by a supervisor"
            else:
                text = f"{unit_name(unit)}: {unit_status_label(event.status)}"
            out.append(_entry(now, event.event_ms, event.by, EntryKind.UNIT, text, late=event.late))
    return out


def _edits(incident: Incident, now: Now) -> list[TimelineEntry]:
    created = incident.created_by.op_id if incident.created_by is not None else None
    out = []
    for change in incident.field_history:
        if change.field in _STATUS_FIELDS or (change.by.op_id == created and not change.concurrent):
            continue
        name = FIELD_NAMES.get(change.field, change.field)
        flag = "lost to a simultaneous change" if change.concurrent else ""
        out.append(
            _entry(
                now,
                Hlc.decode(change.by.hlc).wall,
                change.by,
                EntryKind.EDIT,
                f"{name} set to {field_value(change.field, change.value)}",
                flag=flag,
            )
        )
    return out
