"""The unit board and the supervisor's conflicts inbox, driven through the real Flet session
over real encrypted stores; conflicting states come from a second device's store, merged
through the store's replication API."""

from __future__ import annotations

from pathlib import Path

from mobile_app.store import LocalStore
from shared.lifecycle import UnitStatus
from shared.protocol import IncidentFields
from tests.ui.conftest import Session, open_app, run
from tests.ui.device import FAST_KDF, PIN, OfflineDevice, ServerLog


def seed(store) -> tuple[str, str]:
    fire = store.create_incident(IncidentFields(incident_type="FSTRU", address="9 Birch Rd"), 1)
    fall = store.create_incident(IncidentFields(incident_type="FALL", address="1 Main St"), 3)
    store.upsert_unit("E1", name="E1", station="Station 1")
    return fire.entity_id, fall.entity_id


def double_book(s: Session, tmp_path: Path) -> tuple[str, str, LocalStore]:
    """E1 sent to the fire by this device and to the fall by another, both offline."""
    other = LocalStore.create(tmp_path / "other.db", PIN, "dev-b", "bob", kdf=FAST_KDF)
    server = ServerLog()
    fire, fall = seed(s.store)
    server.exchange(s.store, other)
    s.store.set_unit_status("E1", UnitStatus.DISPATCHED, incident_id=fire)
    other.set_unit_status("E1", UnitStatus.DISPATCHED, incident_id=fall)
    server.exchange(s.store, other)
    return fire, fall, other


def test_a_unit_changes_status_with_one_tap(device):
    async def go() -> None:
        async with open_app(device) as s:
            h = s.h
            fire, _ = seed(s.store)
            await h.nav("Units")
            assert h.text_of("unit-E1-status") == "Available"
            await h.tap("unit-E1-Dispatched")  # "Assign" opens the open incidents
            assert h.has(f"assign-E1-{fire}")
            await h.tap(f"assign-E1-{fire}")
            assert h.text_of("unit-E1-status") == "Dispatched"
            assert "On P1 FSTRU · 9 Birch Rd" in h.text_of("unit-row-E1")
            await h.tap("unit-E1-EnRoute")
            assert h.text_of("unit-E1-status") == "En route"
            assert s.store.units()[0].status is UnitStatus.ENROUTE
            assert h.crashes() == []

    run(go())


def test_a_unit_added_on_the_board_can_be_put_out_of_service(device):
    async def go() -> None:
        async with open_app(device) as s:
            h = s.h
            await h.nav("Units")
            assert not h.has("unit-new-name")
            await h.tap("unit-add-open")
            await h.tap("unit-add")
            assert h.tagged("unit-new-name").error == "Name the unit first"
            await h.type("unit-new-name", "M7")
            await h.type("unit-new-station", "Station 7")
            await h.tap("unit-add")
            (unit,) = s.store.units()
            assert (unit.name, unit.station) == ("M7", "Station 7")
            assert not h.has("unit-new-name")  # the form folds away once saved
            await h.tap(f"unit-{unit.unit_id}-OutofService")
            assert h.text_of(f"unit-{unit.unit_id}-status") == "Out of service"
            assert "0 available · 0 committed · 1 out of service" in h.screen()
            assert h.crashes() == []

    run(go())


def test_the_incident_shows_the_unit_with_its_timestamps(device):
    async def go() -> None:
        async with open_app(device) as s:
            h = s.h
            fire, _ = seed(s.store)
            s.store.set_unit_status("E1", UnitStatus.DISPATCHED, incident_id=fire)
            s.store.set_unit_status("E1", UnitStatus.ONSCENE)
            await h.nav("Queue")
            await h.tap(f"queue-row-{fire}")
            unit = h.text_of("detail-unit-E1")
            assert "E1: On scene" in unit
            assert "Dispatched " in unit and "On scene " in unit
            assert "E1: Dispatched" in h.screen()  # and in the timeline
            assert h.crashes() == []

    run(go())


