"""Taking a call and working it: intake, the queue, the incident detail.

Each test drives the real app through a real Flet session over a real encrypted store on an
offline device, the way a call-taker's taps arrive from the client.
"""

from __future__ import annotations

import flet as ft

from mobile_app.sync.status import Connectivity
from shared.lifecycle import IncidentStatus
from shared.protocol import IncidentFields
from tests.storage import full_storage
from tests.ui.conftest import Session, open_app, run
from tests.ui.flet_harness import Harness


async def take_call(h: Harness, type_query: str, code: str, priority: int, **fields: str) -> None:
    await h.nav("New call")
    await h.type("intake-type-search", type_query)
    await h.tap(f"type-option-{code}")
    await h.tap(f"intake-priority-{priority}")
    for name, value in fields.items():
        await h.type(f"intake-{name}", value)
    await h.tap("intake-save")


def row_ids(s: Session) -> list[str]:
    """Incident ids of the queue rows on screen, top to bottom."""
    return [
        str(w.identifier).removeprefix("queue-row-")
        for w in s.h.find_all(ft.Semantics, lambda w: str(w.identifier).startswith("queue-row-"))
    ]


def test_a_new_call_is_in_the_queue_as_soon_as_it_is_saved_even_offline(device):
    async def go() -> None:
        async with open_app(device) as s:
            h = s.h
            await take_call(
                h,
                "heart",
                "CARDIAC",
                1,
                address="20 Oak Ave",
                caller_name="Maria Lopez",
                callback_number="555-0100",
                narrative="Husband collapsed",
            )
            assert h.crashes() == []
            (incident,) = s.store.incidents()
            assert row_ids(s) == [incident.incident_id]
            row = h.text_of(f"queue-row-{incident.incident_id}")
            assert "CARDIAC · Cardiac Related Event, Heart Attack, Chest Pain" in row
            assert "20 Oak Ave" in row and "No units yet" in row
            assert "Call saved: P1 CARDIAC · 20 Oak Ave" in h.screen()
            assert incident.caller.name == "Maria Lopez"
            assert incident.notes[0].text == "Husband collapsed"
            # The sync bar tells the dispatcher the call is safe here and not yet sent.
            await s.sync_settled()
            assert s.app.workspace is not None
            assert s.app.workspace.sync.status.connectivity is not Connectivity.ONLINE
            assert h.text_of("sync-headline") == "Offline"
            assert h.text_of("sync-pending") == "1 change waiting to send"

    run(go())


def test_an_incomplete_call_is_not_saved_and_each_field_says_what_is_missing(device):
    async def go() -> None:
        async with open_app(device) as s:
            h = s.h
            await h.nav("New call")
            await h.type("intake-lat", "91")
            await h.type("intake-caller_name", "Maria Lopez")
            await h.tap("intake-save")
            assert s.store.incidents() == []
            screen = h.screen()
            assert "Choose the incident type: search by code or by a word" in screen
            assert "Choose a priority (1 is the most urgent)" in screen
            assert h.tagged("intake-lat").error == (
                "Latitude must be a number from -90 to 90, like 37.7749"
            )
            assert h.text_of("intake-summary") == "Check the 3 highlighted fields"
            assert h.tagged("intake-caller_name").value == "Maria Lopez"  # nothing typed is lost
            assert h.crashes() == []

    run(go())


def test_a_call_saved_on_a_full_device_says_so_keeps_the_form_and_saves_once_space_is_freed(
    device,
):
    async def go() -> None:
        async with open_app(device) as s:
            h = s.h
            await take_call(h, "heart", "CARDIAC", 1, address="20 Oak Ave")  # a shift under way
            narrative = "Caller reports smoke from the second floor, two people inside. " * 40
            with full_storage(s.store):
                await take_call(
                    h,
                    "fall",
                    "FALL",
                    2,
                    address="4 Elm St",
                    caller_name="Ada Lovelace",
                    narrative=narrative,
                )
                assert "This device's storage is full, so this was not saved" in h.screen()
                assert len(s.store.incidents()) == 1
                assert h.tagged("intake-address").value == "4 Elm St", "nothing typed is lost"
                assert h.tagged("intake-narrative").value == narrative
            await h.tap("intake-save")
            addresses = {i.location.address for i in s.store.incidents()}
            assert addresses == {"20 Oak Ave", "4 Elm St"}
            assert h.crashes() == []

    run(go())


