"""Importing an EIDO from a neighbouring agency's CAD as a new incident of ours."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from shared.domain import Incident
from shared.eido import IMPORT_NOTE_PREFIX, EidoError, export_eido, import_eido, plan_import
from shared.eido.common import from_common_priority, parse_timestamp
from shared.protocol import MAX_TEXT, IncidentCreate, NoteAdd
from tests.eido.scenario import BRAVO, Desk
from tests.eido.schema import eido_validator, schema_errors

NEIGHBOUR = Path(__file__).parent / "data" / "delta_county_collision.json"


@pytest.fixture()
def collision() -> dict[str, Any]:
    """A hand-written EIDO as Delta County's CAD would send it: injury collision, P1."""
    document: dict[str, Any] = json.loads(NEIGHBOUR.read_text(encoding="utf-8"))
    return document


def imported(document: Any) -> tuple[Desk, Incident]:
    """Bravo's dispatcher imports ``document``; their desk and the new incident."""
    desk = Desk("bravo-dispatch-1")
    ops = import_eido(document, desk.commands)
    for op in ops:
        desk.do(op)
    return desk, desk.incident(ops[0].entity_id)


def import_note(incident: Incident) -> str:
    (note,) = [n.text for n in incident.notes if n.text.startswith(IMPORT_NOTE_PREFIX)]
    return note


def test_the_neighbours_document_is_itself_schema_valid(collision) -> None:
    assert schema_errors(eido_validator(), collision) == []


def test_a_neighbours_collision_becomes_our_incident_with_their_facts(collision) -> None:
    _, incident = imported(collision)
    assert incident.incident_type == "MVAINJY"
    assert incident.priority == 1  # their common priority 9 of 10
    assert incident.location.address == "2100 Route 8, Gibsonia, PA, 15044, US"
    assert incident.location.cross_street == "Wildwood Rd"
    assert (incident.location.lat, incident.location.lon) == (40.6301, -79.9419)
    assert incident.caller.name == "Maria Kowalski"
    assert incident.caller.callback_number == "+17245550142"
    # Received when their call-taker answered, not when we imported it.
    assert incident.received_ms == parse_timestamp("2024-06-03T14:15:01.870-04:00")


def test_the_call_takers_narrative_and_every_note_arrive_as_text_with_their_times(
    collision,
) -> None:
    _, incident = imported(collision)
    narrative = [n for n in incident.notes if n.narrative]
    assert [n.text for n in narrative] == [
        'Two-car collision, one driver trapped. Caller says "the airbag went off".'
    ]
    notes = [n for n in incident.notes if not n.narrative and not n.text.startswith("[EIDO")]
    assert [(n.text, n.event_ms) for n in notes] == [
        (
            "Caller's car is a blue Subaru.\nFuel leaking onto the road.",
            parse_timestamp("2024-06-03T14:18:05-04:00"),
        ),
        (
            "Second caller: traffic backed up to exit 4\nPD notified",  # the script is dropped
            parse_timestamp("2024-06-03T14:21:57-04:00"),
        ),
    ]


def test_what_has_no_field_of_ours_is_kept_in_one_import_note(collision) -> None:
    _, incident = imported(collision)
    note = import_note(incident)
    for fact in (
        "Delta County Emergency Communications (psap.delta-county.example)",
        "their incident DC-2024-061837",
        "their type TC-INJ Traffic collision with injuries",
        "their priority P1",
        "beat North",
        "Location description: Northbound shoulder, past the Shell station",
        "Other location (Caller): 40.6312, -79.9405",
        "Another callback: +1-724-555-0199 (husband's mobile)",
        "The caller is also: Witness",
        "Patient: unknown male, approx. 60",
        "Their status: ResourcesEnroute",
        "Their units: Medic 14 (EnRoute); Engine 3 (Dispatched)",
        "1 vehicleComponent",
    ):
        assert fact in note


