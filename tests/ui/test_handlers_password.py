"""Changing one's own password from the sync bar, through the real Flet session and the real
access port against a real sync server: slips are named before anything is sent, a wrong
current password is the server's refusal in words, every field is cleared after each try,
and after a change the tablet carries on while the account's other tablets ask for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.api import PULL, Role
from sync_server.testing import LiveServer, bearer, sqlite_url, start_server
from tests.authenticator import PhoneApp
from tests.ui.conftest import Session, open_app, run
from tests.ui.test_handlers_calls import take_call
from tests.ui.test_handlers_enroll import PASSWORD, enroll

NEW = "a new passphrase for pia"

FIELDS = ("password-current", "password-new", "password-again", "password-code")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("password-server")
    with start_server(sqlite_url(workdir / "server.db"), workdir=workdir) as server:
        yield server


async def _try(s: Session, current: str, new: str, again: str, code: str = "") -> str:
    """Fill the panel, press Change password, and read what it says (or the notice)."""
    h = s.h
    if not h.has("password-panel"):
        await h.tap("password-open")
    for name, value in zip(FIELDS, (current, new, again, code), strict=True):
        await h.type(name, value)
    await h.tap("password-submit")
    await s.sync_settled()
    assert all(h.tagged(f).value == "" for f in FIELDS if h.has(f)), "nothing typed is kept"
    return h.text_of("password-message") if h.has("password-message") else h.screen()


def test_a_dispatcher_changes_their_password_and_their_other_tablet_asks_for_it(live, tablet):
    live.add_user("pia", PASSWORD, Role.DISPATCHER)
    other_tablet = live.enroll("pia", PASSWORD, "pia's other tablet")

    async def go() -> None:
        async with open_app(tablet, unlock=False, provision=False) as s:
            h = s.h
            await enroll(s, live, "pia")
            await s.sync_settled()
            assert not h.has("password-panel"), "closed until asked for"

            said = await _try(s, PASSWORD, "short", "short")
            assert said == "The new password needs at least 8 characters."
            said = await _try(s, PASSWORD, NEW, NEW + "!")
            assert said == "The two new passwords do not match."
            said = await _try(s, "not my password", NEW, NEW)
            assert said == "Password not changed: wrong username or password."

            said = await _try(s, PASSWORD, NEW, NEW)
            assert "Password changed. Other devices signed in as you" in said
            assert not h.has("password-panel")
            await take_call(h, "fall", "FALL", 3, address="9 Pine St")
            await h.until(lambda: h.text_of("sync-pending") == "all changes sent")
            await s.sync_settled()  # the call is sent before the round that sent it ends
            assert h.text_of("sync-headline") == "Online", "this tablet carries on"
            assert h.crashes() == []

    run(go())
    with live.client(headers=bearer(other_tablet.tokens.access_token)) as http:
        assert http.get(PULL).status_code == 401, "the other tablet's session ended"
    assert live.enroll("pia", NEW, "with the new password")


def test_an_account_with_an_authenticator_app_gives_its_code_to_change(live, tablet):
    live.add_user("ray", PASSWORD, Role.DISPATCHER)
    phone = PhoneApp(live.set_up_authenticator("ray"))

    async def go() -> None:
        async with open_app(tablet, unlock=False, provision=False) as s:
            await enroll(s, live, "ray", otp=phone.code())
            await s.sync_settled()
            said = await _try(s, PASSWORD, NEW, NEW)
            assert "6-digit code" in said
            said = await _try(s, PASSWORD, NEW, NEW, code=phone.next_code())
            assert "Password changed" in said
            assert s.h.crashes() == []

    run(go())
