"""Devices syncing with a real server over real HTTP, through dropouts the proxy injects."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mobile_app.store import KdfParams, LocalStore
from mobile_app.sync.client import RoundResult, SyncClient
from mobile_app.sync.enrollment import request_enrollment, save_tokens
from mobile_app.sync.errors import (
    DeviceRevoked,
    NotTheServer,
    Offline,
    PushRefused,
    ServerTrouble,
    StorageTrouble,
    refused_words,
)
from mobile_app.sync.scheduler import SyncScheduler
from mobile_app.sync.status import Connectivity
from shared.lifecycle import UnitStatus
from shared.protocol import IncidentFields
from sync_server.testing import LiveServer
from tests.chaos.faulty_proxy import run_in_thread
from tests.storage import full_storage
from tests.sync.conftest import PASSWORD, PIN, Device, run
from tests.sync.stand_ins import captive_portal, dead_gateway

CALL = IncidentFields(incident_type="FSTRU", address="1200 Mission St", caller_name="Ada Lovelace")


def _proxied(enroll, live, name: str):
    port = int(live.url.rsplit(":", 1)[1])
    proxy = run_in_thread(port)
    device = enroll(name, url=f"http://127.0.0.1:{proxy.port}")
    return device, proxy


def _server_copies(observer: Device, device_id: str) -> list[int]:
    """Seqs of ``device_id``'s ops in the server's change log, as a fresh puller sees them."""
    seqs: list[int] = []

    async def pull_all() -> None:
        client = observer.client()
        cursor = 0
        try:
            while True:
                reply = await client._http.get(
                    observer.url + "/v1/pull",
                    params={"cursor": cursor, "limit": 1000},
                    headers={"Authorization": f"Bearer {observer.tokens.access_token}"},
                )
                page = reply.json()
                seqs.extend(
                    c["op"]["seq"] for c in page["changes"] if c["op"]["device_id"] == device_id
                )
                cursor = page["cursor"]
                if not page["has_more"]:
                    return
        finally:
            await client.aclose()

    run(pull_all())
    return seqs


def test_an_incident_taken_offline_reaches_a_second_tablet_after_reconnect(enroll, live):
    tablet, proxy = _proxied(enroll, live, "tablet-a")
    other = enroll("tablet-b", "bob")
    with proxy:
        proxy.partition()
        op = tablet.store.create_incident(CALL, 2, "smoke from second floor")
        assert tablet.store.incident(op.entity_id).location.address == "1200 Mission St"
        with pytest.raises(Offline):
            tablet.sync()
        assert tablet.store.pending_count() == 1

        proxy.heal()
        tablet.sync()
        assert tablet.store.pending_count() == 0
    other.sync()
    seen = other.store.incident(op.entity_id)
    assert seen.location.address == "1200 Mission St"
    assert seen.caller.name == "Ada Lovelace"
    assert [n.text for n in seen.notes] == ["smoke from second floor"]


def test_a_lost_response_is_retried_without_applying_anything_twice(enroll, live):
    tablet, proxy = _proxied(enroll, live, "tablet-lost")
    observer = enroll("observer-lost", "bob")
    with proxy:
        for n in range(3):
            tablet.store.upsert_unit(unit_id=f"LOST{n}", name=f"L{n}")
        proxy.script(["cut_after_commit"])
        with pytest.raises(Offline):
            tablet.sync()
        assert tablet.store.pending_count() == 3  # it cannot know the server has them
        tablet.sync()
        assert tablet.store.pending_count() == 0
    assert _server_copies(observer, tablet.store.device_id) == [1, 2, 3]


def test_a_new_tablet_starts_from_the_merged_states_not_every_change(enroll, live):
    """A tablet enrolled at the backup site mid-incident: one state per incident, not the
    hundred edits that led to it."""
    writer = enroll("writer-history")
    inc = writer.store.create_incident(CALL, 2, "first narrative").entity_id
    for n in range(30):
        writer.store.add_note(inc, f"update {n}")
    writer.sync()

    newcomer = enroll("newcomer-history")
    result = newcomer.sync()

    assert result.pulled == 0  # nothing replayed: the snapshot already held all 31 changes
    assert newcomer.store.incident(inc) == writer.store.incident(inc)
    writer.store.add_note(inc, "after the newcomer joined")
    writer.sync()
    assert newcomer.sync().pulled == 1
    assert newcomer.store.snapshot() == writer.store.snapshot()


def test_a_cut_mid_transfer_resumes_from_the_last_page_it_finished(enroll, live):
    writer = enroll("writer-pages")
    reader, proxy = _proxied(enroll, live, "reader-pages")
    reader.page_limit = 10
    writer.store.upsert_unit(unit_id="FIRST", name="F")
    writer.sync()
    with proxy:
        reader.sync()  # on the air before the backlog: it catches up by pulling, not by snapshot
        start = reader.store.cursor
        for n in range(45):
            writer.store.upsert_unit(unit_id=f"PAGE{n:02d}", name=f"P{n}")
        writer.sync()
        proxy.script(["pass", "pass", "cut_after_commit"])
        with pytest.raises(Offline):
            reader.sync()
        checkpoint = reader.store.cursor
        assert checkpoint > start  # two pages merged and checkpointed before the cut
        forwarded_before = proxy.stats.requests_forwarded
        reader.sync()
        assert proxy.stats.requests_forwarded - forwarded_before >= 1
    assert {f"PAGE{n:02d}" for n in range(45)} <= {u.unit_id for u in reader.store.units()}


def test_a_tablet_catching_up_merges_many_pages_at_once_and_misses_nothing(enroll, live):
    writer = enroll("writer-batch")
    for n in range(45):
        writer.store.upsert_unit(unit_id=f"BATCH{n:02d}", name=f"B{n}")
    writer.sync()

    reader = enroll("reader-batch")
    reader.page_limit = 10
    checkpoints: list[int] = []
    reader.store.listen(
        lambda change: checkpoints.append(change.cursor) if change.cursor is not None else None
    )
    reader.sync()

    assert len(checkpoints) == 1  # five pages pulled, one merge: each unit sealed once
    assert checkpoints[0] == reader.store.cursor > 0
    assert {f"BATCH{n:02d}" for n in range(45)} <= {u.unit_id for u in reader.store.units()}


def test_a_refused_push_keeps_its_changes_and_the_tablet_still_receives_everyone_elses(
    enroll, live
):
    tablet, desk = enroll("tablet-refused"), enroll("desk-refused", "bob")
    tablet.store.upsert_unit("R7", name="R7")
    tablet.sync()
    # Dispatched to a call the server has not heard of (a standby still catching up).
    ghost = tablet.store.set_unit_status("R7", UnitStatus.DISPATCHED, incident_id="inc-ghost")
    fire = desk.store.create_incident(CALL, 1)
    desk.sync()

    with pytest.raises(PushRefused, match="inc-ghost"):
        tablet.sync()

    assert tablet.store.incident(fire.entity_id).location.address == "1200 Mission St"
    assert tablet.store.pending_ops() == [ghost]  # kept, to be pushed again


def _double_booked(tablet: Device, desk: Device, unit: str) -> tuple[str, str, str]:
    """Tablet and desk, each offline, send ``unit`` to a different call; both sync."""
    tablet.store.upsert_unit(unit, name=unit)
    fire_a = tablet.store.create_incident(CALL, 1).entity_id
    fire_b = tablet.store.create_incident(CALL, 2).entity_id
    tablet.sync()
    desk.sync()
    tablet.store.set_unit_status(unit, UnitStatus.DISPATCHED, incident_id=fire_a)
    desk.store.set_unit_status(unit, UnitStatus.DISPATCHED, incident_id=fire_b)
    tablet.sync()
    desk.sync()
    tablet.sync()
    return tablet.store.unit(unit).open_conflicts[0], fire_a, fire_b


def test_a_resolution_the_server_refuses_for_good_is_undone_and_what_followed_it_goes_through(
    enroll, live
):
    """Alice's tablet still offers to resolve (she was a supervisor when it last signed in,
    say).  The server refuses the resolution for good: her tablet undoes it, so the conflict is
    open again for a supervisor, tells her why, and the note she wrote after it is accepted."""
    tablet, desk = enroll("tablet-not-sup"), enroll("desk-not-sup", "bob")
    conflict, fire_a, _ = _double_booked(tablet, desk, "D9")
    resolution = tablet.store.resolve_unit_conflict("D9", conflict, fire_a)
    assert not tablet.store.unit("D9").open_conflicts  # optimistic, until the server answers
    note = tablet.store.add_note(fire_a, "D9 staging at the corner")

    async def sync_and_hear() -> list[str]:
        client = tablet.client()
        try:
            await client.sync_once()
            refused: list[str] = client.take_refused()
            return refused
        finally:
            await client.aclose()

    told = run(sync_and_hear())
    desk.sync()

    assert len(told) == 1 and "not a supervisor" in told[0]
    assert "not a supervisor" in (refused_words(told) or "")
    assert tablet.store.pending_ops() == []
    assert tablet.store.unit("D9").open_conflicts == (conflict,)
    assert [op for op, _ in tablet.store.refused_ops()] == [resolution]
    for device in (tablet, desk):
        notes = [n.text for n in device.store.incident(fire_a).notes]
        assert "D9 staging at the corner" in notes, device.name
        assert device.store.unit("D9").open_conflicts == (conflict,), device.name
    assert note.seq == resolution.seq + 1
    run(sync_and_hear())  # the refusal pulled again: nothing more to tell or undo
    assert [op for op, _ in tablet.store.refused_ops()] == [resolution]


def test_a_push_refused_whole_does_not_stop_the_tablet_receiving(enroll, live, tmp_path):
    """Ops signed by someone who never signed in on this tablet are refused, batch and all;
    the changes stay in the outbox and the tablet keeps receiving the desk's calls."""
    enrolled = run(request_enrollment(live.url, "alice", PASSWORD, "borrowed"))
    store = LocalStore.create(
        tmp_path / "borrowed.db", PIN, enrolled.device_id, "mallory", kdf=KdfParams.fast()
    )
    save_tokens(store, enrolled.tokens)
    tablet = Device("borrowed", store, live.url, enrolled.tokens)
    desk = enroll("desk-borrowed", "bob")
    mine = store.create_incident(CALL, 4)
    later = desk.store.create_incident(CALL, 3).entity_id
    desk.sync()

    with pytest.raises(PushRefused, match="mallory"):
        tablet.sync()

    assert store.incident(later).priority == 3
    assert store.pending_ops() == [mine]
    store.lock()


