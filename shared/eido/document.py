"""The parts of a received EIDO we read, validated before anything is imported.

Pydantic models mirror the OpenAPI schema (eido-openapi.yaml) for the components we use, with
the schema's types and required members; other members are accepted and kept as extras (the
importer quotes some in its note), as the standard expects of receivers.  On top of the
schema, ``read_document`` checks what the schema cannot: timestamps are RFC 3339, ``$id``
values are unique and every ``$ref`` names a component present in the document.  All problems
are reported at once, each with its path, in one ``EidoError``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from shared.eido.common import EidoError, parse_timestamp

_VERSION = re.compile(r"^1\.\d+$")


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, strict=True, extra="allow", frozen=True, populate_by_name=True
    )


class Ref(_Model):
    ref: str = Field(alias="$ref", min_length=1)


class Component(_Model):
    """The prologue every data component carries (PrologueType)."""

    id: str = Field(alias="$id", min_length=1)
    last_update_time_stamp: str
    updated_by_agency_reference: Ref


class Disposition(Component):
    disposition_common_registry_code: str


class IncidentInfo(Component):
    incident_type_common_registry_text: str
    incident_type_internal_code: str | None = None
    incident_type_internal_text: str | None = None
    incident_status_common_registry_text: list[str] = []
    internal_incident_id: str | None = None
    incident_priority_internal_text: str | None = None
    incident_common_priority_number: int | None = None
    location_reference: list[Ref] = []
    person_reference: list[Ref] = []
    notes_reference: list[Ref] = []
    disposition_component: list[Disposition] = []


class CallInfo(Component):
    call_state_registry_text: str
    standard_primary_call_type: str
    direction: str
    call_start_timestamp: str
    answer_date: str | None = None
    call_back_reference: Ref | None = None
    location_reference: list[Ref] = []
    person_reference: list[Ref] = []
    notes_reference: list[Ref] = []


class UpdatedCbn(Component):
    updated_cbn_identifier_uri: str


class Callback(Component):
    call_back_information_uri: list[str] = []
    updated_cbn: UpdatedCbn | None = None


class Person(Component):
    person_incident_role_registry_text: list[str]
    nc_person_component: dict[str, Any] | None = None
    call_back_reference: Ref | None = None


class Location(Component):
    location_type_description_registry_text: str
    location_by_value: str | None = None
    location_by_reference_url: str | None = None
    location_description_text: str | None = None
    cross_street_by_value: list[str] = []


class Note(Component):
    notes_action_comments: str


class AgencyInfo(Component):
    agency_role_description_registry_text: list[str]
    agency_type: list[str]
    agency_jcard: str | None = None
    incident_owning_agency_indicator: bool | None = None


class Resource(Component):
    emergency_resource_type_common_registry_text: str
    primary_unit_status_registry_text: str
    secondary_unit_status_registry_text: list[str]
    resource_attribute_registry_text: list[str]
    agent_reference: list[Ref]
    emergency_resource_name: str | None = None


class Eido(Component):
    eido_version: str
    issuing_element_identification: str
    agency_component: list[AgencyInfo] = Field(min_length=1)
    incident_component: IncidentInfo | None = None
    call_component: list[CallInfo] = []
    callback_component: list[Callback] = []
    person_component: list[Person] = []
    location_component: list[Location] = []
    notes_component: list[Note] = []
    emergency_resource_component: list[Resource] = []


def _path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def _walk(node: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every JSON object in the document, with its path."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}[{i}]")


def _consistency(raw: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    ids: dict[str, str] = {}
    refs: list[tuple[str, str]] = []
    for path, node in _walk(raw, ""):
        where = path or "(document)"
        if isinstance(node.get("$id"), str):
            if node["$id"] in ids:
                problems.append(f"{where}: $id {node['$id']!r} is also used at {ids[node['$id']]}")
            ids.setdefault(node["$id"], where)
            stamp = node.get("lastUpdateTimeStamp")
            if isinstance(stamp, str):
                problems += _timestamp_problem(f"{where}.lastUpdateTimeStamp", stamp)
        for member in ("callStartTimestamp", "answerDate"):
            if isinstance(node.get(member), str):
                problems += _timestamp_problem(f"{where}.{member}", node[member])
        if isinstance(node.get("$ref"), str):
            refs.append((where, node["$ref"]))
    problems += [
        f"{where}: $ref {target!r} names no component in this EIDO"
        for where, target in refs
        if target not in ids
    ]
    return problems


def _timestamp_problem(where: str, text: str) -> list[str]:
    try:
        if parse_timestamp(text) < 0:
            return [f"{where}: {text!r} is before 1970"]
    except ValueError as bad:
        return [f"{where}: {bad}"]
    return []


def read_document(raw: object) -> Eido:
    """Validate a parsed EIDO JSON document; raise ``EidoError`` listing every problem."""
    if not isinstance(raw, dict):
        raise EidoError([f"(document): expected a JSON object, got {type(raw).__name__}"])
    problems: list[str] = []
    document: Eido | None = None
    try:
        document = Eido.model_validate(raw)
    except ValidationError as invalid:
        problems += [f"{_path(e['loc'])}: {e['msg']}" for e in invalid.errors()]
    problems += _consistency(raw)
    if document is not None:
        if not _VERSION.match(document.eido_version):
            problems.append(f"eidoVersion: {document.eido_version!r} is not a 1.x EIDO")
        if document.incident_component is None:
            problems.append("incidentComponent: missing; an EIDO without one has no incident")
    if problems or document is None:
        raise EidoError(problems)
    return document
