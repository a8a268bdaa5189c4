"""Live updates: a connected tablet hears "there is something new" as soon as anyone pushes,
whichever server process the push went to (several processes on one PostgreSQL database)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from shared.api import EVENTS, Role
from sync_server.testing import LiveServer, bearer, postgres_schema, start_server
from tests.server.client import Device

#: Reading an event that never comes fails the test instead of hanging it.
READ_TIMEOUT_S = 20.0


class EventStream:
    """The ``changes`` events of one SSE connection, read one at a time."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines

    def next_seq(self) -> int:
        event, data = None, None
        for line in self._lines:
            if line.startswith("event:"):
                event = line.partition(":")[2].strip()
            elif line.startswith("data:"):
                data = line.partition(":")[2].strip()
            elif line == "" and event == "changes" and data is not None:
                return int(json.loads(data)["seq"])
        raise AssertionError("the event stream ended")

    def seq_at_least(self, wanted: int) -> int:
        while (seq := self.next_seq()) < wanted:
            pass
        return seq


@contextmanager
def listening(server: LiveServer, device: Device) -> Iterator[EventStream]:
    timeout = httpx.Timeout(10.0, read=READ_TIMEOUT_S)
    with (
        httpx.Client(base_url=server.url, timeout=timeout) as http,
        http.stream("GET", EVENTS, headers=bearer(device.tokens.access_token)) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventStream(response.iter_lines())


def _push_something(device: Device) -> int:
    incident = device.create_incident()
    device.add_note(incident, "crew requests a second alarm")
    device.push()
    return max(c.seq for c in device.pull_all())


def test_a_connected_tablet_hears_about_a_push_at_once(server: LiveServer):
    listener, writer = Device.new(server), Device.new(server)
    writer.pull_all()
    with listening(server, listener) as events:
        first = events.next_seq()
        assert first >= 0
        head = _push_something(writer)
        assert events.seq_at_least(head) >= head


def test_admins_cannot_listen_to_incident_activity(server: LiveServer):
    admin = Device.new(server, Role.ADMIN)
    assert admin.http.get(EVENTS).status_code == 403


@pytest.fixture
def two_processes(postgres_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    with (
        postgres_schema(postgres_url) as url,
        start_server(url, workdir=tmp_path / "a", server_id="a") as first,
        start_server(url, workdir=tmp_path / "b", server_id="b") as second,
    ):
        yield first, second


@pytest.mark.postgres
def test_a_push_to_one_server_process_reaches_tablets_on_another(two_processes):
    server_a, server_b = two_processes
    writer = Device.new(server_a)
    listener = Device.new(server_b)
    with listening(server_b, listener) as events:
        events.next_seq()
        head = _push_something(writer)
        assert events.seq_at_least(head) >= head
    with listening(server_a, writer) as events:  # and the other way round
        events.next_seq()
        listener.create_incident()
        listener.push()
        assert events.seq_at_least(head + 1) > head
