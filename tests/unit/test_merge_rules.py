"""The merge rules, told as the stories dispatchers live through."""

from __future__ import annotations

import pytest

from shared.commands import CommandError, Commands
from shared.domain import ConflictKind
from shared.hlc import HybridClock
from shared.lifecycle import IncidentStatus, UnitStatus
from shared.merge import Replica
from shared.merge.units import unit_headline
from shared.protocol import IncidentFields, Op

T0 = 1_700_000_000_000


class Dispatcher:
    """One person on one device with its own replica and clock."""

    def __init__(self, name: str, now: list[int], offset_ms: int = 0) -> None:
        self.replica = Replica()
        self.seq = 0
        self.clock = HybridClock(lambda: now[0] + offset_ms)
        self.do = Commands(name, name, self.clock, self._next)
        self.sent: list[Op] = []

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def act(self, op: Op) -> Op:
        self.replica.apply(op)
        self.sent.append(op)
        return op

    def receive(self, *ops: Op) -> None:
        for op in ops:
            from shared.hlc import Hlc

            self.clock.observe(Hlc.decode(op.hlc))
            self.replica.apply(op)


def _pair(now: list[int]) -> tuple[Dispatcher, Dispatcher]:
    return Dispatcher("alice", now), Dispatcher("bob", now)


def _shared_incident(a: Dispatcher, b: Dispatcher, now: list[int], priority: int = 3) -> str:
    op = a.act(
        a.do.create_incident(
            IncidentFields(incident_type="FSTRU", address="100 Main St"), priority, "smoke"
        )
    )
    b.receive(op)
    now[0] += 1000
    return op.entity_id


def test_later_edit_wins_and_the_losing_address_stays_visible():
    now = [T0]
    a, b = _pair(now)
    inc = _shared_incident(a, b, now)
    a_op = a.act(a.do.update_incident(a.replica.incidents[inc], IncidentFields(address="12 Oak")))
    now[0] += 5
    b_op = b.act(b.do.update_incident(b.replica.incidents[inc], IncidentFields(address="14 Oak")))
    a.receive(b_op)
    b.receive(a_op)

    for replica in (a.replica, b.replica):
        view = replica.incident(inc)
        assert view.location.address == "14 Oak"
        lost = [h for h in view.field_history if h.field == "address" and h.concurrent]
        assert [h.value for h in lost] == ["12 Oak"]


def test_notes_from_both_offline_dispatchers_are_all_kept_in_clock_order():
    now = [T0]
    a, b = _pair(now)
    inc = _shared_incident(a, b, now)
    a1 = a.act(a.do.add_note(a.replica.incidents[inc], "caller says two trapped"))
    now[0] += 10
    b1 = b.act(b.do.add_note(b.replica.incidents[inc], "neighbour reports flames"))
    a.receive(b1)
    b.receive(a1)
    texts = [n.text for n in a.replica.incident(inc).notes]
    assert texts == ["smoke", "caller says two trapped", "neighbour reports flames"]
    assert a.replica.snapshot() == b.replica.snapshot()


def test_unit_sent_to_two_incidents_offline_is_a_conflict_until_a_supervisor_decides():
    now = [T0]
    a, b = _pair(now)
    inc1 = _shared_incident(a, b, now)
    inc2 = _shared_incident(b, a, now)
    unit = a.act(a.do.upsert_unit(None, unit_id="E32", name="E32", unit_type="ENGINE"))
    b.receive(unit)
    d1 = a.act(
        a.do.set_unit_status(a.replica.units["E32"], UnitStatus.DISPATCHED, incident_id=inc1)
    )
    d2 = b.act(
        b.do.set_unit_status(b.replica.units["E32"], UnitStatus.DISPATCHED, incident_id=inc2)
    )
    a.receive(d2)
    b.receive(d1)

    [conflict] = a.replica.conflicts()
    assert conflict.kind is ConflictKind.UNIT_DOUBLE_BOOKED and conflict.open
    assert {s.value for s in conflict.sides} == {inc1, inc2}
    assert a.replica.unit("E32").double_booked

    supervisor = Dispatcher("sup", now)
    supervisor.receive(*a.sent, *b.sent)
    now[0] += 1000
    decision = supervisor.act(
        supervisor.do.resolve_unit_conflict(
            supervisor.replica.units["E32"], conflict.conflict_id, keep_incident_id=inc1
        )
    )
    a.receive(decision)
    b.receive(decision)
    for replica in (a.replica, b.replica, supervisor.replica):
        unit_view = replica.unit("E32")
        assert unit_view.incident_id == inc1 and unit_view.status is UnitStatus.DISPATCHED
        assert not unit_view.double_booked
        cleared = {x.incident_id: x.cleared_ms for x in unit_view.assignments}
        assert cleared[inc1] is None and cleared[inc2] is not None
    assert a.replica.snapshot() == b.replica.snapshot() == supervisor.replica.snapshot()


