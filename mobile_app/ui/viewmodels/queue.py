"""The incident queue: most urgent first, then the longest waiting; filters and search.

"Pending" means open with no unit committed yet (the calls still waiting for a dispatch),
"active" means open with units on it.  Search runs over the decrypted read models in
memory: the store keeps those fields encrypted and cannot search them itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from mobile_app.ui.viewmodels.clock import Now
from mobile_app.ui.viewmodels.labels import (
    incident_status_label,
    incident_type_label,
    place,
    priority_label,
)
from mobile_app.ui.viewmodels.roster import committed_map, unit_name
from shared.codes import INCIDENT_TYPES
from shared.domain import Incident, Unit
from shared.lifecycle import is_open

#: Sorts after every real priority: an incident without one still shows, last.
_NO_PRIORITY = 99
#: Sorts after every real time: an incident whose call time is unknown comes last in its band.
_NO_TIME = 10**18


class QueueScope(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    ACTIVE = "active"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {
            QueueScope.OPEN: "All open",
            QueueScope.PENDING: "Pending",
            QueueScope.ACTIVE: "Active",
            QueueScope.CLOSED: "Closed",
        }[self]

    @property
    def needs_closed(self) -> bool:
        """Whether the screen must read closed incidents too (the store skips them)."""
        return self is QueueScope.CLOSED


@dataclass(frozen=True, slots=True)
class QueueFilter:
    scope: QueueScope = QueueScope.OPEN
    incident_type: str | None = None
    priority: int | None = None
    search: str = ""

    @property
    def narrowed(self) -> bool:
        return bool(self.incident_type or self.priority or self.search.strip())


@dataclass(frozen=True, slots=True)
class QueueRow:
    incident_id: str
    priority: int | None
    priority_label: str
    type_label: str
    status_label: str
    place: str
    caller: str
    received: str
    waiting: str
    units: tuple[str, ...]
    pending: bool
    late: bool
    conflict: bool

    @property
    def units_line(self) -> str:
        return ", ".join(self.units) if self.units else "No units yet"


@dataclass(frozen=True, slots=True)
class QueueView:
    rows: tuple[QueueRow, ...]
    summary: str
    empty_message: str
    type_options: tuple[tuple[str, str], ...]
    """(code, label) of the types present, for the type filter."""


def queue_key(incident: Incident) -> tuple[int, int, str]:
    """Total order of the queue: priority (1 first), then call time (oldest first), then id."""
    priority = incident.priority if incident.priority is not None else _NO_PRIORITY
    received = incident.received_ms if incident.received_ms is not None else _NO_TIME
    return (priority, received, incident.incident_id)


def urgency(incident_id: str, incidents: Mapping[str, Incident]) -> tuple[int, int, str]:
    """Queue order of an incident known only by id; one this device has not seen goes last."""
    incident = incidents.get(incident_id)
    return queue_key(incident) if incident is not None else (_NO_PRIORITY + 1, 0, incident_id)


def matches(incident: Incident, query: str) -> bool:
    """Every word of ``query`` appears in the type, place, caller or incident id.

    Case is ignored; a word of digits (dashes and brackets allowed) also matches a callback
    number however it was written: "4155551234" finds "(415) 555-1234".
    """
    words = query.casefold().split()
    if not words:
        return True
    haystack = _haystack(incident)
    return all(word in haystack or _digits_in(word, incident) for word in words)


def _haystack(incident: Incident) -> str:
    code = incident.incident_type or ""
    parts = [
        code,
        INCIDENT_TYPES.get(code, ""),
        incident.location.address or "",
        incident.location.cross_street or "",
        incident.caller.name or "",
        incident.caller.callback_number or "",
        incident.incident_id,
    ]
    return " ".join(parts).casefold()


def _digits_in(word: str, incident: Incident) -> bool:
    digits = re.sub(r"\D", "", word)
    if not digits or digits != re.sub(r"[\s().+-]", "", word):
        return False
    number = re.sub(r"\D", "", incident.caller.callback_number or "")
    return digits in number


def build_queue(
    incidents: Iterable[Incident],
    units: Sequence[Unit],
    flt: QueueFilter,
    now: Now,
) -> QueueView:
    committed = committed_map(units)
    in_scope = [i for i in incidents if i.exists and _in_scope(i, flt.scope, committed)]
    shown = [
        i
        for i in in_scope
        if (flt.incident_type is None or i.incident_type == flt.incident_type)
        and (flt.priority is None or i.priority == flt.priority)
        and matches(i, flt.search)
    ]
    shown.sort(key=queue_key)
    rows = tuple(
        _row(i, [unit_name(u) for u in committed.get(i.incident_id, [])], now) for i in shown
    )
    types = sorted({i.incident_type for i in in_scope if i.incident_type})
    return QueueView(
        rows=rows,
        summary=_summary(rows, len(in_scope), flt),
        empty_message=_empty_message(flt, len(in_scope)),
        type_options=tuple((code, incident_type_label(code)) for code in types),
    )


def _in_scope(incident: Incident, scope: QueueScope, committed: dict[str, list[Unit]]) -> bool:
    if scope is QueueScope.CLOSED:
        return not is_open(incident.status)
    if not is_open(incident.status):
        return False
    staffed = bool(committed.get(incident.incident_id))
    if scope is QueueScope.PENDING:
        return not staffed
    if scope is QueueScope.ACTIVE:
        return staffed
    return True


def _row(incident: Incident, units: list[str], now: Now) -> QueueRow:
    received = incident.received_ms
    caller = incident.caller.name or incident.caller.callback_number or ""
    return QueueRow(
        incident_id=incident.incident_id,
        priority=incident.priority,
        priority_label=priority_label(incident.priority),
        type_label=incident_type_label(incident.incident_type),
        status_label=incident_status_label(incident.status),
        place=place(incident),
        caller=caller,
        received=now.clock(received) if received is not None else "time unknown",
        waiting=now.elapsed(received) if received is not None and is_open(incident.status) else "",
        units=tuple(units),
        pending=is_open(incident.status) and not units,
        late=incident.late,
        conflict=bool(incident.open_conflicts),
    )


def _summary(rows: tuple[QueueRow, ...], in_scope: int, flt: QueueFilter) -> str:
    pending = sum(1 for r in rows if r.pending)
    if flt.scope is QueueScope.CLOSED:
        text = _count(len(rows), "closed incident")
    else:
        text = f"{pending} pending · {len(rows) - pending} active"
    if flt.narrowed and len(rows) != in_scope:
        text += f" (showing {len(rows)} of {in_scope})"
    return text


def _empty_message(flt: QueueFilter, in_scope: int) -> str:
    if in_scope and flt.narrowed:
        return "Nothing matches these filters. Clear the search or filters to see all."
    return {
        QueueScope.OPEN: "No open incidents. New calls appear here as soon as they are saved.",
        QueueScope.PENDING: "No call is waiting for a unit.",
        QueueScope.ACTIVE: "No incident has units on it.",
        QueueScope.CLOSED: "No closed incidents on this device.",
    }[flt.scope]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
