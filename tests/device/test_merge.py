"""Pulled changes merge to exactly what the shared reference replica holds."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mobile_app.store import ChangeKind, LocalStore, StoreChange
from shared.hlc import Hlc
from shared.merge import Replica
from shared.protocol import Change, Entity, IncidentUpdate, Op
from tests.device.conftest import FAST_KDF, PIN, MakeStore, as_changes, in_background
from tests.simulation import ACTIONS, World, replay

HOUR_MS = 3_600_000

scripts = st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from(ACTIONS), st.integers(0, 8), st.integers(0, 50)),
    min_size=1,
    max_size=60,
)


def _world_ops(n_devices: int, script: list[tuple[int, str, int, int]]) -> list[Op]:
    world = World.create(n_devices)
    for who, action, pick, value in script:
        world.step(who % n_devices, action, pick, value)
    return world.all_ops


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    n_devices=st.integers(2, 4),
    script=scripts,
    chunk_size=st.integers(1, 12),
    data=st.data(),
)
def test_random_pages_in_random_chunks_merge_to_the_reference_state(
    n_devices, script, chunk_size, data
):
    ops = _world_ops(n_devices, script)
    delivered = data.draw(st.permutations(ops), label="server order")
    log = as_changes(delivered)
    cuts = sorted(data.draw(st.sets(st.integers(0, len(log)), max_size=6), label="page cuts"))
    bounds = [0, *cuts, len(log)]
    # A crash before a page's checkpoint means that page is pulled (and merged) again.
    repeats = data.draw(st.sets(st.integers(0, len(bounds) - 2), max_size=2), label="re-pulled")

    with tempfile.TemporaryDirectory() as directory:
        store = LocalStore.create(
            Path(directory) / "d.db", PIN, "observer", "olga", kdf=FAST_KDF, chunk_size=chunk_size
        )
        for page, (start, end) in enumerate(itertools.pairwise(bounds)):
            for _ in range(2 if page in repeats else 1):
                store.apply_pulled(log[start:end], cursor=end)

        assert store.snapshot() == replay(ops).snapshot()
        assert store.cursor == len(log)
        store.lock()


def _busy_afternoon(source: LocalStore, incidents: int = 5, notes: int = 2) -> list[Change]:
    """A page about several incidents, each created and then noted on (3 ops each)."""
    for _ in range(incidents):
        incident_id = source.create_incident({"incident_type": "FSTRU"}, 2).entity_id
        for i in range(notes):
            source.add_note(incident_id, f"note {i}")
    return as_changes(source.pending_ops())


def test_the_cursor_checkpoint_commits_with_the_last_chunk_of_a_page(make_store: MakeStore):
    page = _busy_afternoon(make_store("dev-src", "sam"), incidents=4)  # 12 ops
    store = make_store(chunk_size=7)  # two incidents' ops (6) per transaction
    cursors: list[tuple[int | None, int]] = []
    store.listen(lambda change: cursors.append((change.cursor, store.cursor)))

    result = store.apply_pulled(page, cursor=12)

    assert cursors == [(None, 0), (12, 12)]
    assert (result.applied, result.duplicates, result.cursor, result.chunks) == (12, 0, 12, 2)


def test_one_incidents_changes_are_stored_together_however_many_they_are(make_store: MakeStore):
    source = make_store("dev-src", "sam")
    incident_id = source.create_incident({"incident_type": "FSTRU"}, 2).entity_id
    for i in range(9):
        source.add_note(incident_id, f"note {i}")
    store = make_store(chunk_size=4)

    result = store.apply_pulled(as_changes(source.pending_ops()), cursor=10)

    assert (result.applied, result.chunks) == (10, 1)  # merged and sealed once, not per chunk
    assert len(store.incident(incident_id).notes) == 9


def test_a_page_half_merged_before_a_crash_merges_again_without_duplicates(tmp_path: Path):
    source = LocalStore.create(tmp_path / "src.db", PIN, "dev-src", "sam", kdf=FAST_KDF)
    page = _busy_afternoon(source, incidents=3, notes=3)  # 12 ops about 3 incidents
    first, *others = [op.entity_id for op in source.pending_ops() if op.seq % 4 == 1]
    path = tmp_path / "a.db"
    store = LocalStore.create(path, PIN, "dev-a", "alice", kdf=FAST_KDF, chunk_size=4)

    def interrupted_after_first_chunk(change: StoreChange) -> None:
        raise KeyboardInterrupt  # the app is stopped between two chunks of the page

    stop = store.listen(interrupted_after_first_chunk)
    with pytest.raises(KeyboardInterrupt):
        store.apply_pulled(page, cursor=12)
    stop()
    store.lock()

    reopened = LocalStore.unlock(path, PIN)
    assert reopened.cursor == 0
    assert len(reopened.incident(first).notes) == 3  # the first chunk: the first incident
    assert [i.incident_id for i in reopened.incidents()] == [first]

    again = reopened.apply_pulled(page, cursor=12)

    assert (again.applied, again.duplicates) == (8, 4)  # the first chunk was already in
    assert all(len(reopened.incident(i).notes) == 3 for i in [first, *others])
    reopened.lock()


def test_a_dispatchers_edit_made_while_a_page_merges_is_merged_not_overwritten(
    make_store: MakeStore,
):
    """The page was worked out before the edit; what is stored is the edit plus the page."""
    source = make_store("dev-src", "sam")
    page = _busy_afternoon(source, incidents=2, notes=1)  # 4 ops, one incident per chunk
    later_incident = page[-1].op.entity_id
    store = make_store(chunk_size=2)
    store.apply_pulled(page[:1], cursor=0)  # the first incident exists here already
    store.apply_pulled(page[2:3], cursor=0)  # and so does the second
    edits: list[Op] = []

    def dispatcher_edits_the_second_incident(change: StoreChange) -> None:
        if change.kind is ChangeKind.MERGED and change.cursor is None and not edits:
            edits.append(store.update_incident(later_incident, {"address": "1 Local Rd"}))

    store.listen(dispatcher_edits_the_second_incident)
    store.apply_pulled(page, cursor=4)

    incident = store.incident(later_incident)
    assert incident.location.address == "1 Local Rd"
    assert [n.text for n in incident.notes] == ["note 0"]
    assert store.snapshot() == replay([op.op for op in page] + edits).snapshot()
    assert store.pending_ops() == edits


def test_a_remote_stamp_ahead_of_a_slow_device_clock_is_adopted_after_remeasuring(
    make_store: MakeStore,
):
    true_now = 1_800_000_000_000
    slow = make_store("dev-slow", "sol", physical_ms=lambda: true_now - 2 * HOUR_MS)
    fast_source = make_store("dev-ok", "oli", physical_ms=lambda: true_now)
    op = fast_source.create_incident({"incident_type": "FSTRU"}, 2)

    slow.apply_pulled(as_changes([op]), cursor=1, server_time_ms=true_now)

    assert abs(slow.clock.offset_ms - 2 * HOUR_MS) < 1_000
    assert slow.clock.last >= Hlc.decode(op.hlc)
    mine = slow.add_note(op.entity_id, "stamped in real time now")
    assert Hlc.decode(mine.hlc) > Hlc.decode(op.hlc)
    slow.lock()
    reopened = LocalStore.unlock(slow.path, PIN, physical_ms=lambda: true_now - 2 * HOUR_MS)
    assert reopened.clock.offset_ms == slow.clock.offset_ms  # the correction was saved
    reopened.lock()


def test_a_stamp_too_far_ahead_even_of_the_server_is_merged_but_not_adopted(
    make_store: MakeStore, caplog: pytest.LogCaptureFixture
):
    true_now = 1_800_000_000_000
    store = make_store(physical_ms=lambda: true_now)
    broken = make_store("dev-broken", "bo", physical_ms=lambda: true_now + 5 * HOUR_MS)
    op = broken.create_incident({"incident_type": "FSTRU", "caller_name": "X. Secret"}, 2)
    near = make_store("dev-near", "nia", physical_ms=lambda: true_now + 30_000)
    fine = near.create_incident({"incident_type": "FSTRU"}, 2)  # ahead, but within tolerance

    store.apply_pulled(as_changes([fine, op]), cursor=2, server_time_ms=true_now)

    assert store.incident(op.entity_id).exists  # nothing the server accepted is dropped
    assert store.clock.last.wall < true_now + HOUR_MS  # our clock was not dragged along
    assert store.clock.last >= Hlc.decode(fine.hlc)  # while the other op's time still counts
    assert f"op {op.op_id} is stamped" in caplog.text
    assert "Secret" not in caplog.text


def test_ops_refused_as_clock_ahead_are_restamped_and_their_entities_rederived(
    make_store: MakeStore,
):
    true_now = 1_800_000_000_000
    ahead = make_store("dev-ahead", "ann", physical_ms=lambda: true_now + HOUR_MS)
    other = make_store("dev-ok", "oli", physical_ms=lambda: true_now + 5_000)
    created = other.create_incident({"incident_type": "FSTRU", "address": "1 Old Rd"}, 2)
    other.ack(created.seq)
    ahead.apply_pulled(as_changes([created]), cursor=1)
    mine = ahead.update_incident(created.entity_id, {"address": "2 Wrong Clock Ave"})
    note = ahead.add_note(created.entity_id, "written an hour in the future")
    # Meanwhile, at the right time, someone else corrects the address.
    fix = other.update_incident(created.entity_id, {"address": "3 Right Time Blvd"})
    ahead.apply_pulled(as_changes([fix], first_seq=2), cursor=2)
    assert ahead.incident(created.entity_id).location.address == "2 Wrong Clock Ave"

    # The server refuses the push as clock_ahead; the device corrects itself and re-stamps.
    restamped = ahead.restamp_outbox(server_last_seq=0, server_time_ms=true_now + 10_000)

    assert [op.seq for op in restamped] == [mine.seq, mine.seq + 1]
    assert ahead.pending_ops() == restamped
    assert all(abs(Hlc.decode(op.hlc).wall - (true_now + 10_000)) < 1_000 for op in restamped)
    assert [(op.body, op.ctx) for op in restamped] == [(mine.body, mine.ctx), (note.body, note.ctx)]
    reference = Replica()
    for op in [created, fix, *restamped]:
        reference.apply(op)
    assert ahead.snapshot() == reference.snapshot()
    # Re-stamped after the correction, the device's edit is now the later one, as it really was.
    assert ahead.incident(created.entity_id).location.address == "2 Wrong Clock Ave"
    later = ahead.add_note(created.entity_id, "after the correction")
    assert Hlc.decode(later.hlc).wall < true_now + HOUR_MS


def test_restamping_lets_a_later_real_edit_win_over_a_future_stamped_one(
    make_store: MakeStore,
):
    true_now = 1_800_000_000_000
    ahead = make_store("dev-ahead", "ann", physical_ms=lambda: true_now + HOUR_MS)
    op = ahead.create_incident({"incident_type": "FSTRU", "address": "Future Ave"}, 2)
    restamped = ahead.restamp_outbox(server_time_ms=true_now)
    other = make_store("dev-ok", "oli", physical_ms=lambda: true_now + 60_000)
    other.apply_pulled(as_changes(restamped), cursor=1)
    fix = other.update_incident(op.entity_id, {"address": "Present St"})

    ahead.apply_pulled(as_changes([fix], first_seq=2), cursor=2)

    assert ahead.incident(op.entity_id).location.address == "Present St"


def test_listeners_hear_each_merged_chunk_with_the_entities_it_touched(make_store: MakeStore):
    source = make_store("dev-src", "sam")
    incident_id = source.create_incident({"incident_type": "FSTRU"}, 2).entity_id
    source.upsert_unit("E1", name="E1")
    store = make_store(chunk_size=1)
    heard: list[StoreChange] = []
    store.listen(heard.append)

    store.apply_pulled(as_changes(source.pending_ops()), cursor=2)

    assert [(c.kind, sorted(c.entities), c.cursor) for c in heard] == [
        (ChangeKind.MERGED, [("incident", incident_id)], None),
        (ChangeKind.MERGED, [("unit", "E1")], 2),
    ]


def test_an_empty_page_still_moves_the_cursor(store: LocalStore):
    result = store.apply_pulled([], cursor=42)
    assert (result.cursor, result.chunks) == (42, 1)
    store.apply_pulled([], cursor=7)  # an older cursor never moves it back
    assert store.cursor == 42
    store.reset_cursor()
    assert store.cursor == 0


def test_a_pulled_op_from_this_device_beyond_its_counter_is_never_reused(store: LocalStore):
    """A store restored from an old copy learns which seqs the server already has."""
    source_op = store.create_incident({"incident_type": "FSTRU"}, 2)
    later = source_op.model_copy(update={"seq": 5})  # the server has seq 5 from "us"

    store.apply_pulled([Change(seq=1, op=later)], cursor=1)

    assert store.acked_seq == 5
    assert store.add_note(source_op.entity_id, "next").seq == 6


def test_an_op_means_the_same_after_the_round_trip_through_the_store(store: LocalStore):
    """Fields a change leaves alone stay untouched on every replica that stores the op."""
    created = store.create_incident({"incident_type": "FSTRU", "caller_name": "K. Lee"}, 2)
    update = store.update_incident(created.entity_id, {"address": "12 Pine St"})
    unit = store.upsert_unit("E5", name="E5")

    stored = {op.seq: op.body for op in store.pending_ops()}

    update_body, unit_body = stored[update.seq], stored[unit.seq]
    assert isinstance(update_body, IncidentUpdate)
    assert update_body.fields.changes() == {"address": "12 Pine St"}
    assert unit_body.model_dump(exclude_unset=True, exclude={"kind"}) == {"name": "E5"}
    assert store.incident(created.entity_id).caller.name == "K. Lee"


def test_a_dispatcher_typing_while_sync_merges_in_another_thread_loses_nothing(
    make_store: MakeStore,
):
    source = make_store("dev-src", "sam")
    incident_id = source.create_incident({"incident_type": "FSTRU"}, 2).entity_id
    for i in range(120):
        source.add_note(incident_id, f"remote {i}")
    remote = source.pending_ops()
    store = make_store(chunk_size=10)
    store.apply_pulled(as_changes(remote[:1]), cursor=1)

    def sync_thread() -> None:
        for start in range(1, len(remote), 30):
            page = as_changes(remote[start : start + 30], start + 1)
            store.apply_pulled(page, cursor=start + len(page))

    with in_background(sync_thread):
        mine = [store.add_note(incident_id, f"local {i}") for i in range(40)]

    assert [op.seq for op in store.pending_ops()] == [op.seq for op in mine] == list(range(1, 41))
    assert store.cursor == len(remote)
    assert store.snapshot() == replay([*remote, *mine]).snapshot()


def test_an_op_the_server_refused_for_good_is_undone_here_and_others_refused_are_skipped(
    make_store: MakeStore,
):
    """The server logs an op it will never merge as refused (so the ops after it are not held
    up): this device takes its own refused op out of its state, keeps it in the log with the
    reason, and tells only once; another device's refused op is merged nowhere, here neither."""
    store, other = make_store(), make_store("dev-b", "bob")
    created = store.create_incident({"incident_type": "FSTRU", "address": "1 Elm St"}, 3)
    raised = store.change_priority(created.entity_id, 1)
    noted = store.add_note(created.entity_id, "smoke from the roof")
    stranger = other.create_incident({"incident_type": "FALL", "address": "9 Oak St"}, 2)
    why = "op dev-a:2 is refused (for this test)"
    page = [
        Change(seq=1, op=created),
        Change(seq=2, op=raised, refused=why),
        Change(seq=3, op=noted),
        Change(seq=4, op=stranger, refused="refused too"),
    ]
    store.ack(3)

    first = store.apply_pulled(page, cursor=4)
    again = store.apply_pulled(page, cursor=4)

    incident = store.incident(created.entity_id)
    assert (incident.priority, [n.text for n in incident.notes]) == (3, ["smoke from the roof"])
    assert [i.incident_id for i in store.incidents(open_only=False)] == [created.entity_id]
    assert store.refused_ops() == [(raised, why)]
    assert (first.refused, again.refused) == ((why,), ())
    assert store.cursor == 4 and store.pending_ops() == []
    store.rebuild(Entity.INCIDENT, created.entity_id)  # a rebuild leaves it out too
    assert store.incident(created.entity_id).priority == 3
