"""Incident detail: header, units with their times, the merged timeline, allowed actions."""

from __future__ import annotations

from mobile_app.ui.viewmodels.detail import build_detail
from mobile_app.ui.viewmodels.timeline import EntryKind
from shared.codes import DISPOSITIONS
from shared.lifecycle import IncidentStatus, UnitStatus
from tests.ui.desks import MINUTE, T0, Desk, at, sync


def working_call() -> Desk:
    """A cardiac call with E1 through to the hospital and M2 cancelled en route."""
    desk = Desk("dev-a", "alice")
    desk.at(0).call(
        "CARDIAC",
        2,
        incident_id="inc",
        narrative="Husband collapsed",
        address="20 Oak Ave",
        cross_street="3rd St",
        lat=37.7749,
        lon=-122.4194,
        caller_name="Maria Lopez",
        callback_number="555-0100",
    )
    desk.unit("E1", unit_type="Engine")
    desk.unit("M2")
    desk.at(1).move("E1", UnitStatus.DISPATCHED, "inc")
    desk.at(1).move("M2", UnitStatus.DISPATCHED, "inc")
    desk.at(2).move("E1", UnitStatus.ENROUTE)
    desk.at(3).move("M2", UnitStatus.CLEARED)
    desk.at(6).move("E1", UnitStatus.ONSCENE)
    desk.at(7).note("inc", "CPR in progress")
    return desk


def test_the_header_says_what_where_who_called_and_since_when():
    desk = working_call()
    detail = build_detail(desk.incident("inc"), desk.units(), at(10))
    assert detail.title == "CARDIAC · Cardiac Related Event, Heart Attack, Chest Pain"
    assert detail.priority_label == "P2 Urgent"
    assert detail.status_label == "Active"
    assert detail.received == "14:00:00 (10 min ago)"
    assert detail.place == "20 Oak Ave"
    assert detail.cross_street == "3rd St"
    assert detail.coordinates == "37.77490, -122.41940"
    assert (detail.caller_name, detail.callback_number) == ("Maria Lopez", "555-0100")
    assert detail.conflict_banner is None


def test_assigned_units_show_every_timestamp_the_cad_recorded():
    desk = working_call()
    units = build_detail(desk.incident("inc"), desk.units(), at(10)).units
    e1, m2 = units
    assert (e1.name, e1.status_label, e1.on_it_now) == ("E1", "On scene", True)
    assert e1.times == (
        ("Dispatched", "14:01:00"),
        ("En route", "14:02:00"),
        ("On scene", "14:06:00"),
    )
    assert (m2.name, m2.on_it_now, m2.status_label) == ("M2", False, "Cleared")
    assert m2.times == (("Dispatched", "14:01:00"), ("Cleared", "14:03:00"))


def test_the_timeline_merges_the_call_notes_statuses_and_unit_events_in_time_order():
    desk = working_call()
    desk.at(8).status("inc", IncidentStatus.RESOURCES_ONSCENE)
    timeline = build_detail(desk.incident("inc"), desk.units(), at(10)).timeline
    assert [(e.time, e.text) for e in timeline] == [
        ("14:00:00", "Call received"),
        ("14:00:00", "Narrative: Husband collapsed"),
        ("14:01:00", "E1: Dispatched"),
        ("14:01:00", "M2: Dispatched"),
        ("14:02:00", "E1: En route"),
        ("14:03:00", "M2: Cleared"),
        ("14:06:00", "E1: On scene"),
        ("14:07:00", "CPR in progress"),
        ("14:08:00", "Status: Units on scene"),
    ]
    assert {e.who for e in timeline} == {"alice"}
    assert timeline[-1].kind is EntryKind.STATUS


def test_a_late_paper_entry_sits_at_its_real_time_and_says_when_it_was_keyed_in():
    desk = working_call()
    desk.at(30).note("inc", "Bystander CPR before arrival", event_ms=T0 + 4 * MINUTE, late=True)
    desk.at(31).late_move("E1", UnitStatus.TRANSPORTING, "inc", T0 + 20 * MINUTE)
    timeline = build_detail(desk.incident("inc"), desk.units(), at(40)).timeline
    late = [e for e in timeline if e.late]
    assert [(e.time, e.text, e.flag) for e in late] == [
        ("14:04:00", "Bystander CPR before arrival", "entered late at 14:30:00"),
        ("14:20:00", "E1: Transporting", "entered late at 14:31:00"),
    ]
    texts = [e.text for e in timeline]
    assert texts.index("Bystander CPR before arrival") < texts.index("E1: On scene")


