"""A database an older server wrote is brought up to this version in place, on SQLite and on
PostgreSQL: columns this version added appear with their defaults, and every row is kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from shared.api import NewUser, Role
from sync_server.context import Context
from sync_server.service import admin
from sync_server.settings import Settings
from sync_server.store.db import Database
from sync_server.testing import TEST_ENV, postgres_schema, sqlite_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "old.db")
    else:
        with postgres_schema(request.getfixturevalue("postgres_url")) as url:
            yield url


_ADDED_TO_USERS = (
    "role_changed_ms",
    "password_changed_ms",
    "sessions_ended_ms",
    "totp",
    "totp_changed_ms",
    "totp_last_step",
)


def _as_an_older_server_left_it(url: str) -> None:
    """The current tables without the columns later versions added, holding a user."""
    db = Database(url)
    try:
        db.create_all()
        with db.engine.begin() as conn:
            for column in _ADDED_TO_USERS:
                conn.execute(text(f"ALTER TABLE da_user DROP COLUMN {column}"))
            conn.execute(text("ALTER TABLE da_change DROP COLUMN refused"))
            conn.execute(
                text(
                    "INSERT INTO da_user (username, role, display_name, password_hash, active, "
                    "failed_logons, locked_until_ms, created_ms) "
                    "VALUES ('dana', 'dispatcher', 'Dana', 'x', true, 0, 0, 5)"
                )
            )
    finally:
        db.dispose()


def test_an_older_database_gains_the_new_columns_and_keeps_its_users(database_url: str):
    _as_an_older_server_left_it(database_url)
    ctx = Context.open(Settings.from_env({**TEST_ENV, "DA_DATABASE_URL": database_url}))
    try:
        ctx.db.create_all()
        ctx.db.create_all()  # a second server starting: nothing more to do
        with ctx.db.engine.connect() as conn:
            found = inspect(conn)
            users = {c["name"] for c in found.get_columns("da_user")}
            changes = {c["name"] for c in found.get_columns("da_change")}
        assert set(_ADDED_TO_USERS) <= users
        assert "refused" in changes
        dana = next(u for u in admin.list_users(ctx) if u.username == "dana")
        assert (dana.role, dana.display_name, dana.active) == (Role.DISPATCHER, "Dana", True)
        assert not dana.authenticator, "an account from before signs in as it did"
        admin.set_up_authenticator(ctx, "dana", by=None, device_id=None)
        admin.reset_password(ctx, "dana", "a brand new passphrase", by=None, device_id=None)

        promoted = admin.set_role(ctx, "dana", Role.SUPERVISOR, by=None, device_id=None)
        admin.create_user(
            ctx,
            NewUser(username="eve", password="a long enough password", role=Role.DISPATCHER),
            by=None,
            device_id=None,
        )
        assert promoted.role is Role.SUPERVISOR
        assert {u.username for u in admin.list_users(ctx)} >= {"dana", "eve"}
    finally:
        ctx.close()
