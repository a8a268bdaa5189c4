"""A dispatcher's action is visible at once, queued for sync, and refused with reasons."""

from __future__ import annotations

import itertools
import sqlite3
import threading

import pytest

from mobile_app.store import ChangeKind, LocalStore, StoreChange, UnknownEntity, db
from mobile_app.store.db import open_engines
from mobile_app.store.gate import WriteGate
from shared.commands import CommandError
from shared.lifecycle import IncidentStatus, UnitStatus
from shared.merge import Replica
from shared.protocol import Entity, IncidentCreate, NoteAdd
from tests.device.conftest import MakeStore, as_changes


def _fire(store: LocalStore, **fields: object) -> str:
    return store.create_incident({"incident_type": "FSTRU", **fields}, 2).entity_id


def test_an_action_shows_at_once_and_waits_in_the_outbox(store: LocalStore):
    op = store.create_incident(
        {"incident_type": "FSTRU", "address": "500 Howard St"}, 2, "caller sees flames"
    )

    incident = store.incident(op.entity_id)
    assert incident.location.address == "500 Howard St"
    assert [n.text for n in incident.notes] == ["caller sees flames"]
    assert store.pending_ops() == [op]
    assert isinstance(op.body, IncidentCreate)
    assert (op.device_id, op.seq, op.user_id) == ("dev-a", 1, "alice")


def test_every_action_kind_goes_through_the_outbox_in_seq_order(make_store: MakeStore):
    ticks = itertools.count(1_800_000_000_000, 1_000)  # a second passes between actions
    store = make_store(physical_ms=lambda: next(ticks))
    incident_id = _fire(store, caller_name="J. Doe")
    store.update_incident(incident_id, {"cross_street": "5th St"})
    store.change_priority(incident_id, 1)
    store.add_note(incident_id, "second call: people trapped")
    store.set_incident_status(incident_id, IncidentStatus.RESOURCES_ASSIGNED)
    store.upsert_unit("E32", name="E32", unit_type="ENGINE", station="32")
    store.set_unit_status("E32", UnitStatus.DISPATCHED, incident_id=incident_id)
    store.set_unit_status("E32", "EnRoute")
    store.record_late_unit_status(
        "E32", UnitStatus.ONSCENE, incident_id=incident_id, event_ms=store.clock.physical() - 1
    )
    late = store.create_incident(
        {"incident_type": "FSTRU"}, 3, received_ms=store.clock.physical() - 3_600_000, late=True
    )

    pending = store.pending_ops()
    assert [op.seq for op in pending] == list(range(1, 11))
    replica = Replica()
    for op in pending:
        replica.apply(op)
    assert store.snapshot() == replica.snapshot()
    assert store.incident(late.entity_id).late
    assert store.unit("E32").status is UnitStatus.ONSCENE
    assert store.incident(incident_id).priority == 1


def test_an_illegal_move_is_refused_in_words_and_writes_nothing(store: LocalStore):
    incident_id = _fire(store)
    store.upsert_unit("M85", name="M85")

    with pytest.raises(CommandError, match="cannot go from Available to OnScene"):
        store.set_unit_status("M85", UnitStatus.ONSCENE, incident_id=incident_id)
    with pytest.raises(CommandError, match="closing an incident needs a disposition code"):
        store.set_incident_status(incident_id, IncidentStatus.CLOSED)
    with pytest.raises(CommandError, match="priority is already 2"):
        store.change_priority(incident_id, 2)
    with pytest.raises(CommandError, match="not a unit status"):
        store.set_unit_status("M85", "Lunch")
    with pytest.raises(CommandError, match="no incident inc-missing on this device"):
        store.add_note("inc-missing", "hello")
    with pytest.raises(CommandError, match="already exists"):
        store.create_incident({"incident_type": "FSTRU"}, 2, incident_id=incident_id)

    assert [op.seq for op in store.pending_ops()] == [1, 2]
    assert store.add_note(incident_id, "still numbered in order").seq == 3


def test_a_closed_incident_must_be_reopened_before_editing(store: LocalStore):
    incident_id = _fire(store)
    store.set_incident_status(incident_id, "Closed", disposition="01")

    with pytest.raises(CommandError, match="reopen it first"):
        store.add_note(incident_id, "late info")
    assert store.incidents() == []  # the queue shows open incidents only
    assert [i.incident_id for i in store.incidents(open_only=False)] == [incident_id]

    store.set_incident_status(incident_id, IncidentStatus.REOPENED)
    store.add_note(incident_id, "late info")


