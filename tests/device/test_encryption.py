"""Caller details exist on disk only as ciphertext bound to where they belong."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

import pytest

from mobile_app.store import CorruptEntity, CorruptRecord, LocalStore
from mobile_app.store.codec import RecordCodec
from mobile_app.store.crypto import RecordCipher, new_data_key
from shared.commands import CommandError
from shared.lifecycle import IncidentStatus
from shared.protocol import Entity, Op
from tests.device.conftest import PIN, MakeStore, sync

NAME = "Zephyrine Quillsworth"
PHONE = "+1 (415) 555-0187"
ADDRESS = "8472 Marrowbone Terrace"
NEW_ADDRESS = "3119 Gallowglass Court"
SECRET_NOTE = "smells of burnt marzipan"
PLANTED = (NAME, ADDRESS, NEW_ADDRESS, SECRET_NOTE, "4155550187", "555-0187", "Quillsworth")


def _plaintext_found(directory: Path, log_text: str) -> dict[str, list[str]]:
    """Where each planted value appears: every store file (db, -wal, -shm, keys) and the log."""
    found: dict[str, list[str]] = {}
    sources = {p.name: p.read_bytes() for p in directory.iterdir() if p.is_file()}
    sources["log"] = log_text.encode()
    for value in PLANTED:
        for variant in {value, value.lower(), value.upper()}:
            for name, data in sources.items():
                if variant.encode() in data or variant.encode("utf-16-le") in data:
                    found.setdefault(value, []).append(name)
    return found


def test_no_caller_detail_reaches_the_disk_or_the_log_in_clear(
    tmp_path: Path, make_store: MakeStore, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # every statement and parameter
    caplog.set_level(logging.DEBUG, logger="mobile_app.store.sql")  # the driver's, with values
    a, b = make_store("dev-a", "alice"), make_store("dev-b", "bob")
    server: list[Op] = []

    # Write: a call with a name, a number and an address.
    created = a.create_incident(
        {
            "incident_type": "FSTRU",
            "address": ADDRESS,
            "caller_name": NAME,
            "callback_number": PHONE,
        },
        priority=2,
        narrative=f"{NAME} reports smoke; {SECRET_NOTE}",
    )
    incident_id = created.entity_id
    a.add_note(incident_id, f"callback {PHONE} confirmed by {NAME}")
    with pytest.raises(CommandError) as refused:  # bad input never echoes the value
        a.update_incident(incident_id, {"callback_number": PHONE * 3})
    assert "555" not in str(refused.value)

    # Sync both ways, edit on the other device, sync back.
    sync(a, b, server)
    assert b.incident(incident_id).caller.name == NAME
    b.update_incident(incident_id, {"address": NEW_ADDRESS})
    b.add_note(incident_id, f"{NAME} moved to {NEW_ADDRESS}")
    sync(b, a, server)
    assert a.incident(incident_id).location.address == NEW_ADDRESS
    assert [i.incident_id for i in a.find_by_callback("415 555 0187")] == [incident_id]

    # Close it (CAD incidents are closed, never deleted), and delete by wiping device b.
    a.set_incident_status(incident_id, IncidentStatus.CLOSED, disposition="01")
    sync(a, b, server)
    b.wipe()

    while_open = _plaintext_found(tmp_path, caplog.text)
    assert (tmp_path / "dev-a.db-wal").exists()  # the WAL was searched while in use
    a.lock()
    after_close = _plaintext_found(tmp_path, caplog.text)

    assert while_open == {}
    assert after_close == {}
    # The search does find what is meant to be in clear, so it is not looking at nothing.
    db_bytes = (tmp_path / "dev-a.db").read_bytes()
    assert incident_id.encode() in db_bytes
    assert b"FSTRU" in db_bytes
    assert "INSERT INTO entity" in caplog.text  # the sealed state, as the driver ran it
    assert "SELECT op_log" in caplog.text


def test_a_sealed_record_moved_to_another_row_fails_to_decrypt(store: LocalStore):
    first = store.create_incident({"incident_type": "FSTRU", "caller_name": "A. Able"}, 2)
    second = store.create_incident({"incident_type": "FSTRU", "caller_name": "B. Baker"}, 3)
    db = sqlite3.connect(store.path)
    with db:
        (state,) = db.execute(
            "select state from entity where entity_id = ?", (first.entity_id,)
        ).fetchone()
        db.execute("update entity set state = ? where entity_id = ?", (state, second.entity_id))
    db.close()

    with pytest.raises(CorruptEntity, match="moved from another record") as moved:
        store.incident(second.entity_id)
    assert moved.value.entity_id == second.entity_id
    assert store.incident(first.entity_id).caller.name == "A. Able"


def test_ciphertext_is_bound_to_table_row_column_and_format_version():
    key = new_data_key()
    cipher = RecordCipher(key)
    sealed = cipher.seal("entity", "incident/inc-1", "state", b"caller details")

    assert cipher.open("entity", "incident/inc-1", "state", sealed) == b"caller details"
    for table, row, column in [
        ("entity", "incident/inc-2", "state"),  # another row
        ("entity", "incident/inc-1", "notes"),  # another column
        ("op_log", "incident/inc-1", "state"),  # another table
    ]:
        with pytest.raises(CorruptRecord, match="failed authentication"):
            cipher.open(table, row, column, sealed)
    with pytest.raises(CorruptRecord, match="unknown record format"):
        cipher.open("entity", "incident/inc-1", "state", b"\x02" + sealed[1:])
    with pytest.raises(CorruptRecord, match="failed authentication"):
        RecordCipher(new_data_key()).open("entity", "incident/inc-1", "state", sealed)


def test_a_record_sealed_by_an_earlier_build_still_opens():
    """The binding to table, row and column is part of the stored format: changing how it is
    spelled would make every existing store unreadable."""
    sealed_earlier = bytes.fromhex(
        "01000000000000000000000000a3888d26b67716fea497cbb40596f2f54103be4a4ffdf80a4901214c6c8c"
    )
    cipher = RecordCipher(bytes(range(32)))

    assert cipher.open("entity", "incident/inc-1", "state", sealed_earlier) == b"caller details"


def test_the_same_value_never_seals_to_the_same_bytes():
    cipher = RecordCipher(new_data_key())
    one = cipher.seal("entity", "incident/inc-1", "state", b"same")
    two = cipher.seal("entity", "incident/inc-1", "state", b"same")
    assert one != two


def test_only_codes_statuses_priorities_and_clocks_are_readable_without_the_key(
    store: LocalStore,
):
    op = store.create_incident(
        {"incident_type": "ALLERGIC", "address": "77 Hidden St", "callback_number": "5550100"}, 1
    )
    store.upsert_unit("M85", name="M85", unit_type="ALS")
    with sqlite3.connect(store.path) as db:
        row = db.execute(
            "select incident_type, priority, status, is_open, callback_index from entity "
            "where entity_id = ?",
            (op.entity_id,),
        ).fetchone()
        op_row = db.execute("select op_kind, hlc from op_log where seq = 1").fetchone()

    incident_type, priority, status, is_open, callback_index = row
    assert (incident_type, priority, status, is_open) == ("ALLERGIC", 1, "Active", 1)
    assert "5550100" not in callback_index  # a keyed hash, not the number
    assert op_row == ("incident.create", op.hlc)


def test_a_repeat_caller_is_found_by_number_whatever_the_formatting(store: LocalStore):
    first = store.create_incident(
        {"incident_type": "FSTRU", "callback_number": "+1 415-555-0100"}, 2
    )
    store.create_incident({"incident_type": "FSTRU", "callback_number": "+1 415-555-0199"}, 2)

    for asked in ("(415) 555 0100", "14155550100", "+1.415.555.0100"):
        assert [i.incident_id for i in store.find_by_callback(asked)] == [first.entity_id]
    assert store.find_by_callback("no digits") == []


def test_a_record_that_decrypts_but_does_not_parse_is_reported_not_guessed():
    key = new_data_key()
    codec = RecordCodec(key)
    sealed = RecordCipher(key).seal("entity", "incident/inc-1", "state", b'{"id": 5}')

    with pytest.raises(CorruptEntity, match="does not parse") as bad:
        codec.open_state(Entity.INCIDENT, "inc-1", sealed)
    assert bad.value.kind is Entity.INCIDENT


def test_store_files_are_readable_only_by_the_app(store: LocalStore):
    for path in store.path.parent.iterdir():
        assert os.stat(path).st_mode & 0o077 == 0, path.name


def test_the_sync_clients_refresh_token_is_kept_encrypted_and_survives_a_restart(
    store: LocalStore,
):
    token = "rt-7f3a9c0e5b2d4e61a8f0"
    store.set_secret("refresh_token", token)

    assert store.secret("refresh_token") == token
    assert token.encode() not in store.path.read_bytes() + _wal(store)
    store.lock()
    reopened = LocalStore.unlock(store.path, PIN)
    assert reopened.secret("refresh_token") == token
    reopened.set_secret("refresh_token", None)
    assert reopened.secret("refresh_token") is None
    reopened.lock()


def _wal(store: LocalStore) -> bytes:
    wal = store.path.with_name(store.path.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""
