"""A damaged record is reported clearly and rebuilt from the operation log."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from mobile_app.store import ChangeKind, CorruptEntity, CorruptRecord, LocalStore, StoreChange
from shared.protocol import Entity


def _damage(db_path: Path, sql: str, *params: object) -> None:
    db = sqlite3.connect(db_path)
    with db:
        db.execute(sql, params)
    db.close()


def _flip_a_byte(db_path: Path, entity_id: str) -> None:
    """One bit of storage going bad in the middle of a sealed record."""
    db = sqlite3.connect(db_path)
    with db:
        (state,) = db.execute(
            "select state from entity where entity_id = ?", (entity_id,)
        ).fetchone()
        damaged = bytearray(state)
        damaged[len(damaged) // 2] ^= 0x01
        db.execute("update entity set state = ? where entity_id = ?", (bytes(damaged), entity_id))
    db.close()


@pytest.fixture
def busy_incident(store: LocalStore) -> str:
    op = store.create_incident(
        {"incident_type": "FSTRU", "address": "9 Elm St", "caller_name": "P. Smith"}, 2, "smoke"
    )
    store.add_note(op.entity_id, "two occupants")
    store.change_priority(op.entity_id, 1)
    store.upsert_unit("E7", name="E7")
    store.set_unit_status("E7", "Dispatched", incident_id=op.entity_id)
    return op.entity_id


def test_a_damaged_incident_is_reported_by_name_and_rebuilt_exactly(
    store: LocalStore, busy_incident: str
):
    before = store.incident(busy_incident)
    _flip_a_byte(store.path, busy_incident)

    with pytest.raises(CorruptEntity) as damaged:
        store.incident(busy_incident)
    assert f"entity[incident/{busy_incident}]" in str(damaged.value)
    assert "failed authentication" in str(damaged.value)
    assert (damaged.value.kind, damaged.value.entity_id) == (Entity.INCIDENT, busy_incident)

    store.rebuild(damaged.value.kind, damaged.value.entity_id)

    assert store.incident(busy_incident) == before


def test_a_queue_read_names_the_damaged_row_and_repair_fixes_every_one(
    store: LocalStore, busy_incident: str
):
    snapshot = store.snapshot()
    heard: list[StoreChange] = []
    store.listen(heard.append)
    _flip_a_byte(store.path, busy_incident)
    _flip_a_byte(store.path, "E7")

    with pytest.raises(CorruptEntity):
        store.incidents()

    repaired = store.repair()

    assert sorted(repaired) == [(Entity.INCIDENT, busy_incident), (Entity.UNIT, "E7")]
    assert store.snapshot() == snapshot
    assert {c.kind for c in heard} == {ChangeKind.REBUILT}
    assert store.repair() == []


def test_a_write_to_a_damaged_row_rebuilds_it_first_and_loses_nothing(
    store: LocalStore, busy_incident: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING)
    _flip_a_byte(store.path, busy_incident)

    store.add_note(busy_incident, "third occupant found")

    notes = [n.text for n in store.incident(busy_incident).notes]
    assert notes == ["smoke", "two occupants", "third occupant found"]
    assert f"rebuilding entity[incident/{busy_incident}]" in caplog.text


def test_a_row_holding_another_rows_ciphertext_is_rebuilt_to_its_own_state(
    store: LocalStore, busy_incident: str
):
    other = store.create_incident({"incident_type": "FSTRU", "caller_name": "Q. Other"}, 3)
    before = store.incident(busy_incident)
    _damage(
        store.path,
        "update entity set state = (select state from entity where entity_id = ?) "
        "where entity_id = ?",
        other.entity_id,
        busy_incident,
    )

    with pytest.raises(CorruptEntity, match="moved from another record"):
        store.incident(busy_incident)
    store.rebuild(Entity.INCIDENT, busy_incident)
    assert store.incident(busy_incident) == before


def test_a_damaged_log_entry_is_named_when_a_rebuild_needs_it(
    store: LocalStore, busy_incident: str
):
    _damage(store.path, "update op_log set op = x'00' where seq = 2")

    with pytest.raises(CorruptRecord, match=r"op_log\[dev-a:2\]"):
        store.rebuild(Entity.INCIDENT, busy_incident)
    assert store.incident(busy_incident).priority == 1  # the entity row itself is untouched


def test_an_entity_the_log_never_mentioned_cannot_be_rebuilt(store: LocalStore):
    from mobile_app.store import UnknownEntity

    with pytest.raises(UnknownEntity):
        store.rebuild(Entity.INCIDENT, "inc-never")