def test_import_is_ordinary_ops_from_our_device_creating_a_new_incident(collision) -> None:
    desk = Desk("bravo-dispatch-2")
    ops = import_eido(collision, desk.commands, incident_id="inc-from-delta-1")
    assert isinstance(ops[0].body, IncidentCreate)
    assert all(isinstance(op.body, NoteAdd) for op in ops[1:])
    assert {op.device_id for op in ops} == {"bravo-dispatch-2"}
    assert {op.entity_id for op in ops} == {"inc-from-delta-1"}
    assert [op.seq for op in ops] == list(range(1, len(ops) + 1))
    for op in ops:
        desk.do(op)
    assert desk.incident("inc-from-delta-1").status.value == "Active"


def test_the_imported_incident_can_be_sent_on_as_a_valid_eido(collision) -> None:
    desk, incident = imported(collision)
    document = export_eido(incident, desk.units(), BRAVO)
    assert schema_errors(eido_validator(), document) == []


def test_an_unknown_incident_type_becomes_no_code_found_with_a_note(collision) -> None:
    collision["incidentComponent"]["incidentTypeCommonRegistryText"] = "MVA-PIN-X"
    _, incident = imported(collision)
    assert incident.incident_type == "NCRNONE"
    assert (
        "Incident type 'MVA-PIN-X' (Traffic collision with injuries) is not an APCO 2.103.2 "
        "code; recorded as NCRNONE (None - No Code Found)" in import_note(incident)
    )


def test_a_lower_case_apco_code_is_recognised(collision) -> None:
    collision["incidentComponent"]["incidentTypeCommonRegistryText"] = "mvainjy"
    assert plan_import(collision).incident_type == "MVAINJY"


@pytest.mark.parametrize(
    ("common", "ours"),
    [(10, 1), (9, 1), (8, 2), (7, 2), (6, 3), (5, 3), (4, 4), (3, 4), (2, 5), (1, 5), (0, 5)],
)
def test_eido_common_priority_maps_onto_ours_rounding_towards_urgent(
    common: int, ours: int
) -> None:
    assert from_common_priority(common) == ours


def test_missing_or_out_of_range_priority_is_set_and_flagged(collision) -> None:
    del collision["incidentComponent"]["incidentCommonPriorityNumber"]
    plan = plan_import(collision)
    assert plan.priority == 3
    assert "No common priority was sent (theirs: P1); set to 3: check it." in plan.info
    collision["incidentComponent"]["incidentCommonPriorityNumber"] = 42
    plan = plan_import(collision)
    assert plan.priority == 1
    assert any("outside 0..10" in line for line in plan.info)


def test_values_too_long_for_our_fields_are_cut_and_kept_whole_in_the_note(collision) -> None:
    long_street = "Old Mill Road " * 20
    civic = collision["locationComponent"][0]
    civic["locationByValue"] = civic["locationByValue"].replace("Route 8", long_street)
    long_note = "Caller repeats: " + "hazard " * 1200
    collision["notesComponent"][1]["notesActionComments"] = long_note
    _, incident = imported(collision)
    assert incident.location.address is not None and len(incident.location.address) == 200
    assert long_street in import_note(incident)
    written = parse_timestamp(collision["notesComponent"][1]["lastUpdateTimeStamp"])
    pieces = [n.text for n in incident.notes if n.event_ms == written]
    assert len(pieces) == 3
    assert "".join(pieces) == long_note
    assert all(len(p) <= MAX_TEXT for p in pieces)


def test_an_unreadable_location_is_quoted_in_the_note_not_lost(collision) -> None:
    collision["locationComponent"][0]["locationByValue"] = "<presence><tuple>"
    _, incident = imported(collision)
    assert incident.location.address == "Northbound shoulder, past the Shell station"
    assert "The incident location could not be read" in import_note(incident)
    assert "as sent: <presence><tuple>" in import_note(incident)


def test_a_location_declaring_entities_is_refused_and_quoted(collision) -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><presence>&a;</presence>'
    collision["locationComponent"][0]["locationByValue"] = bomb
    plan = plan_import(collision)
    assert plan.lat is None
    assert any("must not declare a DTD or entities" in line for line in plan.info)


def test_a_plain_text_location_is_taken_as_the_address(collision) -> None:
    collision["locationComponent"][0]["locationByValue"] = "I-79 NB at mile marker 81"
    plan = plan_import(collision)
    assert plan.address == "I-79 NB at mile marker 81"


