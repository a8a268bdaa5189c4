"""The supervisor's conflicts inbox: both sides of each conflict and the ways to settle it."""

from __future__ import annotations

import pytest

from mobile_app.ui.viewmodels.conflicts import build_inbox, can_resolve
from shared.api import Role
from shared.lifecycle import IncidentStatus, UnitStatus
from tests.ui.desks import Desk, at, sync


def double_booking() -> tuple[Desk, Desk]:
    a, b = Desk("tablet-1", "alice"), Desk("phone-2", "bob")
    a.call("FSTRU", 1, incident_id="fire", address="9 Birch Rd")
    a.call("FALL", 3, incident_id="fall", address="1 Main St")
    a.unit("E1")
    sync(a, b)
    a.at(1).move("E1", UnitStatus.DISPATCHED, "fire")
    b.at(2).move("E1", UnitStatus.DISPATCHED, "fall")
    sync(a, b)
    return a, b


def inbox(desk: Desk, role: Role = Role.SUPERVISOR, minutes: float = 5):
    return build_inbox(desk.conflicts(), desk.incidents(), desk.units(), role, at(minutes))


def test_a_double_booked_unit_shows_who_sent_it_where_and_when():
    a, _ = double_booking()
    (card,) = inbox(a).cards
    assert card.title == "Unit committed to two incidents"
    assert card.subject == "Unit E1"
    assert [(s.who, s.device, s.when, s.what) for s in card.sides] == [
        ("alice", "tablet-1", "14:01:00 (4 min ago)", "dispatched it to P1 FSTRU · 9 Birch Rd"),
        ("bob", "phone-2", "14:02:00 (3 min ago)", "dispatched it to P3 FALL · 1 Main St"),
    ]
    assert "Choose where it stays" in card.explanation


def test_a_double_booking_is_settled_by_keeping_the_unit_on_one_incident_urgent_first():
    a, _ = double_booking()
    (card,) = inbox(a).cards
    assert [
        (o.label, o.entity, o.entity_id, o.action, o.keep_incident_id) for o in card.options
    ] == [
        ("Keep E1 on P1 FSTRU · 9 Birch Rd", "unit", "E1", "keep_incident", "fire"),
        ("Keep E1 on P3 FALL · 1 Main St", "unit", "E1", "keep_incident", "fall"),
    ]
    assert all(o.conflict_id == card.conflict_id for o in card.options)


def test_a_priority_dispute_offers_each_priority_that_was_asked_for():
    a, b = Desk("tablet-1", "alice"), Desk("phone-2", "bob")
    a.call("FALL", 3, incident_id="inc", address="1 Main St")
    sync(a, b)
    a.at(1).priority("inc", 1)
    b.at(2).priority("inc", 4)
    sync(a, b)
    (card,) = inbox(a).cards
    assert card.title == "Priority lowered while another escalated"
    assert card.subject == "P1 FALL · 1 Main St"
    assert [s.what for s in card.sides] == ["raised priority 3 -> 1", "lowered priority 3 -> 4"]
    assert [(o.label, o.action, o.priority) for o in card.options] == [
        ("Set P1 Emergency", "set_priority", 1),
        ("Set P4 Routine", "set_priority", 4),
    ]


def test_work_on_a_closed_incident_can_be_kept_closed_or_reopened():
    a, b = Desk("tablet-1", "alice"), Desk("phone-2", "bob")
    a.call("FALL", 3, incident_id="inc", address="1 Main St")
    sync(a, b)
    a.at(1).status("inc", IncidentStatus.CLOSED, disposition="02")
    b.at(2).note("inc", "caller called back: still on the floor")
    sync(a, b)
    (card,) = inbox(a).cards
    assert card.title == "Changes made to an incident someone closed"
    assert [s.what for s in card.sides] == ["closed the incident", "added a note"]
    assert [(o.label, o.action) for o in card.options] == [
        ("Keep it closed", "keep"),
        ("Reopen the incident", "reopen"),
    ]


def test_resolved_conflicts_leave_the_inbox():
    a, _ = double_booking()
    (conflict,) = a.conflicts()
    a.at(3).resolve_unit("E1", conflict.conflict_id, keep="fire")
    view = inbox(a)
    assert view.cards == ()
    assert view.empty_message == "No open conflicts. Nothing to decide."
    assert view.badge is None


def test_the_oldest_disagreement_comes_first_and_the_tab_badge_counts_them():
    a, b = double_booking()
    a.at(3).call("FALL", 3, incident_id="later", address="5 Pine St")
    sync(a, b)
    a.at(4).priority("later", 1)
    b.at(4).priority("later", 5)
    sync(a, b)
    view = inbox(a, minutes=6)
    assert [c.title for c in view.cards] == [
        "Unit committed to two incidents",
        "Priority lowered while another escalated",
    ]
    assert view.badge == "2"


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.ADMIN])
def test_only_supervisors_get_the_inbox(role):
    a, _ = double_booking()
    view = inbox(a, role=role)
    assert view.cards == ()
    assert view.empty_message == "Only supervisors resolve conflicts."
    assert not can_resolve(role)
    assert can_resolve(Role.SUPERVISOR)
