"""A store started from the server's snapshot (its change log was compacted) keeps that history.

The op log then holds only what came after the snapshot, so anything re-derived "from the log"
(a damaged row, ops re-stamped after a clock_ahead refusal) must start from the adopted state,
or an incident would silently lose its address, caller and notes on this tablet.
"""

from __future__ import annotations

import pytest

from mobile_app.store import LocalStore, SnapshotProgress
from mobile_app.store.listeners import ChangeKind, StoreChange
from mobile_app.store.repository import EntityKey
from shared.merge import Replica
from shared.merge.replica import EntityState
from shared.protocol import Entity, Op
from tests.device.conftest import MakeStore, as_changes, in_background
from tests.device.test_corruption import _damage, _flip_a_byte
from tests.simulation import replay

TRUE_NOW = 1_800_000_000_000
HOUR_MS = 3_600_000


@pytest.fixture
def history(make_store: MakeStore) -> list[Op]:
    """A call worked on another tablet, already compacted into the server's snapshot."""
    source = make_store("dev-src", "sam", physical_ms=lambda: TRUE_NOW - HOUR_MS)
    created = source.create_incident(
        {"incident_type": "FSTRU", "address": "9 Elm St", "caller_name": "P. Smith"}, 2, "smoke"
    )
    source.add_note(created.entity_id, "two occupants")
    source.upsert_unit("E7", name="E7")
    source.set_unit_status("E7", "Dispatched", incident_id=created.entity_id)
    return source.pending_ops()


def _started_from_snapshot(store: LocalStore, history: list[Op]) -> Replica:
    server = replay(history)
    store.adopt_snapshot([*server.incidents.values(), *server.units.values()])
    store.resume_from(len(history))
    return server


def test_a_damaged_row_adopted_from_a_snapshot_is_rebuilt_with_its_history(
    make_store: MakeStore, history: list[Op]
):
    store = make_store()
    incident_id = history[0].entity_id
    _started_from_snapshot(store, history)
    store.add_note(incident_id, "third occupant found")
    before = store.snapshot()
    _flip_a_byte(store.path, incident_id)
    _flip_a_byte(store.path, "E7")

    assert sorted(store.repair()) == [(Entity.INCIDENT, incident_id), (Entity.UNIT, "E7")]

    assert store.snapshot() == before
    assert store.incident(incident_id).location.address == "9 Elm St"


def test_restamping_after_a_snapshot_keeps_the_snapshots_history(
    make_store: MakeStore, history: list[Op]
):
    ahead = make_store("dev-ahead", "ann", physical_ms=lambda: TRUE_NOW + HOUR_MS)
    incident_id = history[0].entity_id
    _started_from_snapshot(ahead, history)
    mine = ahead.add_note(incident_id, "on scene, written with a clock an hour fast")

    restamped = ahead.restamp_outbox(server_time_ms=TRUE_NOW)

    assert [op.seq for op in restamped] == [mine.seq]
    incident = ahead.incident(incident_id)
    assert incident.location.address == "9 Elm St"
    assert incident.caller.name == "P. Smith"
    assert ahead.snapshot() == replay([*history, *restamped]).snapshot()


def test_a_second_snapshot_replaces_the_first_as_the_base(make_store: MakeStore, history: list[Op]):
    store = make_store()
    incident_id = history[0].entity_id
    _started_from_snapshot(store, history[:2])  # an earlier resync: the call and one note
    _started_from_snapshot(store, history)  # a later one: everything
    _flip_a_byte(store.path, incident_id)

    store.rebuild(Entity.INCIDENT, incident_id)

    assert store.snapshot() == replay(history).snapshot()


def test_a_damaged_snapshot_base_is_named_and_a_resync_asked_for(
    make_store: MakeStore, history: list[Op], caplog: pytest.LogCaptureFixture
):
    """Only the server still has what the base summarised: the row is rebuilt from the log
    for now (a merge or a re-stamp must not stick on one bad record), and the next sync pulls
    everything again, which brings the history back."""
    store = make_store()
    incident_id = history[0].entity_id
    _started_from_snapshot(store, history)
    mine = store.add_note(incident_id, "written here, not sent yet")
    assert not store.resync_needed
    _damage(store.path, "update entity_base set state = x'00' where entity_id = ?", incident_id)
    _flip_a_byte(store.path, incident_id)

    store.rebuild(Entity.INCIDENT, incident_id)

    assert f"entity_base[incident/{incident_id}].state is damaged" in caplog.text
    assert [n.text for n in store.incident(incident_id).notes] == ["written here, not sent yet"]
    assert store.resync_needed
    store.reset_cursor()
    assert store.cursor == 0 and not store.resync_needed
    store.apply_pulled(as_changes(history), cursor=len(history))  # the server's log again
    assert store.snapshot() == replay([*history, mine]).snapshot()
    assert store.pending_ops() == [mine]


