"""Signing in again from the sync bar, through the real Flet session and the real access port
against a real sync server whose sign-ins last two seconds: a tablet left off overnight (or
whose session was ended) asks for the password, keeps the work meanwhile, and sends it after.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from shared.api import Role
from sync_server.testing import LiveServer
from tests.authenticator import PhoneApp
from tests.sync.conftest import PASSWORD, SIGN_IN_S, short_lived_server
from tests.ui.conftest import Session, open_app, run
from tests.ui.test_handlers_calls import take_call
from tests.ui.test_handlers_enroll import enroll


@pytest.fixture(scope="module")
def brief(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with short_lived_server(
        tmp_path_factory.mktemp("brief-sign-in"),
        {"dana": Role.DISPATCHER, "sam": Role.SUPERVISOR},
        access_token_seconds=1,
        refresh_token_seconds=SIGN_IN_S,
    ) as server:
        yield server


async def signed_out(s: Session, brief: LiveServer, user: str, otp: str = "") -> None:
    """Enroll as ``user``, then let the sign-in run out and try to sync."""
    await enroll(s, brief, user, otp=otp)
    await s.sync_settled()
    await asyncio.sleep(SIGN_IN_S + 0.5)
    await s.h.tap("sync-now")
    await s.h.until(lambda: s.h.text_of("sync-headline") == "Signed out")


def test_a_signed_out_tablet_asks_for_the_password_and_then_sends_the_waiting_call(brief, tablet):
    async def go() -> None:
        async with open_app(tablet, unlock=False, provision=False) as s:
            h = s.h
            assert not h.has("sign-in"), "no password field while signed in"
            await signed_out(s, brief, "dana")
            await take_call(h, "fall", "FALL", 3, address="4 Elm St")
            await h.until(lambda: h.text_of("sync-pending") == "1 change waiting to send")
            assert "kept on this device" in h.text_of("sync-problem")
            assert h.tagged("sign-in-password").label == "Password for dana"

            await h.type("sign-in-password", "not the password")
            await h.tap("sign-in-submit")
            assert h.text_of("sign-in-message") == ("Sign-in refused: wrong username or password.")
            assert h.tagged("sign-in-password").value == "", "a typed password is not kept"
            assert h.text_of("sync-headline") == "Signed out"

            await h.type("sign-in-password", PASSWORD)
            await h.submit("sign-in-password")  # the keyboard's "done" signs in too
            await h.until(lambda: h.text_of("sync-pending") == "all changes sent")
            await s.sync_settled()
            assert h.text_of("sync-headline") == "Online"
            assert not h.has("sign-in")
            assert h.crashes() == []

    run(go())


def test_a_supervisor_demoted_while_signed_out_gets_the_dispatcher_screens_on_signing_in(
    brief, tablet
):
    async def go() -> None:
        async with open_app(tablet, unlock=False, provision=False) as s:
            h = s.h
            await signed_out(s, brief, "sam")
            assert h.tabs() == ["Queue", "New call", "Units", "Conflicts", "Reports"]
            demoted = brief.cli("set-role", "sam", "--role", "dispatcher")
            assert demoted.returncode == 0, demoted.stderr

            await h.type("sign-in-password", PASSWORD)
            await h.tap("sign-in-submit")
            await h.until(lambda: h.tabs() == ["Queue", "New call", "Units"])
            assert "Your role is now dispatcher" in h.screen()
            assert s.app.workspace is not None and s.app.workspace.role is Role.DISPATCHER
            assert h.crashes() == []

    run(go())


def test_an_account_with_an_authenticator_app_signs_in_again_with_its_code(brief, tablet):
    brief.add_user("kim", PASSWORD, Role.DISPATCHER)
    phone = PhoneApp(brief.set_up_authenticator("kim"))

    async def go() -> None:
        async with open_app(tablet, unlock=False, provision=False) as s:
            h = s.h
            await signed_out(s, brief, "kim", otp=phone.code())
            await h.type("sign-in-password", PASSWORD)
            await h.tap("sign-in-submit")
            assert h.text_of("sign-in-message") == (
                "Sign-in refused: enter the 6-digit code your authenticator app shows for "
                "this account."
            )
            await h.type("sign-in-password", PASSWORD)
            await h.type("sign-in-code", "12345")
            await h.tap("sign-in-submit")
            assert h.text_of("sign-in-message") == (
                "The code is the 6 digits your authenticator app shows."
            )
            assert h.tagged("sign-in-code").value == "", "a typed code is not kept"
            await h.type("sign-in-password", PASSWORD)
            await h.type("sign-in-code", phone.next_code())
            await h.tap("sign-in-submit")
            await s.sync_settled()
            assert h.text_of("sync-headline") == "Online"
            assert h.crashes() == []

    run(go())