def test_the_type_search_offers_apco_types_and_shows_the_one_chosen(device):
    async def go() -> None:
        async with open_app(device) as s:
            h = s.h
            await h.nav("New call")
            await h.type("intake-type-search", "fire alarm pull")
            assert h.has("type-option-ALRPULL")
            await h.tap("type-option-ALRPULL")
            assert h.text_of("intake-type-chosen") == "Type: ALRPULL · Fire Alarm - Pull Station"
            assert not h.has("type-option-ALRPULL")
            assert h.crashes() == []

    run(go())


def test_a_repeat_caller_is_recognised_by_the_callback_number(device):
    async def go() -> None:
        async with open_app(device) as s:
            h = s.h
            await take_call(h, "fall", "FALL", 3, address="1 Main St", callback_number="555 0100")
            await h.nav("New call")
            await h.type("intake-callback_number", "5550100")
            await h.blur("intake-callback_number")
            hint = h.text_of("intake-repeat-caller")
            assert hint.startswith("This number called just now: P3 FALL · 1 Main St, still open")
            assert h.crashes() == []

    run(go())


def test_the_queue_searches_and_filters_what_it_shows(device):
    async def go() -> None:
        async with open_app(device) as s:
            h = s.h
            await take_call(h, "fall", "FALL", 3, address="1 Main St")
            await take_call(h, "heart", "CARDIAC", 1, address="20 Oak Ave")
            await h.nav("Queue")
            by_address = {i.location.address: i.incident_id for i in s.store.incidents()}
            assert row_ids(s) == [by_address["20 Oak Ave"], by_address["1 Main St"]]
            await h.type("queue-search", "main")
            assert row_ids(s) == [by_address["1 Main St"]]
            await h.type("queue-search", "")
            await h.select("filter-priority", "1")
            assert row_ids(s) == [by_address["20 Oak Ave"]]
            await h.select("filter-priority", "all")
            await h.chip("scope-active")
            assert row_ids(s) == []
            assert "No incident has units on it." in h.screen()
            assert h.crashes() == []

    run(go())


def test_working_an_incident_note_priority_and_close_with_a_disposition(device):
    async def go() -> None:
        async with open_app(device) as s:
            h = s.h
            await take_call(h, "fall", "FALL", 3, address="1 Main St")
            (incident_id,) = row_ids(s)
            await h.tap(f"queue-row-{incident_id}")
            assert h.text_of("detail-title") == "FALL · Fall"
            assert not h.has("queue-search")  # on a phone the detail replaces the queue

            await h.type("detail-note", "Caller says patient is conscious")
            await h.tap("detail-add-note")
            assert "Caller says patient is conscious" in h.screen()
            assert h.tagged("detail-note").value == ""

            await h.tap("detail-priority-2")
            assert "Priority set to P2 Urgent" in h.screen()
            assert s.store.incident(incident_id).priority == 2

            await h.tap("detail-close")
            assert "Choose a disposition code to close the incident" in h.screen()
            assert s.store.incident(incident_id).status is IncidentStatus.ACTIVE

            await h.select("detail-disposition-pick", "41")
            await h.tap("detail-close")
            assert h.text_of("detail-status") == "Closed"
            assert h.text_of("detail-disposition") == (
                "Disposition: 41 · Patient Evaluated, No Treatment/Transport Required"
            )
            assert h.has("detail-reopen") and not h.has("detail-add-note")
            assert s.store.incident(incident_id).disposition == "41"

            await h.tap("detail-back")
            assert row_ids(s) == []  # closed calls leave the open queue
            assert h.crashes() == []

    run(go())


