"""The sync schedule never gives up on its own: however short the retry delay it draws, a
tablet that lost its link keeps trying, and syncs once the link is back without anyone
touching it."""

from __future__ import annotations

import asyncio
import logging
import random
import time

from mobile_app.store import LocalStore
from mobile_app.sync.backoff import Backoff
from mobile_app.sync.scheduler import SyncScheduler
from mobile_app.sync.status import Connectivity, SyncStatus
from shared.protocol import IncidentFields
from tests.chaos.faulty_proxy import FaultPlan, run_in_thread
from tests.sync.conftest import PIN, run


def test_a_tablet_that_draws_near_zero_retry_delays_keeps_retrying_until_the_link_returns(
    enroll, live
):
    proxy = run_in_thread(int(live.url.rsplit(":", 1)[1]))
    tablet = enroll("tablet-retry", url=f"http://127.0.0.1:{proxy.port}")
    attempts: list[float] = []

    def seen(status: SyncStatus) -> None:
        if status.connectivity is Connectivity.SYNCING:
            attempts.append(time.monotonic())

    async def night() -> None:
        client = tablet.client()
        # Delays of at most 1 ms: the next round is due while the failed one is finishing.
        backoff = Backoff(base_s=0.001, cap_s=0.001)
        scheduler = SyncScheduler(client, periodic_s=3600, backoff=backoff, on_status=seen)
        try:
            proxy.partition()
            tablet.store.create_incident(IncidentFields(incident_type="FALL", address="9 Elm"), 3)
            await scheduler.start()
            await asyncio.sleep(1.0)
            assert len(attempts) >= 5, f"only {len(attempts)} attempts in a second offline"
            assert tablet.store.pending_count() == 1

            proxy.heal()
            deadline = time.monotonic() + 10
            while tablet.store.pending_count():
                assert time.monotonic() < deadline, f"never synced: {scheduler.status}"
                await asyncio.sleep(0.05)
            assert scheduler.status.connectivity is Connectivity.ONLINE
        finally:
            await scheduler.stop()
            await client.aclose()

    with proxy:
        run(night())


def test_after_a_long_outage_the_next_try_is_still_due_within_half_a_minute(enroll, live):
    """An hour without a link has run the backoff up to its ceiling: while the server cannot be
    reached, that ceiling is 30 s, so the board is fresh soon after the hotspot returns."""
    proxy = run_in_thread(int(live.url.rsplit(":", 1)[1]))
    tablet = enroll("tablet-outage", url=f"http://127.0.0.1:{proxy.port}")
    offline: list[SyncStatus] = []

    def seen(status: SyncStatus) -> None:
        if status.connectivity is Connectivity.OFFLINE and status.next_retry_ms is not None:
            offline.append(status)

    async def outage() -> None:
        client = tablet.client()
        # As if it had failed all hour; this seed draws 40 s from the 5-minute envelope.
        backoff = Backoff(failures=40, rng=random.Random(1))
        scheduler = SyncScheduler(client, periodic_s=3600, backoff=backoff, on_status=seen)
        try:
            proxy.partition()
            await scheduler.start()
            deadline = time.monotonic() + 10
            while not offline:
                assert time.monotonic() < deadline, f"never failed: {scheduler.status}"
                await asyncio.sleep(0.05)
        finally:
            await scheduler.stop()
            await client.aclose()

    with proxy:
        run(outage())
    [status] = offline[:1]
    assert status.next_retry_ms is not None
    assert status.next_retry_ms - time.time() * 1000 <= 30_000


