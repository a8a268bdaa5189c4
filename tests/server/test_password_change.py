"""A user changes their own password from a signed-in tablet (they think someone saw it, or
IT gave them one): the current password, and the app's code where the account has one,
prove it is them; every other session of the account ends, and the tablet asking carries on."""

from __future__ import annotations

import httpx
from sqlmodel import select

from shared.api import LOGIN, PASSWORD, PULL, LoginRequest, PasswordChange, Role, TokenPair
from shared.protocol import ErrorBody
from sync_server.store.tables import AuditRow
from sync_server.testing import LiveServer, bearer
from tests.authenticator import PhoneApp
from tests.server.client import PASSWORD as CURRENT
from tests.server.client import Device
from tests.server.conftest import StartServer

NEW = "a brand new passphrase"


def _change(tablet: Device, current: str, new: str, otp: str | None = None) -> httpx.Response:
    body = PasswordChange(current_password=current, new_password=NEW, otp=otp).model_dump()
    body["new_password"] = new  # the server's own length rule is under test too
    return tablet.http.post(PASSWORD, json=body)


def _login(server: LiveServer, tablet: Device, password: str, otp: str | None = None) -> int:
    body = LoginRequest(
        username=tablet.user_id, password=password, device_id=tablet.device_id, otp=otp
    )
    with server.client() as http:
        return http.post(LOGIN, json=body.model_dump()).status_code


def _detail(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    return ErrorBody.model_validate_json(response.content).detail


def test_a_dispatcher_changes_their_password_and_keeps_working_on_this_tablet(
    server: LiveServer,
):
    tablet = Device.new(server)
    changed = _change(tablet, CURRENT, NEW)
    assert changed.status_code == 200, changed.text
    fresh = TokenPair.model_validate_json(changed.content)

    with server.client(headers=bearer(fresh.access_token)) as http:
        assert http.get(PULL).status_code == 200
    assert _login(server, tablet, CURRENT) == 401
    assert _login(server, tablet, NEW) == 200
    with server.context().db.read() as session:
        [audited] = session.exec(
            select(AuditRow).where(
                AuditRow.event_type == "user.password", AuditRow.user_id == tablet.user_id
            )
        ).all()
    assert audited.device_id == tablet.device_id
    assert audited.detail.startswith(f"{tablet.user_id!r} changed their own password")
    assert NEW not in audited.detail
    tablet.close()


def test_the_accounts_other_sessions_end(server: LiveServer):
    tablet = Device.new(server)
    assert _login(server, tablet, CURRENT) == 200  # a second sign-in, as on another tablet
    other_session = tablet.tokens
    assert _change(tablet, CURRENT, NEW).status_code == 200

    with server.client(headers=bearer(other_session.access_token)) as http:
        words = _detail(http.get(PULL), 401)
    assert words == "the password was changed: sign in again with the new one"
    tablet.close()


def test_a_wrong_current_password_is_refused_and_counts_toward_the_lockout(
    start: StartServer,
):
    server = start(lockout_attempts=2)
    tablet = Device.new(server)
    assert _detail(_change(tablet, "a guess at it", NEW), 401) == "wrong username or password"
    locked = _detail(_change(tablet, "another guess", NEW), 401)
    assert "locked" in locked
    assert _login(server, tablet, CURRENT) == 401  # locked: not even the right password
    tablet.close()


def test_an_account_with_an_authenticator_also_gives_its_code(server: LiveServer):
    tablet = Device.new(server)
    phone = PhoneApp(server.set_up_authenticator(tablet.user_id))
    body = LoginRequest(
        username=tablet.user_id, password=CURRENT, device_id=tablet.device_id, otp=phone.code()
    )
    with server.client() as http:
        session = TokenPair.model_validate_json(http.post(LOGIN, json=body.model_dump()).content)
    with server.client(headers=bearer(session.access_token)) as http:
        change = {"current_password": CURRENT, "new_password": NEW}
        assert "6-digit code" in _detail(http.post(PASSWORD, json=change), 401)
        change["otp"] = phone.wrong_code()
        assert "wrong or already used" in _detail(http.post(PASSWORD, json=change), 401)
        change["otp"] = phone.next_code()
        assert http.post(PASSWORD, json=change).status_code == 200
    tablet.close()


def test_a_new_password_must_be_long_enough_and_new(server: LiveServer):
    tablet = Device.new(server)
    assert "new_password" in _detail(_change(tablet, CURRENT, "short"), 422)
    same = _detail(_change(tablet, CURRENT, CURRENT), 422)
    assert same == "the new password must differ from the current one"
    assert _login(server, tablet, CURRENT) == 200
    tablet.close()


def test_every_role_may_change_its_own_password(server: LiveServer):
    for role in (Role.SUPERVISOR, Role.ADMIN):
        someone = Device.new(server, role)
        assert _change(someone, CURRENT, NEW).status_code == 200
        someone.close()
