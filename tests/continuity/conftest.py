"""Two sites: a primary and a standby sync server, each on its own database (an SQLite file, or
a private PostgreSQL schema), replicating through links a test can cut (one fault-injecting
proxy per direction), and enrolled tablets that know both servers' addresses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mobile_app.store import KdfParams, LocalStore
from mobile_app.sync.client import RoundResult, SyncClient
from mobile_app.sync.enrollment import create_enrolled_store, request_enrollment, save_tokens
from shared.api import Role, TokenPair
from sync_server.context import Context
from sync_server.testing import LiveServer, free_port, postgres_schema, sqlite_url, start_server
from tests.chaos.faulty_proxy import ThreadedProxy, run_in_thread
from tests.sync.conftest import PASSWORD, PIN, run

PEER_SECRET = "continuity-tests-only-peer-secret-0123456789"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass
class Site:
    """One center's server.  It keeps its port across a restart, as a real site keeps its
    address, so tablets configured with it find it again."""

    server_id: str
    site_number: int
    database_url: str
    workdir: Path
    port: int = field(default_factory=free_port)
    settings: dict[str, Any] = field(default_factory=dict)
    live: LiveServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def server(self) -> LiveServer:
        assert self.live is not None, f"{self.server_id} is down"
        return self.live

    def context(self) -> Context:
        return self.server.context()

    def start(self) -> LiveServer:
        self.live = start_server(
            self.database_url,
            workdir=self.workdir,
            server_id=self.server_id,
            port=self.port,
            site_number=self.site_number,
            peer_secret=PEER_SECRET,
            **self.settings,
        )
        return self.live

    def kill(self) -> None:
        """SIGKILL: the center is lost mid-work, nothing is shut down cleanly."""
        live = self.server
        live.process.kill()
        live.process.wait(timeout=15)
        live.stop()  # closes the test's own connections to the database
        self.live = None

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


@dataclass
class Sites:
    primary: Site
    standby: Site
    to_primary: ThreadedProxy  # the standby's link to the primary
    to_standby: ThreadedProxy  # the primary's link to the standby

    def cut(self) -> None:
        """The sites lose each other (tablets may still reach either)."""
        self.to_primary.partition()
        self.to_standby.partition()

    def mend(self) -> None:
        self.to_primary.heal()
        self.to_standby.heal()


def _database(request: pytest.FixtureRequest, stack: ExitStack, path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(path)
    base = request.getfixturevalue("postgres_url")
    return stack.enter_context(postgres_schema(base, prefix="da_site"))


def open_sites(request: pytest.FixtureRequest, tmp_path: Path, **settings: Any) -> Iterator[Sites]:
    """Start both sites, each pulling from the other through its proxy; ``settings`` for both."""
    with ExitStack() as stack:
        primary = Site(
            "primary", 0, _database(request, stack, tmp_path / "primary.db"), tmp_path / "p"
        )
        standby = Site(
            "standby", 1, _database(request, stack, tmp_path / "standby.db"), tmp_path / "s"
        )
        to_primary = stack.enter_context(run_in_thread(primary.port))
        to_standby = stack.enter_context(run_in_thread(standby.port))
        # What devices are told: both sites, primary first (the same list at both sites).
        settings = {"site_urls": f"{primary.url},{standby.url}", **settings}
        primary.settings = {**settings, "peers": f"http://127.0.0.1:{to_standby.port}"}
        standby.settings = {**settings, "peers": f"http://127.0.0.1:{to_primary.port}"}
        stack.callback(primary.stop)
        stack.callback(standby.stop)
        primary.start()
        standby.start()
        yield Sites(primary, standby, to_primary, to_standby)


@pytest.fixture(params=BACKENDS)
def sites(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Sites]:
    """Both sites with peer sync running every half second."""
    yield from open_sites(request, tmp_path, peer_sync_seconds=0.3, peer_backoff_max_seconds=1.0)


@dataclass
class Tablet:
    """An enrolled tablet whose sync client knows every site, primary first.

    Like the app's long-lived client, it stays with the server that last answered until that
    one becomes unreachable.
    """

    name: str
    store: LocalStore
    servers: list[str]
    tokens: TokenPair
    active: int = 0

    @property
    def server(self) -> str:
        return self.servers[self.active]

    def sync(self) -> RoundResult:
        def keep(tokens: TokenPair) -> None:
            self.tokens = tokens
            save_tokens(self.store, tokens)

        async def once() -> RoundResult:
            client = SyncClient(self.store, self.servers, self.tokens, on_tokens=keep)
            client.active = self.active
            try:
                return await client.sync_once()
            finally:
                self.active = client.active
                self.tokens = client.tokens
                await client.aclose()

        return run(once())


def enroll_tablet(sites: Sites, directory: Path, name: str, user: str) -> Tablet:
    """Enrolled at the primary, configured with both sites' addresses."""
    enrolled = run(request_enrollment(sites.primary.url, user, PASSWORD, name))
    store = create_enrolled_store(
        directory / f"{name}.db", PIN, enrolled, sites.primary.url, kdf=KdfParams.fast()
    )
    return Tablet(name, store, [sites.primary.url, sites.standby.url], enrolled.tokens)


def add_staff(sites: Sites) -> None:
    """alice and bob (dispatchers), sue (supervisor) and ian (admin), created at the primary;
    returns once the standby has copied them."""
    from tests.continuity import views  # it reads sites: imported here, not at the top

    primary, standby = sites.primary, sites.standby
    primary.server.add_user("alice", PASSWORD, Role.DISPATCHER)
    primary.server.add_user("bob", PASSWORD, Role.DISPATCHER)
    primary.server.add_user("sue", PASSWORD, Role.SUPERVISOR)
    primary.server.add_user("ian", PASSWORD, Role.ADMIN)
    views.wait_until(lambda: views.staff(standby) == views.staff(primary), "staff at the standby")
