"""Export an incident, its units and its notes as a NENA EIDO (NENA-STA-021, version 1.0).

Mapping from our read models (``shared.domain``):
- incidentComponent: APCO type, status, priority (ours 1..5 as EIDO's common 0..10, and the
  original as internal text), disposition, references to location, caller and notes;
- callComponent: the 9-1-1 call that opened the incident, received at ``received_ms``; its
  notes are the call-taker's narrative; callbackComponent and a "Caller" personComponent
  carry the callback number and caller name;
- locationComponent: "CurrentIncident", as PIDF-LO (see ``pidf``), cross street included;
- notesComponent: every note, as escaped HTML (see ``notes_html``);
- dispatchComponent and emergencyResourceComponent: each unit assigned to the incident, its
  status on this incident as the secondary status and its overall availability as primary.

Known gaps, by choice: agent components are not sent (the NENA-STA-010 Agent Roles registry
they require is not part of our data, and a CAD user id is not an agent identity), so
``agentReference`` of a resource is an empty list; the call's state is "callEnd" and its type
"emergency" because a CAD sees calls after the 9-1-1 phone system has handled them; the ring
time and ``answerDate`` are unknown to a CAD and left out; whether the dispatcher verified the
location has no EIDO member and is not sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from shared.codes import DISPOSITIONS, INCIDENT_TYPES, RESOURCE_TYPES
from shared.domain import Assignment, Incident, Note, Unit
from shared.eido import notes_html
from shared.eido.common import (
    EIDO_VERSION,
    FALLBACK_INCIDENT_TYPE,
    Agency,
    call_id,
    component_id,
    resource_id,
    to_common_priority,
    to_timestamp,
    tracking_id,
)
from shared.eido.pidf import build_pidf
from shared.hlc import Hlc, system_ms
from shared.lifecycle import UnitStatus

#: Resource type sent for a unit whose type is not in the registry (its own type goes along
#: as internal text): "Initial Responding Resources that arrive on scene".
FALLBACK_RESOURCE_TYPE = "CommandLevel4"
LOCATION_FIELDS = frozenset({"address", "cross_street", "lat", "lon", "location_verified"})
CALLER_FIELDS = frozenset({"caller_name", "callback_number"})

Json = dict[str, Any]


class EidoExportError(ValueError):
    """An incident that cannot be described as an EIDO yet."""


def _wall(hlc: str) -> int:
    return Hlc.decode(hlc).wall


def _last_change(incident: Incident, fields: frozenset[str]) -> int | None:
    """When any of ``fields`` was last written (the HLC time of the newest write)."""
    stamps = [_wall(c.by.hlc) for c in incident.field_history if c.field in fields]
    return max(stamps) if stamps else None


def _ref(target: str) -> Json:
    return {"$ref": target}


def tel_uri(number: str) -> str:
    """A callback number as a ``tel:`` URI; characters a URI cannot hold are %-escaped."""
    return "tel:" + quote(number, safe="+-.()0123456789*#")


@dataclass(frozen=True)
class _Context:
    """What every component builder needs: whose incident, sent by whom, with which ids."""

    incident: Incident
    agency: Agency

    @property
    def created_ms(self) -> int:
        creator = self.incident.created_by
        return _wall(creator.hlc) if creator else self.incident.received_ms or 0

    @property
    def call_id(self) -> str:
        return call_id(self.incident.incident_id, self.agency.agency_id)

    def prologue(self, component: str, changed_ms: int) -> Json:
        return {
            "$id": component,
            "lastUpdateTimeStamp": to_timestamp(changed_ms),
            "updatedByAgencyReference": _ref(self.agency.agency_id),
        }

    def cid(self, kind: str, key: str = "") -> str:
        return component_id(kind, self.incident.incident_id, key, self.agency.agency_id)


def _agency(c: _Context, issued_ms: int) -> Json:
    # An RFC 7095 jCard: the agency's display name is the contact data we hold.
    card = ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", c.agency.name]]]
    return {
        **c.prologue(c.agency.agency_id, issued_ms),
        "agencyJcard": json.dumps(card),
        "agencyRoleDescriptionRegistryText": list(c.agency.roles),
        "agencyType": list(c.agency.agency_types),
        "incidentOwningAgencyIndicator": True,
    }


def _location(c: _Context) -> Json | None:
    where = c.incident.location
    if where.address is None and where.cross_street is None and where.lat is None:
        return None
    component = c.cid("location", "CurrentIncident")
    changed = _last_change(c.incident, LOCATION_FIELDS) or c.created_ms
    located = {
        **c.prologue(component, changed),
        "locationTypeDescriptionRegistryText": "CurrentIncident",
        "locationByValue": build_pidf(
            component, address=where.address, lat=where.lat, lon=where.lon
        ),
    }
    if where.cross_street is not None:
        cross = c.cid("location", "cross-street")
        located["crossStreetByValue"] = [build_pidf(cross, address=where.cross_street)]
    return located


def _caller(c: _Context) -> tuple[Json | None, Json | None]:
    """The callback component and the "Caller" person, when we know anything of them."""
    caller = c.incident.caller
    changed = _last_change(c.incident, CALLER_FIELDS) or c.created_ms
    callback = None
    if caller.callback_number is not None:
        callback = {
            **c.prologue(c.cid("callback"), changed),
            "callBackInformationUri": [tel_uri(caller.callback_number)],
        }
    if caller.name is None and callback is None:
        return None, None
    person: Json = {
        **c.prologue(c.cid("person", "caller"), changed),
        "personIncidentRoleRegistryText": ["Caller"],
        "callIdentifier": [c.call_id],
    }
    if caller.name is not None:
        person["ncPersonComponent"] = {"nc:PersonName": {"nc:PersonFullName": caller.name}}
    if callback is not None:
        person["callBackReference"] = _ref(callback["$id"])
    return callback, person


def _note(c: _Context, note: Note) -> Json:
    return {
        **c.prologue(c.cid("note", note.note_id), note.event_ms),
        "notesActionComments": notes_html.to_html(note.text),
    }


def _refs(components: Iterable[Json | None]) -> list[Json]:
    return [_ref(x["$id"]) for x in components if x is not None]


def _incident_info(
    c: _Context, location: Json | None, person: Json | None, notes: list[Json]
) -> Json:
    incident = c.incident
    updated = _wall(incident.updated_hlc)
    kind = incident.incident_type or FALLBACK_INCIDENT_TYPE
    info: Json = {
        **c.prologue(c.cid("incident"), updated),
        "incidentTypeCommonRegistryText": kind,
        "incidentTypeInternalCode": kind,
        "incidentTypeInternalText": INCIDENT_TYPES.get(kind, kind),
        "incidentStatusCommonRegistryText": [incident.status.value],
        "incidentStatusInternalText": [incident.status.value],
        "internalIncidentId": incident.incident_id,
    }
    if incident.priority is not None:
        info["incidentCommonPriorityNumber"] = to_common_priority(incident.priority)
        info["incidentPriorityInternalText"] = str(incident.priority)
    for member, targets in (
        ("locationReference", [location]),
        ("personReference", [person]),
        ("notesReference", notes),
    ):
        if refs := _refs(targets):
            info[member] = refs
    if incident.disposition is not None:
        info["dispositionComponent"] = [
            {
                **c.prologue(c.cid("disposition", incident.disposition), updated),
                "dispositionCommonRegistryCode": incident.disposition,
                "dispositionPrimaryIndicator": True,
                "dispositionDescriptionText": DISPOSITIONS.get(incident.disposition, ""),
            }
        ]
    return info


def _resource(c: _Context, unit: Unit, assignment: Assignment) -> tuple[Json, int]:
    """The unit as an emergency resource on this incident, and when that last changed."""
    stamps = (
        assignment.dispatched_ms,
        assignment.enroute_ms,
        assignment.onscene_ms,
        assignment.transporting_ms,
        assignment.hospital_ms,
        assignment.cleared_ms,
    )
    changed = max((s for s in stamps if s is not None), default=_wall(unit.updated_hlc))
    kind = unit.unit_type if unit.unit_type in RESOURCE_TYPES else FALLBACK_RESOURCE_TYPE
    primary = "Available" if unit.status is UnitStatus.AVAILABLE else "NotAvailable"
    resource: Json = {
        **c.prologue(resource_id(unit.unit_id, c.agency.agency_id), changed),
        "emergencyResourceTypeCommonRegistryText": kind,
        "resourceAttributeRegistryText": [],
        "emergencyResourceName": unit.name or unit.unit_id,
        "primaryUnitStatusRegistryText": primary,
        "secondaryUnitStatusRegistryText": [assignment.status.value],
        "unitStatusInternal": [assignment.status.value],
        "agentReference": [],
    }
    if unit.unit_type is not None:
        resource["emergencyResourceTypeInternalText"] = unit.unit_type
    return resource, changed


def _dispatch(c: _Context, units: Iterable[Unit]) -> tuple[Json | None, list[Json]]:
    built = [
        _resource(c, unit, assignment)
        for unit in sorted(units, key=lambda u: u.unit_id)
        for assignment in unit.assignments
        if assignment.incident_id == c.incident.incident_id
    ]
    if not built:
        return None, []
    resources = [resource for resource, _ in built]
    dispatch = {
        **c.prologue(c.cid("dispatch", c.agency.agency_id), max(ms for _, ms in built)),
        "agencyReference": _ref(c.agency.agency_id),
        "emergencyResourceReference": _refs(resources),
    }
    return dispatch, resources


def export_eido(
    incident: Incident,
    units: Iterable[Unit],
    agency: Agency,
    *,
    issued_ms: int | None = None,
) -> Json:
    """The EIDO for ``incident`` as sent by ``agency``: a JSON-ready dict.

    ``units`` may be every unit known; those with an assignment on this incident are included.
    ``issued_ms`` stamps the document itself (default: now).
    """
    if not incident.exists or incident.received_ms is None:
        raise EidoExportError(f"incident {incident.incident_id} has not been created yet")
    issued = system_ms() if issued_ms is None else issued_ms
    c = _Context(incident, agency)
    location = _location(c)
    callback, person = _caller(c)
    narrative = [_note(c, n) for n in incident.notes if n.narrative]
    others = [_note(c, n) for n in incident.notes if not n.narrative]
    dispatch, resources = _dispatch(c, units)

    call: Json = {
        **c.prologue(c.call_id, c.created_ms),
        "callStateRegistryText": "callEnd",
        "standardPrimaryCallType": "emergency",
        "direction": "incoming",
        "callStartTimestamp": to_timestamp(incident.received_ms),
    }
    if callback is not None:
        call["callBackReference"] = _ref(callback["$id"])
    for member, targets in (
        ("locationReference", [location]),
        ("personReference", [person]),
        ("notesReference", narrative),
    ):
        if refs := _refs(targets):
            call[member] = refs

    document: Json = {
        **c.prologue(tracking_id(incident.incident_id, agency.agency_id), issued),
        "eidoVersion": EIDO_VERSION,
        "issuingElementIdentification": agency.element_id,
        "agencyComponent": [_agency(c, issued)],
        "incidentComponent": _incident_info(c, location, person, others),
        "callComponent": [call],
    }
    optional = {
        "callbackComponent": [callback] if callback else [],
        "personComponent": [person] if person else [],
        "locationComponent": [location] if location else [],
        "notesComponent": narrative + others,
        "dispatchComponent": [dispatch] if dispatch else [],
        "emergencyResourceComponent": resources,
    }
    document.update({member: value for member, value in optional.items() if value})
    return document
