"""A tablet lets a closed call go (the retention rule; here with no waiting period) and a desk
reopens it: at the tablet's next sync the call comes back whole from the server, with its
address, caller and notes, not as the one reopening change."""

from __future__ import annotations

import asyncio
from typing import Any

from mobile_app.sync.scheduler import SyncScheduler
from shared.hlc import system_ms
from shared.protocol import Entity, IncidentFields
from tests.sync.conftest import run

DAY_MS = 86_400_000
CALL = IncidentFields(incident_type="FSTRU", address="12 Harbor Rd", caller_name="Ada Byron")


def test_a_call_the_tablet_let_go_comes_back_whole_when_a_desk_reopens_it(enroll: Any):
    tablet, desk = enroll("retention-tablet"), enroll("retention-desk")
    made = tablet.store.create_incident(CALL, 2, "smoke from a shed")
    tablet.store.add_note(made.entity_id, "neighbour has a key")
    tablet.store.set_incident_status(made.entity_id, "Closed", disposition="02")
    tablet.sync()
    desk.sync()

    gone = tablet.store.purge_closed(older_than_ms=system_ms() + DAY_MS)
    assert (Entity.INCIDENT, made.entity_id) in gone
    desk.store.set_incident_status(made.entity_id, "ReOpened")
    desk.sync()
    tablet.sync()

    back = tablet.store.incident(made.entity_id)
    assert back.location.address == "12 Harbor Rd"
    assert back.caller.name == "Ada Byron"
    assert [n.text for n in back.notes] == ["smoke from a shed", "neighbour has a key"]
    assert back.status.value == "ReOpened"
    assert tablet.store.refetch_needed() == []
    assert (
        tablet.store.snapshot()["incidents"][made.entity_id]
        == (desk.store.snapshot()["incidents"][made.entity_id])
    )


def _ids(device: Any) -> set[str]:
    return {i.incident_id for i in device.store.incidents(open_only=False)}


def test_the_schedule_lets_closed_calls_go_after_a_round_that_sent_them(enroll: Any):
    """With a retention of zero days, a closed call leaves once the server has it, and not
    before (offline, it stays)."""
    tablet = enroll("retention-schedule")
    made = tablet.store.create_incident(CALL, 2)
    tablet.store.set_incident_status(made.entity_id, "Closed", disposition="02")
    assert tablet.store.purge_closed(older_than_ms=system_ms() + DAY_MS) == [], "unsent"

    async def shift() -> None:
        client = tablet.client()
        scheduler = SyncScheduler(client, periodic_s=3600, live=False, keep_closed_days=0)
        try:
            await scheduler.start()
            for _ in range(400):
                if made.entity_id not in _ids(tablet):
                    break
                await asyncio.sleep(0.025)
        finally:
            await scheduler.stop()
            await client.aclose()

    run(shift())
    assert tablet.store.pending_count() == 0
    assert made.entity_id not in _ids(tablet)
