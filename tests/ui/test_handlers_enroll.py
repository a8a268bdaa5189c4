"""Enrolling a device with the agency's server and working on it, through the real Flet
session and the real access port (``mobile_app.device.DeviceAccess``) against a real sync
server on loopback: the role comes from the server, work reaches it, and a revoked device
erases itself and says so."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mobile_app.store import LocalStore
from mobile_app.sync.enrollment import role_of
from shared import api
from shared.api import Role
from shared.protocol import PullPage
from sync_server.testing import LiveServer, bearer, sqlite_url, start_server
from tests.authenticator import PhoneApp
from tests.sync.stand_ins import captive_portal
from tests.ui.conftest import Session, fill_enrollment, open_app, run
from tests.ui.test_handlers_calls import take_call

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("sync-server")
    with start_server(sqlite_url(workdir / "server.db"), workdir=workdir) as server:
        server.add_user("dana", PASSWORD, Role.DISPATCHER)
        server.add_user("sam", PASSWORD, Role.SUPERVISOR)
        yield server


def server_entities(live: LiveServer) -> set[str]:
    """Entity ids in the server's change log, as another device pulling from zero sees them."""
    reader = live.enroll("sam", PASSWORD, "observer")
    with live.client(headers=bearer(reader.tokens.access_token)) as http:
        page = PullPage.model_validate_json(
            http.get(api.PULL, params={"cursor": 0, "limit": 1000}).content
        )
    return {change.op.entity_id for change in page.changes}


async def enroll(
    s: Session, live: LiveServer, user: str, password: str = PASSWORD, otp: str = ""
) -> None:
    await fill_enrollment(s.h, server_url=live.url, username=user, password=password, otp=otp)
    await s.h.tap("enroll-submit")


@pytest.mark.parametrize(
    ("user", "tabs"),
    [
        ("dana", ["Queue", "New call", "Units"]),
        ("sam", ["Queue", "New call", "Units", "Conflicts", "Reports"]),
    ],
)
def test_enrolling_opens_the_screens_of_the_role_the_server_gave(live, tablet, user, tabs):
    async def go() -> None:
        async with open_app(tablet, unlock=False, provision=False) as s:
            await enroll(s, live, user)
            assert s.h.tabs() == tabs
            await s.sync_settled()
            assert s.h.text_of("sync-headline") == "Online"
            assert s.h.crashes() == []

    run(go())
    store = LocalStore.unlock(tablet.path, "2468")  # the PIN chosen is the one that opens it
    try:
        assert role_of(store) is Role({"dana": "dispatcher", "sam": "supervisor"}[user]), (
            "the role is sealed in the store"
        )
    finally:
        store.lock()


def test_a_call_taken_on_an_enrolled_device_reaches_the_server(live, tablet):
    async def go() -> None:
        async with open_app(tablet, unlock=False, provision=False) as s:
            await enroll(s, live, "dana")
            await take_call(s.h, "fall", "FALL", 3, address="4 Elm St")
            (incident,) = s.store.incidents()
            await s.sync_settled()
            assert s.h.text_of("sync-pending") == "all changes sent"
            assert incident.incident_id in server_entities(live)
            assert s.h.crashes() == []

    run(go())


def test_a_wrong_password_is_refused_in_words_and_nothing_is_stored(live, tablet):
    async def go() -> None:
        async with open_app(tablet, unlock=False, provision=False) as s:
            await enroll(s, live, "dana", password="not the password")
            assert s.h.text_of("enroll-message").startswith("Enrollment refused:")
            assert "Enroll this device" in s.h.screen()
            assert not tablet.enrolled()
            assert s.h.crashes() == []

    run(go())


def test_a_revoked_device_erases_its_data_and_asks_to_enroll_again(live, tablet):
    async def go() -> None:
        async with open_app(tablet, unlock=False, provision=False) as s:
            await enroll(s, live, "dana")
            await s.sync_settled()
            device_id = s.store.device_id
            assert live.cli("revoke", device_id).returncode == 0
            await s.h.tap("sync-now")
            await s.h.until(lambda: "Enroll this device" in s.h.screen())
            assert "erased (this device was revoked by the agency)" in s.h.text_of("enroll-notice")
            assert s.app.workspace is None
            assert s.h.crashes() == []

    run(go())
    assert not tablet.enrolled()
    assert tablet.wipe_reason() == "this device was revoked by the agency"


def test_enrolling_behind_a_wifi_sign_in_page_says_the_network_is_in_the_way(tablet):
    async def go() -> None:
        async with open_app(tablet, unlock=False, provision=False) as s:
            with captive_portal("redirect") as portal:
                await fill_enrollment(s.h, server_url=portal.url, username="dana")
                await s.h.tap("enroll-submit")
            assert s.h.text_of("enroll-message") == (
                f"This network is answering instead of the server at {portal.url} (a Wi-Fi or "
                "hotspot sign-in page?). Sign in to the network, then try again."
            )
            assert s.h.tagged("enroll-username").value == "dana", "the form is kept"
            assert not tablet.enrolled()
            assert s.h.crashes() == []

    run(go())


def test_an_account_with_an_authenticator_app_enrolls_with_its_code(live, tablet):
    live.add_user("mia", PASSWORD, Role.DISPATCHER)
    phone = PhoneApp(live.set_up_authenticator("mia"))

    async def go() -> None:
        async with open_app(tablet, unlock=False, provision=False) as s:
            await enroll(s, live, "mia")
            assert s.h.text_of("enroll-message") == (
                "Enrollment refused: enter the 6-digit code your authenticator app shows for "
                "this account"
            )
            assert not tablet.enrolled()
            await s.h.type("enroll-otp", "12345")
            await s.h.tap("enroll-submit")
            assert s.h.tagged("enroll-otp").error == (
                "The code is the 6 digits your authenticator app shows"
            )
            code = phone.code()
            await s.h.type("enroll-otp", f"{code[:3]} {code[3:]}")  # as the app shows it
            await s.h.tap("enroll-submit")
            assert s.h.tabs() == ["Queue", "New call", "Units"]
            assert s.h.crashes() == []

    run(go())
    assert tablet.enrolled()
