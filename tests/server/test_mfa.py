"""The second factor (CJIS 5.6.2.2: remote access needs more than a password).

Agency IT gives an account an authenticator app (``mfa-setup``); from then on enrolling a
tablet or signing in again also takes the 6-digit code the app shows.  A code works once, a
wrong one counts toward the lockout, the secret is sealed at rest, and a server set to require
a second factor turns away accounts that have none.
"""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import select

from shared.api import (
    ENROLL,
    LOGIN,
    PULL,
    REFRESH,
    USERS,
    EnrollRequest,
    LoginRequest,
    RefreshRequest,
    Role,
)
from shared.protocol import ErrorBody, ErrorCode
from sync_server.auth import totp
from sync_server.messages import UserOut
from sync_server.store.tables import AuditRow, UserRow
from sync_server.testing import LiveServer, bearer
from tests.authenticator import PhoneApp
from tests.server.client import PASSWORD, Device, unique
from tests.server.conftest import StartServer

HOUR_MS = 3_600_000


def _with_app(server: LiveServer, role: Role = Role.DISPATCHER) -> tuple[str, PhoneApp]:
    username = unique(role.value)
    server.add_user(username, PASSWORD, role)
    return username, PhoneApp(server.set_up_authenticator(username))


def _enroll(server: LiveServer, username: str, otp: str | None) -> httpx.Response:
    body = EnrollRequest(username=username, password=PASSWORD, device_name="tablet", otp=otp)
    with server.client() as http:
        return http.post(ENROLL, json=body.model_dump())


def _login(
    server: LiveServer, username: str, device_id: str, otp: str | None, password: str = PASSWORD
) -> httpx.Response:
    body = LoginRequest(username=username, password=password, device_id=device_id, otp=otp)
    with server.client() as http:
        return http.post(LOGIN, json=body.model_dump())


def _refusal(response: httpx.Response) -> ErrorBody:
    assert response.status_code == 401, response.text
    return ErrorBody.model_validate_json(response.content)


def _logon_failures(server: LiveServer, username: str) -> list[str]:
    with server.context().db.read() as session:
        rows = session.exec(
            select(AuditRow).where(AuditRow.user_id == username, AuditRow.event_type == "logon")
        ).all()
    return [row.detail for row in rows if row.outcome == "failure"]


def test_an_account_with_an_authenticator_enrolls_a_tablet_with_its_code(server: LiveServer):
    username, phone = _with_app(server)
    missing = _refusal(_enroll(server, username, None))
    assert missing.error is ErrorCode.UNAUTHORIZED
    assert "6-digit code" in missing.detail
    enrolled = _enroll(server, username, phone.code())
    assert enrolled.status_code == 200, enrolled.text
    assert _logon_failures(server, username) == ["one-time code missing"]


def test_a_code_works_once(server: LiveServer):
    """A code seen over a shoulder, or captured on the way, is no use a second time."""
    username, phone = _with_app(server)
    code = phone.code()
    device_id = _enroll(server, username, code).json()["device_id"]
    replayed = _refusal(_login(server, username, device_id, code))
    assert "already used" in replayed.detail
    assert _login(server, username, device_id, phone.next_code()).status_code == 200


def test_the_right_password_with_a_wrong_code_is_refused_and_counts_toward_the_lockout(
    start: StartServer,
):
    server = start(lockout_attempts=3)
    username, phone = _with_app(server)
    device_id = _enroll(server, username, phone.code()).json()["device_id"]
    wrong = phone.wrong_code()
    answers = [_refusal(_login(server, username, device_id, wrong)).detail for _ in range(3)]
    assert "wrong or already used one-time code" in answers[0]
    assert "now locked" in answers[-1]
    # Locked: even the right code no longer gets in until an administrator unlocks it.
    assert (
        "account locked" in _refusal(_login(server, username, device_id, phone.next_code())).detail
    )
    assert _logon_failures(server, username).count("wrong or reused one-time code") == 3


def test_a_wrong_password_is_refused_before_any_code_is_looked_at(server: LiveServer):
    username, phone = _with_app(server)
    refused = _refusal(_enroll_with_password(server, username, "not it", phone.code()))
    assert refused.detail == "wrong username or password"


def _enroll_with_password(
    server: LiveServer, username: str, password: str, otp: str
) -> httpx.Response:
    body = EnrollRequest(username=username, password=password, device_name="tablet", otp=otp)
    with server.client() as http:
        return http.post(ENROLL, json=body.model_dump())