def test_a_refused_push_goes_again_as_soon_as_the_server_hears_of_the_call(enroll, live):
    """A unit dispatched to a call its desk has not synced yet: refused, then sent the moment
    the desk's call reaches the server (its announcement), not after the retry backoff."""
    tablet, desk = enroll("tablet-early"), enroll("desk-early", "bob")
    fire = desk.store.create_incident(IncidentFields(incident_type="FSTRU", address="1 Oak"), 1)
    tablet.store.upsert_unit("E9", name="E9")
    tablet.store.set_unit_status("E9", "Dispatched", incident_id=fire.entity_id)
    problems: list[str | None] = []

    async def shift() -> None:
        client = tablet.client()
        backoff = Backoff(base_s=60.0, cap_s=60.0)  # a retry by backoff would come far too late
        scheduler = SyncScheduler(
            client, periodic_s=3600, backoff=backoff, on_status=lambda s: problems.append(s.problem)
        )
        try:
            await scheduler.start()
            deadline = time.monotonic() + 10
            while not any(problems):
                assert time.monotonic() < deadline, "the dispatch was never refused"
                await asyncio.sleep(0.05)
            assert tablet.store.pending_count() == 2  # the batch (unit, dispatch) waits whole

            await asyncio.to_thread(desk.sync)
            deadline = time.monotonic() + 10
            while tablet.store.pending_count():
                assert time.monotonic() < deadline, f"still refused: {scheduler.status}"
                await asyncio.sleep(0.05)
        finally:
            await scheduler.stop()
            await client.aclose()

    run(shift())


def test_locking_the_tablet_mid_round_is_quiet_and_keeps_the_outbox(enroll, live, caplog):
    """The dispatcher locks the tablet while a round waits on a slow hotspot: the round stops
    without an error in the log (IT reads those), and the call taken waits for the next one."""
    proxy = run_in_thread(int(live.url.rsplit(":", 1)[1]), FaultPlan(delay_ms=10_000))
    tablet = enroll("tablet-lock-mid-round", url=f"http://127.0.0.1:{proxy.port}")

    async def lock_mid_round() -> None:
        client = tablet.client()
        scheduler = SyncScheduler(client, periodic_s=3600, backoff=Backoff())
        try:
            proxy.script(["delay"])
            tablet.store.create_incident(IncidentFields(incident_type="FALL", address="9 Elm"), 3)
            await scheduler.start()
            deadline = time.monotonic() + 10
            while proxy.stats.held == 0:
                assert time.monotonic() < deadline, "the round never reached the proxy"
                await asyncio.sleep(0.02)
        finally:
            await scheduler.stop()
            await asyncio.sleep(0.2)  # let the cancelled round unwind
            await client.aclose()

    with caplog.at_level(logging.INFO), proxy:
        run(lock_mid_round())
        proxy.release_delayed()

    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
    assert tablet.store.pending_count() == 1


def test_a_tablet_restored_from_an_old_copy_says_so_in_words_and_keeps_retrying(
    enroll, live, tmp_path
):
    """A tablet's files put back from a copy older than what the server has from it: syncing on
    would reuse seqs the server holds for other ops, so the round stops and says why (not an
    endless "Syncing"), the work stays on the device, and the schedule keeps trying."""
    tablet = enroll("tablet-restored")
    tablet.store.create_incident(IncidentFields(incident_type="FALL", address="2 Elm"), 3)
    path = tablet.store.path
    tablet.store.lock()
    copies = {f: f.read_bytes() for f in path.parent.glob(path.name + "*") if f.is_file()}
    tablet.store = LocalStore.unlock(path, PIN)
    tablet.store.create_incident(IncidentFields(incident_type="FALL", address="3 Elm"), 3)
    tablet.sync()  # the server now holds seqs 1 and 2 from this device
    tablet.store.lock()
    for f in path.parent.glob(path.name + "*"):
        f.unlink()
    for f, data in copies.items():
        f.write_bytes(data)
    tablet.store = LocalStore.unlock(path, PIN)  # as it was before seq 2
    seen: list[SyncStatus] = []

    async def shift() -> None:
        client = tablet.client()
        backoff = Backoff(base_s=60.0, cap_s=60.0)
        scheduler = SyncScheduler(client, periodic_s=3600, backoff=backoff, on_status=seen.append)
        try:
            await scheduler.start()
            deadline = time.monotonic() + 10
            while not (seen and seen[-1].problem):
                assert time.monotonic() < deadline, f"no words: {scheduler.status}"
                await asyncio.sleep(0.05)
            job = scheduler._scheduler.get_job("sync")
            assert job is not None, "a retry is scheduled"
        finally:
            await scheduler.stop()
            await client.aclose()

    run(shift())
    status = seen[-1]
    assert status.connectivity is not Connectivity.SYNCING
    assert status.problem is not None
    assert "does not match the server's record of the device" in status.problem
    assert "kept on this device" in status.problem
    assert tablet.store.pending_count() == 1
    tablet.store.lock()