def test_a_late_call_is_flagged_in_the_header_and_timeline():
    desk = Desk("dev-a", "alice")
    desk.at(60).call("FALL", 4, incident_id="paper", late=True, received_ms=T0)
    detail = build_detail(desk.incident("paper"), [], at(61))
    assert detail.late_call
    assert detail.timeline[0].flag == "entered late at 15:00:00"


def test_edits_show_who_changed_what_and_a_value_that_lost_a_simultaneous_edit_stays():
    a, b = Desk("dev-a", "alice"), Desk("dev-b", "bob")
    a.at(0).call("FALL", 3, incident_id="inc", address="1 Main St")
    sync(a, b)
    a.at(2).update("inc", address="12 Oak St")
    b.at(3).update("inc", address="14 Oak St")
    sync(a, b)
    detail = build_detail(a.incident("inc"), [], at(5))
    assert detail.place == "14 Oak St"
    edits = [(e.who, e.text, e.flag) for e in detail.timeline if e.kind is EntryKind.EDIT]
    assert edits == [
        ("alice", "Address set to 12 Oak St", "lost to a simultaneous change"),
        ("bob", "Address set to 14 Oak St", ""),
    ]


def test_a_priority_change_is_in_the_timeline_in_words():
    desk = working_call()
    desk.at(8).priority("inc", 1)
    detail = build_detail(desk.incident("inc"), desk.units(), at(9))
    assert detail.priority_label == "P1 Emergency"
    assert ("14:08:00", "Priority set to P1 Emergency") in [
        (e.time, e.text) for e in detail.timeline
    ]
    assert detail.priority_choices == (2, 3, 4, 5)


def test_an_open_incident_offers_notes_status_moves_priority_close_and_cancel():
    desk = working_call()
    detail = build_detail(desk.incident("inc"), desk.units(), at(10))
    assert detail.is_open and detail.can_add_note
    assert detail.can_close and detail.can_cancel and not detail.can_reopen
    assert [m.label for m in detail.status_moves] == [
        "Units assigned",
        "Units en route",
        "Units on scene",
    ]
    assert len(detail.disposition_options) == len(DISPOSITIONS)
    assert detail.disposition_options[0] == ("01", "01 · Report Taken")


def test_a_closed_incident_shows_its_disposition_and_only_offers_reopening():
    desk = working_call()
    desk.at(20).status("inc", IncidentStatus.CLOSED, disposition="45")
    detail = build_detail(desk.incident("inc"), desk.units(), at(21))
    assert detail.status_label == "Closed"
    assert detail.disposition == "45 · Patient Treated, Transported by EMS"
    assert not detail.is_open and not detail.can_add_note
    assert not detail.can_close and not detail.can_cancel
    assert detail.can_reopen
    assert detail.status_moves == () and detail.priority_choices == ()
    assert detail.timeline[-1].text == (
        "Status: Closed, disposition 45 · Patient Treated, Transported by EMS"
    )


def test_a_double_booked_unit_is_marked_on_the_incident_and_conflicts_get_a_banner():
    a, b = Desk("dev-a", "alice"), Desk("dev-b", "bob")
    a.call("FALL", 3, incident_id="one")
    a.call("FALL", 3, incident_id="two")
    a.unit("E1")
    sync(a, b)
    a.at(1).move("E1", UnitStatus.DISPATCHED, "one")
    b.at(1).move("E1", UnitStatus.DISPATCHED, "two")
    a.at(2).status("one", IncidentStatus.CLOSED, disposition="02")
    b.at(3).note("one", "caller says smoke now visible")
    sync(a, b)
    for incident_id in ("one", "two"):
        detail = build_detail(a.incident(incident_id), a.units(), at(4))
        assert [(u.name, u.double_booked) for u in detail.units] == [("E1", True)]
    banner = build_detail(a.incident("one"), a.units(), at(4)).conflict_banner
    assert banner is not None and "a conflict for a supervisor" in banner
