"""Import an EIDO received from another agency's CAD as a new incident of ours.

``plan_import`` is the pure mapping from a validated EIDO to what our incident will hold;
``import_eido`` turns that plan into ops through ``Commands`` (an incident create, then notes),
so an imported incident syncs and merges like any other.

Nothing the sender told us is silently dropped.  What has a field of ours goes there: type,
priority (EIDO's common 0..10 mapped to our 1..5), incident location and cross street, caller
name and callback number, the call-taker's narrative (the notes the call refers to), every
other note with its own time.  Everything else (who sent it and their incident number, their
status, units and disposition, other people and places, an unknown incident type, values too
long for our fields, components we do not model) is written into one import note, prefixed
``[EIDO import]``, for the dispatcher to read.  An unknown incident type never fails an
import: it becomes ``NCRNONE`` ("None - No Code Found") and the note says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote

from shared.codes import DISPOSITIONS, INCIDENT_TYPES
from shared.commands import Commands
from shared.eido import notes_html
from shared.eido.common import (
    DEFAULT_PRIORITY,
    FALLBACK_INCIDENT_TYPE,
    MAX_COMMON_PRIORITY,
    EidoError,
    from_common_priority,
    parse_timestamp,
)
from shared.eido.document import (
    AgencyInfo,
    Callback,
    CallInfo,
    Component,
    Eido,
    IncidentInfo,
    Location,
    Person,
    Ref,
    read_document,
)
from shared.eido.pidf import looks_like_xml, parse_pidf
from shared.merge import IncidentState, apply_op
from shared.protocol import MAX_TEXT, IncidentFields, Op

C = TypeVar("C", bound=Component)

IMPORT_NOTE_PREFIX = "[EIDO import] "
MAX_FIELD = 200
MAX_CALLBACK = 32
LOCATION_PREFERENCE = ("CurrentIncident", "InitialIncident", "Caller")
CALLER_ROLES = ("caller", "reportingparty")
NOT_IMPORTED = (
    "mergeComponent",
    "linkComponent",
    "alarmsSensorsComponent",
    "agentComponent",
    "additionalDataComponent",
    "vehicleComponent",
    "cautionComponent",
    "mediaComponent",
    "sharedCommunicationResourceComponent",
    "externalInformationSourceComponent",
)


@dataclass
class ImportPlan:
    """What the new incident will hold; ``info`` lines become the import note."""

    incident_type: str
    priority: int
    address: str | None = None
    cross_street: str | None = None
    lat: float | None = None
    lon: float | None = None
    caller_name: str | None = None
    callback_number: str | None = None
    received_ms: int | None = None
    narrative: str = ""
    notes: list[tuple[str, int | None]] = field(default_factory=list)
    info: list[str] = field(default_factory=list)

    def fields(self) -> IncidentFields:
        given = {
            "incident_type": self.incident_type,
            "address": self.address,
            "cross_street": self.cross_street,
            "lat": self.lat,
            "lon": self.lon,
            "caller_name": self.caller_name,
            "callback_number": self.callback_number,
        }
        return IncidentFields(**{k: v for k, v in given.items() if v is not None})


class _Index:
    """The document, its incident, and its components by ``$id`` to follow references."""

    def __init__(self, eido: Eido, info: IncidentInfo) -> None:
        self.eido = eido
        self.info = info
        self.by_id: dict[str, Component] = {}
        lists: list[list[Any]] = [
            eido.agency_component,
            eido.call_component,
            eido.callback_component,
            eido.person_component,
            eido.location_component,
            eido.notes_component,
            eido.emergency_resource_component,
        ]
        for components in lists:
            for component in components:
                self.by_id[component.id] = component

    def follow(self, refs: Iterable[Ref | None], kind: type[C]) -> list[C]:
        found = []
        for ref in refs:
            target = self.by_id.get(ref.ref) if ref is not None else None
            if isinstance(target, kind):
                found.append(target)
        return found


def _unique(items: Iterable[C]) -> list[C]:
    """Components in first-seen order, each once (by identity: they hold lists)."""
    seen: set[int] = set()
    kept = []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            kept.append(item)
    return kept


def _chunks(text: str) -> list[str]:
    """``text`` in pieces a note can hold, in order."""
    return [text[i : i + MAX_TEXT] for i in range(0, len(text), MAX_TEXT)]


def _fit(value: str | None, limit: int, what: str, plan: ImportPlan) -> str | None:
    """``value`` if it fits our field; otherwise the field keeps the start and a note all."""
    if value is None or len(value) <= limit:
        return value
    plan.info.append(f"{what} (too long for the field, in full): {value}")
    return value[:limit]


def _sender(eido: Eido) -> AgencyInfo:
    agencies = eido.agency_component
    sender = [a for a in agencies if a.id == eido.updated_by_agency_reference.ref]
    owner = [a for a in agencies if a.incident_owning_agency_indicator]
    return (sender or owner or agencies)[0]


def agency_name(agency: AgencyInfo) -> str:
    """The ``fn`` of the agency's jCard, else its identifier."""
    try:
        card = json.loads(agency.agency_jcard or "null")
        for prop in card[1]:
            if prop[0] == "fn" and isinstance(prop[3], str):
                return str(prop[3])
    except (ValueError, TypeError, IndexError, KeyError):
        pass
    return agency.id


