"""The incident queue, as a dispatcher expects it to behave."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from mobile_app.ui.viewmodels.queue import (
    QueueFilter,
    QueueScope,
    QueueView,
    build_queue,
    matches,
    queue_key,
)
from shared.domain import Caller, Incident, Location
from shared.lifecycle import IncidentStatus, UnitStatus
from shared.merge import Replica
from tests.ui.desks import MINUTE, T0, Desk, at, sync

OPEN = QueueFilter()


def ids(view: QueueView) -> list[str]:
    return [row.incident_id for row in view.rows]


def desk_with_calls() -> Desk:
    desk = Desk("dev-a", "alice")
    desk.at(0).call("FALL", 3, incident_id="fall-old", address="1 Main St")
    desk.at(2).call("CARDIAC", 1, incident_id="cardiac", address="20 Oak Ave")
    desk.at(4).call("FALL", 3, incident_id="fall-new", address="5 Pine St")
    desk.at(6).call("ANIMAL", 5, incident_id="dog", address="7 Elm St")
    desk.at(8).call("FSTRU", 1, incident_id="fire", address="9 Birch Rd")
    return desk


# Ordering --------------------------------------------------------------------------------
def test_most_urgent_first_then_the_longest_waiting():
    desk = desk_with_calls()
    view = build_queue(desk.incidents(), [], OPEN, at(10))
    assert ids(view) == ["cardiac", "fire", "fall-old", "fall-new", "dog"]


def test_a_row_shows_priority_type_place_and_how_long_the_call_has_waited():
    desk = desk_with_calls()
    row = build_queue(desk.incidents(), [], OPEN, at(10)).rows[0]
    assert row.priority_label == "P1 Emergency"
    assert row.type_label == "CARDIAC · Cardiac Related Event, Heart Attack, Chest Pain"
    assert row.place == "20 Oak Ave"
    assert row.received == "14:02:00"
    assert row.waiting == "8 min"
    assert row.status_label == "Active"


def _incident(incident_id: str, priority: int | None, received_ms: int | None) -> Incident:
    """A bare read model, for ordering properties over values commands cannot produce."""
    return Incident(
        incident_id=incident_id,
        exists=True,
        incident_type="FALL",
        priority=priority,
        status=IncidentStatus.ACTIVE,
        disposition=None,
        location=Location(),
        caller=Caller(),
        received_ms=received_ms,
        created_by=None,
        late=False,
        notes=(),
        status_history=(),
        field_history=(),
        open_conflicts=(),
        updated_hlc="",
    )


incidents = st.lists(
    st.builds(
        _incident,
        st.uuids().map(lambda u: f"inc-{u.hex[:12]}"),
        st.one_of(st.none(), st.integers(1, 5)),
        st.one_of(st.none(), st.integers(T0 - 10**8, T0)),
    ),
    max_size=30,
    unique_by=lambda i: i.incident_id,
)


@given(incidents, st.randoms())
def test_the_queue_order_is_a_total_order_of_priority_then_age(found, rnd):
    """Whatever order the store returns them in, every device shows the same queue, and
    each row is at least as urgent as the next, or as urgent and waiting longer."""
    shuffled = list(found)
    rnd.shuffle(shuffled)
    first = build_queue(found, [], OPEN, at(0))
    second = build_queue(shuffled, [], OPEN, at(0))
    assert ids(first) == ids(second)
    by_id = {i.incident_id: i for i in found}
    keys = [queue_key(by_id[i]) for i in ids(first)]
    assert keys == sorted(keys)
    for above, below in itertools.pairwise(keys):
        assert above[0] <= below[0]
        if above[0] == below[0]:
            assert above[1] <= below[1]


def test_incidents_without_priority_or_call_time_still_show_last_in_their_band():
    found = [
        _incident("no-priority", None, T0 - MINUTE),
        _incident("no-time", 2, None),
        _incident("p2", 2, T0),
    ]
    view = build_queue(found, [], OPEN, at(0))
    assert ids(view) == ["p2", "no-time", "no-priority"]
    assert view.rows[1].received == "time unknown"
    assert view.rows[2].priority_label == "No priority"


# Scopes: pending, active, closed -----------------------------------------------------------
def test_pending_calls_have_no_unit_and_active_ones_do():
    desk = desk_with_calls()
    desk.unit("E1")
    desk.at(9).move("E1", UnitStatus.DISPATCHED, "fire")
    units = desk.units()
    pending = build_queue(desk.incidents(), units, QueueFilter(QueueScope.PENDING), at(10))
    active = build_queue(desk.incidents(), units, QueueFilter(QueueScope.ACTIVE), at(10))
    assert "fire" not in ids(pending)
    assert ids(active) == ["fire"]
    assert active.rows[0].units == ("E1",)
    assert active.rows[0].units_line == "E1"
    assert not active.rows[0].pending
    assert pending.rows[0].units_line == "No units yet"


def test_a_cleared_unit_puts_the_call_back_to_pending():
    desk = desk_with_calls()
    desk.unit("E1")
    desk.at(9).move("E1", UnitStatus.DISPATCHED, "fire")
    desk.at(9.5).move("E1", UnitStatus.CLEARED)
    view = build_queue(desk.incidents(), desk.units(), QueueFilter(QueueScope.PENDING), at(10))
    assert "fire" in ids(view)


def test_closed_incidents_leave_the_open_queue_and_appear_under_closed():
    desk = desk_with_calls()
    desk.status("dog", IncidentStatus.CLOSED, disposition="02")
    assert "dog" not in ids(build_queue(desk.incidents(), [], OPEN, at(10)))
    closed = build_queue(desk.incidents(), [], QueueFilter(QueueScope.CLOSED), at(10))
    assert ids(closed) == ["dog"]
    assert closed.rows[0].waiting == ""  # a closed call is not waiting for anything
    assert closed.summary == "1 closed incident"
    assert QueueScope.CLOSED.needs_closed and not QueueScope.OPEN.needs_closed


def test_summary_counts_pending_and_active():
    desk = desk_with_calls()
    desk.unit("E1")
    desk.at(9).move("E1", UnitStatus.DISPATCHED, "fire")
    view = build_queue(desk.incidents(), desk.units(), OPEN, at(10))
    assert view.summary == "4 pending · 1 active"


# Filters and search ----------------------------------------------------------------------
def test_filter_by_incident_type_lists_the_types_present():
    desk = desk_with_calls()
    view = build_queue(desk.incidents(), [], QueueFilter(incident_type="FALL"), at(10))
    assert ids(view) == ["fall-old", "fall-new"]
    assert [code for code, _ in view.type_options] == ["ANIMAL", "CARDIAC", "FALL", "FSTRU"]
    assert view.summary.endswith("(showing 2 of 5)")


def test_filter_by_priority():
    desk = desk_with_calls()
    view = build_queue(desk.incidents(), [], QueueFilter(priority=1), at(10))
    assert ids(view) == ["cardiac", "fire"]


def test_search_finds_words_of_the_type_description_address_and_caller():
    desk = Desk("dev-a", "alice")
    desk.call("CARDIAC", 1, incident_id="a", address="20 Oak Ave", caller_name="Maria Lopez")
    desk.call("FALL", 3, incident_id="b", address="1 Main St", caller_name="John Smith")
    found = desk.incidents()

    def search(text: str) -> list[str]:
        return ids(build_queue(found, [], QueueFilter(search=text), at(1)))

    assert search("heart") == ["a"]
    assert search("OAK") == ["a"]
    assert search("smith") == ["b"]
    assert search("fall main") == ["b"]
    assert search("fall oak") == []
    assert search("  ") == ["a", "b"]


def test_search_finds_a_callback_number_however_it_was_written():
    desk = Desk("dev-a", "alice")
    desk.call("FALL", 3, incident_id="a", callback_number="(415) 555-1234")
    incident = desk.incident("a")
    assert matches(incident, "4155551234")
    assert matches(incident, "555-1234")
    assert not matches(incident, "4155559999")


def test_an_empty_result_says_whether_filters_hide_something():
    desk = desk_with_calls()
    narrowed = build_queue(desk.incidents(), [], QueueFilter(search="zebra"), at(10))
    assert narrowed.rows == ()
    assert "Clear the search" in narrowed.empty_message
    empty = build_queue([], [], OPEN, at(10))
    assert empty.empty_message.startswith("No open incidents")


# Flags -----------------------------------------------------------------------------------
def test_late_entries_and_open_conflicts_are_flagged_on_the_row():
    a, b = Desk("dev-a", "alice"), Desk("dev-b", "bob")
    a.call("FALL", 3, incident_id="paper", late=True, received_ms=T0 - 30 * MINUTE)
    a.call("FALL", 3, incident_id="disputed")
    sync(a, b)
    a.at(1).priority("disputed", 1)
    b.at(1).priority("disputed", 5)
    sync(a, b)
    rows = {r.incident_id: r for r in build_queue(a.incidents(), [], OPEN, at(2)).rows}
    assert rows["paper"].late and not rows["paper"].conflict
    assert rows["disputed"].conflict and not rows["disputed"].late
    # While the priority dispute is open, the more urgent value shows.
    assert rows["disputed"].priority == 1


def test_an_incident_known_only_from_a_late_note_is_not_listed_until_its_call_arrives():
    a, b = Desk("dev-a", "alice"), Desk("dev-b", "bob")
    a.call("FALL", 3, incident_id="x")
    sync(a, b)
    b.note("x", "caller called back")
    third_device = Replica()
    third_device.apply(b.log[-1])
    assert build_queue([third_device.incident("x")], [], OPEN, at(1)).rows == ()
