"""The Reports tab, driven through the real Flet session over a real encrypted store: a
supervisor reads the NFPA 1225 figures for the calls on this device; a dispatcher has no tab."""

from __future__ import annotations

from mobile_app.store import LocalStore
from shared.hlc import system_ms
from shared.lifecycle import UnitStatus
from shared.protocol import IncidentFields
from tests.ui.conftest import open_app, run
from tests.ui.device import FAST_KDF, PIN, ServerLog

MINUTE = 60_000


def seed(store) -> None:
    """Three calls: answered 3 h, 50 min and 30 min ago; first unit sent after 20, 45, 75 s."""
    now = system_ms()
    for unit_id, ago, dispatch, kind in (
        ("E3", 180 * MINUTE, 20, "FSTRU"),
        ("E1", 50 * MINUTE, 45, "FSTRU"),
        ("M2", 30 * MINUTE, 75, "ALS"),
    ):
        store.upsert_unit(unit_id, name=unit_id)
        received = now - ago
        incident = store.create_incident(
            IncidentFields(incident_type=kind, address="9 Birch Rd"), 2, received_ms=received
        ).entity_id
        sent = received + dispatch * 1000
        store.set_unit_status(unit_id, UnitStatus.DISPATCHED, incident_id=incident, event_ms=sent)
        if unit_id == "E1":
            store.set_unit_status(unit_id, UnitStatus.ENROUTE, event_ms=sent + 60_000)
            store.set_unit_status(unit_id, UnitStatus.ONSCENE, event_ms=sent + 360_000)


def test_a_supervisor_reads_the_days_figures_and_narrows_them_to_the_last_hour(
    supervisor_device,
):
    async def go() -> None:
        async with open_app(supervisor_device) as s:
            h = s.h
            seed(s.store)
            assert h.tabs() == ["Queue", "New call", "Units", "Conflicts", "Reports"]
            await h.nav("Reports")
            assert h.tagged("report-range-24h").selected
            assert h.text_of("report-share") == "66.7 % dispatched within 60 s"
            assert h.text_of("report-verdict") == "Below the NFPA 1225 goal of 90 % within 60 s."
            assert h.text_of("report-calls") == "3 calls · 3 dispatched · 0 with no unit yet"
            # Interval, count, p50, p90, then what the interval measures
            assert h.text_of("report-row-processing") == (
                "Processing 3 0:45 1:09 answered to first unit dispatched"  # 20, 45, 75 s
            )
            assert h.text_of("report-row-turnout").startswith("Turnout 1 1:00 1:00 ")
            assert h.text_of("report-row-travel").startswith("Travel 1 5:00 5:00 ")
            assert h.text_of("report-row-total").startswith("Total response 1 6:45 6:45 ")
            assert h.text_of("report-bar-1") == "15-30 s 1"  # 20 s
            assert h.text_of("report-bar-4") == "60-90 s 1"  # 75 s, past the target

            await h.chip("report-range-1h")
            assert h.text_of("report-share") == "50.0 % dispatched within 60 s"
            assert h.text_of("report-row-processing").startswith(
                "Processing 2 1:00 1:12 "
            )  # 45, 75 s
            assert h.text_of("report-bar-1") == "15-30 s 0"
            assert not h.tagged("report-range-24h").selected
            assert h.crashes() == []

    run(go())


def test_a_call_taken_on_another_tablet_shows_up_in_the_open_report(supervisor_device, tmp_path):
    async def go() -> None:
        async with open_app(supervisor_device) as s:
            h = s.h
            await h.nav("Reports")
            assert h.text_of("report-empty") == "No calls received in the last 24 h."
            other = LocalStore.create(tmp_path / "other.db", PIN, "dev-b", "bob", kdf=FAST_KDF)
            other.create_incident(IncidentFields(incident_type="FALL"), 3)
            ServerLog().exchange(other, s.store)
            other.lock()
            await h.settle()
            assert h.text_of("report-calls") == "1 call · 0 dispatched · 1 with no unit yet"
            assert h.text_of("report-share") == "No call dispatched yet"
            assert h.text_of("report-warning-0") == "1 call has no unit dispatched yet."
            assert h.unsent() == []
            assert h.crashes() == []

    run(go())


def test_a_dispatcher_has_no_reports_tab(device):
    async def go() -> None:
        async with open_app(device) as s:
            h = s.h
            seed(s.store)
            assert "Reports" not in h.tabs()
            for tab in h.tabs():
                await h.nav(tab)
                assert not h.has("report-share")
            assert h.crashes() == []

    run(go())