def _incident_type(info: IncidentInfo, plan: ImportPlan) -> str:
    raw = info.incident_type_common_registry_text.strip()
    for candidate in (raw, raw.upper()):
        if candidate in INCIDENT_TYPES:
            return candidate
    internal = info.incident_type_internal_text or info.incident_type_internal_code
    described = repr(raw) + (f" ({internal})" if internal else "")
    plan.info.append(
        f"Incident type {described} is not an APCO 2.103.2 code; recorded as "
        f"{FALLBACK_INCIDENT_TYPE} ({INCIDENT_TYPES[FALLBACK_INCIDENT_TYPE]}): set the type."
    )
    return FALLBACK_INCIDENT_TYPE


def _priority(info: IncidentInfo, plan: ImportPlan) -> int:
    common = info.incident_common_priority_number
    theirs = info.incident_priority_internal_text
    if common is None:
        plan.info.append(
            f"No common priority was sent (theirs: {theirs or 'none'}); set to "
            f"{DEFAULT_PRIORITY}: check it."
        )
        return DEFAULT_PRIORITY
    if not 0 <= common <= MAX_COMMON_PRIORITY:
        plan.info.append(f"Common priority {common} is outside 0..10; taken as the nearest end.")
        common = min(MAX_COMMON_PRIORITY, max(0, common))
    return from_common_priority(common)


def _place(
    text: str | None, what: str, plan: ImportPlan
) -> tuple[str | None, float | None, float | None]:
    """Address and coordinates from a PIDF-LO document or a plain-text location."""
    if text is None or not text.strip():
        return None, None, None
    if not looks_like_xml(text):
        return text.strip(), None, None
    try:
        found = parse_pidf(text)
    except ValueError as bad:
        plan.info.append(f"{what} could not be read ({bad}); as sent: {text}")
        return None, None, None
    return found.address, found.lat, found.lon


def _describe_place(location: Location, plan: ImportPlan) -> str:
    address, lat, lon = _place(location.location_by_value, "A location", plan)
    parts = [address or location.location_by_reference_url or ""]
    if lat is not None:
        parts.append(f"{lat}, {lon}")
    parts.append(location.location_description_text or "")
    shown = "; ".join(p for p in parts if p) or "(nothing readable)"
    return f"({location.location_type_description_registry_text}): {shown}"


def _location(index: _Index, plan: ImportPlan) -> None:
    candidates = (
        index.follow(index.info.location_reference, Location) or index.eido.location_component
    )
    if not candidates:
        return

    def rank(location: Location) -> int:
        kind = location.location_type_description_registry_text
        return LOCATION_PREFERENCE.index(kind) if kind in LOCATION_PREFERENCE else 99

    chosen = min(candidates, key=rank)
    address, plan.lat, plan.lon = _place(chosen.location_by_value, "The incident location", plan)
    if chosen.location_by_reference_url and address is None and plan.lat is None:
        plan.info.append(
            f"Location only by reference (not fetched): {chosen.location_by_reference_url}"
        )
    if chosen.location_description_text:
        if address is None:
            address = chosen.location_description_text
        else:
            plan.info.append(f"Location description: {chosen.location_description_text}")
    plan.address = _fit(address, MAX_FIELD, "Address", plan)
    crossings = [_place(x, "A cross street", plan)[0] for x in chosen.cross_street_by_value]
    crossings = [c for c in crossings if c]
    if crossings:
        plan.cross_street = _fit(crossings[0], MAX_FIELD, "Cross street", plan)
        plan.info += [f"Another cross street: {c}" for c in crossings[1:]]
    plan.info += [
        f"Other location {_describe_place(other, plan)}"
        for other in index.eido.location_component
        if other is not chosen
    ]


