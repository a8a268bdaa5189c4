"""Exporting our incidents as NENA EIDO documents that any EIDO-conformant CAD can read."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.codes import (
    INCIDENT_STATUSES,
    INCIDENT_TYPES,
    PRIMARY_UNIT_STATUSES,
    RESOURCE_TYPES,
    SECONDARY_UNIT_STATUSES,
)
from shared.eido import EidoExportError, export_eido
from shared.eido.pidf import parse_pidf
from shared.lifecycle import IncidentStatus, UnitStatus
from shared.merge import IncidentState
from shared.protocol import IncidentFields
from tests.eido.scenario import ALPHA, T0, Desk, structure_fire
from tests.eido.schema import eido_validator, schema_errors

# Registries of NENA-STA-021 section 3 that are not in shared.codes (short, so listed here).
AGENCY_ROLES = {"Assisting", "CallReceiving", "Dispatched", "Dispatching", "Informational"}
AGENCY_ROLES |= {"TransferredTo"}
LOCATION_TYPES = {"RoutingLocation", "Caller", "CurrentIncident", "InitialIncident"}
LOCATION_TYPES |= {"Investigation", "Other", "Staging", "TowerLocation", "UnitLocation"}
PERSON_ROLES = {"InvolvedPerson", "Caller", "Patient", "ReportingParty", "Victim", "Witness"}


@pytest.fixture()
def validator():
    return eido_validator()


@pytest.fixture()
def fire() -> tuple[Desk, str]:
    desk = Desk("alpha-dispatch-1")
    return desk, structure_fire(desk)


def exported(desk: Desk, incident_id: str, **kwargs: Any) -> dict[str, Any]:
    return export_eido(desk.incident(incident_id), desk.units(), ALPHA, **kwargs)


def references(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in references(value)]
    if isinstance(node, list):
        return [r for value in node for r in references(value)]
    return []


def identifiers(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$id"]] if isinstance(node.get("$id"), str) else []
        return own + [i for value in node.values() for i in identifiers(value)]
    if isinstance(node, list):
        return [i for value in node for i in identifiers(value)]
    return []


def by_id(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$id"), str):
                found[node["$id"]] = node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return found


def test_a_working_structure_fire_exports_as_a_schema_valid_eido(fire, validator) -> None:
    desk, incident_id = fire
    document = exported(desk, incident_id)
    assert schema_errors(validator, document) == []
    assert json.loads(json.dumps(document)) == document  # plain JSON, nothing Python-only
    assert document["eidoVersion"] == "1.0"
    assert document["issuingElementIdentification"] == "cad.psap.alpha-county.example"
    for member in (
        "incidentComponent",
        "callComponent",
        "callbackComponent",
        "personComponent",
        "locationComponent",
        "notesComponent",
        "dispatchComponent",
        "emergencyResourceComponent",
        "agencyComponent",
    ):
        assert document.get(member), f"{member} missing"


def test_every_component_says_when_and_by_which_agency_it_was_updated(fire) -> None:
    desk, incident_id = fire
    components = by_id(exported(desk, incident_id))
    assert len(components) >= 12
    for component_id, component in components.items():
        assert component["updatedByAgencyReference"] == {"$ref": ALPHA.agency_id}, component_id
        assert component["lastUpdateTimeStamp"].endswith("Z"), component_id


def test_every_reference_names_a_component_in_the_document_and_ids_are_unique(fire) -> None:
    desk, incident_id = fire
    document = exported(desk, incident_id)
    ids = identifiers(document)
    assert len(ids) == len(set(ids))
    assert set(references(document)) <= set(ids)


def test_component_ids_stay_the_same_in_every_eido_for_the_incident(fire) -> None:
    desk, incident_id = fire
    first = exported(desk, incident_id, issued_ms=T0 + 600_000)
    desk.wait(30)
    desk.do(desk.commands.add_note(desk.state(incident_id), "Primary search negative."))
    second = exported(desk, incident_id, issued_ms=T0 + 700_000)
    assert set(identifiers(first)) < set(identifiers(second))
    assert first["$id"] == second["$id"]
    assert first["$id"].startswith("urn:emergency:uid:incidentid:")
    assert first["$id"].endswith(":" + ALPHA.agency_id)


def test_incident_carries_apco_type_status_and_priority_on_eido_scale(fire) -> None:
    desk, incident_id = fire
    info = exported(desk, incident_id)["incidentComponent"]
    assert info["incidentTypeCommonRegistryText"] == "FSTRU"
    assert info["incidentTypeInternalText"] == INCIDENT_TYPES["FSTRU"]
    assert info["incidentStatusCommonRegistryText"] == ["Active"]
    assert set(info["incidentStatusCommonRegistryText"]) <= set(INCIDENT_STATUSES)
    # Ours: 1 most urgent .. 5; EIDO common: 0..10 with 10 the most urgent.
    assert info["incidentCommonPriorityNumber"] == 8
    assert info["incidentPriorityInternalText"] == "2"
    assert info["internalIncidentId"] == incident_id


@pytest.mark.parametrize(("ours", "common"), [(1, 10), (2, 8), (3, 6), (4, 4), (5, 2)])
def test_priority_scale(ours: int, common: int) -> None:
    desk = Desk("alpha-dispatch-2")
    op = desk.do(desk.commands.create_incident(IncidentFields(incident_type="SICK"), ours))
    document = exported(desk, op.entity_id)
    assert document["incidentComponent"]["incidentCommonPriorityNumber"] == common


def test_location_is_pidf_lo_with_point_address_and_cross_street(fire) -> None:
    desk, incident_id = fire
    document = exported(desk, incident_id)
    location = document["locationComponent"][0]
    assert location["locationTypeDescriptionRegistryText"] == "CurrentIncident"
    assert location["locationTypeDescriptionRegistryText"] in LOCATION_TYPES
    assert location["locationByValue"].startswith('<presence xmlns="urn:ietf:params:xml:ns:pidf"')
    place = parse_pidf(location["locationByValue"])
    assert (place.address, place.lat, place.lon) == (
        "1420 Harbor View Rd, Alpha",
        37.7321745,
        -122.4277935,
    )
    assert parse_pidf(location["crossStreetByValue"][0]).address == "Cypress Ln"
    refs = {"$ref": location["$id"]}
    assert refs in document["incidentComponent"]["locationReference"]
    assert refs in document["callComponent"][0]["locationReference"]


def test_caller_is_a_person_with_a_callback_reached_from_the_call(fire) -> None:
    desk, incident_id = fire
    document = exported(desk, incident_id)
    components = by_id(document)
    call = document["callComponent"][0]
    assert call["direction"] == "incoming"
    assert call["callStartTimestamp"] == "2023-11-14T22:13:20.000Z"
    person = components[call["personReference"][0]["$ref"]]
    assert person["personIncidentRoleRegistryText"] == ["Caller"]
    assert set(person["personIncidentRoleRegistryText"]) <= PERSON_ROLES
    assert person["ncPersonComponent"] == {"nc:PersonName": {"nc:PersonFullName": "Dana Whitfield"}}
    assert person["callIdentifier"] == [call["$id"]]
    callback = components[person["callBackReference"]["$ref"]]
    assert call["callBackReference"] == person["callBackReference"]
    assert callback["callBackInformationUri"] == ["tel:+1%20555%20010%204477"]


def test_notes_are_html_and_the_narrative_hangs_off_the_call(fire) -> None:
    desk, incident_id = fire
    document = exported(desk, incident_id)
    components = by_id(document)
    narrative = [components[r["$ref"]] for r in document["callComponent"][0]["notesReference"]]
    others = [components[r["$ref"]] for r in document["incidentComponent"]["notesReference"]]
    assert [n["notesActionComments"] for n in narrative] == [
        "Caller reports smoke from the roof of a two-storey house; everyone is out."
    ]
    assert [n["notesActionComments"] for n in others] == [
        "Neighbour says a dog may be inside.",
        "E32 on scene: working fire, attic &lt;b&gt;fully&lt;/b&gt; involved<br>"
        "2nd alarm requested &amp; granted",
    ]
    assert len(document["notesComponent"]) == 3


def test_units_are_emergency_resources_dispatched_by_our_agency(fire) -> None:
    desk, incident_id = fire
    document = exported(desk, incident_id)
    resources = {r["$id"]: r for r in document["emergencyResourceComponent"]}
    engine = resources["E32@psap.alpha-county.example"]
    medic = resources["M85@psap.alpha-county.example"]
    assert engine["emergencyResourceTypeCommonRegistryText"] == "StructureFireEngineType1"
    assert engine["secondaryUnitStatusRegistryText"] == ["OnScene"]
    assert medic["secondaryUnitStatusRegistryText"] == ["Dispatched"]
    assert engine["primaryUnitStatusRegistryText"] == "NotAvailable"
    for resource in resources.values():
        assert resource["emergencyResourceTypeCommonRegistryText"] in RESOURCE_TYPES
        assert resource["primaryUnitStatusRegistryText"] in PRIMARY_UNIT_STATUSES
        assert set(resource["secondaryUnitStatusRegistryText"]) <= set(SECONDARY_UNIT_STATUSES)
    dispatch = document["dispatchComponent"][0]
    assert dispatch["agencyReference"] == {"$ref": ALPHA.agency_id}
    assert {r["$ref"] for r in dispatch["emergencyResourceReference"]} == set(resources)
    agency = document["agencyComponent"][0]
    assert set(agency["agencyRoleDescriptionRegistryText"]) <= AGENCY_ROLES
    assert "Alpha County 9-1-1" in agency["agencyJcard"]


def test_only_units_on_this_incident_are_included(fire) -> None:
    desk, incident_id = fire
    other = desk.do(desk.commands.create_incident(IncidentFields(incident_type="FALL"), 3))
    desk.add_unit("T10", "FireTruckLadder")
    desk.unit_status("T10", UnitStatus.DISPATCHED, other.entity_id)
    names = [
        r["emergencyResourceName"]
        for r in exported(desk, incident_id)["emergencyResourceComponent"]
    ]
    assert names == ["E32", "M85"]
    assert [
        r["emergencyResourceName"]
        for r in exported(desk, other.entity_id)["emergencyResourceComponent"]
    ] == ["T10"]


def test_a_unit_of_a_type_outside_the_registry_keeps_its_own_type_as_internal_text(
    validator,
) -> None:
    desk = Desk("alpha-dispatch-3")
    op = desk.do(desk.commands.create_incident(IncidentFields(incident_type="ALS"), 1))
    desk.add_unit("SQ1", "MEDICSQUAD")
    desk.unit_status("SQ1", UnitStatus.DISPATCHED, op.entity_id)
    document = exported(desk, op.entity_id)
    (resource,) = document["emergencyResourceComponent"]
    assert resource["emergencyResourceTypeCommonRegistryText"] in RESOURCE_TYPES
    assert resource["emergencyResourceTypeInternalText"] == "MEDICSQUAD"
    assert schema_errors(validator, document) == []


def test_a_closed_incident_carries_its_disposition(fire, validator) -> None:
    desk, incident_id = fire
    for unit in ("E32", "M85"):
        desk.unit_status(unit, UnitStatus.CLEARED, incident_id)
    desk.do(
        desk.commands.set_incident_status(
            desk.state(incident_id), IncidentStatus.CLOSED, disposition="23"
        )
    )
    document = exported(desk, incident_id)
    info = document["incidentComponent"]
    assert info["incidentStatusCommonRegistryText"] == ["Closed"]
    (disposition,) = info["dispositionComponent"]
    assert disposition["dispositionCommonRegistryCode"] == "23"
    assert disposition["dispositionDescriptionText"] == "Fire Control or Extinguishment (NFIRS 10)"
    assert {r["primaryUnitStatusRegistryText"] for r in document["emergencyResourceComponent"]} == {
        "Available"
    }
    assert schema_errors(validator, document) == []


def test_a_bare_incident_without_caller_location_or_units_is_still_valid(validator) -> None:
    desk = Desk("alpha-dispatch-4")
    op = desk.do(desk.commands.create_incident(IncidentFields(), 3))
    document = exported(desk, op.entity_id)
    assert schema_errors(validator, document) == []
    # An untyped incident is sent as APCO's "None - No Code Found", the registry being required.
    assert document["incidentComponent"]["incidentTypeCommonRegistryText"] == "NCRNONE"
    for absent in (
        "locationComponent",
        "personComponent",
        "callbackComponent",
        "dispatchComponent",
    ):
        assert absent not in document


def test_characters_xml_cannot_carry_are_replaced_in_the_location_not_the_document(
    validator,
) -> None:
    desk = Desk("alpha-dispatch-5")
    op = desk.do(desk.commands.create_incident(IncidentFields(address="Pier 9\x00 gate"), 3))
    document = exported(desk, op.entity_id)
    assert (
        parse_pidf(document["locationComponent"][0]["locationByValue"]).address
        == "Pier 9\ufffd gate"
    )
    assert schema_errors(validator, document) == []


def test_an_incident_this_device_has_not_seen_created_cannot_be_exported() -> None:
    incident = IncidentState(id="inc-unknown").view()
    with pytest.raises(EidoExportError, match="not been created"):
        export_eido(incident, [], ALPHA)


def test_the_schema_check_itself_catches_broken_documents(fire, validator) -> None:
    """Guards the guard: a validator that accepted anything would make the tests above empty."""
    desk, incident_id = fire
    good = exported(desk, incident_id)
    broken = copy.deepcopy(good)
    del broken["notesComponent"][0]["lastUpdateTimeStamp"]
    broken["callComponent"][0]["callStartTimestamp"] = "2023-11-14 22:13"
    broken["callbackComponent"][0]["callBackInformationUri"] = "tel:+15550100"
    broken["incidentComponent"]["incidentCommonPriorityNumber"] = "8"
    errors = " | ".join(schema_errors(validator, broken))
    assert "notesComponent/0: 'lastUpdateTimeStamp' is a required property" in errors
    assert "callComponent/0/callStartTimestamp: '2023-11-14 22:13' is not a 'date-time'" in errors
    assert "callbackComponent/0/callBackInformationUri" in errors
    assert "incidentComponent/incidentCommonPriorityNumber: '8' is not of type 'integer'" in errors


fields = st.builds(
    IncidentFields,
    incident_type=st.none() | st.sampled_from(sorted(INCIDENT_TYPES)),
    address=st.none() | st.text(max_size=200),
    cross_street=st.none() | st.text(max_size=200),
    lat=st.none() | st.floats(-90, 90),
    lon=st.none() | st.floats(-180, 180),
    caller_name=st.none() | st.text(max_size=200),
    callback_number=st.none() | st.text(max_size=32),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fields=fields,
    priority=st.integers(1, 5),
    narrative=st.text(max_size=300),
    notes=st.lists(st.text(min_size=1, max_size=300), max_size=4),
    units=st.lists(
        st.sampled_from([UnitStatus.DISPATCHED, UnitStatus.ENROUTE, UnitStatus.ONSCENE]), max_size=3
    ),
)
def test_any_incident_exports_as_a_schema_valid_eido(
    validator, fields, priority, narrative, notes, units
) -> None:
    desk = Desk("alpha-dispatch-6")
    op = desk.do(desk.commands.create_incident(fields, priority, narrative))
    for text in notes:
        desk.do(desk.commands.add_note(desk.state(op.entity_id), text))
    for n, reached in enumerate(units):
        unit_id = f"U{n}"
        desk.add_unit(unit_id, "PatrolUnit")
        for status in (UnitStatus.DISPATCHED, UnitStatus.ENROUTE, UnitStatus.ONSCENE):
            desk.unit_status(unit_id, status, op.entity_id)
            if status is reached:
                break
    document = exported(desk, op.entity_id)
    assert schema_errors(validator, document) == []
    assert set(references(document)) <= set(identifiers(document))
