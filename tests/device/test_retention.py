"""Closed calls leave the tablet a month after their last change (caller details and case
notes kept no longer than the work needs; the server keeps the record), unless something
about them is unsent or unresolved.  A call that left and is reopened elsewhere comes back
whole, not as the one change pulled."""

from __future__ import annotations

import sqlite3

import pytest

from mobile_app.store import LocalStore, UnknownEntity
from shared.merge import Replica
from shared.protocol import Entity, Op
from tests.device.conftest import MakeStore, as_changes

DAY_MS = 86_400_000
T0 = 1_700_000_000_000
MONTH_MS = 30 * DAY_MS


def _tablet(make_store: MakeStore, now: list[int], device: str = "dev-a") -> LocalStore:
    return make_store(device, physical_ms=lambda: now[0])


def _closed_call(store: LocalStore, address: str) -> list[Op]:
    made = store.create_incident({"incident_type": "FSTRU", "address": address}, 2, "smoke")
    note = store.add_note(made.entity_id, "caller Ada Byron, 415-555-0134")
    closed = store.set_incident_status(made.entity_id, "Closed", disposition="02")
    return [made, note, closed]


def _all_sent(store: LocalStore) -> None:
    """The server took the outbox, and the next pull brought it back (as every pull does)."""
    ops = store.pending_ops(limit=10_000)
    if ops:
        store.ack(ops[-1].seq)
        first = store.cursor + 1
        store.apply_pulled(as_changes(ops, first_seq=first), cursor=first + len(ops) - 1)


def _rows_about(store: LocalStore, entity_id: str) -> int:
    with sqlite3.connect(store.path) as db:
        return sum(
            db.execute(
                f"select count(*) from {table} where entity_id = ?", (entity_id,)
            ).fetchone()[0]
            for table in ("entity", "entity_base", "op_log")
        )


def test_a_call_closed_a_month_ago_leaves_the_tablet_and_last_weeks_stays(
    make_store: MakeStore,
):
    now = [T0]
    tablet = _tablet(make_store, now)
    old = _closed_call(tablet, "1 Old Rd")[0].entity_id
    now[0] += MONTH_MS + DAY_MS
    recent = _closed_call(tablet, "7 New St")[0].entity_id
    _all_sent(tablet)
    now[0] += 7 * DAY_MS

    gone = tablet.purge_closed(older_than_ms=now[0] - MONTH_MS)

    assert gone == [(Entity.INCIDENT, old)]
    with pytest.raises(UnknownEntity):
        tablet.incident(old)
    assert _rows_about(tablet, old) == 0, "no sealed record of it is left in the file"
    assert tablet.incident(recent).location.address == "7 New St"
    assert tablet.purge_closed(older_than_ms=now[0] - MONTH_MS) == []


def test_a_closed_call_whose_changes_are_not_sent_yet_stays(make_store: MakeStore):
    now = [T0]
    tablet = _tablet(make_store, now)
    call = _closed_call(tablet, "1 Old Rd")[0].entity_id  # offline: never sent
    now[0] += 2 * MONTH_MS

    assert tablet.purge_closed(older_than_ms=now[0] - MONTH_MS) == []
    assert tablet.incident(call).location.address == "1 Old Rd"
    assert len(tablet.pending_ops()) == 3


def test_a_closed_call_whose_changes_have_not_come_back_in_a_pull_yet_stays(
    make_store: MakeStore,
):
    """Sent and acknowledged, but the pull that brings them back is still to come: letting it
    go now would have that pull bring it back in pieces."""
    now = [T0]
    tablet = _tablet(make_store, now)
    history = _closed_call(tablet, "1 Old Rd")
    tablet.ack(history[-1].seq)
    now[0] += 2 * MONTH_MS

    assert tablet.purge_closed(older_than_ms=now[0] - MONTH_MS) == []
    assert tablet.incident(history[0].entity_id).location.address == "1 Old Rd"


def test_open_calls_stay_however_old(make_store: MakeStore):
    now = [T0]
    tablet = _tablet(make_store, now)
    call = tablet.create_incident({"incident_type": "FSTRU", "address": "1 Old Rd"}, 2)
    _all_sent(tablet)
    now[0] += 2 * MONTH_MS

    assert tablet.purge_closed(older_than_ms=now[0] - MONTH_MS) == []
    assert tablet.incident(call.entity_id).location.address == "1 Old Rd"


def test_a_closed_call_with_a_conflict_still_open_stays(make_store: MakeStore):
    """Two desks changed its priority in opposite directions offline: a supervisor must see
    that, however old the call."""
    now = [T0]
    tablet, other = _tablet(make_store, now), _tablet(make_store, now, "dev-b")
    made = tablet.create_incident({"incident_type": "FSTRU", "address": "1 Old Rd"}, 3)
    other.apply_pulled(as_changes([made]), cursor=1)
    tablet.change_priority(made.entity_id, 4)
    up = other.change_priority(made.entity_id, 1)
    tablet.apply_pulled(as_changes([up], first_seq=3), cursor=3)
    tablet.set_incident_status(made.entity_id, "Closed", disposition="02")
    _all_sent(tablet)
    assert tablet.incident(made.entity_id).open_conflicts, "the desks' priorities conflict"
    now[0] += 2 * MONTH_MS

    assert tablet.purge_closed(older_than_ms=now[0] - MONTH_MS) == []


def test_a_call_that_left_and_is_reopened_elsewhere_comes_back_whole(make_store: MakeStore):
    now = [T0]
    tablet, desk = _tablet(make_store, now), _tablet(make_store, now, "dev-b")
    history = _closed_call(tablet, "1 Old Rd")
    call = history[0].entity_id
    desk.apply_pulled(as_changes(history), cursor=len(history))
    _all_sent(tablet)
    now[0] += 2 * MONTH_MS
    assert tablet.purge_closed(older_than_ms=now[0] - MONTH_MS) == [(Entity.INCIDENT, call)]

    reopened = desk.set_incident_status(call, "ReOpened")
    tablet.apply_pulled(as_changes([reopened], first_seq=100), cursor=100)

    assert tablet.refetch_needed() == [(Entity.INCIDENT, call)]
    server = Replica()
    for op in [*history, reopened]:
        server.apply(op)
    tablet.adopt_refetched((Entity.INCIDENT, call), server.incidents[call])
    back = tablet.incident(call)
    assert back.location.address == "1 Old Rd"
    assert [n.text for n in back.notes][-1] == "caller Ada Byron, 415-555-0134"
    assert back.status.value == "ReOpened"
    assert tablet.refetch_needed() == []
    assert tablet.purge_closed(older_than_ms=now[0] - MONTH_MS) == [], "open again: it stays"
