"""Driving the Flet web client in headless Chromium with Playwright.

What the Flutter web client needs (findings of the Flet 1.0.5 spike, /tmp/fletspike/NOTES.md):
- the accessibility DOM is off until ``flt-semantics-placeholder`` is clicked; it sits off
  screen, so the click is dispatched, not performed;
- ``ft.Semantics(identifier=...)`` lands as ``flt-semantics-identifier``: Playwright's test id;
- ``fill()`` loses text about half the time: click, wait for focus, type, check (``type_into``);
- the skwasm renderer paints a little after the DOM changes: ``settled_screenshot`` waits for
  two identical frames;
- the client still asks a CDN for one script: every request that is not to the app's own
  loopback address is refused, so the tests also prove the app needs no internet.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, Playwright, Route, ViewportSize, expect

CHROMIUM = Path("/usr/bin/chromium")
PHONE: ViewportSize = {"width": 412, "height": 915}
#: Generous: two app processes, a server and Chromium share two busy cores.
SLOW_MS = 30_000
_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_problem() -> str | None:
    if CHROMIUM.exists():
        return None
    return f"{CHROMIUM} is not installed (scripts/setup installs Debian's chromium)"


def require_chromium_or_raise() -> None:
    """For scripts: stop with the reason when Chromium is missing."""
    if problem := chromium_problem():
        raise SystemExit(problem)


def require_chromium() -> None:
    """Skip with the reason when Chromium is missing, unless DA_REQUIRE_BROWSER=1 (then fail)."""
    reason = chromium_problem()
    if reason is None:
        return
    if os.environ.get("DA_REQUIRE_BROWSER") == "1":
        pytest.fail(f"DA_REQUIRE_BROWSER=1 but {reason}")
    pytest.skip(reason)


def launch(playwright: Playwright) -> Browser:
    playwright.selectors.set_test_id_attribute("flt-semantics-identifier")
    expect.set_options(timeout=SLOW_MS)
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=_ARGS)


def open_app(browser: Browser, url: str) -> Page:
    """A phone-sized tab on the app at ``url`` with its accessibility tree switched on."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(SLOW_MS)
    own = url.rstrip("/")

    def refuse(route: Route) -> None:
        route.abort()

    page.route(lambda target: not target.startswith(own), refuse)
    page.goto(url)
    placeholder = page.locator("flt-semantics-placeholder")
    placeholder.wait_for(state="attached", timeout=SLOW_MS)
    placeholder.dispatch_event("click")
    page.locator("[flt-semantics-identifier]").first.wait_for(timeout=SLOW_MS)
    return page


def field(page: Page, label: str) -> Locator:
    """A text field by its label (Flutter puts the label on the ``<input>``)."""
    return page.get_by_role("textbox", name=label)


def type_into(page: Page, target: Locator, text: str, attempts: int = 3) -> None:
    """Type ``text`` into a Flet text field so that the app really receives it."""
    for _ in range(attempts):
        _focus(page, target)
        page.wait_for_timeout(100)  # Flutter attaches its editing element after focus
        page.keyboard.press("Control+a")
        page.keyboard.type(text)
        try:
            expect(target).to_have_value(text, timeout=2_000)
            return
        except AssertionError:
            continue
    raise AssertionError(f"could not type {text!r} into {target}")


def _focus(page: Page, target: Locator) -> None:
    """Click until the field has the keyboard: the first click after a screen change can
    land while Flutter is still placing the field, and then nothing takes focus."""
    deadline = time.monotonic() + SLOW_MS / 1000
    while True:
        target.click()
        try:
            expect(target).to_be_focused(timeout=2_000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def queue_row(page: Page, text: str) -> Locator:
    """The queue's card for the incident whose card shows ``text`` (an address, say)."""
    return page.locator('[flt-semantics-identifier^="queue-row-"]', has_text=text)


def tap(page: Page, identifier: str) -> None:
    page.get_by_test_id(identifier).click()


def nav(page: Page, tab: str) -> None:
    target = page.get_by_role("tab", name=tab)
    target.click()
    expect(target).to_have_attribute("aria-selected", "true")


def settled_screenshot(page: Page, path: Path, timeout_s: float = 10.0) -> bytes:
    """Save the screen once two consecutive frames are identical (skwasm paints late)."""
    deadline = time.monotonic() + timeout_s
    page.wait_for_timeout(300)
    previous = page.screenshot()
    while time.monotonic() < deadline:
        page.wait_for_timeout(300)
        current = page.screenshot()
        if current == previous:
            break
        previous = current
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(previous)
    return previous
