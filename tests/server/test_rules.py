"""The pure rules behind push and sign-in: batch order, clock guard, tokens, password hashes,
settings.  No server needed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.api import Role
from shared.commands import Commands
from shared.hlc import HybridClock
from shared.protocol import ErrorCode, IncidentFields, Op
from sync_server.auth.passwords import PasswordHasher
from sync_server.auth.tokens import AccessClaims, AccessTokens, BadToken, refresh_token_hash
from sync_server.errors import Refused
from sync_server.service.batch import check_authors, check_clocks, split_batch
from sync_server.settings import Settings, SettingsError

NOW = 1_800_000_000_000


def _ops(count: int, *, wall_ms: int = NOW, user: str = "disp1") -> list[Op]:
    seq = iter(range(1, count + 1))
    commands = Commands("dev1", user, HybridClock(lambda: wall_ms), lambda: next(seq))
    return [commands.create_incident(IncidentFields(), priority=3) for _ in range(count)]


@given(st.integers(1, 30), st.data())
def test_a_batch_splits_into_duplicates_and_the_ops_that_continue_the_device(total, data):
    ops = _ops(total)
    applied = data.draw(st.integers(0, total))
    start = data.draw(st.integers(0, applied if applied < total else total - 1))
    fresh, duplicates = split_batch(applied, ops[start:])
    assert duplicates == max(0, applied - start)
    assert [op.seq for op in fresh] == list(range(max(applied, start) + 1, total + 1))


@given(st.integers(0, 20), st.integers(2, 10))
def test_a_batch_that_skips_ops_is_refused_with_the_expected_seq(applied, skipped):
    ops = _ops(applied + skipped + 1)
    with pytest.raises(Refused) as refused:
        split_batch(applied, ops[applied + skipped - 1 :])
    assert refused.value.code is ErrorCode.SEQ_GAP
    assert refused.value.expected_seq == applied + 1


def test_a_stamp_within_the_tolerance_passes_and_beyond_it_is_refused():
    check_clocks(_ops(1, wall_ms=NOW + 59_000), NOW, 60_000)
    with pytest.raises(Refused) as refused:
        check_clocks(_ops(1, wall_ms=NOW + 61_000), NOW, 60_000)
    assert refused.value.code is ErrorCode.CLOCK_AHEAD
    assert refused.value.server_time_ms == NOW


def test_authors_must_have_logged_on_from_the_device():
    check_authors(_ops(1), {"disp1"})
    with pytest.raises(Refused) as refused:
        check_authors(_ops(1, user="someone"), {"disp1"})
    assert refused.value.code is ErrorCode.FORBIDDEN


@given(
    st.from_regex(r"[A-Za-z0-9_.@-]{1,20}", fullmatch=True),
    st.sampled_from(list(Role)),
    st.integers(NOW + 1, NOW + 10**9),
)
def test_an_access_token_round_trips_and_any_change_breaks_it(user, role, expires):
    tokens = AccessTokens(b"k" * 32)
    claims = AccessClaims(user, "dev-1", role, NOW - 1, expires)
    token = tokens.sign(claims)
    assert tokens.verify(token, NOW) == claims
    with pytest.raises(BadToken):
        AccessTokens(b"j" * 32).verify(token, NOW)
    with pytest.raises(BadToken):
        tokens.verify(token, expires)
    head, body, mac = token.split(".")
    with pytest.raises(BadToken):
        tokens.verify(f"{head}.{body[:-2]}{'AA' if body[-2:] != 'AA' else 'BB'}.{mac}", NOW)


def test_refresh_tokens_are_stored_as_keyed_hashes():
    digest = refresh_token_hash(b"k" * 32, "rt1_abc")
    assert digest != refresh_token_hash(b"j" * 32, "rt1_abc")
    assert "rt1_abc" not in digest and len(digest) == 64


def test_passwords_are_argon2id_hashes_that_only_the_password_opens():
    hasher = PasswordHasher(memory_kib=8192, iterations=1)
    stored = hasher.hash("correct horse")
    assert stored.startswith("$argon2id$v=19$m=8192,t=1,p=1$")
    assert hasher.verify("correct horse", stored)
    assert not hasher.verify("correct horsE", stored)
    assert not hasher.verify("correct horse", "$argon2id$garbage")
    assert hasher.hash("correct horse") != stored  # salted
    assert PasswordHasher(memory_kib=16384, iterations=1).needs_rehash(stored)
    assert not hasher.needs_rehash(stored)


def test_settings_come_from_the_environment_and_bad_values_are_named():
    settings = Settings.from_env(
        {"DA_DATABASE_URL": "postgresql://db/x", "DA_JOBS_ENABLED": "false", "DA_SERVER_ID": "s1"}
    )
    assert settings.database_url == "postgresql://db/x"
    assert settings.jobs_enabled is False and settings.server_device_id == "server-s1"
    with pytest.raises(SettingsError, match="DA_ACCESS_TOKEN_SECONDS"):
        Settings.from_env({"DA_ACCESS_TOKEN_SECONDS": "soon"})
    with pytest.raises(SettingsError, match="DA_SERVER_ID"):
        Settings.from_env({"DA_SERVER_ID": "has space"})


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("DA_DATABSE_URL", "DA_DATABASE_URL"),
        ("DA_SECERT_KEY", "DA_SECRET_KEY"),
        ("DA_SITE_URL", "DA_SITE_URLS"),
        ("DA_KEYFILE", "DA_KEY_FILE"),
    ],
)
def test_a_misspelt_setting_refuses_to_start_instead_of_running_on_a_default(given, meant):
    """DA_DATABSE_URL ignored would leave one process on the default SQLite file while the
    others share PostgreSQL."""
    with pytest.raises(SettingsError, match=f"{given} is not a setting: did you mean {meant}"):
        Settings.from_env({given: "postgresql://db/x"})


def test_other_tools_da_variables_are_left_alone():
    """The app, the console and the test suite have their own DA_ names."""
    others = {
        "DA_SERVER_URL": "https://cad.agency.gov",
        "DA_NEW_PASSWORD": "x",
        "DA_REQUIRE_POSTGRES": "1",
        "DA_TEST_POSTGRES_URL": "postgresql://127.0.0.1/test",
        "DA_APP_DATA": "/tmp/app",
    }
    assert Settings.from_env(others) == Settings.from_env({})
