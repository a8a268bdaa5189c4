"""Caller details are never stored in clear on the server (CJIS: AES-256 at rest).

The database file (and its write-ahead log) is searched for a planted caller name, callback
number, address and narrative; only ids, codes, statuses, seqs and HLC stamps are in clear.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from shared.protocol import IncidentFields
from sync_server.context import Context
from sync_server.store import entities
from sync_server.store.crypto import SealBroken, Sealer
from sync_server.store.db import Database
from sync_server.store.tables import EntityRow
from sync_server.testing import sqlite_url, start_server
from tests.server.client import Device

PLANTED = {
    "caller_name": "Zebediah Quartermaine",
    "callback_number": "415-555-0199",
    "address": "742 Evergreen Terrace",
    "cross_street": "Quimby Boulevard",
}
NARRATIVE = "caller reports neighbour Philomena Underhill trapped"


def _plant(device: Device) -> str:
    op = device.commands.create_incident(
        IncidentFields(incident_type="FSTRU", **PLANTED), priority=1, narrative=NARRATIVE
    )
    device.act(op)
    device.add_note(op.entity_id, f"callback {PLANTED['callback_number']} again")
    device.push()
    device.pull_all()
    return op.entity_id


def test_the_database_file_holds_no_caller_details(tmp_path: Path):
    db_file = tmp_path / "server.db"
    with start_server(sqlite_url(db_file), workdir=tmp_path) as server:
        tablet = Device.new(server)
        incident = _plant(tablet)
        assert tablet.replica.incident(incident).caller.name == PLANTED["caller_name"]
        stored = b"".join(p.read_bytes() for p in tmp_path.glob("server.db*") if p.is_file())
    assert incident.encode() in stored  # ids are in clear, so the search does find text
    for secret in [*PLANTED.values(), NARRATIVE, "Philomena"]:
        assert secret.encode() not in stored, secret
        assert secret.encode("utf-16-le") not in stored, secret


def test_no_column_of_any_table_shows_caller_details(server):
    tablet = Device.new(server)
    _plant(tablet)
    database = Database(server.database_url)
    try:
        with database.engine.connect() as conn:
            for table in SQLModel.metadata.sorted_tables:
                for row in conn.execute(select(table)):
                    dumped = repr(tuple(row))
                    for secret in PLANTED.values():
                        assert secret not in dumped, (table.name, secret)
    finally:
        database.dispose()


def test_a_sealed_state_moved_to_another_row_is_detected(server):
    tablet = Device.new(server)
    first, second = _plant(tablet), _plant(tablet)
    ctx = Context.open(server.settings)
    try:
        with ctx.db.write() as session:
            a = session.get(EntityRow, ("incident", first))
            b = session.get(EntityRow, ("incident", second))
            assert a is not None and b is not None
            moved = EntityRow(entity="incident", entity_id=second, state=a.state)
            with pytest.raises(SealBroken):
                entities.decode(ctx.sealer, moved)
            assert entities.decode(ctx.sealer, b).id == second
    finally:
        ctx.close()


def test_a_sealed_value_opens_only_with_its_key_and_place():
    sealer, other = Sealer(b"k" * 32), Sealer(b"j" * 32)
    sealed = sealer.seal("da_change", "dev-1:1", b"caller Pat")
    assert sealer.open("da_change", "dev-1:1", sealed) == b"caller Pat"
    attempts: list[Callable[[], bytes]] = [
        lambda: other.open("da_change", "dev-1:1", sealed),
        lambda: sealer.open("da_change", "dev-1:2", sealed),
        lambda: sealer.open("da_entity", "dev-1:1", sealed),
        lambda: sealer.open("da_change", "dev-1:1", sealed[:-1] + bytes([sealed[-1] ^ 1])),
        lambda: sealer.open("da_change", "dev-1:1", b"short"),
    ]
    for attempt in attempts:
        with pytest.raises(SealBroken):
            attempt()
