"""Getting in and out: enrollment, the PIN screen, the lock button and the idle lock,
driven through the real Flet session over a real encrypted store."""

from __future__ import annotations

from pathlib import Path

import flet as ft

from mobile_app.store import MAX_PIN_ATTEMPTS, LocalStore
from tests.ui.conftest import fill_enrollment, open_app, run
from tests.ui.device import PIN, OfflineDevice


def test_a_new_device_asks_to_enroll_and_explains_every_missing_field(device):
    async def go() -> None:
        async with open_app(device, unlock=False, provision=False) as s:
            h = s.h
            assert "Enroll this device" in h.screen()
            assert h.tabs() == []
            await h.tap("enroll-submit")
            assert h.text_of("enroll-message") == "Check the highlighted fields"
            assert h.tagged("enroll-server_url").error == (
                "Enter the server address your IT team gave you"
            )
            assert h.tagged("enroll-pin").error == "The PIN needs at least 4 characters"
            assert not device.enrolled()
            assert h.crashes() == []

    run(go())


def test_enrolling_while_the_server_cannot_be_reached_says_so_and_keeps_the_form(device):
    async def go() -> None:
        async with open_app(device, unlock=False, provision=False) as s:
            h = s.h
            await fill_enrollment(h, server_url=device.server)
            await h.tap("enroll-submit")
            assert h.text_of("enroll-message") == (
                f"Cannot reach the server at {device.server}. Check the address and this "
                "device's connection, then try again."
            )
            assert h.tagged("enroll-username").value == "alice"
            assert not device.enrolled()
            assert h.crashes() == []

    run(go())


def test_the_right_pin_opens_the_queue_in_the_night_theme(device):
    async def go() -> None:
        async with open_app(device) as s:
            assert s.h.page.theme_mode is ft.ThemeMode.DARK
            assert s.h.tabs() == ["Queue", "New call", "Units"]
            assert s.h.has("sync-bar")
            assert s.h.crashes() == []

    run(go())


def test_a_wrong_pin_counts_down_and_an_empty_one_costs_nothing(device):
    async def go() -> None:
        async with open_app(device, unlock=False) as s:
            h = s.h
            await h.tap("unlock-submit")
            assert h.text_of("unlock-message") == "Enter your PIN"
            assert LocalStore.failed_pin_attempts(device.path) == 0
            await h.type("unlock-pin", "0000")
            await h.submit("unlock-pin")
            left = MAX_PIN_ATTEMPTS - 1
            assert h.text_of("unlock-message") == (
                f"Wrong PIN. {left} attempts left before this device's data is erased."
            )
            assert h.tagged("unlock-pin").value == ""
            assert "Wrong PIN" in h.sent(), "the message never reached the screen"
            await h.type("unlock-pin", PIN)
            await h.tap("unlock-submit")
            assert s.app.workspace is not None
            assert h.crashes() == []

    run(go())


def test_too_many_wrong_pins_erase_the_device_and_say_so(device):
    async def go() -> None:
        async with open_app(device, unlock=False) as s:
            h = s.h
            for _ in range(MAX_PIN_ATTEMPTS):
                await h.type("unlock-pin", "9999")
                await h.tap("unlock-submit")
            assert "Enroll this device" in h.screen()
            notice = h.text_of("enroll-notice")
            assert f"erased ({MAX_PIN_ATTEMPTS} wrong PINs)" in notice
            assert not device.enrolled()
            assert h.crashes() == []

    run(go())


def test_the_lock_button_hides_everything_and_a_half_taken_call_survives(device):
    async def go() -> None:
        async with open_app(device) as s:
            h = s.h
            await h.nav("New call")
            await h.type("intake-address", "20 Oak Ave")
            await h.type("intake-caller_name", "Maria Lopez")
            await h.tap("lock")
            assert "Enter your PIN to unlock this device." in h.screen()
            assert "Maria Lopez" not in h.sent().split("Enter your PIN")[-1]
            assert h.tabs() == []
            assert s.app.workspace is None
            await h.type("unlock-pin", PIN)
            await h.tap("unlock-submit")
            await h.nav("New call")
            assert h.tagged("intake-address").value == "20 Oak Ave"
            assert h.tagged("intake-caller_name").value == "Maria Lopez"
            assert h.crashes() == []

    run(go())


def test_the_idle_lock_warns_in_the_last_minute_then_locks(tmp_path: Path):
    clock = [0.0]
    device = OfflineDevice(tmp_path, idle_s=30 * 60, idle_clock=lambda: clock[0])

    async def go() -> None:
        async with open_app(device) as s:
            h = s.h
            clock[0] = 29 * 60 + 15
            s.app.tick(1.0)
            assert h.text_of("idle-warning") == (
                "Locking in 45 s for inactivity. Tap anywhere to stay in."
            )
            assert h.unsent() == []
            await h.tap("idle-warning")  # the dispatcher is still there
            s.app.tick(1.0)
            assert not h.has("idle-warning")
            clock[0] += 30 * 60
            s.app.tick(1.0)
            await h.settle()
            assert "Enter your PIN to unlock this device." in h.screen()
            assert s.app.workspace is None
            assert h.unsent() == []
            assert h.crashes() == []

    try:
        run(go())
    finally:
        device.close()


def test_a_store_that_locked_itself_mid_action_brings_back_the_pin_screen(tmp_path: Path):
    clock = [0.0]
    device = OfflineDevice(tmp_path, idle_s=60, idle_clock=lambda: clock[0])

    async def go() -> None:
        async with open_app(device) as s:
            h = s.h
            clock[0] = 120  # no tick ran: the store notices on the next read
            await h.nav("Units")
            await h.settle()
            assert "Enter your PIN to unlock this device." in h.screen()
            assert h.crashes() == []

    try:
        run(go())
    finally:
        device.close()


def test_unlocking_in_a_second_tab_sends_the_first_back_to_its_pin_screen(device):
    """One device, one screen: two sessions never run two syncs over the same outbox."""

    async def go() -> None:
        async with open_app(device) as first, open_app(device) as second:
            await first.h.settle()
            assert first.app.workspace is None
            assert "Enter your PIN to unlock this device." in first.h.screen()
            assert second.app.workspace is not None
            assert not second.store.locked
            assert first.h.crashes() == second.h.crashes() == []

    run(go())
