"""Sign-in, sessions, revocation and roles, as the agency's IT and its dispatchers see them.

CJIS: memory-hard password hashes, lockout after five failures, remote wipe of a lost
device, every logon and privileged action in the audit log with who/what/when/outcome.
"""

from __future__ import annotations

import pytest

from shared.api import (
    AUDIT,
    CONFLICTS,
    DEVICES,
    LOGIN,
    PULL,
    REFRESH,
    REVOKE,
    USERS,
    LoginRequest,
    Role,
    TokenPair,
)
from shared.hlc import system_ms
from shared.protocol import ErrorBody, ErrorCode
from sync_server.auth.tokens import AccessClaims, AccessTokens
from sync_server.keys import ServerKeys
from sync_server.messages import AuditEntry, DeviceOut, UserOut
from sync_server.testing import TEST_SECRET, LiveServer, bearer
from tests.server.client import PASSWORD, Device, unique


def _error(response) -> ErrorBody:
    return ErrorBody.model_validate_json(response.content)


def _login(server: LiveServer, username: str, device_id: str, password: str = PASSWORD):
    body = LoginRequest(username=username, password=password, device_id=device_id)
    with server.client() as http:
        return http.post(LOGIN, json=body.model_dump())


def _audit(admin: Device, **filters: str) -> list[AuditEntry]:
    response = admin.http.get(AUDIT, params={"limit": 1000, **filters})
    assert response.status_code == 200, response.text
    return [AuditEntry.model_validate(e) for e in response.json()]


def test_a_dispatcher_logs_on_from_an_enrolled_tablet(server: LiveServer):
    tablet = Device.new(server)
    response = _login(server, tablet.user_id, tablet.device_id)
    pair = TokenPair.model_validate_json(response.content)
    assert response.status_code == 200 and pair.role is Role.DISPATCHER
    with server.client(headers=bearer(pair.access_token)) as http:
        assert http.get(PULL).status_code == 200


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(server: LiveServer):
    tablet = Device.new(server)
    wrong = _login(server, tablet.user_id, tablet.device_id, "not the password")
    nobody = _login(server, unique("nobody"), tablet.device_id)
    assert wrong.status_code == nobody.status_code == 401
    assert _error(wrong).detail == _error(nobody).detail == "wrong username or password"


def test_no_token_a_forged_token_and_an_expired_token_are_refused(server: LiveServer):
    tablet = Device.new(server)
    forged = tablet.tokens.access_token[:-4] + "AAAA"
    keys = ServerKeys.from_master(TEST_SECRET.encode())
    expired = AccessTokens(keys.access_tokens).sign(
        AccessClaims(tablet.user_id, tablet.device_id, Role.DISPATCHER, 0, system_ms() - 1)
    )
    with server.client() as http:
        missing = http.get(PULL)
        bad = http.get(PULL, headers=bearer(forged))
        old = http.get(PULL, headers=bearer(expired))
    assert missing.status_code == bad.status_code == old.status_code == 401
    assert "signature" in _error(bad).detail
    assert "expired" in _error(old).detail


def test_a_refresh_token_buys_a_new_pair_once(start):
    server = start(refresh_reuse_grace_seconds=0)
    tablet = Device.new(server)
    with server.client() as http:
        renewed = http.post(REFRESH, json={"refresh_token": tablet.tokens.refresh_token})
        pair = TokenPair.model_validate_json(renewed.content)
        replayed = http.post(REFRESH, json={"refresh_token": tablet.tokens.refresh_token})
        after_theft = http.post(REFRESH, json={"refresh_token": pair.refresh_token})
        assert http.get(PULL, headers=bearer(pair.access_token)).status_code == 200
    assert renewed.status_code == 200
    assert replayed.status_code == 401 and "already used" in _error(replayed).detail
    # Reuse means a copy exists: the whole session family is revoked, the thief's and ours.
    assert after_theft.status_code == 401
    admin = Device.new(server, Role.ADMIN)
    assert any(e.event_type == "token.reuse" for e in _audit(admin, user_id=tablet.user_id))


def test_a_retried_refresh_within_the_grace_period_still_works(server: LiveServer):
    tablet = Device.new(server)
    token = {"refresh_token": tablet.tokens.refresh_token}
    with server.client() as http:
        first, retry = http.post(REFRESH, json=token), http.post(REFRESH, json=token)
    assert first.status_code == retry.status_code == 200


