"""Agency IT resets a password (forgotten, or seen by someone else): the old one stops
working, a lockout on it is lifted, and every session of the account ends at once, so a
tablet signed in as it asks for the new password; its work waits on it meanwhile."""

from __future__ import annotations

import httpx
from sqlmodel import select

from shared.api import (
    LOGIN,
    PULL,
    REFRESH,
    USERS,
    LoginRequest,
    RefreshRequest,
    Role,
    TokenPair,
)
from shared.hlc import system_ms
from shared.protocol import ErrorBody
from sync_server.peers.directory import merge_directory, user_of
from sync_server.peers.messages import PeerDirectory
from sync_server.store.tables import AuditRow, UserRow
from sync_server.testing import LiveServer, bearer
from tests.server.client import PASSWORD, Device, unique
from tests.server.conftest import StartServer

NEW = "a brand new passphrase"
CHANGED = "the password was changed: sign in again with the new one"


def _login(server: LiveServer, username: str, device_id: str, password: str) -> httpx.Response:
    body = LoginRequest(username=username, password=password, device_id=device_id)
    with server.client() as http:
        return http.post(LOGIN, json=body.model_dump())


def _words(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    return ErrorBody.model_validate_json(response.content).detail


def _audited(server: LiveServer, event_type: str) -> list[str]:
    with server.context().db.read() as session:
        rows = session.exec(select(AuditRow).where(AuditRow.event_type == event_type)).all()
    return [row.detail for row in rows]


def _signed_out(server: LiveServer, tablet: Device) -> None:
    """The tablet's session has ended: its access token is refused in words and its refresh
    token is gone."""
    assert _words(tablet.http.get(PULL)) == CHANGED
    with server.client() as http:
        refresh = http.post(
            REFRESH, json=RefreshRequest(refresh_token=tablet.tokens.refresh_token).model_dump()
        )
    assert "unknown or expired" in _words(refresh)


def test_a_forgotten_password_is_reset_from_the_console(server: LiveServer):
    tablet = Device.new(server)
    done = server.cli("reset-password", tablet.user_id, "--password-stdin", stdin=NEW + "\n")
    assert done.returncode == 0, done.stderr
    assert "their devices will ask for it" in done.stdout
    assert _words(_login(server, tablet.user_id, tablet.device_id, PASSWORD)) == (
        "wrong username or password"
    )
    assert _login(server, tablet.user_id, tablet.device_id, NEW).status_code == 200
    [detail] = [d for d in _audited(server, "user.password") if tablet.user_id in d]
    assert detail == f"new password for {tablet.user_id!r}; 1 open session(s) ended"
    tablet.close()


def test_every_session_of_the_account_ends_at_once(server: LiveServer):
    tablet = Device.new(server)
    assert tablet.http.get(PULL).status_code == 200
    server.cli("reset-password", tablet.user_id, "--password-stdin", stdin=NEW + "\n")

    _signed_out(server, tablet)
    tablet.close()


def test_a_reset_lifts_a_lockout(start: StartServer):
    server = start(lockout_attempts=2)
    tablet = Device.new(server)
    for _ in range(2):
        _login(server, tablet.user_id, tablet.device_id, "guess")
    assert "locked" in _words(_login(server, tablet.user_id, tablet.device_id, PASSWORD))
    server.cli("reset-password", tablet.user_id, "--password-stdin", stdin=NEW + "\n")
    assert _login(server, tablet.user_id, tablet.device_id, NEW).status_code == 200
    tablet.close()


def test_a_new_password_must_be_long_enough(server: LiveServer):
    username = unique("dispatcher")
    server.add_user(username, PASSWORD, Role.DISPATCHER)
    short = server.cli("reset-password", username, "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "password" in short.stderr and "8" in short.stderr
    unknown = server.cli("reset-password", "nobody-here", "--password-stdin", stdin=NEW + "\n")
    assert unknown.returncode == 1 and "no user 'nobody-here'" in unknown.stderr


def test_an_administrator_resets_a_password_over_the_api_and_a_dispatcher_cannot(
    server: LiveServer,
):
    admin, dispatcher = Device.new(server, Role.ADMIN), Device.new(server)
    path = f"{USERS}/{dispatcher.user_id}/password"
    assert dispatcher.http.post(path, json={"password": NEW}).status_code == 403
    assert admin.http.post(path, json={"password": "short"}).status_code == 422
    done = admin.http.post(path, json={"password": NEW})
    assert done.status_code == 200, done.text
    assert _login(server, dispatcher.user_id, dispatcher.device_id, NEW).status_code == 200
    admin.close()
    dispatcher.close()


def _reset_from_a_peer(server: LiveServer, username: str, *, peer_clock_ahead_ms: int) -> None:
    """What a site does when its peer's directory brings a reset made there: the peer stamps
    the reset with its own clock."""
    ctx = server.context()
    try:
        with ctx.db.write() as session:
            row = session.get(UserRow, username)
            assert row is not None
            there = user_of(row, ctx.sealer).model_copy(
                update={
                    "password_hash": ctx.hasher.hash(NEW),
                    "password_changed_ms": system_ms() + peer_clock_ahead_ms,
                }
            )
            directory = PeerDirectory(
                server_id="primary", site_number=0, users=[there], devices=[], logons=[]
            )
            merge_directory(session, ctx.sealer, directory, now_ms=ctx.now_ms())
    finally:
        ctx.close()


def test_a_reset_from_a_site_whose_clock_is_an_hour_ahead_does_not_lock_the_account_out_here(
    server: LiveServer,
):
    """The sessions it ends are those opened here before this site heard of the reset, on
    this site's clock: a sign-in with the new password works at once, not an hour later."""
    tablet = Device.new(server)
    _reset_from_a_peer(server, tablet.user_id, peer_clock_ahead_ms=3_600_000)

    assert _words(tablet.http.get(PULL)) == CHANGED
    signed_in = _login(server, tablet.user_id, tablet.device_id, NEW)
    assert signed_in.status_code == 200, signed_in.text
    fresh = TokenPair.model_validate_json(signed_in.content)
    with server.client(headers=bearer(fresh.access_token)) as http:
        assert http.get(PULL).status_code == 200
    tablet.close()


def test_a_reset_from_a_site_whose_clock_is_behind_still_ends_the_sessions_here(
    server: LiveServer,
):
    tablet = Device.new(server)
    _reset_from_a_peer(server, tablet.user_id, peer_clock_ahead_ms=-3_600_000)

    _signed_out(server, tablet)
    tablet.close()
