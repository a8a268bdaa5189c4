"""Two tablets in headless Chromium, each its own app process and encrypted store, one sync
server: what a dispatcher and a supervisor see while the connection comes and goes."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from shared.lifecycle import UnitStatus
from shared.protocol import IncidentFields
from tests.chaos.faulty_proxy import ThreadedProxy
from tests.e2e import browser as ui
from tests.e2e.conftest import Tablet
from tests.e2e.desks import Desk

pytestmark = pytest.mark.e2e


def take_call(tablet: Tablet, type_query: str, code: str, priority: int, address: str) -> None:
    page = tablet.page
    ui.nav(page, "New call")
    ui.type_into(page, ui.field(page, "Incident type: code or word"), type_query)
    ui.tap(page, f"type-option-{code}")
    ui.tap(page, f"intake-priority-{priority}")
    ui.type_into(page, ui.field(page, "Address"), address)
    ui.tap(page, "intake-save")
    expect(page.get_by_role("tab", name="Queue")).to_have_attribute("aria-selected", "true")


def test_a_call_taken_offline_waits_on_the_tablet_then_reaches_the_other_one(
    tablet_a: Tablet, tablet_b: Tablet, healed: ThreadedProxy
):
    a, b = tablet_a.page, tablet_b.page
    healed.partition()  # tablet A loses its link to the server
    take_call(tablet_a, "house fire", "FSTRU", 1, "1200 Mission St")
    expect(ui.queue_row(a, "1200 Mission St")).to_be_visible()  # in A's queue at once
    expect(a.get_by_test_id("sync-headline")).to_have_text("Offline")
    expect(a.get_by_test_id("sync-pending")).to_have_text("1 change waiting to send")
    expect(ui.queue_row(b, "1200 Mission St")).to_have_count(0)

    healed.heal()
    ui.tap(a, "sync-now")  # or wait for the next retry
    expect(a.get_by_test_id("sync-pending")).to_have_text("all changes sent")
    expect(a.get_by_test_id("sync-headline")).to_have_text("Online")
    expect(ui.queue_row(b, "1200 Mission St")).to_be_visible()  # pushed to B live


def test_a_unit_moves_on_with_one_tap_and_the_other_tablet_sees_it(
    tablet_a: Tablet, tablet_b: Tablet, desks: Callable[[str, str], Desk]
):
    office = desks("office-pc", "bob")
    fall = office.store.create_incident(
        IncidentFields(incident_type="FALL", address="77 Pine St"), 3
    )
    office.sync()
    office.store.set_unit_status("E1", UnitStatus.DISPATCHED, incident_id=fall.entity_id)
    office.sync()

    a, b = tablet_a.page, tablet_b.page
    ui.nav(a, "Units")
    expect(a.get_by_test_id("unit-E1-status")).to_have_text("Dispatched")
    ui.tap(a, "unit-E1-EnRoute")  # the one tap
    expect(a.get_by_test_id("unit-E1-status")).to_have_text("En route")
    ui.nav(b, "Units")
    expect(b.get_by_test_id("unit-E1-status")).to_have_text("En route")
    office.sync()
    assert office.store.unit("E1").status is UnitStatus.ENROUTE
    ui.nav(a, "Queue")
    ui.nav(b, "Queue")


def test_a_unit_sent_to_two_calls_offline_is_settled_by_the_supervisor(
    tablet_b: Tablet, desks: Callable[[str, str], Desk]
):
    east = desks("east-desk", "dana")
    west = desks("west-desk", "bob")
    gas = east.store.create_incident(
        IncidentFields(incident_type="GASLEAK", address="5 Oak Ave"), 2
    )
    crash = west.store.create_incident(
        IncidentFields(incident_type="MVA", address="Hwy 1 mile 12"), 2
    )
    for desk in (east, west, east, west):
        desk.sync()
    # Both desks lose the connection and send M1, each to its own call.
    east.store.set_unit_status("M1", UnitStatus.DISPATCHED, incident_id=gas.entity_id)
    west.store.set_unit_status("M1", UnitStatus.DISPATCHED, incident_id=crash.entity_id)
    east.sync()
    west.sync()

    b = tablet_b.page
    ui.nav(b, "Conflicts")
    card = b.get_by_test_id("conflict-0")
    expect(card).to_contain_text("M1")
    keep_gas = b.get_by_role("button", name=re.compile(r"^Keep M1 on .*5 Oak Ave"))
    expect(keep_gas).to_be_visible()
    keep_gas.click()
    expect(b.get_by_test_id("conflicts-empty")).to_be_visible()
    expect(b.get_by_test_id("sync-pending")).to_have_text("all changes sent")

    east.sync()
    assert east.store.conflicts() == []
    assert east.store.unit("M1").incident_id == gas.entity_id
    ui.nav(b, "Queue")