def test_repair_finds_a_damaged_base_behind_a_healthy_row_and_asks_for_a_resync(
    make_store: MakeStore, history: list[Op], caplog: pytest.LogCaptureFixture
):
    store = make_store()
    incident_id = history[0].entity_id
    _started_from_snapshot(store, history)
    before = store.snapshot()
    _damage(store.path, "update entity_base set state = x'00' where entity_id = ?", incident_id)

    assert store.repair() == []  # no row to rebuild

    assert store.resync_needed
    assert f"entity_base[incident/{incident_id}].state is damaged" in caplog.text
    assert store.snapshot() == before  # the row itself was fine and is untouched
    store.reset_cursor()
    _started_from_snapshot(store, history)  # the resync: the server's log was compacted
    _flip_a_byte(store.path, incident_id)
    store.rebuild(Entity.INCIDENT, incident_id)
    assert store.snapshot() == before


def test_a_snapshot_load_records_how_far_it_got_until_pulling_resumes(
    make_store: MakeStore, history: list[Op]
):
    """Each page commits with the progress, so a cut load goes on where it stopped."""
    store = make_store()
    server = replay(history)
    assert store.snapshot_progress is None

    store.adopt_snapshot(list(server.incidents.values()), progress=SnapshotProgress(7, "unit/"))
    assert store.snapshot_progress == SnapshotProgress(7, "unit/")
    store.adopt_snapshot(list(server.units.values()), progress=SnapshotProgress(7, None))
    assert store.snapshot_progress == SnapshotProgress(7, None)  # every page is in
    assert store.cursor == 0  # pulling has not resumed yet

    store.resume_from(7)
    assert store.snapshot_progress is None and store.cursor == 7
    assert store.snapshot() == server.snapshot()


def test_a_note_written_while_a_snapshot_page_is_adopted_is_kept(
    make_store: MakeStore, history: list[Op]
):
    """A page is worked out before it is stored, in short transactions; an incident the
    dispatcher writes to in between is worked out again onto what is stored, not overwritten."""
    store = make_store(chunk_size=1, physical_ms=lambda: TRUE_NOW)  # a state per transaction
    incident_id = history[0].entity_id
    store.apply_pulled(as_changes(history), cursor=len(history))  # before the log was compacted
    server = replay(history)
    written: list[Op] = []

    def dispatcher_adds_a_note(change: StoreChange) -> None:
        if change.kind is ChangeKind.MERGED and not written:
            written.append(store.add_note(incident_id, "caller called back: all out"))

    store.listen(dispatcher_adds_a_note)
    store.adopt_snapshot([*server.units.values(), *server.incidents.values()])

    notes = [note.text for note in store.incident(incident_id).notes]
    assert notes == ["smoke", "two occupants", "caller called back: all out"]
    assert store.snapshot() == replay([*history, *written]).snapshot()
    assert store.pending_ops() == written


def test_a_snapshot_page_commits_its_progress_with_its_last_transaction(
    make_store: MakeStore, history: list[Op]
):
    """A load cut halfway through a page starts that page again: adopting it twice is
    harmless, skipping the rest of it is not."""
    store = make_store(chunk_size=1)
    server = replay(history)
    seen: list[tuple[frozenset[EntityKey], SnapshotProgress | None]] = []
    store.listen(lambda change: seen.append((change.entities, store.snapshot_progress)))

    store.adopt_snapshot(
        [*server.incidents.values(), *server.units.values()], progress=SnapshotProgress(4, None)
    )

    incident_id, unit_id = history[0].entity_id, history[2].entity_id
    assert seen == [
        (frozenset({(Entity.INCIDENT, incident_id)}), None),
        (frozenset({(Entity.UNIT, unit_id)}), SnapshotProgress(4, None)),
    ]
    store.adopt_snapshot([*server.incidents.values(), *server.units.values()])  # again
    assert store.snapshot() == server.snapshot()


def test_a_dispatcher_typing_while_a_snapshot_loads_in_another_thread_loses_nothing(
    make_store: MakeStore,
):
    source = make_store("dev-src", "sam")
    busy = source.create_incident({"incident_type": "FSTRU"}, 2).entity_id
    for i in range(60):
        source.create_incident({"incident_type": "FSTRU", "address": f"{i} Elm St"}, 3)
        source.add_note(busy, f"remote {i}")
    remote = source.pending_ops()
    server = replay(remote)
    states: list[EntityState] = [*server.incidents.values(), *server.units.values()]
    store = make_store(chunk_size=5)
    store.apply_pulled(as_changes(remote[:1]), cursor=1)  # the busy call is here already

    def loading() -> None:
        for start in range(0, len(states), 20):
            store.adopt_snapshot(states[start : start + 20])

    with in_background(loading):
        mine = [store.add_note(busy, f"local {i}") for i in range(40)]

    assert store.pending_ops() == mine
    assert store.snapshot() == replay([*remote, *mine]).snapshot()
