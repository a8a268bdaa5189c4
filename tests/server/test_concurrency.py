"""Many tablets pushing at once never make a puller skip a change.

On PostgreSQL, sequence numbers are handed out before commit, so without care a change with
a smaller seq can commit after a puller has already moved past it.  The server serializes
appends so seq order is commit order; this spec watches the log while it is written.
"""

from __future__ import annotations

import threading

from shared.api import PULL
from shared.protocol import PullPage
from sync_server.testing import LiveServer
from tests.server.client import Device

WRITERS = 6
BATCHES = 15


def _write(device: Device, errors: list[str]) -> None:
    try:
        incident = device.create_incident()
        device.push()
        for n in range(BATCHES):
            device.add_note(incident, f"{device.user_id} update {n}")
            device.add_note(incident, f"{device.user_id} update {n}b")
            device.push()
    except Exception as error:  # surfaced by the main thread
        errors.append(repr(error))


def test_concurrent_pushes_never_leave_a_gap_behind_a_live_puller(server: LiveServer):
    writers = [Device.new(server) for _ in range(WRITERS)]
    reader = Device.new(server)
    reader.pull_all()
    start = reader.cursor
    errors: list[str] = []
    threads = [threading.Thread(target=_write, args=(w, errors)) for w in writers]
    seen: list[int] = []
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        response = reader.http.get(PULL, params={"cursor": reader.cursor, "limit": 7})
        page = PullPage.model_validate_json(response.content)
        seen += [c.seq for c in page.changes]
        reader.cursor = page.cursor
    for thread in threads:
        thread.join()
    seen += [c.seq for c in reader.pull_all()]

    assert not errors
    everything = Device(server, reader.user_id)
    everything.cursor = start
    complete = [c.seq for c in everything.pull_all()]
    assert len(complete) >= WRITERS * (1 + 2 * BATCHES)
    assert seen == complete