def test_a_revoked_tablet_is_told_to_wipe_and_its_data_is_destroyed(enroll, live):
    tablet = enroll("tablet-stolen")
    tablet.store.create_incident(CALL, 1)
    path = tablet.store.path
    revoked = live.cli("revoke", tablet.store.device_id)
    assert revoked.returncode == 0, revoked.stderr
    with pytest.raises(DeviceRevoked):
        tablet.sync()
    assert LocalStore.wipe_reason(path) is not None
    assert not LocalStore.exists(path)


def test_a_tablet_whose_clock_is_an_hour_fast_has_its_work_accepted_in_real_time(live, tmp_path):
    enrolled = run(request_enrollment(live.url, "alice", PASSWORD, "fast-clock"))
    hour = 3_600_000
    store = LocalStore.create(
        tmp_path / "fast.db",
        PIN,
        enrolled.device_id,
        "alice",
        kdf=KdfParams.fast(),
        physical_ms=lambda: int(time.time() * 1000) + hour,
    )
    save_tokens(store, enrolled.tokens)
    op = store.create_incident(CALL, 3)
    assert int(op.hlc[:15]) > time.time() * 1000 + hour / 2  # stamped an hour ahead

    device = Device("fast-clock", store, live.url, enrolled.tokens)
    device.sync()
    assert store.pending_count() == 0
    stamp = int(store.incident(op.entity_id).updated_hlc[:15])
    assert abs(stamp - time.time() * 1000) < 120_000  # re-stamped in real time
    store.lock()