def test_a_phone_a_few_seconds_off_is_accepted_and_an_hour_off_is_not(server: LiveServer):
    username, phone = _with_app(server)
    hour_off = PhoneApp(phone.key, skew_ms=-HOUR_MS)
    assert "wrong or already used" in _refusal(_enroll(server, username, hour_off.code())).detail
    seconds_off = PhoneApp(phone.key, skew_ms=-25_000)
    assert _enroll(server, username, seconds_off.code()).status_code == 200


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "12 345"])
def test_a_code_that_is_not_six_digits_gets_a_clear_error(server: LiveServer, code: str):
    username, _ = _with_app(server)
    with server.client() as http:
        response = http.post(
            ENROLL,
            json={"username": username, "password": PASSWORD, "device_name": "t", "otp": code},
        )
    assert response.status_code == 422
    assert "otp" in response.text


def test_setting_up_a_new_phone_retires_the_old_one(server: LiveServer):
    username, old_phone = _with_app(server)
    new_phone = PhoneApp(server.set_up_authenticator(username))
    assert "wrong or already used" in _refusal(_enroll(server, username, old_phone.code())).detail
    assert _enroll(server, username, new_phone.code()).status_code == 200


def test_setting_up_an_app_ends_the_sessions_opened_without_it(server: LiveServer):
    """A session opened with the password alone (or with a lost phone's codes) does not go
    on refreshing for hours: the account's tablets ask for password and code, work kept."""
    tablet = Device.new(server)
    assert tablet.http.get(PULL).status_code == 200
    phone = PhoneApp(server.set_up_authenticator(tablet.user_id))

    assert _refusal(tablet.http.get(PULL)).detail == (
        "a new authenticator app was set up for this account: sign in again with its code"
    )
    with server.client() as http:
        body = RefreshRequest(refresh_token=tablet.tokens.refresh_token).model_dump()
        assert http.post(REFRESH, json=body).status_code == 401
    signed_in = _login(server, tablet.user_id, tablet.device_id, phone.code())
    assert signed_in.status_code == 200, signed_in.text
    tablet.close()


def test_the_secret_is_sealed_at_rest_and_bound_to_its_account(server: LiveServer):
    username, phone = _with_app(server)
    other, _ = _with_app(server)
    ctx = server.context()
    with ctx.db.read() as session:
        row = session.get(UserRow, username)
        assert row is not None and row.totp is not None
        sealed = row.totp
    assert totp.secret_from_text(phone.key) not in sealed
    assert phone.key.encode() not in sealed
    # The same sealed bytes copied onto another account do not open there.
    with ctx.db.write() as session:
        target = session.get(UserRow, other)
        assert target is not None
        target.totp = sealed
        session.add(target)
    refused = _refusal(_enroll(server, other, phone.code()))
    assert "cannot be checked here; ask an administrator to set it up again" in refused.detail
    assert _logon_failures(server, other) == ["authenticator secret damaged"]


def test_the_user_list_shows_who_signs_in_with_an_authenticator(server: LiveServer):
    admin = Device.new(server, Role.ADMIN)
    with_app, _ = _with_app(server)
    without = unique("dispatcher")
    server.add_user(without, PASSWORD, Role.DISPATCHER)
    listed = {
        u.username: u.authenticator
        for u in map(UserOut.model_validate, admin.http.get(USERS).json())
    }
    assert listed[with_app] is True and listed[without] is False


def test_a_server_that_requires_a_second_factor_turns_away_accounts_without_one(
    start: StartServer,
):
    server = start(require_mfa=True)
    server.add_user("pat", PASSWORD, Role.DISPATCHER)
    refused = _refusal(_enroll(server, "pat", None))
    assert "no authenticator app is set up" in refused.detail
    assert "ask an administrator" in refused.detail
    phone = PhoneApp(server.set_up_authenticator("pat"))
    enrolled = _enroll(server, "pat", phone.code())
    assert enrolled.status_code == 200, enrolled.text
    tokens = enrolled.json()["tokens"]
    # The session it opened carries on without codes: refresh is not a new sign-in.
    with server.client(headers=bearer(tokens["access_token"])) as http:
        assert http.get("/v1/pull").status_code == 200


def test_the_console_sets_up_an_authenticator_and_the_audit_log_says_who(server: LiveServer):
    username = unique("dispatcher")
    server.add_user(username, PASSWORD, Role.DISPATCHER)
    done = server.cli("mfa-setup", username)
    assert done.returncode == 0, done.stderr
    assert "otpauth://totp/" in done.stdout
    key = next(line.split()[-1] for line in done.stdout.splitlines() if "key:" in line)
    assert _enroll(server, username, PhoneApp(key).code()).status_code == 200
    with server.context().db.read() as session:
        events = session.exec(select(AuditRow).where(AuditRow.event_type == "user.mfa")).all()
    assert any(
        e.detail == f"new authenticator app for {username!r}; 0 open session(s) ended"
        for e in events
    )
    assert all(key not in e.detail for e in events)
    unknown = server.cli("mfa-setup", "nobody-here")
    assert unknown.returncode == 1 and "no user 'nobody-here'" in unknown.stderr
