"""A server holds the key its database's data was sealed with, or it refuses to start, on
SQLite and on PostgreSQL: one process started with another install's key must neither answer
500 on every pull nor seal new ops the others cannot open."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import delete

from shared.api import Role
from shared.protocol import IncidentFields
from sync_server.context import Context
from sync_server.settings import Settings, SettingsError
from sync_server.store.keycheck import KEY_CHECK
from sync_server.store.tables import MetaRow
from sync_server.testing import TEST_ENV, TEST_SECRET, start_server
from tests.sync.conftest import PASSWORD, enroll_device

OTHER_SECRET = "another-agency-install-secret-0123456789abcdef"
WRONG = "the server key does not open the data already in"


def _context(url: str, secret: str = TEST_SECRET) -> Context:
    env = {**TEST_ENV, "DA_DATABASE_URL": url, "DA_SECRET_KEY": secret}
    return Context.open(Settings.from_env(env))


def _prepared(url: str, secret: str = TEST_SECRET) -> None:
    ctx = _context(url, secret)
    try:
        ctx.prepare()
    finally:
        ctx.close()


def _a_shift_of_data(url: str, workdir: Path) -> None:
    """A server that took a call from a real tablet: its log and merged state hold sealed
    data."""
    with start_server(url, workdir=workdir) as live:
        live.add_user("alice", PASSWORD, Role.DISPATCHER)
        tablet = enroll_device(live, workdir, "tablet")
        tablet.store.create_incident(IncidentFields(incident_type="FALL", address="4 Elm St"), 3)
        tablet.sync()
        assert tablet.store.pending_count() == 0
        tablet.store.lock()


def test_a_server_started_with_another_key_refuses_to_start_and_says_why(
    fresh_database_url: str, tmp_path: Path
):
    _a_shift_of_data(fresh_database_url, tmp_path / "first")

    with pytest.raises(RuntimeError, match=WRONG):
        start_server(fresh_database_url, workdir=tmp_path / "wrong", secret_key=OTHER_SECRET)
    with pytest.raises(SettingsError, match=WRONG):
        _prepared(fresh_database_url, OTHER_SECRET)

    _prepared(fresh_database_url)  # the right key still starts, as many times as needed
    _prepared(fresh_database_url)


def test_the_console_refuses_a_wrong_key_in_words(fresh_database_url: str, tmp_path: Path):
    _a_shift_of_data(fresh_database_url, tmp_path / "first")
    with start_server(fresh_database_url, workdir=tmp_path / "right") as live:
        live.env["DA_SECRET_KEY"] = OTHER_SECRET  # the console of another install
        refused = live.cli("unlock", "alice")
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"configuration error: {WRONG}")
    assert "same DA_SECRET_KEY or key file" in refused.stderr


def test_a_database_from_before_the_check_is_checked_against_its_newest_record(
    fresh_database_url: str, tmp_path: Path
):
    _a_shift_of_data(fresh_database_url, tmp_path / "first")
    ctx = _context(fresh_database_url)
    try:
        with ctx.db.write() as session:  # as a server from before the check left it
            session.execute(delete(MetaRow).where(MetaRow.key == KEY_CHECK))  # type: ignore[arg-type]
    finally:
        ctx.close()

    with pytest.raises(SettingsError, match="its newest record fails"):
        _prepared(fresh_database_url, OTHER_SECRET)
    _prepared(fresh_database_url)  # the right key opens it and records the check
    with pytest.raises(SettingsError, match="the key check fails"):
        _prepared(fresh_database_url, OTHER_SECRET)


def test_a_new_database_takes_the_first_servers_key(fresh_database_url: str):
    _prepared(fresh_database_url, OTHER_SECRET)
    with pytest.raises(SettingsError, match=WRONG):
        _prepared(fresh_database_url)
