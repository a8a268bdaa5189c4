"""The admin console an agency's IT uses: initialise, add users, enroll and revoke tablets."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

from shared.api import LOGIN, LoginRequest, NewUser, Role
from shared.protocol import ErrorBody, ErrorCode
from sync_server.context import Context
from sync_server.service import admin
from sync_server.settings import Settings
from sync_server.testing import TEST_ENV, child_env, sqlite_url
from tests.server.client import PASSWORD, unique


def _console(*args: str, cwd: Path, env: dict[str, str], stdin: str | None = None):
    return subprocess.run(
        [sys.executable, "-m", "sync_server", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=child_env(env),
        timeout=120,
        check=False,
    )


def test_init_creates_a_private_key_file_once_and_the_tables(tmp_path: Path):
    env = {k: v for k, v in TEST_ENV.items() if k != "DA_SECRET_KEY"}
    env["DA_SECRET_KEY"] = ""
    url = sqlite_url(tmp_path / "var" / "dispatch.db")
    first = _console("--database-url", url, "init", cwd=tmp_path, env=env)
    key_file = tmp_path / "var" / "server.key"
    key = key_file.read_text()
    second = _console("--database-url", url, "init", cwd=tmp_path, env=env)

    assert first.returncode == 0, first.stderr
    assert "created key file" in first.stdout
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert second.returncode == 0 and "created key file" not in second.stdout
    assert key_file.read_text() == key
    made = _console(
        "--database-url",
        url,
        "create-user",
        "it1",
        "--role",
        "admin",
        "--password-stdin",
        cwd=tmp_path,
        env=env,
        stdin="a long password\n",
    )
    assert made.returncode == 0, made.stderr


def test_serve_refuses_to_start_without_a_key(tmp_path: Path):
    env = {**TEST_ENV, "DA_SECRET_KEY": "", "DA_DATABASE_URL": sqlite_url(tmp_path / "x.db")}
    result = _console("serve", "--port", "0", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "sync_server init" in result.stderr


def test_an_administrator_sets_up_and_retires_a_tablet_from_the_console(start):
    server = start()
    username = unique("disp")
    made = server.cli(
        "create-user", username, "--role", "dispatcher", "--password-stdin", stdin=PASSWORD + "\n"
    )
    enrolled = server.cli("enroll", username, "--name", "Engine 3 tablet")
    device_id = enrolled.stdout.strip()
    assert made.returncode == 0 and enrolled.returncode == 0, made.stderr + enrolled.stderr

    login = LoginRequest(username=username, password=PASSWORD, device_id=device_id).model_dump()
    with server.client() as http:
        assert http.post(LOGIN, json=login).status_code == 200
        revoked = server.cli("revoke", device_id)
        refused = http.post(LOGIN, json=login)
    assert revoked.returncode == 0 and device_id in revoked.stdout
    assert refused.status_code == 410
    assert ErrorBody.model_validate_json(refused.content).error is ErrorCode.DEVICE_REVOKED


def test_console_mistakes_are_explained(tmp_path: Path):
    env = {**TEST_ENV, "DA_DATABASE_URL": sqlite_url(tmp_path / "console.db")}
    ctx = Context.open(Settings.from_env(env))
    try:
        ctx.db.create_all()
        taken = NewUser(username="sup1", password=PASSWORD, role=Role.SUPERVISOR)
        admin.create_user(ctx, taken, by=None, device_id=None)
    finally:
        ctx.close()

    def console(*args: str, stdin: str | None = None):
        return _console(*args, cwd=tmp_path, env=env, stdin=stdin)

    again = console(
        "create-user", "sup1", "--role", "supervisor", "--password-stdin", stdin="x" * 9
    )
    short = console(
        "create-user", "disp9", "--role", "dispatcher", "--password-stdin", stdin="short"
    )
    nobody = console("enroll", "nobody-here", "--name", "tablet")
    assert again.returncode == 1 and "already exists" in again.stderr
    assert short.returncode == 1 and "password" in short.stderr
    assert nobody.returncode == 1 and "no user" in nobody.stderr


def test_unlock_lifts_a_lockout(start):
    server = start(lockout_attempts=2)
    username = unique("disp")
    server.add_user(username, PASSWORD, Role.DISPATCHER)
    device_id = server.enroll(username, PASSWORD).device_id
    with server.client() as http:
        bad = LoginRequest(username=username, password="nope", device_id=device_id).model_dump()
        good = {**bad, "password": PASSWORD}
        for _ in range(2):
            http.post(LOGIN, json=bad)
        assert http.post(LOGIN, json=good).status_code == 401
        assert server.cli("unlock", username).returncode == 0
        assert http.post(LOGIN, json=good).status_code == 200


def test_disable_user_withdraws_an_account_and_the_audit_names_who_ran_it(start):
    server = start()
    username = unique("disp")
    server.add_user(username, PASSWORD, Role.DISPATCHER)
    device_id = server.enroll(username, PASSWORD).device_id
    disabled = server.cli("disable-user", username)
    missing = server.cli("disable-user", "nobody-here")
    assert disabled.returncode == 0 and f"disabled {username}" in disabled.stdout
    assert missing.returncode == 1 and "no user" in missing.stderr
    with server.client() as http:
        good = LoginRequest(username=username, password=PASSWORD, device_id=device_id)
        assert http.post(LOGIN, json=good.model_dump()).status_code == 401
    entries = admin.audit_log(server.context(), after_id=0, limit=1000, event_type="user.disable")
    assert [e.detail for e in entries if e.user_id and e.user_id.startswith("console user")] == [
        f"disabled {username!r}"
    ]


def test_set_role_gives_an_account_another_role(start):
    server = start()
    username = unique("disp")
    server.add_user(username, PASSWORD, Role.DISPATCHER)
    promoted = server.cli("set-role", username, "--role", "supervisor")
    nonsense = server.cli("set-role", username, "--role", "chief")
    assert promoted.returncode == 0 and f"{username} is now supervisor" in promoted.stdout
    assert nonsense.returncode == 2 and "chief" in nonsense.stderr
    listed = {u.username: u.role for u in admin.list_users(server.context())}
    assert listed[username] is Role.SUPERVISOR


def test_it_finds_a_lost_tablets_id_in_the_device_list_and_sees_every_account(start):
    server = start()
    server.add_user("dana", PASSWORD, Role.DISPATCHER)
    server.add_user("ivan", PASSWORD, Role.ADMIN)
    lost = server.enroll("dana", PASSWORD, "Engine 3 tablet").device_id
    server.enroll("dana", PASSWORD, "Spare tablet")
    server.set_up_authenticator("dana")
    server.cli("revoke", lost)

    users = server.cli("list-users")
    devices = server.cli("list-devices")

    assert users.returncode == 0 and devices.returncode == 0, users.stderr + devices.stderr
    dana = next(line for line in users.stdout.splitlines() if line.startswith("dana"))
    assert dana.split()[:2] == ["dana", "dispatcher"] and "yes" in dana.split()
    engine_3 = next(line for line in devices.stdout.splitlines() if "Engine 3 tablet" in line)
    assert engine_3.startswith(lost) and "REVOKED" in engine_3
    assert "UTC" in engine_3, "when it was enrolled"
    assert "Spare tablet" in devices.stdout
