"""The sync schedule never gives up on its own: however short the retry delay it draws, a
tablet that lost its link keeps trying, and syncs once the link is back without anyone
touching it."""

from __future__ import annotations

import asyncio
import time

from mobile_app.sync.backoff import Backoff
from mobile_app.sync.scheduler import SyncScheduler
from mobile_app.sync.status import Connectivity, SyncStatus
from shared.protocol import IncidentFields
from tests.chaos.faulty_proxy import run_in_thread
from tests.sync.conftest import run


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
