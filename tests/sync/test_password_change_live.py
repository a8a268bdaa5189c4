"""Changing one's own password over a hotspot that drops: the answer is lost after the server
made the change.  The tablet cannot know which happened, so it says both; at its next sync the
server has ended its old sign-in, it asks for the new password, and the work that waited on
it goes.  Nothing is lost and nothing is sent twice.  A change the network delivers twice is
made once, and the copy counts against nobody."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from mobile_app.sync.errors import Offline
from mobile_app.sync.scheduler import SyncScheduler
from mobile_app.sync.status import Connectivity, SyncStatus
from shared.api import Role
from shared.protocol import IncidentFields
from sync_server.store.tables import AuditRow, ChangeRow, UserRow
from sync_server.testing import LiveServer, sqlite_url, start_server
from tests.chaos.faulty_proxy import ThreadedProxy, run_in_thread
from tests.sync.conftest import PASSWORD, enroll_device, run

NEW = "a new passphrase for olga"
CALL = IncidentFields(incident_type="FALL", address="3 Quay St", caller_name="Ada Byron")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("password-change")
    with start_server(sqlite_url(workdir / "server.db"), workdir=workdir) as server:
        server.add_user("olga", PASSWORD, Role.DISPATCHER)
        yield server


@pytest.fixture
def hotspot(live: LiveServer) -> Iterator[ThreadedProxy]:
    with run_in_thread(int(live.url.rsplit(":", 1)[1])) as proxy:
        yield proxy


def hotspot_url(hotspot: ThreadedProxy) -> str:
    return f"http://127.0.0.1:{hotspot.port}"


async def _until(scheduler: SyncScheduler, done: Callable[[SyncStatus], bool]) -> None:
    for _ in range(400):
        if done(scheduler.status):
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"never reached; last status {scheduler.status}")


def test_the_answer_to_a_password_change_is_lost_and_nothing_else_is(
    live: LiveServer, hotspot: ThreadedProxy, tmp_path: Path
):
    tablet = enroll_device(
        live, tmp_path, "olga-tablet", "olga", url=f"http://127.0.0.1:{hotspot.port}"
    )
    waiting = tablet.store.create_incident(CALL, 2)

    async def shift() -> None:
        client = tablet.client()
        scheduler = SyncScheduler(client, periodic_s=3600, live=False)
        try:
            hotspot.script(["pass", "cut_after_commit"])  # the refresh, then the change
            with pytest.raises(Offline):
                await scheduler.change_password(PASSWORD, NEW)
            await scheduler.start()
            await _until(scheduler, lambda s: s.connectivity is Connectivity.SIGNED_OUT)
            assert tablet.store.pending_count() == 1, "the call waits on the tablet"

            await scheduler.sign_in(NEW)  # the change did go through
            await _until(scheduler, lambda s: s.pending_ops == 0)
        finally:
            await scheduler.stop()
            await client.aclose()

    run(shift())
    reader = live.enroll("olga", NEW, "a second tablet")
    assert reader.tokens.user_id == "olga"
    ctx = live.context()
    with ctx.db.read() as session:
        sent = session.exec(
            select(ChangeRow).where(
                ChangeRow.device_id == waiting.device_id, ChangeRow.device_seq == waiting.seq
            )
        ).all()
    assert len(sent) == 1, "the call reached the server, once"


def test_a_password_change_the_network_delivers_twice_is_made_once(
    live: LiveServer, hotspot: ThreadedProxy, tmp_path: Path
):
    """The copy arrives with a session the first one ended: refused, and counted as nothing
    (no failed logon, no lockout); the tablet carries on with what the first one answered."""
    live.add_user("piet", PASSWORD, Role.DISPATCHER)
    tablet = enroll_device(live, tmp_path, "piet-tablet", "piet", url=hotspot_url(hotspot))

    async def change() -> None:
        client = tablet.client()
        try:
            hotspot.script(["pass", "duplicate"])  # the refresh, then the change
            await client.change_password(PASSWORD, NEW)
        finally:
            await client.aclose()

    run(change())
    assert hotspot.stats.faults.get("duplicate") == 1, "the server did get it twice"
    assert tablet.sync().pushed == 0  # the tablet's fresh sign-in works
    ctx = live.context()
    with ctx.db.read() as session:
        piet = session.get(UserRow, "piet")
        assert piet is not None and piet.failed_logons == 0
        failures = session.exec(
            select(AuditRow).where(AuditRow.user_id == "piet", AuditRow.outcome == "failure")
        ).all()
    assert failures == []