def test_five_failed_logons_lock_the_account_until_an_admin_unlocks_it(server: LiveServer):
    tablet, admin = Device.new(server), Device.new(server, Role.ADMIN)
    answers = [_login(server, tablet.user_id, tablet.device_id, "guess") for _ in range(5)]
    assert [r.status_code for r in answers] == [401] * 5
    assert "locked" in _error(answers[-1]).detail

    right_password = _login(server, tablet.user_id, tablet.device_id)
    assert right_password.status_code == 401 and "locked" in _error(right_password).detail

    events = [(e.event_type, e.outcome.value) for e in _audit(admin, user_id=tablet.user_id)]
    assert events.count(("logon", "failure")) == 6
    assert ("account.lockout", "failure") in events

    unlocked = admin.http.post(f"{USERS}/{tablet.user_id}/unlock")
    assert unlocked.status_code == 200 and not UserOut.model_validate(unlocked.json()).locked
    assert _login(server, tablet.user_id, tablet.device_id).status_code == 200


def test_a_disabled_account_is_refused_at_once_everywhere_and_the_change_is_audited(
    server: LiveServer,
):
    """Someone leaves the agency: IT disables the account.  The session already open is
    refused at its next request, its refresh token no longer renews it, and the password no
    longer signs in, from the tablet or anywhere else."""
    tablet, admin = Device.new(server), Device.new(server, Role.ADMIN)
    tablet.create_incident()
    disabled = admin.http.post(f"{USERS}/{tablet.user_id}/disable")
    assert disabled.status_code == 200 and not UserOut.model_validate(disabled.json()).active

    answers = {
        "push": tablet.post_push(),
        "pull": tablet.http.get(PULL),
        "login": _login(server, tablet.user_id, tablet.device_id),
    }
    with server.client() as http:
        answers["refresh"] = http.post(REFRESH, json={"refresh_token": tablet.tokens.refresh_token})
    for what, response in answers.items():
        assert response.status_code == 401, what
        assert _error(response).error is ErrorCode.UNAUTHORIZED, what

    entries = _audit(admin, event_type="user.disable")
    assert [(e.user_id, e.detail) for e in entries if tablet.user_id in e.detail] == [
        (admin.user_id, f"disabled {tablet.user_id!r}")
    ]
    listed = [UserOut.model_validate(u) for u in admin.http.get(USERS).json()]
    assert [u.active for u in listed if u.username == tablet.user_id] == [False]


def test_disabling_names_a_missing_account_and_never_locks_out_the_admin_doing_it(
    server: LiveServer,
):
    admin = Device.new(server, Role.ADMIN)
    missing = admin.http.post(f"{USERS}/nobody-by-that-name/disable")
    own = admin.http.post(f"{USERS}/{admin.user_id}/disable")
    assert missing.status_code == 404 and "nobody-by-that-name" in _error(missing).detail
    assert own.status_code == 422 and "own account" in _error(own).detail
    assert admin.http.get(USERS).status_code == 200


def test_a_role_change_applies_at_the_accounts_next_request_and_is_audited(server: LiveServer):
    """A dispatcher made supervisor sees the conflict inbox with the session already open;
    made dispatcher again, the inbox is refused again.  Each change is in the audit log."""
    tablet, admin = Device.new(server), Device.new(server, Role.ADMIN)
    assert tablet.http.get(CONFLICTS).status_code == 403

    promoted = admin.http.post(f"{USERS}/{tablet.user_id}/role", json={"role": "supervisor"})
    assert promoted.status_code == 200
    assert UserOut.model_validate(promoted.json()).role is Role.SUPERVISOR
    assert tablet.http.get(CONFLICTS).status_code == 200

    admin.http.post(f"{USERS}/{tablet.user_id}/role", json={"role": "dispatcher"})
    assert tablet.http.get(CONFLICTS).status_code == 403
    changes = [
        e.detail for e in _audit(admin, event_type="user.role") if tablet.user_id in e.detail
    ]
    assert changes == [
        f"{tablet.user_id!r}: dispatcher -> supervisor",
        f"{tablet.user_id!r}: supervisor -> dispatcher",
    ]


