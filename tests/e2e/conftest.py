"""Browser end-to-end fixtures: a real sync server (subprocess), the fault-injecting proxy in
front of it for tablet A, two app processes (two devices, two people) and headless Chromium.

Everything expensive is started once per module; each test leaves the link healed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from mobile_app.demo import seed_units
from shared.api import Role
from sync_server.testing import LiveServer, sqlite_url, start_server
from tests.chaos.faulty_proxy import ThreadedProxy, run_in_thread
from tests.e2e import browser as ui
from tests.e2e.apps import AppProcess, start_app
from tests.e2e.desks import Desk, run_coroutine
from tests.sync.conftest import PASSWORD

PIN = "2468"


@dataclass
class Tablet:
    """One device in the test: its app process and the browser tab showing it."""

    app: AppProcess
    page: Page
    user: str


@pytest.fixture(scope="module", autouse=True)
def _chromium_present() -> None:
    """Skip (or fail under DA_REQUIRE_BROWSER=1) before starting any process."""
    ui.require_chromium()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = ui.launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The agency's server with its people and its fleet (pushed as ops, as the demo does)."""
    workdir = tmp_path_factory.mktemp("server")
    with start_server(sqlite_url(workdir / "server.db"), workdir=workdir) as server:
        server.add_user("dana", PASSWORD, Role.DISPATCHER)
        server.add_user("bob", PASSWORD, Role.DISPATCHER)
        server.add_user("sam", PASSWORD, Role.SUPERVISOR)
        run_coroutine(seed_units(server.url, "dana", PASSWORD))
        yield server


@pytest.fixture(scope="module")
def link(live: LiveServer) -> Iterator[ThreadedProxy]:
    """Tablet A's connection to the server: a proxy the tests can cut (``partition``)."""
    proxy = run_in_thread(int(live.url.rsplit(":", 1)[1]))
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("devices")


@pytest.fixture(scope="module")
def tablet_a(chromium: Browser, link: ThreadedProxy, workdir: Path) -> Iterator[Tablet]:
    """Dana, a dispatcher, on a tablet whose link to the server goes through ``link``."""
    with start_app(workdir, "tablet-a", server_url=f"http://127.0.0.1:{link.port}") as app:
        page = ui.open_app(chromium, app.url)
        enroll(page, "dana")
        yield Tablet(app, page, "dana")
        page.context.close()


@pytest.fixture(scope="module")
def tablet_b(chromium: Browser, live: LiveServer, workdir: Path) -> Iterator[Tablet]:
    """Sam, a supervisor, on a second tablet connected straight to the server."""
    with start_app(workdir, "tablet-b", server_url=live.url) as app:
        page = ui.open_app(chromium, app.url)
        enroll(page, "sam")
        yield Tablet(app, page, "sam")
        page.context.close()


@pytest.fixture
def desks(live: LiveServer, tmp_path: Path) -> Iterator[Callable[[str, str], Desk]]:
    """Enroll dispatch desks outside the browser: ``desks(device_name, user)``."""
    made: list[Desk] = []

    def make(name: str, user: str) -> Desk:
        desk = Desk(live, tmp_path, name, user)
        made.append(desk)
        return desk

    yield make
    for desk in made:
        desk.close()


@pytest.fixture
def healed(link: ThreadedProxy) -> Iterator[ThreadedProxy]:
    """The link, restored after the test whatever happened."""
    yield link
    link.heal()


def enroll(page: Page, user: str) -> None:
    """Enroll through the screen: the server address is pre-filled by the app's start-up."""
    ui.tap(page, "enroll-submit")  # nothing typed yet: says what is missing, sends nothing
    expect(page.get_by_text("Check the highlighted fields")).to_be_visible()
    ui.type_into(page, ui.field(page, "User name"), user)
    ui.type_into(page, ui.field(page, "Password"), PASSWORD)
    ui.type_into(page, ui.field(page, "New PIN for this device"), PIN)
    ui.type_into(page, ui.field(page, "PIN again"), PIN)
    ui.tap(page, "enroll-submit")
    expect(page.get_by_role("tab", name="Queue")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_test_id("sync-headline")).to_have_text("Online")