def test_a_dispatcher_sees_a_double_booked_unit_but_no_conflicts_tab(device, tmp_path):
    async def go() -> None:
        async with open_app(device) as s:
            h = s.h
            _, _, other = double_book(s, tmp_path)
            other.lock()
            assert h.tabs() == ["Queue", "New call", "Units"]
            await h.nav("Units")
            assert "DOUBLE-BOOKED" in h.text_of("unit-row-E1")
            assert h.text_of("unit-E1-double") == (
                "Double-booked: P1 FSTRU · 9 Birch Rd and P3 FALL · 1 Main St"
            )
            assert h.crashes() == []

    run(go())


def test_a_supervisor_sees_both_sides_and_resolves_the_conflict(supervisor_device, tmp_path):
    async def go() -> None:
        async with open_app(supervisor_device) as s:
            h = s.h
            fire, _, other = double_book(s, tmp_path)
            other.lock()
            assert h.tabs() == ["Queue", "New call", "Units", "Conflicts", "Reports"]
            await h.nav("Conflicts")
            card = h.text_of("conflict-0")
            assert "Unit committed to two incidents" in card
            assert "sam on dev-s" in card and "bob on dev-b" in card
            assert "dispatched it to P1 FSTRU · 9 Birch Rd" in card
            assert "dispatched it to P3 FALL · 1 Main St" in card
            assert h.text_of("conflict-0-option-0") == "Keep E1 on P1 FSTRU · 9 Birch Rd"
            await h.tap("conflict-0-option-0")
            assert "No open conflicts. Nothing to decide." in h.screen()
            assert s.store.conflicts() == []
            (unit,) = s.store.units()
            assert (unit.incident_id, unit.double_booked) == (fire, False)
            assert h.crashes() == []

    run(go())


def test_the_conflicts_tab_counts_open_conflicts(supervisor_device, tmp_path):
    async def go() -> None:
        async with open_app(supervisor_device) as s:
            h = s.h
            _, _, other = double_book(s, tmp_path)
            other.lock()
            await h.nav("Queue")  # any redraw refreshes the badge
            bar = h.page.navigation_bar
            assert bar is not None
            assert bar.destinations[3].badge == "1"
            assert h.crashes() == []

    run(go())


def test_changes_merged_from_the_server_redraw_the_screen(device, tmp_path):
    async def go() -> None:
        async with open_app(device) as s:
            h = s.h
            other = LocalStore.create(tmp_path / "other.db", PIN, "dev-b", "bob", kdf=FAST_KDF)
            other.create_incident(IncidentFields(incident_type="FALL", address="1 Main St"), 3)
            ServerLog().exchange(other, s.store)
            other.lock()
            await h.settle()
            assert "1 Main St" in h.screen()
            assert h.unsent() == []
            assert h.crashes() == []

    run(go())


def test_offline_the_sync_bar_shows_the_sync_clients_words_and_the_next_try(device):
    async def go() -> None:
        async with open_app(device) as s:
            h = s.h
            s.store.create_incident(IncidentFields(incident_type="FALL"), 3)
            await s.sync_settled()  # the real client's attempt at an unreachable server
            s.app.tick(1.0)
            assert h.unsent() == []
            assert h.text_of("sync-headline") == "Offline"
            assert h.text_of("sync-pending") == "1 change waiting to send"
            assert h.text_of("sync-problem").startswith("No connection to the server.")
            assert "next try in" in h.text_of("sync-last") or "trying again now" in h.text_of(
                "sync-last"
            )
            assert h.crashes() == []

    run(go())


def test_an_it_account_sees_no_incident_data(tmp_path):
    from shared.api import Role

    device = OfflineDevice(tmp_path, role=Role.ADMIN, user_id="it", device_id="dev-it")

    async def go() -> None:
        async with open_app(device) as s:
            assert s.h.tabs() == []
            assert "sees no incident data" in s.h.screen()

    try:
        run(go())
    finally:
        device.close()
