"""A demo agency on this machine: a sync server on the embedded SQLite default under
``./var/demo/``, three accounts, and a dozen units, for ``python -m mobile_app``.

The units are created the way a real agency's are: as ops from an enrolled device (a
throwaway set-up device, revoked afterwards), pushed through the server's sync endpoint, so
the demo exercises the same path as a dispatcher's tablet.  Everything is idempotent: a
second start reuses the database, the key file and the accounts.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

from mobile_app.store import KdfParams
from mobile_app.sync.client import SyncClient
from mobile_app.sync.enrollment import create_enrolled_store, request_enrollment
from shared import api
from shared.api import Role

#: The demo's accounts: user name, role (see README, "Roles").
DEMO_USERS: tuple[tuple[str, Role], ...] = (
    ("dana", Role.DISPATCHER),
    ("sam", Role.SUPERVISOR),
    ("ivan", Role.ADMIN),
)
DEFAULT_PASSWORD = "dispatch-demo-2026"

#: The demo fleet: id, type, station.
DEMO_UNITS: tuple[tuple[str, str, str], ...] = (
    *((f"E{n}", "Engine", f"Station {n}") for n in range(1, 6)),
    *((f"M{n}", "Medic", f"Station {n}") for n in range(1, 6)),
    ("T1", "Truck", "Station 1"),
    ("T2", "Truck", "Station 3"),
)

_SEEDED = "units-seeded"
_STARTUP_S = 60.0


class DemoError(RuntimeError):
    """The demo server could not be set up; the message says what to look at."""


@dataclass
class DemoServer:
    """A running ``python -m sync_server serve``; ``stop()`` (or leaving ``with``) ends it."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        end_process(self.process)

    def __enter__(self) -> DemoServer:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.stop()


def end_process(process: subprocess.Popen[bytes], timeout_s: float = 10.0) -> None:
    """SIGTERM (servers and Flet shut down cleanly on it), then SIGKILL if it hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout_s)


def server_env(workdir: Path) -> dict[str, str]:
    """The ``DA_*`` settings of the demo server: SQLite and a key file under ``workdir``; the
    server package is importable from wherever this one was (a checkout or a venv)."""
    code = str(Path(__file__).resolve().parent.parent)
    paths = [code, *filter(None, [os.environ.get("PYTHONPATH")])]
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(paths),
        "DA_DATABASE_URL": f"sqlite:///{(workdir / 'dispatch.db').resolve()}",
        "DA_KEY_FILE": str((workdir / "server.key").resolve()),
    }


def prepare(workdir: Path, password: str) -> None:
    """Create the key file, the tables and the demo accounts (those that are missing)."""
    workdir.mkdir(parents=True, exist_ok=True)
    _admin(workdir, "init")
    for username, role in DEMO_USERS:
        made = _admin(
            workdir,
            "create-user",
            username,
            "--role",
            role.value,
            "--password-stdin",
            stdin=password + "\n",
            check=False,
        )
        if made.returncode != 0 and "exists" not in made.stderr + made.stdout:
            raise DemoError(f"could not create the demo user {username}: {made.stderr.strip()}")


def start(workdir: Path, port: int, *, host: str = "127.0.0.1") -> DemoServer:
    """Serve on ``host:port`` (0: any free port) and return once the server answers.

    The socket is bound here and handed to the server, so a busy port fails at once with a
    clear message and connections made during start-up wait instead of being refused.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as busy:
        sock.close()
        raise DemoError(
            f"cannot listen on {host}:{port} ({busy.strerror}); try --server-port 0"
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    bound = sock.getsockname()[1]
    log_path = workdir / "server.log"
    with log_path.open("ab") as log:
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
            env=server_env(workdir),
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=(sock.fileno(),),
        )
    sock.close()
    server = DemoServer(f"http://{host}:{bound}", process, log_path)
    try:
        _wait_until_up(server)
    except BaseException:
        server.stop()
        raise
    return server


@dataclass(frozen=True)
class Seeded:
    device_id: str
    """The set-up device (revoke it once the fleet is in)."""
    pushed: int


async def seed_units(server_url: str, username: str, password: str) -> Seeded:
    """Create the demo fleet as ops from a set-up device and push them.

    The set-up device's store is a throwaway (cheap KDF, temporary directory, deleted
    afterwards); only its ops remain, on the server, like any tablet's.
    """
    enrolled = await request_enrollment(server_url, username, password, "Demo set-up")
    with tempfile.TemporaryDirectory(prefix="da-demo-setup-") as scratch:
        store = create_enrolled_store(
            Path(scratch) / "setup.db", "demo-setup", enrolled, server_url, kdf=KdfParams.fast()
        )
        try:
            for unit_id, unit_type, station in DEMO_UNITS:
                store.upsert_unit(unit_id, name=unit_id, unit_type=unit_type, station=station)
            client = SyncClient(store, [server_url], enrolled.tokens)
            try:
                result = await client.sync_once()
            finally:
                await client.aclose()
        finally:
            store.lock()
    return Seeded(enrolled.device_id, result.pushed)


async def ensure_units(workdir: Path, server: DemoServer, password: str) -> bool:
    """Seed the fleet once per demo database; True when it was seeded now."""
    marker = workdir / _SEEDED
    if marker.exists():
        return False
    username = next(name for name, role in DEMO_USERS if role is Role.DISPATCHER)
    seeded = await seed_units(server.url, username, password)
    _admin(workdir, "revoke", seeded.device_id)  # its job is done; IT sees it as revoked
    marker.write_text("the demo units were pushed to this database\n")
    return True


def _admin(
    workdir: Path, *args: str, stdin: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "sync_server", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=server_env(workdir),
        cwd=workdir,
        timeout=120,
        check=False,
    )
    if check and done.returncode != 0:
        raise DemoError(f"`sync_server {args[0]}` failed: {(done.stderr or done.stdout).strip()}")
    return done


def _wait_until_up(server: DemoServer) -> None:
    deadline = time.monotonic() + _STARTUP_S
    with httpx.Client(base_url=server.url, timeout=5) as http:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise DemoError(f"the sync server stopped at start-up; see {server.log_path}")
            try:
                if http.get(api.TIME).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise DemoError(
        f"the sync server did not answer within {_STARTUP_S:.0f} s; see {server.log_path}"
    )
