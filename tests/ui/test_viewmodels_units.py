"""The unit board: status, time in status, one-tap moves, double-booking."""

from __future__ import annotations

from mobile_app.ui.viewmodels.units import UnitAction, build_unit_board, unit_actions
from shared.lifecycle import IncidentStatus, UnitStatus
from tests.ui.desks import Desk, at, sync


def labels(actions: tuple[UnitAction, ...]) -> list[str]:
    return [a.label for a in actions]


def board_desk() -> Desk:
    desk = Desk("dev-a", "alice")
    desk.at(0).call("FSTRU", 1, incident_id="fire", address="9 Birch Rd")
    desk.at(1).call("FALL", 3, incident_id="fall", address="1 Main St")
    desk.unit("M2", unit_type="Ambulance", station="Station 7")
    desk.unit("E1", unit_type="Engine", station="Station 1")
    desk.unit("T3")
    desk.at(2).move("E1", UnitStatus.DISPATCHED, "fire")
    desk.at(3).move("T3", UnitStatus.OUT_OF_SERVICE)
    return desk


def test_every_unit_with_status_time_in_status_and_incident():
    desk = board_desk()
    board = build_unit_board(desk.units(), desk.incidents(), at(14))
    rows = {r.name: r for r in board.rows}
    assert [r.name for r in board.rows] == ["E1", "M2", "T3"]
    assert (rows["E1"].status_label, rows["E1"].in_status_for) == ("Dispatched", "12 min")
    assert rows["E1"].incident_label == "P1 FSTRU · 9 Birch Rd"
    assert rows["E1"].details == "Engine · Station 1"
    assert (rows["M2"].status_label, rows["M2"].in_status_for) == ("Available", "")
    assert rows["M2"].incident_label == ""
    assert (rows["T3"].status_label, rows["T3"].in_status_for) == ("Out of service", "11 min")
    assert board.summary == "1 available · 1 committed · 1 out of service"


def test_each_status_offers_the_moves_the_lifecycle_allows_next_step_first():
    assert labels(unit_actions(UnitStatus.AVAILABLE)) == ["Assign", "Out of service"]
    assert labels(unit_actions(UnitStatus.DISPATCHED)) == [
        "En route",
        "On scene",
        "Clear",
        "Reassign",
    ]
    assert labels(unit_actions(UnitStatus.ENROUTE)) == ["On scene", "Clear", "Reassign"]
    assert labels(unit_actions(UnitStatus.ONSCENE)) == ["Transporting", "Clear"]
    assert labels(unit_actions(UnitStatus.TRANSPORTING)) == ["At hospital", "Clear"]
    assert labels(unit_actions(UnitStatus.HOSPITAL)) == ["Clear"]
    assert labels(unit_actions(UnitStatus.OUT_OF_SERVICE)) == ["In service"]


def test_only_assigning_needs_an_incident_to_be_picked():
    needing = {a.label for a in unit_actions(UnitStatus.DISPATCHED) if a.needs_incident}
    assert needing == {"Reassign"}
    assert not any(a.needs_incident for a in unit_actions(UnitStatus.ONSCENE))


def test_units_can_be_assigned_to_open_incidents_most_urgent_first():
    desk = board_desk()
    desk.at(4).call("ANIMAL", 5, incident_id="dog", address="7 Elm St")
    desk.status("fall", IncidentStatus.CANCELLED)
    board = build_unit_board(desk.units(), desk.incidents(), at(5))
    assert board.assignable == (
        ("fire", "P1 FSTRU · 9 Birch Rd"),
        ("dog", "P5 ANIMAL · 7 Elm St"),
    )


def test_a_double_booked_unit_is_marked_with_both_incidents_most_urgent_first():
    a, b = Desk("dev-a", "alice"), Desk("dev-b", "bob")
    a.call("FSTRU", 1, incident_id="fire", address="9 Birch Rd")
    a.call("FALL", 3, incident_id="fall", address="1 Main St")
    a.unit("E1")
    sync(a, b)
    a.at(1).move("E1", UnitStatus.DISPATCHED, "fire")
    b.at(2).move("E1", UnitStatus.DISPATCHED, "fall")
    sync(a, b)
    board = build_unit_board(a.units(), a.incidents(), at(3))
    (row,) = board.rows
    assert row.double_booked
    assert row.double_booked_label == (
        "Double-booked: P1 FSTRU · 9 Birch Rd and P3 FALL · 1 Main St"
    )
    assert board.summary.endswith("· 1 double-booked")


def test_once_a_supervisor_decides_the_unit_is_no_longer_marked():
    a, b = Desk("dev-a", "alice"), Desk("dev-b", "bob")
    a.call("FSTRU", 1, incident_id="fire")
    a.call("FALL", 3, incident_id="fall")
    a.unit("E1")
    sync(a, b)
    a.at(1).move("E1", UnitStatus.DISPATCHED, "fire")
    b.at(2).move("E1", UnitStatus.DISPATCHED, "fall")
    sync(a, b)
    (conflict,) = a.conflicts()
    a.at(3).resolve_unit("E1", conflict.conflict_id, keep="fire")
    (row,) = build_unit_board(a.units(), a.incidents(), at(4)).rows
    assert not row.double_booked and row.double_booked_label == ""
    assert row.incident_id == "fire"


def test_an_empty_board_says_how_to_add_units():
    board = build_unit_board([], [], at(0))
    assert board.rows == ()
    assert "Add one" in board.empty_message
