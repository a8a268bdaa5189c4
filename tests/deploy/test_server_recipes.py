"""The deployment recipes in build/server/ do what they say: systemd accepts the units, the
service comes up through socket activation exactly as its ExecStart line says, the settings
example names only real settings, and the TLS proxy matches the server it fronts.

The install prefix /opt/dispatch-anywhere is replaced by this checkout where a file has to run.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from shared import api
from sync_server.cli import _parser
from sync_server.settings import _FIELDS, Settings
from sync_server.testing import TEST_SECRET, free_port, sqlite_url

REPO = Path(__file__).resolve().parents[2]
RECIPES = REPO / "build" / "server"
PREFIX = "/opt/dispatch-anywhere"
SERVICE = RECIPES / "dispatch-anywhere.service"
SOCKET = RECIPES / "dispatch-anywhere.socket"


def _setting(unit: Path, key: str) -> str:
    """The value of ``key=`` in a unit file (the last one wins, as in systemd)."""
    found = re.findall(rf"^{key}=(.*)$", unit.read_text(), flags=re.MULTILINE)
    assert found, f"{unit.name} has no {key}="
    return str(found[-1]).strip()


def _example_env() -> dict[str, str]:
    env = {}
    for line in (RECIPES / "server.env").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            env[name.strip()] = value.strip()
    return env


def test_the_settings_example_names_only_real_settings_and_they_are_valid():
    env = _example_env()
    unknown = sorted(n for n in env if n.removeprefix("DA_").lower() not in _FIELDS)
    assert unknown == [], "not settings: a typo here is silently ignored by the server"
    settings = Settings.from_env(env)
    assert settings.server_id == "cad-primary-1"
    assert settings.database_url.startswith("postgresql")
    assert settings.require_mfa, "an agency deployment asks for a second factor (CJIS)"


def test_the_service_starts_the_server_on_the_socket_systemd_passes():
    command = shlex.split(_setting(SERVICE, "ExecStart"))
    assert command[0] == f"{PREFIX}/.venv/bin/python" and command[1:3] == ["-m", "sync_server"]
    args = _parser().parse_args(command[3:])
    assert (args.command, args.fd) == ("serve", 3), "fd 3 is SD_LISTEN_FDS_START"
    assert _setting(SERVICE, "Requires") == SOCKET.name


def test_the_proxy_fronts_the_socket_with_the_servers_body_limit():
    proxy = (RECIPES / "nginx.conf").read_text()
    listen = _setting(SOCKET, "ListenStream")
    assert listen.startswith("127.0.0.1:"), "the plain-HTTP port stays on loopback"
    assert f"server {listen};" in proxy
    limit = re.search(r"client_max_body_size (\d+)m;", proxy)
    assert limit is not None and int(limit.group(1)) * 1024 * 1024 == Settings().max_body_bytes
    events = proxy[proxy.index("location = /v1/events") :]
    events = events[: events.index("}")]
    assert "proxy_buffering off;" in events, "server-sent events must not be buffered"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_systemd_accepts_the_units_without_a_warning(tmp_path: Path):
    for unit in (SERVICE, SOCKET):
        (tmp_path / unit.name).write_text(unit.read_text().replace(PREFIX, str(REPO)))
    checked = subprocess.run(
        ["systemd-analyze", "verify", SERVICE.name, SOCKET.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")


@pytest.mark.skipif(
    shutil.which("systemd-socket-activate") is None, reason="systemd-socket-activate missing"
)
def test_the_socket_activated_service_answers_its_health_check(tmp_path: Path):
    """As systemd runs it: the socket is bound first, the first connection starts the server
    on fd 3 with the example's settings (here on an SQLite file and the test key, with no
    peers to reach), and the proxy's health check gets 200."""
    port = free_port()
    command = shlex.split(_setting(SERVICE, "ExecStart").replace(PREFIX, str(REPO)))
    env = {
        **_example_env(),
        "DA_DATABASE_URL": sqlite_url(tmp_path / "server.db"),
        "DA_SECRET_KEY": TEST_SECRET,
        "DA_PEERS": "",
        "DA_PEER_SECRET": "",
    }
    launcher = subprocess.Popen(
        [
            "systemd-socket-activate",
            "--listen",
            f"127.0.0.1:{port}",
            *(f"--setenv={name}={value}" for name, value in env.items()),
            *command,
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                reply = httpx.get(f"http://127.0.0.1:{port}{api.HEALTH}", timeout=30)
                break
            except httpx.TransportError:
                assert launcher.poll() is None, launcher.communicate()[0].decode()
                assert time.monotonic() < deadline, "the socket never answered"
                time.sleep(0.1)
        assert reply.status_code == 200, reply.text
        health = api.Health.model_validate_json(reply.content)
        assert (health.status, health.server_id) == ("ok", "cad-primary-1")
    finally:
        launcher.terminate()
        launcher.wait(timeout=30)