def test_a_deliberate_reassignment_is_not_a_conflict():
    now = [T0]
    a, b = _pair(now)
    inc1 = _shared_incident(a, b, now)
    inc2 = _shared_incident(a, b, now)
    unit = a.act(a.do.upsert_unit(None, unit_id="M85", name="M85"))
    d1 = a.act(
        a.do.set_unit_status(a.replica.units["M85"], UnitStatus.DISPATCHED, incident_id=inc1)
    )
    b.receive(unit, d1)
    d2 = b.act(
        b.do.set_unit_status(b.replica.units["M85"], UnitStatus.DISPATCHED, incident_id=inc2)
    )
    a.receive(d2)
    assert a.replica.conflicts() == []
    assert a.replica.unit("M85").incident_id == inc2


def test_escalation_against_a_concurrent_downgrade_shows_the_more_urgent_until_resolved():
    now = [T0]
    a, b = _pair(now)
    inc = _shared_incident(a, b, now, priority=3)
    up = a.act(a.do.change_priority(a.replica.incidents[inc], 1))
    now[0] += 60_000  # the downgrade is later, so it would win a plain LWW
    down = b.act(b.do.change_priority(b.replica.incidents[inc], 4))
    a.receive(down)
    b.receive(up)

    for replica in (a.replica, b.replica):
        [conflict] = replica.conflicts()
        assert conflict.kind is ConflictKind.PRIORITY_DOWNGRADE
        assert replica.incident(inc).priority == 1

    now[0] += 1000
    fix = a.act(
        a.do.resolve_incident_conflict(
            a.replica.incidents[inc], conflict.conflict_id, "set_priority", priority=2
        )
    )
    b.receive(fix)
    assert b.replica.incident(inc).priority == 2
    assert not b.replica.conflicts()[0].open


def test_notes_added_offline_to_an_incident_someone_closed_raise_one_conflict():
    now = [T0]
    a, b = _pair(now)
    inc = _shared_incident(a, b, now)
    close = a.act(
        a.do.set_incident_status(a.replica.incidents[inc], IncidentStatus.CLOSED, disposition="02")
    )
    n1 = b.act(b.do.add_note(b.replica.incidents[inc], "patient found"))
    n2 = b.act(b.do.add_note(b.replica.incidents[inc], "second patient"))
    a.receive(n1, n2)
    b.receive(close)

    for replica in (a.replica, b.replica):
        [conflict] = replica.conflicts()
        assert conflict.kind is ConflictKind.EDIT_AFTER_CLOSE and len(conflict.sides) == 3
        view = replica.incident(inc)
        assert view.status is IncidentStatus.CLOSED
        assert {"patient found", "second patient"} <= {n.text for n in view.notes}

    now[0] += 1000
    reopen = a.act(
        a.do.resolve_incident_conflict(a.replica.incidents[inc], conflict.conflict_id, "reopen")
    )
    b.receive(reopen)
    assert b.replica.incident(inc).status is IncidentStatus.REOPENED
    assert a.replica.snapshot() == b.replica.snapshot()


def test_a_closed_incident_refuses_local_edits_with_a_clear_reason():
    now = [T0]
    a, b = _pair(now)
    inc = _shared_incident(a, b, now)
    a.act(
        a.do.set_incident_status(a.replica.incidents[inc], IncidentStatus.CLOSED, disposition="02")
    )
    with pytest.raises(CommandError, match="closed; reopen it first"):
        a.do.add_note(a.replica.incidents[inc], "too late")


