"""A device whose storage is full: every refused write says so in words, leaves nothing
half-saved, and the same action succeeds once space is freed."""

from __future__ import annotations

import pytest

from mobile_app.store import LocalStore, StorageFailed
from shared.protocol import IncidentFields
from tests.device.conftest import MakeStore, as_changes
from tests.storage import full_storage

CALL = IncidentFields(incident_type="FALL", address="4 Elm St", caller_name="Ada Lovelace")


def test_a_call_taken_on_a_full_device_is_refused_in_words_and_saved_once_space_is_freed(
    store: LocalStore,
):
    first = store.create_incident(CALL, 3)
    before = store.snapshot()

    with full_storage(store), pytest.raises(StorageFailed) as refused:
        store.create_incident(CALL, 2, "caller on the floor, conscious " * 100)

    assert refused.value.full
    assert "storage is full, so this was not saved" in str(refused.value)
    assert store.snapshot() == before, "nothing half-saved"
    assert store.pending_ops() == [first]

    again = store.create_incident(CALL, 2, "caller on the floor, conscious " * 100)
    assert [op.seq for op in store.pending_ops()] == [first.seq, first.seq + 1], (
        "the refused write used no seq: the outbox has no gap the server would refuse"
    )
    assert store.incident(again.entity_id).notes[0].text.startswith("caller on the floor")


def test_a_pull_merged_on_a_full_device_moves_no_cursor_and_merges_whole_once_space_is_freed(
    make_store: MakeStore,
):
    desk, tablet = make_store("desk"), make_store("tablet", "bob")
    ops = [desk.create_incident(CALL, 1, "smoke showing " * 100) for _ in range(30)]
    changes = as_changes(ops)

    with full_storage(tablet), pytest.raises(StorageFailed):
        tablet.apply_pulled(changes, len(changes))
    assert tablet.cursor == 0, "the page is pulled again"

    merged = tablet.apply_pulled(changes, len(changes))
    assert merged.cursor == len(changes)
    assert tablet.snapshot()["incidents"] == desk.snapshot()["incidents"]
