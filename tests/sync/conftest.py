"""Real devices against a real server: encrypted stores, the real sync client, uvicorn on
loopback, and (where a test asks) the fault-injecting proxy in between."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from mobile_app.store import KdfParams, LocalStore
from mobile_app.sync.client import SyncClient
from mobile_app.sync.enrollment import create_enrolled_store, request_enrollment, save_tokens
from shared.api import Role
from sync_server.testing import LiveServer, sqlite_url, start_server

PIN = "4821"
PASSWORD = "correct horse battery"
SIGN_IN_S = 2
"""How long a sign-in (refresh token) lasts on a ``short_lived_server`` that asks for it."""
T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@dataclass
class Device:
    """One enrolled tablet: its encrypted store and a sync client aimed at ``url``."""

    name: str
    store: LocalStore
    url: str
    tokens: Any
    page_limit: int = 500
    rounds: list[Any] = field(default_factory=list)

    def client(self) -> SyncClient:
        def keep(tokens: Any) -> None:
            self.tokens = tokens
            save_tokens(self.store, tokens)

        return SyncClient(
            self.store, [self.url], self.tokens, page_limit=self.page_limit, on_tokens=keep
        )

    def sync(self) -> Any:
        async def once() -> Any:
            client = self.client()
            try:
                return await client.sync_once()
            finally:
                self.tokens = client.tokens
                await client.aclose()

        result = run(once())
        self.rounds.append(result)
        return result


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("sync-server")
    with start_server(sqlite_url(workdir / "server.db"), workdir=workdir) as server:
        server.add_user("alice", PASSWORD, Role.DISPATCHER)
        server.add_user("bob", PASSWORD, Role.DISPATCHER)
        server.add_user("sue", PASSWORD, Role.SUPERVISOR)
        yield server


def enroll_device(
    live: LiveServer, directory: Path, name: str, user: str = "alice", *, url: str | None = None
) -> Device:
    enrolled = run(request_enrollment(live.url, user, PASSWORD, name))
    store = create_enrolled_store(
        directory / f"{name}.db", PIN, enrolled, live.url, kdf=KdfParams.fast()
    )
    return Device(name, store, url or live.url, enrolled.tokens)


@pytest.fixture
def enroll(live: LiveServer, tmp_path: Path) -> Iterator[Any]:
    made: list[Device] = []

    def make(name: str, user: str = "alice", *, url: str | None = None) -> Device:
        device = enroll_device(live, tmp_path, name, user, url=url)
        made.append(device)
        return device

    yield make
    for device in made:
        if not device.store.locked:
            device.store.lock()


@contextmanager
def short_lived_server(
    directory: Path,
    users: Mapping[str, Role],
    *,
    access_token_seconds: int,
    refresh_token_seconds: int = 12 * 60 * 60,
) -> Iterator[LiveServer]:
    """A server on an SQLite file whose tokens run out in seconds, with ``users`` (password
    ``PASSWORD``): for the specs of what a tablet does when its sign-in ends or its role
    changes."""
    with start_server(
        sqlite_url(directory / "server.db"),
        workdir=directory,
        access_token_seconds=access_token_seconds,
        refresh_token_seconds=refresh_token_seconds,
    ) as server:
        for username, role in users.items():
            server.add_user(username, PASSWORD, role)
        yield server
