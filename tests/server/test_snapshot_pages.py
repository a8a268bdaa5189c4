"""Snapshot pages are bounded by size as well as by count: a tablet decodes a page in one go,
and a dispatcher's tap on that tablet waits for it (13 MB and half a second for 500 busy units
before).  However the pages fall, together they hold every incident and unit exactly once."""

from __future__ import annotations

from shared.api import SNAPSHOT
from shared.merge import IncidentState
from shared.protocol import IncidentFields
from sync_server.messages import SnapshotPage
from sync_server.service.snapshot import SNAPSHOT_PAGE_BYTES, page_of
from sync_server.testing import LiveServer
from tests.server.client import Device
from tests.simulation import SimDevice

LONG_NOTE = ("caller reports smoke from the roof, two children inside, mother outside; " * 60)[
    :4000
]


def _pages(device: Device, limit: int) -> list[SnapshotPage]:
    pages, after = [], None
    while True:
        params: dict[str, str | int] = {"limit": limit, **({"after": after} if after else {})}
        reply = device.http.get(SNAPSHOT, params=params)
        assert reply.status_code == 200, reply.text
        page = SnapshotPage.model_validate_json(reply.content)
        pages.append(page)
        if page.next_after is None:
            return pages
        after = page.next_after


def _state_bytes(page: SnapshotPage) -> int:
    return sum(
        len(IncidentState.model_validate(item.state).model_dump_json()) for item in page.entities
    )


def test_a_busy_centres_snapshot_comes_in_pages_of_half_a_megabyte_holding_every_call_once(
    server: LiveServer,
):
    desk, newcomer = Device.new(server), Device.new(server)
    calls = []
    for n in range(140):  # ~4 kB of notes each: ~0.6 MB of state in all
        calls.append(desk.create_incident(address=f"{n} Harbor Rd"))
        desk.add_note(calls[-1], LONG_NOTE)
    desk.push()

    pages = _pages(newcomer, limit=500)

    assert len(pages) >= 2
    assert all(_state_bytes(page) <= SNAPSHOT_PAGE_BYTES for page in pages)
    listed = [item.entity_id for page in pages for item in page.entities]
    assert sorted(listed) == sorted(calls)
    assert {page.cursor for page in pages} == {len(calls) * 2}
    desk.close()
    newcomer.close()


def test_a_state_larger_than_a_page_still_comes_on_a_page_of_its_own():
    desk = SimDevice("dev-desk", now=[1_800_000_000_000])
    calls = []
    for n in range(3):
        desk.local(desk.commands.create_incident(IncidentFields(address=f"{n} Elm St"), 2))
        calls.append(desk.pending[-1].entity_id)
    small, big, after = (desk.replica.incidents[i] for i in calls)
    for _ in range(3):
        desk.local(desk.commands.add_note(big, LONG_NOTE))
    candidates = [("incident", state.id, state) for state in (small, big, after)]
    page_bytes = len(big.model_dump_json()) - 1

    first = page_of(candidates, max_bytes=page_bytes)
    second = page_of(candidates[1:], max_bytes=page_bytes)

    assert [item.entity_id for item in first] == [small.id]  # the big one would not fit too
    assert [item.entity_id for item in second] == [big.id]  # alone, it comes anyway
    everything = page_of(candidates, max_bytes=10**9)
    assert [item.entity_id for item in everything] == [small.id, big.id, after.id]
    assert IncidentState.model_validate(second[0].state) == big