_NAME_PARTS = ("personfullname", "persongivenname", "personmiddlename", "personsurname")


def person_name(component: dict[str, Any] | None) -> str | None:
    """A name from a NIEM ``nc:PersonType`` (``nc:PersonName`` with full or given/surname)."""
    found: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                local = str(key).rsplit(":", 1)[-1]
                if local[:2] == "nc" and local[2:3].isupper():
                    local = local[2:]
                local = local.lower()
                if local in _NAME_PARTS and isinstance(value, str) and value.strip():
                    found.setdefault(local, value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(component)
    if "personfullname" in found:
        return found["personfullname"]
    parts = [found[k] for k in _NAME_PARTS[1:] if k in found]
    return " ".join(parts) or None


def phone_number(uri: str) -> str:
    """The number in a ``tel:`` or ``sip:``/``sips:`` URI (other URIs are kept whole)."""
    scheme, sep, rest = uri.partition(":")
    if not sep:
        return uri
    if scheme.lower() == "tel":
        return unquote(rest.split(";", 1)[0])
    if scheme.lower() in ("sip", "sips"):
        return unquote(rest.split("@", 1)[0].split(";", 1)[0])
    return uri


def _callback_numbers(callback: Callback) -> list[tuple[str, str]]:
    """Numbers to call back, each with what the sender said about it."""
    numbers = [(phone_number(uri), "") for uri in callback.call_back_information_uri]
    updated = callback.updated_cbn
    if updated is not None:
        about = updated.model_extra or {}
        described = about.get("updatedCbnCallerDescription")
        numbers.append((phone_number(updated.updated_cbn_identifier_uri), str(described or "")))
    return numbers


def _caller(index: _Index, calls: list[CallInfo], plan: ImportPlan) -> None:
    eido = index.eido
    referenced = index.follow([r for c in calls for r in c.person_reference], Person)
    referenced += index.follow(index.info.person_reference, Person)
    people = _unique([*referenced, *eido.person_component])
    roles = {id(p): [r.lower() for r in p.person_incident_role_registry_text] for p in people}
    callers = [p for p in people if any(r in CALLER_ROLES for r in roles[id(p)])]
    caller = callers[0] if callers else None
    callbacks = index.follow([caller.call_back_reference if caller else None], Callback)
    callbacks += index.follow([c.call_back_reference for c in calls], Callback)
    callbacks += eido.callback_component
    if caller is not None:
        plan.caller_name = _fit(
            person_name(caller.nc_person_component), MAX_FIELD, "Caller name", plan
        )
    numbers: dict[str, str] = {}
    for callback in _unique(callbacks):
        for number, about in _callback_numbers(callback):
            numbers[number] = numbers.get(number) or about
    listed = list(numbers.items())
    if listed and len(listed[0][0]) <= MAX_CALLBACK:
        plan.callback_number = listed.pop(0)[0]
    plan.info += [
        f"Another callback: {n}" + (f" ({about})" if about else "") for n, about in listed
    ]
    if caller is not None and len(caller.person_incident_role_registry_text) > 1:
        plan.info.append(
            "The caller is also: " + ", ".join(caller.person_incident_role_registry_text[1:])
        )
    for person in people:
        if person is not caller:
            label = "/".join(person.person_incident_role_registry_text) or "Person"
            plan.info.append(f"{label}: {person_name(person.nc_person_component) or '(no name)'}")


def _notes(index: _Index, calls: list[CallInfo], plan: ImportPlan) -> None:
    narrative_ids = [r.ref for c in calls for r in c.notes_reference]
    notes = index.eido.notes_component
    narrative = next((n for n in notes if n.id in narrative_ids), None)
    for note in notes:
        text = notes_html.to_text(note.notes_action_comments)
        if not text:
            plan.info.append(f"Note {note.id} has no text (it may only hold media).")
            continue
        chunks = _chunks(text)
        if note is narrative:
            plan.narrative, chunks = chunks[0], chunks[1:]
        stamp = parse_timestamp(note.last_update_time_stamp)
        plan.notes += [(chunk, stamp) for chunk in chunks]


def _summary(index: _Index, raw: dict[str, Any], plan: ImportPlan) -> None:
    eido, info = index.eido, index.info
    sender = _sender(eido)
    head = f"Received from {agency_name(sender)} ({sender.id}) as EIDO {eido.id}"
    if info.internal_incident_id:
        head += f"; their incident {info.internal_incident_id}"
    if info.incident_type_internal_code or info.incident_type_internal_text:
        theirs = " ".join(
            x for x in (info.incident_type_internal_code, info.incident_type_internal_text) if x
        )
        head += f"; their type {theirs}"
    if info.incident_priority_internal_text:
        head += f"; their priority {info.incident_priority_internal_text}"
    beat = (info.model_extra or {}).get("beatOrDispatchGroupText")
    if isinstance(beat, str) and beat:
        head += f"; beat {beat}"
    plan.info.insert(0, head + ".")
    if info.incident_status_common_registry_text:
        plan.info.append("Their status: " + ", ".join(info.incident_status_common_registry_text))
    for disposition in info.disposition_component:
        code = disposition.disposition_common_registry_code
        plan.info.append(f"Their disposition: {code} {DISPOSITIONS.get(code, '')}".rstrip())
    units = [
        f"{r.emergency_resource_name or r.id} ("
        + (", ".join(r.secondary_unit_status_registry_text) or r.primary_unit_status_registry_text)
        + ")"
        for r in eido.emergency_resource_component
    ]
    if units:
        plan.info.append("Their units: " + "; ".join(units))
    skipped = [
        f"{len(raw[k])} {k}" for k in NOT_IMPORTED if isinstance(raw.get(k), list) and raw[k]
    ]
    if skipped:
        plan.info.append("Not imported (see the sender's record): " + ", ".join(skipped))


def plan_import(raw: object) -> ImportPlan:
    """Validate ``raw`` (a parsed EIDO JSON document) and map it to our incident."""
    eido = read_document(raw)
    info = eido.incident_component
    if info is None or not isinstance(raw, dict):  # read_document refuses both
        raise EidoError(["incidentComponent: missing"])
    index = _Index(eido, info)
    plan = ImportPlan(incident_type="", priority=DEFAULT_PRIORITY)
    plan.incident_type = _incident_type(info, plan)
    plan.priority = _priority(info, plan)
    calls = sorted(eido.call_component, key=lambda c: parse_timestamp(c.call_start_timestamp))
    if calls:
        first = calls[0]
        plan.received_ms = parse_timestamp(first.answer_date or first.call_start_timestamp)
    _location(index, plan)
    _caller(index, calls, plan)
    _notes(index, calls, plan)
    _summary(index, raw, plan)
    return plan


def import_eido(doc: object, commands: Commands, *, incident_id: str | None = None) -> list[Op]:
    """Ops creating a new incident from the EIDO ``doc``; raises ``EidoError`` if malformed.

    In order: the incident create (with the narrative), the import note, the sender's notes.
    """
    plan = plan_import(doc)
    create = commands.create_incident(
        plan.fields(),
        plan.priority,
        plan.narrative,
        incident_id=incident_id,
        received_ms=plan.received_ms,
    )
    state = IncidentState(id=create.entity_id)
    apply_op(state, create)
    ops = [create]
    summary = IMPORT_NOTE_PREFIX + "\n".join(plan.info)
    notes: list[tuple[str, int | None]] = [(chunk, None) for chunk in _chunks(summary)]
    for text, event_ms in notes + plan.notes:
        op = commands.add_note(state, text, event_ms=event_ms)
        apply_op(state, op)
        ops.append(op)
    return ops
