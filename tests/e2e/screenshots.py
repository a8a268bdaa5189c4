"""Phone-sized (412x915) screenshots of every main screen, from the real app in Chromium:

    python -m tests.e2e.screenshots [OUT_DIR]      # default build/screenshots

A supervisor's tablet on a realistic shift (calls of every priority, units out on them, a
paper call sheet keyed in late, a unit sent to two calls while two desks were offline), then
the link to the server is cut and a new call is taken.  ``test_screenshots.py`` runs the same
scene into a temporary directory and checks every screen rendered.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from mobile_app.demo import seed_units
from shared.api import Role
from shared.lifecycle import UnitStatus
from shared.protocol import IncidentFields
from sync_server.testing import LiveServer, sqlite_url, start_server
from tests.chaos.faulty_proxy import ThreadedProxy, run_in_thread
from tests.e2e import browser as ui
from tests.e2e.apps import start_app
from tests.e2e.conftest import PIN, enroll
from tests.e2e.desks import Desk, run_coroutine
from tests.sync.conftest import PASSWORD

#: File names, in the order the scene shows them.
SCREENS = (
    "enrollment",
    "queue",
    "incident-detail",
    "unit-board",
    "conflicts",
    "reports",
    "new-call",
    "sync-offline",
    "change-password",
    "unlock",
)
MINUTE_MS = 60_000


def capture(out_dir: Path) -> list[Path]:
    """Run the scene and write ``<screen>.png`` for every name in ``SCREENS``."""
    ui.require_chromium_or_raise()
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="da-shots-")))
        live = stack.enter_context(_agency(scratch))
        link = run_in_thread(int(live.url.rsplit(":", 1)[1]))
        stack.callback(link.stop)
        _shift(live, scratch)
        app = stack.enter_context(
            start_app(scratch, "supervisor-tablet", server_url=f"http://127.0.0.1:{link.port}")
        )
        playwright = stack.enter_context(sync_playwright())
        browser = ui.launch(playwright)
        stack.callback(browser.close)
        page = ui.open_app(browser, app.url)
        try:
            return list(_walk_through(page, link, out_dir))
        except Exception:
            page.screenshot(path=str(out_dir / "failed-here.png"))  # what the screen showed
            raise


@contextmanager
def _agency(scratch: Path) -> Iterator[LiveServer]:
    with start_server(sqlite_url(scratch / "server.db"), workdir=scratch / "server") as live:
        live.add_user("dana", PASSWORD, Role.DISPATCHER)
        live.add_user("bob", PASSWORD, Role.DISPATCHER)
        live.add_user("sam", PASSWORD, Role.SUPERVISOR)
        run_coroutine(seed_units(live.url, "dana", PASSWORD))
        yield live


def _shift(live: LiveServer, scratch: Path) -> None:
    """Two dispatch desks work a busy half hour; then both lose the link and send M1."""
    east, west = Desk(live, scratch, "east-desk", "dana"), Desk(live, scratch, "west-desk", "bob")
    now = int(time.time() * 1000)
    fire = east.store.create_incident(
        IncidentFields(
            incident_type="FSTRU",
            address="1200 Mission St",
            cross_street="8th St",
            caller_name="Ada Lovelace",
            callback_number="415-555-0134",
        ),
        1,
        "Smoke from the second floor, occupants out",
        received_ms=now - 14 * MINUTE_MS,
    ).entity_id
    crash = west.store.create_incident(
        IncidentFields(incident_type="MVAINJY", address="Hwy 101 N at Cesar Chavez"),
        2,
        received_ms=now - 9 * MINUTE_MS,
    ).entity_id
    gas = east.store.create_incident(
        IncidentFields(incident_type="GASLEAK", address="5 Oak Ave"),
        2,
        received_ms=now - 4 * MINUTE_MS,
    ).entity_id
    west.store.create_incident(
        IncidentFields(incident_type="FALL", address="77 Pine St, Apt 4", caller_name="J. Ortiz"),
        3,
        "Paper call sheet from the backup room",
        received_ms=now - 25 * MINUTE_MS,
        late=True,
    )
    east.store.create_incident(
        IncidentFields(incident_type="ALRF", address="400 Castro St"),
        4,
        received_ms=now - 2 * MINUTE_MS,
    )
    for desk in (east, west, east):
        desk.sync()
    for unit, status in (
        ("E1", UnitStatus.DISPATCHED),
        ("E1", UnitStatus.ENROUTE),
        ("E1", UnitStatus.ONSCENE),
        ("T1", UnitStatus.DISPATCHED),
        ("T1", UnitStatus.ENROUTE),
        ("M2", UnitStatus.DISPATCHED),
    ):
        east.store.set_unit_status(unit, status, incident_id=fire)
    east.store.add_note(fire, "E1 on scene: working fire, requesting second alarm")
    west.store.set_unit_status("M4", UnitStatus.DISPATCHED, incident_id=crash)
    west.store.set_unit_status("M4", UnitStatus.ENROUTE, incident_id=crash)
    west.store.set_unit_status("E5", UnitStatus.OUT_OF_SERVICE)
    for desk in (east, west, east):
        desk.sync()
    east.store.set_unit_status("M1", UnitStatus.DISPATCHED, incident_id=gas)
    west.store.set_unit_status("M1", UnitStatus.DISPATCHED, incident_id=crash)
    east.sync()
    west.sync()
    east.close()
    west.close()


def _walk_through(page: Page, link: ThreadedProxy, out_dir: Path) -> Iterator[Path]:
    def shot(name: str) -> Path:
        assert name in SCREENS, name
        path = out_dir / f"{name}.png"
        page.mouse.move(200, 2)  # no tooltip from the last tap in the picture
        ui.settled_screenshot(page, path)
        return path

    ui.type_into(page, ui.field(page, "User name"), "sam")
    yield shot("enrollment")
    enroll(page, "sam")
    expect(ui.queue_row(page, "5 Oak Ave")).to_be_visible()
    yield shot("queue")
    ui.queue_row(page, "1200 Mission St").click()
    expect(page.get_by_test_id("detail-back")).to_be_visible()
    yield shot("incident-detail")
    ui.tap(page, "detail-back")
    ui.nav(page, "Units")
    expect(page.get_by_test_id("unit-E1-status")).to_have_text("On scene")
    yield shot("unit-board")
    ui.nav(page, "Conflicts")
    expect(page.get_by_test_id("conflict-0")).to_be_visible()
    yield shot("conflicts")
    ui.nav(page, "Reports")
    expect(page.get_by_test_id("report-share")).to_be_visible()
    yield shot("reports")
    link.partition()
    try:
        ui.nav(page, "New call")
        ui.type_into(page, ui.field(page, "Incident type: code or word"), "chest pain")
        ui.tap(page, "type-option-CARDIAC")
        ui.tap(page, "intake-priority-1")
        ui.type_into(page, ui.field(page, "Address"), "20 Oak Ave")
        ui.type_into(page, ui.field(page, "Caller name"), "Maria Lopez")
        yield shot("new-call")
        ui.tap(page, "intake-save")
        expect(ui.queue_row(page, "20 Oak Ave")).to_be_visible()
        expect(page.get_by_test_id("sync-headline")).to_have_text("Offline")
        page.wait_for_timeout(4_500)  # let the "Call saved" notice go
        yield shot("sync-offline")
    finally:
        link.heal()
    expect(page.get_by_test_id("sync-headline")).to_have_text("Online", timeout=60_000)
    ui.tap(page, "password-open")
    expect(page.get_by_test_id("password-submit")).to_be_visible()
    ui.type_into(page, ui.field(page, "Current password"), PASSWORD)
    yield shot("change-password")
    ui.tap(page, "password-cancel")
    ui.tap(page, "lock")
    expect(page.get_by_test_id("unlock-submit")).to_be_visible()
    ui.type_into(page, page.get_by_role("textbox", name="PIN"), PIN)
    yield shot("unlock")


def main(argv: list[str]) -> int:
    out_dir = Path(argv[0]) if argv else Path("build") / "screenshots"
    for path in capture(out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
