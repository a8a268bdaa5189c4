"""A store file written by an older app opens in the new one with every record; a file from a
newer app is refused rather than misread."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mobile_app.store import LocalStore, StoreError
from mobile_app.store.schema import SCHEMA_VERSION
from shared.protocol import Entity
from tests.device.conftest import PIN, MakeStore
from tests.device.test_corruption import _damage, _flip_a_byte
from tests.device.test_snapshot import _started_from_snapshot
from tests.simulation import replay


def _schema(path: Path) -> str:
    db = sqlite3.connect(path)
    (version,) = db.execute("select value from meta where key = 'schema'").fetchone()
    db.close()
    return str(version)


def _reopened_as_written_at(store: LocalStore, version: int, undo: str) -> LocalStore:
    """Lock ``store``, take its file back to schema ``version`` (``undo``: the SQL that removes
    what the next version added) and unlock it with this app, which upgrades it."""
    store.lock()
    _damage(store.path, undo)
    _damage(store.path, f"update meta set value = '{version}' where key = 'schema'")
    return LocalStore.unlock(store.path, PIN)


def test_a_store_from_before_snapshot_bases_is_upgraded_and_keeps_its_data(
    make_store: MakeStore,
):
    """Schema 1 had no ``entity_base`` table."""
    store = make_store()
    op = store.create_incident({"incident_type": "FSTRU", "address": "1 Old Rd"}, 2)
    source = make_store("dev-src", "sam")
    history = [source.create_incident({"incident_type": "FSTRU", "address": "9 Elm St"}, 2)]
    reopened = _reopened_as_written_at(store, 1, "drop table entity_base")
    try:
        assert _schema(store.path) == str(SCHEMA_VERSION)
        assert reopened.resync_needed  # snapshots it adopted before had no base: pull again
        assert reopened.incident(op.entity_id).location.address == "1 Old Rd"
        assert reopened.pending_ops()[0] == op
        _started_from_snapshot(reopened, history)
        _flip_a_byte(reopened.path, history[0].entity_id)
        reopened.rebuild(Entity.INCIDENT, history[0].entity_id)
        assert reopened.snapshot()["incidents"] == replay([op, *history]).snapshot()["incidents"]
    finally:
        reopened.lock()

    LocalStore.unlock(store.path, PIN).lock()  # opening an up-to-date file changes nothing
    assert _schema(store.path) == str(SCHEMA_VERSION)


def test_a_store_from_before_refused_ops_is_upgraded_and_keeps_its_outbox(
    make_store: MakeStore,
):
    """Schema 2 had no ``op_log.refused``."""
    store = make_store()
    first = store.create_incident({"incident_type": "FSTRU", "address": "1 Old Rd"}, 2)
    second = store.add_note(first.entity_id, "smoke from the roof")
    reopened = _reopened_as_written_at(store, 2, "alter table op_log drop column refused")
    try:
        assert _schema(store.path) == str(SCHEMA_VERSION)
        assert reopened.pending_ops() == [first, second]
        assert reopened.refused_ops() == []
        notes = reopened.incident(first.entity_id).notes
        assert [n.text for n in notes] == ["smoke from the roof"]
    finally:
        reopened.lock()


def test_a_store_from_before_retention_is_upgraded_and_can_let_closed_calls_go(
    make_store: MakeStore,
):
    """Schema 3 had no ``purged`` table."""
    store = make_store()
    op = store.create_incident({"incident_type": "FSTRU", "address": "1 Old Rd"}, 2)
    reopened = _reopened_as_written_at(store, 3, "drop table purged")
    try:
        assert _schema(store.path) == str(SCHEMA_VERSION)
        assert reopened.pending_ops() == [op]
        assert reopened.purge_closed(older_than_ms=4_000_000_000_000) == []  # open, and unsent
        assert reopened.refetch_needed() == []
    finally:
        reopened.lock()


def test_a_store_written_by_a_newer_app_is_refused_and_left_untouched(make_store: MakeStore):
    store = make_store()
    op = store.create_incident({"incident_type": "FSTRU"}, 2)
    store.lock()
    newer = SCHEMA_VERSION + 1
    _damage(store.path, f"update meta set value = '{newer}' where key = 'schema'")

    with pytest.raises(StoreError, match=r"newer app.*update the app"):
        LocalStore.unlock(store.path, PIN)

    assert _schema(store.path) == str(newer)
    _damage(store.path, f"update meta set value = '{SCHEMA_VERSION}' where key = 'schema'")
    reopened = LocalStore.unlock(store.path, PIN)
    assert reopened.pending_ops() == [op]
    reopened.lock()