def test_the_queue_lists_the_most_urgent_then_the_longest_waiting(store: LocalStore):
    now = store.clock.physical()
    routine = store.create_incident({"incident_type": "FSTRU"}, 4, received_ms=now - 50)
    urgent_new = store.create_incident({"incident_type": "FSTRU"}, 1, received_ms=now - 10)
    urgent_old = store.create_incident({"incident_type": "FSTRU"}, 1, received_ms=now - 90)

    queue = [i.incident_id for i in store.incidents()]

    assert queue == [urgent_old.entity_id, urgent_new.entity_id, routine.entity_id]


def test_reading_something_this_device_never_heard_of_says_so(store: LocalStore):
    with pytest.raises(UnknownEntity, match="no unit E99 on this device"):
        store.unit("E99")


def test_listeners_hear_about_a_write_after_it_is_committed(store: LocalStore):
    seen: list[tuple[StoreChange, int]] = []
    store.listen(lambda change: seen.append((change, store.pending_count())))

    op = store.create_incident({"incident_type": "FSTRU"}, 2)

    assert seen == [
        (StoreChange(ChangeKind.LOCAL, frozenset({(Entity.INCIDENT, op.entity_id)})), 1)
    ]


def test_a_failing_listener_does_not_undo_or_block_the_write(store: LocalStore):
    def broken(change: StoreChange) -> None:
        raise RuntimeError("UI bug")

    heard: list[StoreChange] = []
    store.listen(broken)
    stop = store.listen(heard.append)

    op = store.create_incident({"incident_type": "FSTRU"}, 2)
    stop()
    store.add_note(op.entity_id, "after unsubscribing")

    assert store.pending_count() == 2
    assert len(heard) == 1


def test_the_server_acknowledging_ops_empties_the_outbox_but_keeps_the_log(store: LocalStore):
    incident_id = _fire(store)
    store.add_note(incident_id, "one")
    store.add_note(incident_id, "two")

    store.ack(2)
    assert [op.seq for op in store.pending_ops()] == [3]
    store.ack(1)  # a late, older acknowledgement changes nothing
    assert store.acked_seq == 2

    # Acknowledged ops stay in the log: damaged entity rows are rebuilt from it.
    with sqlite3.connect(store.path) as db:
        assert db.execute("select count(*) from op_log").fetchone() == (3,)


def test_an_acknowledgement_beyond_what_was_written_is_refused(store: LocalStore):
    from mobile_app.store import ServerAhead

    _fire(store)
    with pytest.raises(ServerAhead):
        store.ack(5)
    assert store.acked_seq == 0


def test_own_ops_coming_back_from_the_server_count_as_acknowledged(store: LocalStore):
    incident_id = _fire(store)
    note = store.add_note(incident_id, "from this device")
    echoed = store.pending_ops()

    result = store.apply_pulled(as_changes(echoed), cursor=2)

    assert (result.applied, result.duplicates) == (0, 2)
    assert store.pending_ops() == []
    assert [n.text for n in store.incident(incident_id).notes] == ["from this device"]
    assert isinstance(note.body, NoteAdd)


def test_local_actions_go_before_a_waiting_merge_chunk():
    gate = WriteGate()
    order: list[str] = []
    with gate.merge():  # a merge chunk is running
        merge = threading.Thread(target=lambda: _enter(gate.merge, order, "next chunk"))
        local = threading.Thread(target=lambda: _enter(gate.local, order, "dispatcher"))
        merge.start()
        local.start()
        while gate.local_waiting == 0:
            threading.Event().wait(0.001)
    merge.join()
    local.join()

    assert order == ["dispatcher", "next chunk"]


def _enter(door, order: list[str], who: str) -> None:
    with door():
        order.append(who)


