"""Live servers for the server specs: each module gets one real server per backend (an SQLite
file and, when available, a private PostgreSQL schema); tests that need their own settings
start their own with ``start``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sync_server.testing import LiveServer, postgres_schema, sqlite_url, start_server

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _database(request: pytest.FixtureRequest, directory: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(directory / "server.db")
        return
    base = request.getfixturevalue("postgres_url")
    with postgres_schema(base) as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    yield from _database(request, tmp_path_factory.mktemp("db"))


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory) -> Iterator[LiveServer]:
    with start_server(database_url, workdir=tmp_path_factory.mktemp("server")) as live:
        yield live


@pytest.fixture(params=BACKENDS)
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database for one test."""
    yield from _database(request, tmp_path)


StartServer = Callable[..., LiveServer]


@pytest.fixture
def start(fresh_database_url: str, tmp_path: Path) -> Iterator[StartServer]:
    """Start servers with custom settings on this test's fresh database."""
    started: list[LiveServer] = []

    def launch(server_id: str = "test", **settings: Any) -> LiveServer:
        live = start_server(
            fresh_database_url, workdir=tmp_path / "servers", server_id=server_id, **settings
        )
        started.append(live)
        return live

    yield launch
    for live in started:
        live.stop()