def test_a_tablet_hears_about_new_work_live_without_polling(enroll, live):
    writer = enroll("writer-live")
    listener = enroll("listener-live", "bob")

    async def scenario() -> bool:
        client = SyncClient(listener.store, [live.url], listener.tokens)
        scheduler = SyncScheduler(client, periodic_s=3600)  # no polling: only announcements
        await scheduler.start()
        try:
            for _ in range(100):
                if scheduler.status.connectivity is Connectivity.ONLINE:
                    break
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)  # let the event stream connect
            unit = writer.store.upsert_unit(unit_id="LIVE1", name="Live 1")
            await asyncio.to_thread(writer.sync)
            for _ in range(300):
                if any(u.unit_id == unit.entity_id for u in listener.store.units()):
                    return True
                await asyncio.sleep(0.1)
            return False
        finally:
            await scheduler.stop()
            await client.aclose()

    assert run(scenario())


def test_unit_status_moves_sync_with_their_real_times(enroll, live):
    a = enroll("status-a")
    b = enroll("status-b", "bob")
    inc = a.store.create_incident(CALL, 2).entity_id
    a.store.upsert_unit(unit_id="E77", name="E77")
    a.store.set_unit_status("E77", UnitStatus.DISPATCHED, incident_id=inc)
    a.store.set_unit_status("E77", UnitStatus.ENROUTE)
    a.sync()
    b.sync()
    unit = b.store.unit("E77")
    assert unit.status is UnitStatus.ENROUTE and unit.incident_id == inc
    [assignment] = unit.assignments
    assert assignment.dispatched_ms is not None and assignment.enroute_ms is not None