def _drop(path: str):
    def mutate(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = document
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        del node[int(last) if last.isdigit() else last]

    return mutate


def _set(path: str, value: Any):
    def mutate(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = document
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return mutate


MALFORMED = [
    (_drop("agencyComponent"), "agencyComponent: Field required"),
    (_set("agencyComponent", []), "agencyComponent: List should have at least 1 item"),
    (_drop("incidentComponent"), "incidentComponent: missing"),
    (
        _drop("incidentComponent.incidentTypeCommonRegistryText"),
        "incidentComponent.incidentTypeCommonRegistryText: Field required",
    ),
    (
        _set("incidentComponent.incidentCommonPriorityNumber", "high"),
        "incidentComponent.incidentCommonPriorityNumber: Input should be a valid integer",
    ),
    (_drop("notesComponent.1.lastUpdateTimeStamp"), "notesComponent[1].lastUpdateTimeStamp"),
    (
        _set("notesComponent.1.lastUpdateTimeStamp", "06/03/2024 2:18 PM"),
        "notesComponent[1].lastUpdateTimeStamp: '06/03/2024 2:18 PM' is not an RFC 3339",
    ),
    (
        _set("callComponent.0.callStartTimestamp", "2024-06-03T14:14:58"),
        "callComponent[0].callStartTimestamp: '2024-06-03T14:14:58' is not an RFC 3339",
    ),
    (
        _set("incidentComponent.notesReference.0.$ref", "urn:nowhere"),
        "incidentComponent.notesReference[0]: $ref 'urn:nowhere' names no component",
    ),
    (
        _set(
            "notesComponent.2.$id",
            "urn:emergency:uid:eidodatacomponent:e8d7c6b5a1:psap.delta-county.example",
        ),
        "is also used at notesComponent[0]",
    ),
    (_set("eidoVersion", "2.0"), "eidoVersion: '2.0' is not a 1.x EIDO"),
    (
        _set("personComponent.0.personIncidentRoleRegistryText", "Caller"),
        "Input should be a valid list",
    ),
]


@pytest.mark.parametrize(("mutate", "problem"), MALFORMED)
def test_a_malformed_eido_is_refused_with_where_and_why(collision, mutate, problem: str) -> None:
    mutate(collision)
    desk = Desk("bravo-dispatch-3")
    with pytest.raises(EidoError) as refused:
        import_eido(collision, desk.commands)
    assert problem in str(refused.value)
    assert desk.device.seq == 0  # nothing was built, nothing to undo


def test_every_problem_is_reported_at_once(collision) -> None:
    chosen = [MALFORMED[i] for i in (3, 4, 6, 7, 8)]
    for mutate, _ in chosen:
        mutate(collision)
    with pytest.raises(EidoError) as refused:
        plan_import(collision)
    assert len(refused.value.problems) == len(chosen)
    for _, problem in chosen:
        assert problem in str(refused.value)


@pytest.mark.parametrize("document", [None, [], "EIDO", 42])
def test_something_that_is_not_a_json_object_is_refused(document: Any) -> None:
    with pytest.raises(EidoError, match="expected a JSON object"):
        plan_import(document)


def test_a_document_we_do_not_fully_understand_still_imports(collision) -> None:
    """Receivers must accept what they do not model: extra members, extra components."""
    collision["incidentComponent"]["x-delta-severity"] = {"score": 7}
    collision["cautionComponent"] = [
        {
            "$id": "urn:emergency:uid:eidodatacomponent:ca11:psap.delta-county.example",
            "lastUpdateTimeStamp": "2024-06-03T14:19:00-04:00",
            "updatedByAgencyReference": {"$ref": "psap.delta-county.example"},
            "cautionTypeInternalText": "Downed line",
            "cautionTypeCommonRegistryText": "Hazard",
            "cautionSeverity": "high",
        }
    ]
    _, incident = imported(copy.deepcopy(collision))
    assert incident.incident_type == "MVAINJY"
    assert "1 cautionComponent" in import_note(incident)
