"""Start a real sync server for integration tests, benchmarks and demos.

    from sync_server.testing import start_server, sqlite_url
    with start_server(sqlite_url(tmp_path / "server.db"), workdir=tmp_path) as server:
        server.add_user("disp1", "password1", Role.DISPATCHER)
        device = server.enroll("disp1", "password1")
        httpx.get(server.url + PULL, headers=bearer(device.tokens.access_token))

The server is ``python -m sync_server serve`` in a subprocess, on a loopback socket the parent
binds first (no port race; connections made during start-up wait).  PostgreSQL tests get a
private schema from ``postgres_schema``, dropped afterwards, so test runs never collide.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

import httpx
import psycopg
from psycopg import sql

from shared.api import ENROLL, TIME, EnrollRequest, EnrollResponse, NewUser, Role
from sync_server.context import Context
from sync_server.service import admin
from sync_server.settings import Settings

#: A fixed secret for throwaway test servers only (>= 32 characters, as settings require).
TEST_SECRET = "dispatch-anywhere-test-only-secret-0123456789"
#: Cheap Argon2id parameters: still memory-hard, fast enough for many test logons.
TEST_ENV = {
    "DA_SECRET_KEY": TEST_SECRET,
    "DA_KDF_MEMORY_KIB": "8192",
    "DA_KDF_ITERATIONS": "1",
}
_REPO = Path(__file__).resolve().parent.parent


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment for a ``python -m sync_server`` child: ours, the repo importable, and
    ``extra`` on top."""
    paths = [str(_REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), **extra}


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


@contextmanager
def postgres_schema(base_url: str, prefix: str = "da_test") -> Iterator[str]:
    """A fresh, empty schema on ``base_url``; yields a URL that writes there, then drops it."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    separator = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(base_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def free_port() -> int:
    """A loopback port nothing listens on right now (for a process that binds it itself)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening_socket(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart on the same port
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


@dataclass
class LiveServer:
    """A running server process; ``stop()`` (or leaving the ``with``) ends it."""

    url: str
    database_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log_path: Path
    _ctx: Context | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        return Settings.from_env(self.env)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def client(self, *, headers: dict[str, str] | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, headers=headers)

    def context(self) -> Context:
        """Direct access to the same database and keys (for setting up users quickly)."""
        if self._ctx is None:
            self._ctx = Context.open(self.settings)
        return self._ctx

    def add_user(self, username: str, password: str, role: Role, *, display_name: str = "") -> None:
        new = NewUser(username=username, password=password, role=role, display_name=display_name)
        admin.create_user(self.context(), new, by=None, device_id=None, component="test")

    def set_up_authenticator(self, username: str) -> str:
        """Give the account an authenticator app, as ``mfa-setup`` does; returns its key."""
        made = admin.set_up_authenticator(
            self.context(), username, by=None, device_id=None, component="test"
        )
        return made.key

    def enroll(
        self,
        username: str,
        password: str,
        device_name: str = "test tablet",
        *,
        otp: str | None = None,
    ) -> EnrollResponse:
        request = EnrollRequest(
            username=username, password=password, device_name=device_name, otp=otp
        )
        with self.client() as http:
            response = http.post(ENROLL, json=request.model_dump())
        if response.status_code != 200:
            raise RuntimeError(f"enroll failed: {response.status_code} {response.text}")
        return EnrollResponse.model_validate_json(response.content)

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``python -m sync_server ARGS`` against this server's database."""
        return subprocess.run(
            [sys.executable, "-m", "sync_server", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=child_env(self.env),
            cwd=self.log_path.parent,
            timeout=120,
            check=False,
        )

    def stop(self) -> None:
        if self._ctx is not None:
            self._ctx.close()
            self._ctx = None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.stop()


def server_env(database_url: str, *, server_id: str = "test", **settings: object) -> dict[str, str]:
    """The ``DA_*`` environment for a test server; ``settings`` as Settings field names."""
    env = {**TEST_ENV, "DA_DATABASE_URL": database_url, "DA_SERVER_ID": server_id}
    for name, value in settings.items():
        env[f"DA_{name.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    Settings.from_env(env)  # refuse a bad setting here, not in the child
    return env


def start_server(
    database_url: str,
    *,
    workdir: Path,
    server_id: str = "test",
    startup_seconds: float = 60.0,
    port: int = 0,
    **settings: object,
) -> LiveServer:
    """Start a server on a loopback port (``port``, or any free one) and return once it
    answers."""
    env = server_env(database_url, server_id=server_id, **settings)
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"server-{server_id}-{uuid.uuid4().hex[:6]}.log"
    sock = _listening_socket(port)
    port = sock.getsockname()[1]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sync_server",
                "serve",
                "--fd",
                str(sock.fileno()),
                "--log-level",
                "warning",
            ],
            env=child_env(env),
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=(sock.fileno(),),
        )
    sock.close()
    server = LiveServer(f"http://127.0.0.1:{port}", database_url, env, process, log_path)
    _wait_until_up(server, startup_seconds)
    return server


def _wait_until_up(server: LiveServer, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=server.url, timeout=5) as http:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"the server exited at start-up:\n{server.log()}")
            try:
                if http.get(TIME).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"the server did not answer within {seconds} s:\n{server.log()}")