def test_a_long_page_lets_local_actions_in_between_its_chunks(make_store):
    source = make_store("dev-src", "sam")
    for _ in range(12):
        incident_id = _fire(source)
        source.add_note(incident_id, "update")
    page = as_changes(source.pending_ops())  # 24 ops about 12 incidents

    store = make_store("dev-a", "alice", chunk_size=8)
    written_mid_page: list[int] = []

    def dispatcher_acts(change: StoreChange) -> None:
        if change.kind is ChangeKind.MERGED and change.cursor is None:
            written_mid_page.append(store.upsert_unit(name="M1").seq)

    store.listen(dispatcher_acts)
    result = store.apply_pulled(page, cursor=len(page))

    assert result.chunks == 3
    assert written_mid_page == [1, 2]  # committed while the page was still merging
    assert len(store.incidents()) == 12


def test_the_database_runs_with_the_settings_the_guarantees_rely_on(tmp_path):
    engines = open_engines(tmp_path / "settings.db")
    with engines.writer.connect() as connection:
        pragma = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in (
                "journal_mode",
                "synchronous",
                "secure_delete",
                "foreign_keys",
                "wal_autocheckpoint",
            )
        }
        busy = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    engines.dispose()

    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 2,
        "secure_delete": 1,
        "foreign_keys": 1,
        "wal_autocheckpoint": db.WAL_CHECKPOINT_PAGES,
    }
    assert busy is not None and busy >= 1000


def test_a_dispatchers_writes_pay_a_checkpoint_only_once_the_wal_is_large(store):
    """SQLite's default copies the WAL into the database (and waits for the disk) at the
    commit that passes 1000 pages, about one write in a hundred, and then writes the WAL from
    its start again; the store lets it grow to 4000 pages first."""
    wal = store.path.with_name(store.path.name + "-wal")
    with sqlite3.connect(store.path) as observer:
        page = int(observer.execute("PRAGMA page_size").fetchone()[0])
    past_default = 32 + 1_500 * (24 + page)  # header + 1500 frames
    for _ in range(600):  # ~10 pages a write: 150 of them pass the default's 1000 pages
        _fire(store, address="1 Market St")
        if wal.stat().st_size > past_default:
            break

    assert wal.stat().st_size > past_default  # no commit has checkpointed and started over
    assert db.WAL_CHECKPOINT_PAGES * (24 + page) > past_default


def test_after_failover_ops_the_new_server_lacks_are_pushed_again(store):
    """A standby site that never received ops 2.. gets them again from the op log."""
    for n in range(3):
        store.upsert_unit(unit_id=f"E{n}", name=f"E{n}")
    store.ack(3)
    assert store.pending_ops() == []
    store.rewind_ack(1)
    assert [op.seq for op in store.pending_ops()] == [2, 3]
    store.rewind_ack(2)  # never moves forward: only the server's ack does that
    assert [op.seq for op in store.pending_ops()] == [2, 3]


def test_a_dispatchers_write_waits_for_the_disk_and_a_merge_does_not(make_store, caplog):
    """Pulled changes lost to a power cut are pulled again; a dispatcher's entry is not."""
    source = make_store("dev-src", "sam")
    _fire(source)
    store = make_store()
    caplog.set_level("DEBUG", logger="mobile_app.store.sql")

    store.apply_pulled(as_changes(source.pending_ops()), cursor=1)
    _fire(store)
    _fire(store)

    said = [r.getMessage() for r in caplog.records if r.name == "mobile_app.store.sql"]
    modes = [s.split("=")[1] for s in said if s.startswith("PRAGMA synchronous")]
    assert modes == ["NORMAL", "FULL"]  # switched before the merge, and back for the writes
    assert said.index("PRAGMA synchronous=NORMAL") < said.index("BEGIN IMMEDIATE")


def test_the_statement_log_is_followed_only_while_someone_listens(
    store: LocalStore, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
):
    """SQLite expands every traced statement with its sealed blobs: a write must not pay for
    that unless the driver's log is on, and turning it on takes effect at the next write."""
    traced: list[str] = []
    monkeypatch.setattr(db, "_trace", traced.append)
    caplog.set_level("INFO", logger="mobile_app.store.sql")
    _fire(store)
    assert traced == []

    caplog.set_level("DEBUG", logger="mobile_app.store.sql")
    _fire(store)
    assert any(s.startswith("INSERT INTO op_log") for s in traced)

    caplog.set_level("INFO", logger="mobile_app.store.sql")
    before = len(traced)
    _fire(store)
    assert len(traced) == before