@contextmanager
def _compacting_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A real server whose whole change log can be compacted at once (no keep window)."""
    from shared.api import Role
    from sync_server.testing import sqlite_url, start_server

    workdir = tmp_path / "server"
    workdir.mkdir()
    with start_server(
        sqlite_url(workdir / "s.db"), workdir=workdir, jobs_enabled=False, compaction_keep_seconds=0
    ) as server:
        server.add_user("alice", PASSWORD, Role.DISPATCHER)
        yield server


def test_a_tablet_enrolled_after_the_log_was_compacted_starts_from_a_snapshot(tmp_path):
    from sync_server.jobs.maintenance import compact_changes
    from tests.sync.conftest import enroll_device

    with _compacting_server(tmp_path) as server:
        writer = enroll_device(server, tmp_path, "old-hand")
        inc = writer.store.create_incident(CALL, 2, "first narrative").entity_id
        for n in range(5):
            writer.store.add_note(inc, f"note {n}")
        writer.sync()
        writer.sync()  # the second round confirms the cursor the first one reached
        ctx = server.context()
        assert compact_changes(ctx) > 0

        newcomer = enroll_device(server, tmp_path, "newcomer")
        newcomer.store.upsert_unit(unit_id="NEW1", name="N1")  # its own work, not yet sent
        newcomer.sync()
        writer.store.add_note(inc, "after the snapshot")
        writer.sync()
        newcomer.sync()
        writer.sync()
        assert newcomer.store.snapshot() == writer.store.snapshot()
        assert "after the snapshot" in {n.text for n in newcomer.store.incident(inc).notes}
        writer.store.lock()
        newcomer.store.lock()


def test_a_snapshot_cut_midway_goes_on_from_the_next_page_not_the_first(tmp_path):
    """A new tablet at the backup site loads the center's state over a hotspot that drops: the
    pages it already adopted are not downloaded again."""
    from mobile_app.store import ChangeKind
    from sync_server.jobs.maintenance import compact_changes
    from tests.sync.conftest import enroll_device

    with _compacting_server(tmp_path) as server:
        writer = enroll_device(server, tmp_path, "old-hand")
        for n in range(45):
            writer.store.upsert_unit(unit_id=f"SNAP{n:02d}", name=f"S{n}")
        writer.sync()
        writer.sync()
        assert compact_changes(server.context()) > 0
        newcomer = enroll_device(server, tmp_path, "newcomer")
        proxy = run_in_thread(int(newcomer.url.rsplit(":", 1)[1]))
        newcomer.url = f"http://127.0.0.1:{proxy.port}"
        newcomer.page_limit = 10
        adopted: list[str] = []
        newcomer.store.listen(
            lambda change: (
                adopted.extend(key[1] for key in change.entities)
                if change.kind is ChangeKind.MERGED and change.cursor is None
                else None
            )
        )
        with proxy:
            # two snapshot pages (a new device starts from one), then the link drops
            proxy.script(["pass", "pass", "cut_after_commit"])
            with pytest.raises(Offline):
                newcomer.sync()
            progress = newcomer.store.snapshot_progress
            assert progress is not None and progress.next_after is not None
            assert len(adopted) == 20 and newcomer.store.cursor == 0

            newcomer.sync()

        assert newcomer.store.snapshot_progress is None
        assert sorted(adopted) == sorted(set(adopted))  # no page adopted twice
        assert {f"SNAP{n:02d}" for n in range(45)} <= {u.unit_id for u in newcomer.store.units()}
        assert newcomer.store.snapshot() == writer.store.snapshot()
        writer.store.lock()
        newcomer.store.lock()


def test_a_tablet_that_lost_snapshot_history_gets_it_back_at_the_next_sync(tmp_path):
    """Storage damage to an entity adopted from a snapshot and to its base: only the server has
    that history, so the store asks for a resync and the next round restores it."""
    from shared.protocol import Entity
    from sync_server.jobs.maintenance import compact_changes
    from tests.device.test_corruption import _damage
    from tests.sync.conftest import enroll_device

    with _compacting_server(tmp_path) as server:
        writer = enroll_device(server, tmp_path, "old-hand")
        inc = writer.store.create_incident(CALL, 2, "first narrative").entity_id
        writer.store.add_note(inc, "second unit requested")
        writer.sync()
        writer.sync()
        assert compact_changes(server.context()) > 0
        newcomer = enroll_device(server, tmp_path, "newcomer")
        newcomer.sync()
        assert newcomer.store.incident(inc).caller.name == "Ada Lovelace"

        for table in ("entity_base", "entity"):
            _damage(
                newcomer.store.path, f"update {table} set state = x'00' where entity_id = ?", inc
            )
        assert (Entity.INCIDENT, inc) not in newcomer.store.repair()  # nothing here to do it
        assert newcomer.store.resync_needed

        newcomer.sync()

        assert not newcomer.store.resync_needed
        assert newcomer.store.snapshot() == writer.store.snapshot()
        newcomer.store.add_note(inc, "after the repair")  # and the record is usable again
        writer.store.lock()
        newcomer.store.lock()


def test_a_tablet_whose_storage_is_full_says_so_and_catches_up_once_space_is_freed(enroll):
    desk, tablet = enroll("desk-busy", "bob"), enroll("tablet-full")
    taken = [desk.store.create_incident(CALL, 2, "smoke showing " * 100) for _ in range(20)]
    desk.sync()

    with full_storage(tablet.store), pytest.raises(StorageTrouble) as trouble:
        tablet.sync()
    assert trouble.value.retry, "the schedule keeps trying"
    assert "storage is full" in trouble.value.words
    assert tablet.store.cursor == 0

    tablet.sync()
    assert {op.entity_id for op in taken} <= {i.incident_id for i in tablet.store.incidents()}


@pytest.mark.parametrize("style", ["redirect", "page"])
def test_a_wifi_sign_in_page_is_not_taken_for_the_server(enroll, live, style):
    """A hotel Wi-Fi answers every request itself until someone accepts its terms: the tablet
    says the network is in the way (not "the server refused a change"), keeps its work, fails
    over to the next site as when offline, and sends once the server answers."""
    tablet = enroll(f"tablet-hotel-{style}")
    taken = tablet.store.create_incident(CALL, 2)

    with captive_portal(style) as portal:
        tablet.url = portal.url
        with pytest.raises(NotTheServer) as in_the_way:
            tablet.sync()
        assert "sign-in page" in in_the_way.value.words
        assert tablet.store.pending_ops() == [taken]

        async def via_next_site() -> RoundResult:
            client = SyncClient(tablet.store, [portal.url, live.url], tablet.tokens)
            try:
                return await client.sync_once()
            finally:
                await client.aclose()

        assert run(via_next_site()).server == live.url
    assert tablet.store.pending_count() == 0


def test_enrolling_behind_a_wifi_sign_in_page_says_so(tmp_path):
    with captive_portal("page") as portal, pytest.raises(NotTheServer):
        run(request_enrollment(portal.url, "alice", PASSWORD, "tablet-lobby"))


def test_a_site_whose_proxy_answers_bad_gateway_is_passed_over_for_the_next(enroll, live):
    """The primary's server is down behind its TLS proxy, which answers 502 to everything:
    the tablet goes to the standby site as if the primary were unreachable, instead of
    waiting on the primary's backoff for as long as the outage lasts."""
    tablet = enroll("tablet-evacuated")
    taken = tablet.store.create_incident(CALL, 1)

    with dead_gateway() as primary:
        tablet.url = primary.url
        with pytest.raises(ServerTrouble):
            tablet.sync()  # the only site: nowhere else to go
        assert tablet.store.pending_ops() == [taken]

        async def with_a_standby() -> RoundResult:
            client = SyncClient(tablet.store, [primary.url, live.url], tablet.tokens)
            try:
                return await client.sync_once()
            finally:
                await client.aclose()

        assert run(with_a_standby()).server == live.url
    assert tablet.store.pending_count() == 0