def test_late_paper_entry_keeps_the_real_time_and_does_not_undo_later_work():
    now = [T0]
    a, b = _pair(now)
    inc1 = _shared_incident(a, b, now)
    inc2 = _shared_incident(a, b, now)
    a.act(a.do.upsert_unit(None, unit_id="E1", name="E1"))
    a.act(a.do.set_unit_status(a.replica.units["E1"], UnitStatus.DISPATCHED, incident_id=inc1))
    now[0] += 3_600_000
    a.act(a.do.set_unit_status(a.replica.units["E1"], UnitStatus.DISPATCHED, incident_id=inc2))
    # The on-scene time at inc1 comes off a paper card an hour later.
    b.receive(*a.sent)
    b.act(
        b.do.record_late_unit_status(
            b.replica.units["E1"], UnitStatus.ONSCENE, incident_id=inc1, event_ms=T0 + 5 * 60_000
        )
    )
    unit = b.replica.unit("E1")
    assert unit.incident_id == inc2 and unit.status is UnitStatus.DISPATCHED
    first = next(x for x in unit.assignments if x.incident_id == inc1)
    assert first.onscene_ms == T0 + 5 * 60_000 and first.late


def test_a_late_entry_cannot_be_dated_in_the_future():
    now = [T0]
    a = Dispatcher("alice", now)
    a.act(a.do.upsert_unit(None, unit_id="E1", name="E1"))
    with pytest.raises(CommandError, match="future"):
        a.do.record_late_unit_status(
            a.replica.units["E1"],
            UnitStatus.OUT_OF_SERVICE,
            incident_id=None,
            event_ms=T0 + 3_600_000,
        )


def test_concurrent_edits_from_an_hour_slow_device_order_by_real_time():
    now = [T0]
    a = Dispatcher("alice", now)
    slow = Dispatcher("slowpoke", now, offset_ms=-3_600_000)
    slow.clock.observe_server_time(now[0])
    inc = _shared_incident(a, slow, now)
    first = a.act(a.do.update_incident(a.replica.incidents[inc], IncidentFields(address="A")))
    now[0] += 2000
    second = slow.act(
        slow.do.update_incident(slow.replica.incidents[inc], IncidentFields(address="B"))
    )
    a.receive(second)
    slow.receive(first)
    assert a.replica.incident(inc).location.address == "B"
    assert slow.replica.snapshot() == a.replica.snapshot()


def test_a_device_an_hour_slow_still_orders_its_edit_after_what_it_saw():
    now = [T0]
    a = Dispatcher("alice", now)
    slow = Dispatcher("slowpoke", now, offset_ms=-3_600_000)
    slow.clock.observe_server_time(now[0])  # every sync re-measures the offset
    inc = _shared_incident(a, slow, now)
    now[0] += 1000
    fix = slow.act(
        slow.do.update_incident(
            slow.replica.incidents[inc], IncidentFields(address="correct address")
        )
    )
    a.receive(fix)
    assert a.replica.incident(inc).location.address == "correct address"


def test_a_units_reports_arriving_out_of_order_still_tell_its_day_in_time_order():
    """After a dropout, the console gets the engine's On scene before its En route: the unit
    board (the headline kept in clear columns) must still say On scene, since 10:05."""
    now = [T0]
    terminal, console = Dispatcher("e32-mdt", now), Dispatcher("console", now)
    inc = _shared_incident(console, terminal, now)
    unit = console.act(console.do.upsert_unit(None, unit_id="E32", name="E32"))
    dispatch = console.act(
        console.do.set_unit_status(
            console.replica.units["E32"], UnitStatus.DISPATCHED, incident_id=inc
        )
    )
    terminal.receive(unit, dispatch)
    assert unit_headline(console.replica.units["E32"]).status is UnitStatus.DISPATCHED
    now[0] += 60_000
    enroute = terminal.act(
        terminal.do.set_unit_status(terminal.replica.units["E32"], UnitStatus.ENROUTE)
    )
    now[0] += 240_000
    onscene = terminal.act(
        terminal.do.set_unit_status(terminal.replica.units["E32"], UnitStatus.ONSCENE)
    )

    console.receive(onscene)
    console.receive(enroute)

    board = unit_headline(console.replica.units["E32"])
    assert (board.status, board.status_since_ms) == (UnitStatus.ONSCENE, now[0])
    assert console.replica.unit("E32").status is UnitStatus.ONSCENE
