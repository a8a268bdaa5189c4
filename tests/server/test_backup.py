"""IT backs up the embedded SQLite database while the server keeps serving: the copy holds
every change up to the moment it was taken, a server started on it serves those calls again
(with the same key), it never overwrites a file, and a PostgreSQL server is pointed at
PostgreSQL's own backups instead."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlmodel import select

from mobile_app.sync.errors import SignInRequired
from shared.api import Role
from shared.protocol import IncidentFields
from sync_server.store.tables import AuditRow
from sync_server.testing import postgres_schema, sqlite_url, start_server
from tests.server.client import PASSWORD, Device
from tests.sync.conftest import enroll_device, run

FIRE = IncidentFields(incident_type="FSTRU", address="1200 Mission St")
CRASH = IncidentFields(incident_type="MVAINJY", address="Hwy 101 N at Cesar Chavez")


def test_a_backup_taken_while_the_server_runs_serves_the_same_calls_again(tmp_path: Path):
    copy = tmp_path / "backups" / "dispatch.db"
    with start_server(sqlite_url(tmp_path / "live.db"), workdir=tmp_path / "live") as live:
        live.add_user("dana", PASSWORD, Role.DISPATCHER)
        desk = Device(live, "dana")
        calls = [desk.create_incident(address=f"{n} Elm St") for n in range(3)]
        last = desk.push().last_seq
        done = live.cli("backup", str(copy))
        assert done.returncode == 0, done.stderr
        assert f"up to change {last}" in done.stdout
        assert "keep the key safe" in done.stdout
        with live.context().db.read() as session:
            audited = session.exec(
                select(AuditRow).where(AuditRow.event_type == "server.backup")
            ).one()
        assert audited.detail == f"copied to {copy} up to change {last}"
        assert desk.http.get("/v1/health").status_code == 200, "still serving"
        desk.close()

    assert stat.S_IMODE(copy.stat().st_mode) == 0o600, "password hashes and sealed records"
    with start_server(sqlite_url(copy), workdir=tmp_path / "restored") as restored:
        tablet = Device(restored, "dana")  # the accounts came with it
        pulled = {change.op.entity_id for change in tablet.pull_all()}
        assert set(calls) <= pulled
        tablet.close()


def test_a_backup_never_overwrites_a_file(tmp_path: Path):
    taken = tmp_path / "monday.db"
    taken.write_bytes(b"last week's copy")
    with start_server(sqlite_url(tmp_path / "live.db"), workdir=tmp_path / "live") as live:
        again = live.cli("backup", str(taken))
    assert again.returncode == 1
    assert "already exists: a backup never overwrites a file" in again.stderr
    assert taken.read_bytes() == b"last week's copy"


@pytest.mark.postgres
def test_a_postgresql_server_is_pointed_at_postgresql_backups(postgres_url: str, tmp_path: Path):
    with postgres_schema(postgres_url) as url, start_server(url, workdir=tmp_path) as live:
        refused = live.cli("backup", str(tmp_path / "copy.db"))
    assert refused.returncode == 1
    assert "back it up with the agency's PostgreSQL backups" in refused.stderr
    assert not (tmp_path / "copy.db").exists()


def test_a_call_sent_after_the_backup_is_not_lost_when_the_server_is_restored_from_it(
    tmp_path: Path,
):
    """The center's disk dies; IT restores last night's copy.  A tablet had sent a call after
    that copy was taken and has nothing new to send: it must notice the server lacks it and
    send it again, and pick up the restored server's log from where it now ends."""
    copy = tmp_path / "nightly.db"
    with start_server(sqlite_url(tmp_path / "live.db"), workdir=tmp_path / "live") as live:
        live.add_user("alice", PASSWORD, Role.DISPATCHER)
        tablet = enroll_device(live, tmp_path, "tablet")
        before = tablet.store.create_incident(FIRE, 2).entity_id
        tablet.sync()
        assert live.cli("backup", str(copy)).returncode == 0
        after = tablet.store.create_incident(CRASH, 1).entity_id
        tablet.sync()
        assert tablet.store.pending_count() == 0

    with start_server(sqlite_url(copy), workdir=tmp_path / "restored") as restored:
        tablet.url = restored.url
        tablet.sync()
        observer = Device(restored, "alice")
        on_server = {change.op.entity_id for change in observer.pull_all()}
        assert {before, after} <= on_server, "the call sent after the backup is back"
        assert tablet.store.incident(after).exists
        observer.close()
    tablet.store.lock()


def test_a_tablet_enrolled_after_the_backup_signs_in_again_and_keeps_its_work(tmp_path: Path):
    """The restored server has never heard of a tablet enrolled this morning.  Enrolling it
    again would start an empty store; instead its sign-in registers it, and its calls (the
    only copies left) reach the server."""
    copy = tmp_path / "nightly.db"
    with start_server(sqlite_url(tmp_path / "live.db"), workdir=tmp_path / "live") as live:
        live.add_user("alice", PASSWORD, Role.DISPATCHER)
        assert live.cli("backup", str(copy)).returncode == 0
        tablet = enroll_device(live, tmp_path, "enrolled-this-morning")
        call = tablet.store.create_incident(FIRE, 1).entity_id
        tablet.sync()

    with start_server(sqlite_url(copy), workdir=tmp_path / "restored") as restored:
        tablet.url = restored.url
        with pytest.raises(SignInRequired):
            tablet.sync()
        client = tablet.client()

        async def sign_in() -> None:
            try:
                await client.sign_in(PASSWORD)
            finally:
                await client.aclose()

        run(sign_in())
        tablet.tokens = client.tokens
        tablet.sync()
        observer = Device(restored, "alice")
        assert call in {change.op.entity_id for change in observer.pull_all()}
        observer.close()
        with restored.context().db.read() as session:
            registered = session.exec(
                select(AuditRow).where(AuditRow.device_id == tablet.store.device_id)
            ).first()
        assert registered is not None and "registered at sign-in" in registered.detail
    tablet.store.lock()
