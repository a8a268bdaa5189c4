"""NFPA 1225 (2022) call processing and response intervals, as a supervisor reads them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.lifecycle import UnitStatus
from shared.protocol import IncidentFields
from shared.reports import (
    Window,
    percentile,
    plot_processing,
    processing_by_type,
    processing_report,
    render_processing,
    render_response,
    response_report,
    text_table,
)
from tests.eido.scenario import T0, Desk


def call(desk: Desk, kind: str = "ALS", priority: int = 1) -> str:
    op = desk.do(desk.commands.create_incident(IncidentFields(incident_type=kind), priority))
    return op.entity_id


def unit(desk: Desk, unit_id: str) -> None:
    if unit_id not in desk.device.replica.units:
        desk.add_unit(unit_id, "GroundALSAmbulance")


def send(desk: Desk, unit_id: str, incident_id: str, after_s: float) -> None:
    """Dispatch ``unit_id`` to the incident ``after_s`` seconds from now."""
    unit(desk, unit_id)
    desk.wait(after_s)
    desk.unit_status(unit_id, UnitStatus.DISPATCHED, incident_id)


def incidents(desk: Desk):
    return [s.view() for s in desk.device.replica.incidents.values()]


def test_processing_is_answer_to_first_dispatch_and_sixty_seconds_counts_as_within() -> None:
    desk = Desk("supervisor-1")
    for n, seconds in enumerate((45, 60, 75)):
        incident = call(desk)
        send(desk, f"M{n}", incident, seconds)
        desk.wait(600)
    report = processing_report(incidents(desk), desk.units())
    assert report.incidents == 3
    assert report.stats.count == 3
    assert report.within_target == 2
    assert report.share_within_target == pytest.approx(2 / 3)
    assert report.meets_goal is False
    assert report.stats.p50_s == 60
    assert report.stats.p90_s == pytest.approx(72)  # between 60 and 75, 80 % of the way
    assert report.seconds == (45, 60, 75)


def test_the_first_of_several_units_dispatched_is_what_counts() -> None:
    desk = Desk("supervisor-2")
    incident = call(desk, "FSTRU")
    send(desk, "E1", incident, 30)
    send(desk, "T1", incident, 20)
    send(desk, "B1", incident, 90)
    report = processing_report(incidents(desk), desk.units())
    assert report.seconds == (30,)
    assert report.meets_goal is True


def test_a_call_no_unit_was_sent_to_is_counted_apart_not_in_the_share() -> None:
    desk = Desk("supervisor-3")
    call(desk, "NONEMERG", 5)
    send(desk, "M1", call(desk), 20)
    report = processing_report(incidents(desk), desk.units())
    assert (report.incidents, report.not_dispatched, report.stats.count) == (2, 1, 1)
    assert report.share_within_target == 1


def test_nothing_dispatched_means_the_standard_cannot_be_judged() -> None:
    desk = Desk("supervisor-4")
    call(desk)
    report = processing_report(incidents(desk), desk.units())
    assert report.share_within_target is None and report.meets_goal is None
    assert report.stats.p50_s is None
    assert "cannot be judged" in render_processing(report)


def test_the_window_is_received_time_from_start_up_to_end_and_may_pick_types() -> None:
    desk = Desk("supervisor-5")
    first = call(desk, "ALS")
    send(desk, "M1", first, 10)
    desk.wait(3600 - 10)
    second = call(desk, "FSTRU")  # exactly one hour after the first
    send(desk, "E1", second, 100)
    units = desk.units()
    hour = Window.of(T0, T0 + 3_600_000)
    assert processing_report(incidents(desk), units, hour).seconds == (10,)
    later = Window.of(start_ms=T0 + 3_600_000)
    assert processing_report(incidents(desk), units, later).seconds == (100,)
    fires = Window.of(incident_types={"FSTRU", "FAPT"})
    assert processing_report(incidents(desk), units, fires).seconds == (100,)


def test_a_dispatch_logged_before_the_call_was_answered_is_excluded_and_counted() -> None:
    desk = Desk("supervisor-6")
    incident = call(desk)
    unit(desk, "M1")
    desk.wait(120)
    state = desk.device.replica.units["M1"]
    # Re-keyed from paper with a mistyped time: a minute before the call came in.
    desk.do(
        desk.commands.record_late_unit_status(
            state, UnitStatus.DISPATCHED, incident_id=incident, event_ms=T0 - 60_000
        )
    )
    report = processing_report(incidents(desk), desk.units())
    assert report.stats.count == 0
    assert report.stats.excluded == 1
    assert report.not_dispatched == 0


def test_turnout_and_travel_per_unit_and_total_response_to_the_first_on_scene() -> None:
    desk = Desk("supervisor-7")
    incident = call(desk, "FSTRU")
    send(desk, "E1", incident, 40)  # received +40 s
    send(desk, "E2", incident, 0)
    desk.wait(50)
    desk.unit_status("E1", UnitStatus.ENROUTE, incident)  # turnout 50
    desk.wait(30)
    desk.unit_status("E2", UnitStatus.ENROUTE, incident)  # turnout 80
    desk.wait(200)
    desk.unit_status("E2", UnitStatus.ONSCENE, incident)  # travel 200; first on scene at +320
    desk.wait(60)
    desk.unit_status("E1", UnitStatus.ONSCENE, incident)  # travel 290
    report = response_report(incidents(desk), desk.units())
    assert (report.turnout.count, report.turnout.p50_s) == (2, 65)
    assert report.turnout.p90_s == pytest.approx(77)
    assert (report.travel.count, report.travel.p50_s) == (2, 245)
    assert (report.total.count, report.total.p50_s, report.total.p90_s) == (1, 320, 320)
    text = render_response(report)
    assert "Turnout (dispatched -> en route), per unit" in text
    assert "5:20" in text  # total response, minutes:seconds


def test_units_still_on_the_way_count_for_what_they_have_done() -> None:
    desk = Desk("supervisor-8")
    incident = call(desk)
    send(desk, "M1", incident, 30)
    desk.wait(45)
    desk.unit_status("M1", UnitStatus.ENROUTE, incident)
    report = response_report(incidents(desk), desk.units())
    assert (report.turnout.count, report.travel.count, report.total.count) == (1, 0, 0)


def test_breakdown_by_incident_type_busiest_first() -> None:
    desk = Desk("supervisor-9")
    for seconds in (20, 40, 90):
        send(desk, f"M{seconds}", call(desk, "ALS"), seconds)
    send(desk, "E1", call(desk, "FSTRU"), 70)
    by_type = processing_by_type(incidents(desk), desk.units())
    assert list(by_type) == ["ALS", "FSTRU"]
    assert by_type["ALS"].within_target == 2 and by_type["FSTRU"].within_target == 0
    overall = processing_report(incidents(desk), desk.units())
    table = render_processing(overall, by_type)
    assert "DOES NOT MEET (50.0 %)" in table
    rows = {line.split()[0]: line.split() for line in table.splitlines()[5:]}
    assert rows["All"] == [
        "All",
        "4",
        "4",
        "50.0",
        "%",
        "0:55",
        "1:24",
        "0",
        "0",
    ]  # p90: 70 + 0.7 x 20
    assert rows["ALS"][1:5] == ["3", "3", "66.7", "%"]


@given(st.lists(st.floats(0, 10_000), min_size=1, max_size=50), st.floats(0, 100))
def test_percentiles_agree_with_numpy_linear_interpolation(values, q) -> None:
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)), abs=1e-6)


def test_percentile_of_nothing_is_none_and_q_must_be_a_percentage() -> None:
    assert percentile([], 50) is None
    with pytest.raises(ValueError, match=r"within 0\.\.100"):
        percentile([1.0], 101)


def test_text_table_aligns_columns_and_refuses_ragged_rows() -> None:
    table = text_table(["Type", "Calls"], [["ALS", "3"], ["FSTRU", "12"]])
    assert table.splitlines() == ["Type   Calls", "-----  -----", "ALS        3", "FSTRU     12"]
    with pytest.raises(ValueError, match="has 1 cells for 2 columns"):
        text_table(["Type", "Calls"], [["ALS"]])


def test_the_processing_plot_is_a_png(tmp_path) -> None:
    desk = Desk("supervisor-10")
    for n, seconds in enumerate((5, 35, 65, 400)):
        send(desk, f"M{n}", call(desk), seconds)
    report = processing_report(incidents(desk), desk.units())
    path = plot_processing(report, tmp_path / "charts" / "processing.png")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 10_000