def test_a_role_change_names_what_is_wrong_with_it(server: LiveServer):
    tablet, admin = Device.new(server), Device.new(server, Role.ADMIN)
    path = f"{USERS}/{{}}/role"
    unknown_role = admin.http.post(path.format(tablet.user_id), json={"role": "chief"})
    missing = admin.http.post(path.format("nobody-by-that-name"), json={"role": "supervisor"})
    own = admin.http.post(path.format(admin.user_id), json={"role": "dispatcher"})
    by_dispatcher = tablet.http.post(path.format(tablet.user_id), json={"role": "admin"})
    assert unknown_role.status_code == 422 and "role" in _error(unknown_role).detail
    assert missing.status_code == 404
    assert own.status_code == 422 and "own role" in _error(own).detail
    assert by_dispatcher.status_code == 403
    assert tablet.http.get(CONFLICTS).status_code == 403


def test_a_revoked_tablet_is_refused_everywhere_and_told_to_wipe(server: LiveServer):
    tablet, admin = Device.new(server), Device.new(server, Role.ADMIN)
    tablet.create_incident()
    revoked = admin.http.post(REVOKE.format(device_id=tablet.device_id))
    assert revoked.status_code == 200 and DeviceOut.model_validate(revoked.json()).revoked

    answers = {
        "push": tablet.post_push(),
        "pull": tablet.http.get(PULL),
        "login": _login(server, tablet.user_id, tablet.device_id),
        "wrong password": _login(server, tablet.user_id, tablet.device_id, "thief guess"),
    }
    with server.client() as http:
        answers["refresh"] = http.post(REFRESH, json={"refresh_token": tablet.tokens.refresh_token})
    for what, response in answers.items():
        error = _error(response)
        assert response.status_code == 410, what
        assert error.error is ErrorCode.DEVICE_REVOKED and error.wipe, what

    events = _audit(admin, event_type="device.wipe_ordered")
    assert sum(e.device_id == tablet.device_id for e in events) >= len(answers) - 1
    revokes = _audit(admin, event_type="device.revoke")
    assert any(e.device_id == tablet.device_id and e.user_id == admin.user_id for e in revokes)


@pytest.mark.parametrize(
    ("role", "method", "path", "allowed"),
    [
        (Role.ADMIN, "GET", PULL, False),
        (Role.ADMIN, "GET", CONFLICTS, False),
        (Role.DISPATCHER, "GET", CONFLICTS, False),
        (Role.SUPERVISOR, "GET", CONFLICTS, True),
        (Role.DISPATCHER, "GET", USERS, False),
        (Role.SUPERVISOR, "GET", DEVICES, False),
        (Role.SUPERVISOR, "GET", AUDIT, False),
        (Role.ADMIN, "GET", USERS, True),
        (Role.DISPATCHER, "GET", PULL, True),
    ],
)
def test_no_one_reaches_what_their_role_does_not_allow(server, role, method, path, allowed):
    caller = Device.new(server, role)
    response = caller.http.request(method, path)
    if allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert _error(response).error is ErrorCode.FORBIDDEN


def test_only_admins_create_users_and_it_is_audited(server: LiveServer):
    admin, supervisor = Device.new(server, Role.ADMIN), Device.new(server, Role.SUPERVISOR)
    new = {"username": unique("disp"), "password": "a long password", "role": "dispatcher"}
    assert supervisor.http.post(USERS, json=new).status_code == 403
    created = admin.http.post(USERS, json=new)
    duplicate = admin.http.post(USERS, json=new)
    assert (
        created.status_code == 201
        and UserOut.model_validate(created.json()).role is Role.DISPATCHER
    )
    assert duplicate.status_code == 409
    denied = _audit(admin, event_type="access.denied", user_id=supervisor.user_id)
    assert denied and denied[-1].outcome.value == "failure"
    made = _audit(admin, event_type="user.create", user_id=admin.user_id)
    assert any(new["username"] in e.detail for e in made)


def test_audit_records_carry_the_cjis_fields(server: LiveServer):
    before = system_ms()
    tablet, admin = Device.new(server), Device.new(server, Role.ADMIN)
    _login(server, tablet.user_id, tablet.device_id)
    logons = [e for e in _audit(admin, event_type="logon") if e.user_id == tablet.user_id]
    assert logons
    entry = logons[-1]
    assert before <= entry.time_ms <= system_ms()
    assert entry.component == "auth"
    assert entry.device_id == tablet.device_id
    assert entry.outcome.value == "success"
    enrolled = _audit(admin, event_type="device.enroll", user_id=tablet.user_id)
    assert [e.device_id for e in enrolled] == [tablet.device_id]