def test_a_refused_action_says_why_and_changes_nothing(device):
    """Another device closed the incident while this one showed it: the note is refused with
    the store's reason, and the typed note stays in the field."""

    async def go() -> None:
        async with open_app(device) as s:
            h = s.h
            await take_call(h, "fall", "FALL", 3, address="1 Main St")
            (incident_id,) = row_ids(s)
            await h.tap(f"queue-row-{incident_id}")
            s.store.set_incident_status(incident_id, IncidentStatus.CANCELLED)
            await h.type("detail-note", "Late information")
            await h.tap("detail-add-note")
            assert "The incident is cancelled; reopen it first" in h.screen()
            assert h.tagged("detail-note").value == "Late information"
            assert [n.text for n in s.store.incident(incident_id).notes] == []
            assert h.crashes() == []

    run(go())


def test_on_a_tablet_the_queue_and_the_detail_sit_side_by_side(device):
    async def go() -> None:
        async with open_app(device, width=1280) as s:
            h = s.h
            await take_call(h, "fall", "FALL", 3, address="1 Main St")
            assert len(row_ids(s)) == 1
            assert h.has("queue-search")
            assert h.text_of("detail-title") == "FALL · Fall"  # the new call opens beside it
            assert not h.has("detail-back")
            assert h.crashes() == []

    run(go())


async def _type_a_call(s: Session) -> int:
    """Type a call without saving it, and let the app's one-second tick keep it; returns the
    call's start time (its received time once saved)."""
    h = s.h
    await h.nav("New call")
    await h.type("intake-type-search", "fall")
    await h.tap("type-option-FALL")
    await h.tap("intake-priority-2")
    await h.type("intake-address", "4 Elm St")
    await h.type("intake-caller_name", "Ada Lovelace")
    assert s.app.shell is not None
    started = s.app.shell.intake.read().started_ms
    assert started is not None
    s.app.tick(1.0)
    return started


def test_a_call_being_typed_when_the_device_stopped_is_back_at_the_next_unlock(device):
    """The battery dies mid-call: this app never sees it again.  The next app to unlock the
    device opens the call where it was, with its start time, and saving it clears it."""

    async def typing() -> int:
        async with open_app(device) as s:
            return await _type_a_call(s)

    async def after_the_battery() -> None:
        async with open_app(device) as s:  # a new app: nothing of the first in memory
            h = s.h
            assert "The call you were typing when this device stopped is back" in h.screen()
            assert h.tagged("intake-address").value == "4 Elm St"
            assert h.tagged("intake-caller_name").value == "Ada Lovelace"
            assert "Type: FALL" in h.screen()
            await h.tap("intake-save")
            (incident,) = s.store.incidents()
            assert incident.received_ms == started, "received when the call was answered"
            assert s.store.draft() is None, "a saved call is no draft"
            assert h.crashes() == []

    async def later() -> None:
        async with open_app(device) as s:
            assert "is back" not in s.h.screen()
            assert s.h.tabs()[0] == "Queue"

    started = run(typing())
    run(after_the_battery())
    run(later())


def test_a_call_saved_just_before_the_device_stopped_is_not_offered_again(device):
    """The battery dies between the save and the clearing of its draft: the queue already
    holds the call (same received time), so it is not offered to be saved twice."""

    async def typing() -> None:
        async with open_app(device) as s:
            started = await _type_a_call(s)
            fields = IncidentFields(incident_type="FALL", address="4 Elm St")
            s.store.create_incident(fields, 2, received_ms=started)  # what Save writes first

    async def after_the_battery() -> None:
        async with open_app(device) as s:
            assert "is back" not in s.h.screen()
            assert len(s.store.incidents()) == 1

    run(typing())
    run(after_the_battery())
