"""Reading San Francisco Fire's calls-for-service export and replaying it through our CAD."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from shared.codes import INCIDENT_TYPES, RESOURCE_TYPES
from shared.commands import Commands
from shared.hlc import HybridClock
from shared.lifecycle import UnitStatus, unit_transition
from shared.merge import Replica
from shared.protocol import IncidentCreate, UnitStatusChange
from shared.sfdata import SfDataError, load_sf_calls, mapping, parse_sf_calls, sf_ops
from tests.reports.sf import csv_lines, sf_csv

# Engine 32 and Medic 85 on a medical call, as the export has it (times are San Francisco's).
E32 = (
    "200983546,E32,20041901,Medical Incident,04/07/2020,04/07/2020,04/07/2020 11:53:08 PM,"
    "04/07/2020 11:55:30 PM,04/07/2020 11:55:56 PM,04/07/2020 11:58:22 PM,04/08/2020 12:00:00 AM,"
    ",,Code 2 Transport,04/08/2020 12:15:40 AM,4000 Block of MISSION ST,San Francisco,94112,B06,"
    "32,5633,3,3,3,true,Non Life-threatening,1,ENGINE,1,6,9,Bernal Heights,"
    '"(37.73217458500619, -122.42779351441527)",200983546-E32'
)
M85 = (
    "200983546,85,20041901,Medical Incident,04/07/2020,04/07/2020,04/07/2020 11:53:08 PM,"
    "04/07/2020 11:55:30 PM,04/07/2020 11:55:56 PM,04/07/2020 11:56:06 PM,04/08/2020 12:02:21 AM,"
    "04/08/2020 12:23:18 AM,04/08/2020 12:23:18 AM,Code 2 Transport,04/08/2020 01:35:00 AM,"
    "4000 Block of MISSION ST,San Francisco,94112,B06,32,5633,3,3,3,true,Non Life-threatening,1,"
    'MEDIC,2,6,9,Bernal Heights,"(37.73217458500619, -122.42779351441527)",200983546-85'
)


def utc_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def commands(device: str = "sf-replay") -> Commands:
    seq = itertools.count(1)
    return Commands(device, "replayer", HybridClock(), lambda: next(seq))


def test_a_row_becomes_a_typed_record_in_utc() -> None:
    (engine,) = parse_sf_calls(csv_lines(E32))
    assert engine.call_number == "200983546"
    assert engine.unit_id == "E32"
    assert engine.incident_number == "20041901"
    assert engine.call_type == "Medical Incident"
    assert engine.call_type_group == "Non Life-threatening"
    # 11:53:08 PM Pacific Daylight Time on 7 April is 06:53:08 UTC on 8 April.
    assert engine.received_ms == utc_ms("2020-04-08T06:53:08")
    assert engine.entry_ms == utc_ms("2020-04-08T06:55:30")
    assert engine.dispatch_ms == utc_ms("2020-04-08T06:55:56")
    assert engine.enroute_ms == utc_ms("2020-04-08T06:58:22")
    assert engine.onscene_ms == utc_ms("2020-04-08T07:00:00")  # 12:00:00 AM is midnight
    assert engine.transport_ms is None and engine.hospital_ms is None
    assert engine.available_ms == utc_ms("2020-04-08T07:15:40")
    assert (engine.priority, engine.original_priority, engine.final_priority) == ("3", "3", "3")
    assert engine.unit_type == "ENGINE"
    assert engine.address == "4000 Block of MISSION ST"
    assert engine.city == "San Francisco"
    assert (engine.lat, engine.lon) == (37.73217458500619, -122.42779351441527)
    assert engine.disposition == "Code 2 Transport"


def test_the_hour_repeated_when_clocks_go_back_reads_as_its_first_occurrence() -> None:
    row = E32.replace("04/07/2020 11:53:08 PM", "11/01/2020 01:30:00 AM", 1)
    (record,) = parse_sf_calls(csv_lines(row))
    assert record.received_ms == utc_ms("2020-11-01T08:30:00")  # still PDT, UTC-7


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (E32.replace("04/07/2020 11:55:56 PM", "04/07/2020 25:55:56 PM"), "column 'Dispatch DtTm'"),
        (E32.replace("04/07/2020 11:53:08 PM", "", 1), "without a received time"),
        (E32.replace('"(37.73217458500619, -122.42779351441527)"', '"37.7, -122.4"'), "'Location'"),
        (
            E32.replace('"(37.73217458500619, -122.42779351441527)"', '"(137.7, -122.4)"'),
            "out of range",
        ),
        (E32.replace("200983546,E32,", "200983546,,"), "column 'Unit ID': is empty"),
        (E32 + ",extra", "wrong number of fields"),
    ],
)
def test_a_row_that_cannot_be_read_is_an_error_naming_line_and_column(
    broken: str, message: str
) -> None:
    with pytest.raises(SfDataError, match="line 3") as bad:
        list(parse_sf_calls(csv_lines(M85, broken)))
    assert message in str(bad.value)


def test_a_file_that_is_not_the_sf_export_is_refused() -> None:
    with pytest.raises(SfDataError, match="missing columns Call Number"):
        list(parse_sf_calls(["Unit,Time\n", "E1,now\n"]))


@pytest.mark.parametrize(
    ("call_type", "group", "code"),
    [
        ("Medical Incident", "Potentially Life-Threatening", "ALS"),
        ("Medical Incident", "Non Life-threatening", "BLS"),
        ("Medical Incident", None, "SICK"),
        ("Structure Fire", "Fire", "FSTRU"),
        ("Alarms", "Alarm", "ALRF"),
        ("Traffic Collision", "Potentially Life-Threatening", "MVAINJY"),
        ("Traffic Collision", "Non Life-threatening", "MVA"),
        ("Gas Leak (Natural and LP Gases)", None, "GASLEAK"),
        ("Elevator / Escalator Rescue", None, "NCRELEV"),
        ("Something New In 2021", None, "NCRNONE"),
    ],
)
def test_sf_call_types_map_to_apco_incident_types(
    call_type: str, group: str | None, code: str
) -> None:
    assert mapping.incident_type(call_type, group) == code
    assert code in INCIDENT_TYPES


def test_every_mapped_code_is_in_the_eido_registries() -> None:
    assert set(mapping.CALL_TYPES.values()) <= set(INCIDENT_TYPES)
    assert mapping.FALLBACK_INCIDENT_TYPE in INCIDENT_TYPES
    assert set(mapping.UNIT_TYPES.values()) <= set(RESOURCE_TYPES)


@pytest.mark.parametrize(
    ("sf", "ours"), [("E", 1), ("3", 2), ("A", 2), ("B", 3), ("2", 3), ("C", 4), ("I", 5), ("?", 3)]
)
def test_sf_priorities_map_onto_one_to_five(sf: str, ours: int) -> None:
    assert mapping.priority(sf) == ours


def test_replay_creates_the_incident_and_units_and_every_status_at_its_real_time() -> None:
    records = list(parse_sf_calls(csv_lines(E32, M85)))
    replica = Replica()
    ops = list(sf_ops(records, commands(), replica=replica))
    kinds = [op.body.kind for op in ops]
    assert kinds[0] == "incident.create"
    assert kinds.count("unit.upsert") == 2
    create = ops[0].body
    assert isinstance(create, IncidentCreate)
    assert create.received_ms == records[0].received_ms
    assert create.priority == 2
    assert create.fields.incident_type == "BLS"
    assert create.fields.address == "4000 Block of MISSION ST, San Francisco"
    assert "SF Fire call 200983546" in create.narrative and "Medical Incident" in create.narrative
    statuses = [op.body for op in ops if isinstance(op.body, UnitStatusChange)]
    times = [s.event_ms or 0 for s in statuses]
    assert times == sorted(times) and all(times)
    assert not any(s.late for s in statuses)

    medic = replica.unit("sf-85")
    assert medic.name == "85" and medic.unit_type == "GroundALSAmbulance"
    assert medic.status is UnitStatus.AVAILABLE
    (assignment,) = medic.assignments
    m85 = records[1]
    assert (
        assignment.dispatched_ms,
        assignment.enroute_ms,
        assignment.onscene_ms,
        assignment.transporting_ms,
        assignment.hospital_ms,
        assignment.cleared_ms,
    ) == (
        m85.dispatch_ms,
        m85.enroute_ms,
        m85.onscene_ms,
        m85.transport_ms,
        m85.hospital_ms,
        m85.available_ms,
    )
    incident = replica.incident("sf-20041901")
    assert (incident.location.lat, incident.location.lon) == (m85.lat, m85.lon)


def test_a_unit_sent_on_while_still_on_scene_is_kept_as_a_late_fact_not_dropped() -> None:
    # The CAD shows E32 dispatched to a second call before it cleared the first.
    second = (
        E32.replace("200983546", "200983999")
        .replace("20041901", "20041999")
        .replace("04/07/2020 11:53:08 PM", "04/08/2020 12:05:00 AM")
        .replace("04/07/2020 11:55:30 PM", "04/08/2020 12:05:30 AM")
        .replace("04/07/2020 11:55:56 PM", "04/08/2020 12:06:00 AM")
        .replace("04/07/2020 11:58:22 PM", "04/08/2020 12:07:00 AM")
        .replace("04/08/2020 12:00:00 AM", "04/08/2020 12:10:00 AM")
        .replace("04/08/2020 12:15:40 AM", "04/08/2020 12:40:00 AM")
    )
    records = list(parse_sf_calls(csv_lines(E32, second)))
    replica = Replica()
    ops = list(sf_ops(records, commands(), replica=replica))
    late = [op.body for op in ops if isinstance(op.body, UnitStatusChange) and op.body.late]
    assert [(s.status, s.incident_id) for s in late] == [(UnitStatus.DISPATCHED, "sf-20041999")]
    engine = replica.unit("sf-E32")
    assert engine.anomalies  # shown to a supervisor
    first, again = engine.assignments
    assert first.cleared_ms == records[0].available_ms
    assert again.dispatched_ms == records[1].dispatch_ms
    assert engine.status is UnitStatus.AVAILABLE


def test_a_simulated_clock_can_follow_the_replay() -> None:
    now = [0]
    seq = itertools.count(1)
    clock = HybridClock(lambda: now[0])
    records = list(parse_sf_calls(csv_lines(E32, M85)))

    def follow(ms: int) -> None:
        now[0] = max(now[0], ms)

    ops = list(
        sf_ops(
            records, Commands("bench", "replayer", clock, lambda: next(seq)), before_event=follow
        )
    )
    walls = [int(op.hlc.split("-")[0]) for op in ops]
    assert walls == sorted(walls)
    assert walls[0] == records[0].received_ms
    assert walls[-1] == max(r.available_ms or 0 for r in records)


def test_the_real_export_has_every_dispatch_with_plausible_times() -> None:
    records = load_sf_calls(sf_csv())
    assert len(records) == 10_410
    assert len({r.incident_number for r in records}) == 5_292
    assert len({r.unit_id for r in records}) == 199
    start, end = utc_ms("2020-04-07T07:00:00"), utc_ms("2020-04-21T07:00:00")
    assert all(start <= r.received_ms < end for r in records)  # two weeks, Pacific days
    for r in records:
        assert r.entry_ms is not None and r.dispatch_ms is not None, r.line
        assert r.received_ms <= r.entry_ms <= r.dispatch_ms, r.line
        for later in (r.enroute_ms, r.onscene_ms, r.available_ms):
            assert later is None or later >= r.dispatch_ms, r.line
    assert sum(r.enroute_ms is None for r in records) == 203
    assert sum(r.onscene_ms is None for r in records) == 1_716
    assert all(r.lat is not None and 37.6 < r.lat < 37.9 for r in records)


def test_replaying_a_day_of_real_calls_runs_in_real_time_and_checks_the_whole_history() -> None:
    """The replay builds commands against a short working state for speed; checking the same
    day against each unit's full history must agree on every lifecycle decision."""
    day_start = utc_ms("2020-04-10T07:00:00")
    records = [
        r for r in load_sf_calls(sf_csv()) if day_start <= r.received_ms < day_start + 86_400_000
    ]
    assert len(records) > 600
    full_history = Replica()
    late = 0
    moments: list[int | None] = []  # when each call came in and each status happened, in order
    for op in sf_ops(records, commands()):
        if isinstance(op.body, IncidentCreate):
            moments.append(op.body.received_ms)
        if isinstance(op.body, UnitStatusChange):
            moments.append(op.body.event_ms)
            current = full_history.unit(op.entity_id).status
            try:
                unit_transition(current, op.body.status)
                allowed = True
            except ValueError:
                allowed = False
            assert op.body.late == (not allowed), op
            late += op.body.late
        full_history.apply(op)
    assert late > 0  # the day has real out-of-lifecycle events, so both paths were exercised
    assert None not in moments
    assert moments == sorted(m or 0 for m in moments)  # the replay runs in real time
