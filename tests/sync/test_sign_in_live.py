"""Signing in again on an enrolled tablet, against a real server whose sign-ins are short-lived.

A tablet switched off longer than its sign-in lasts (or whose session was ended) must not be
stuck: the dispatcher types their password, and the work that waited on the device goes.  A
role IT changed mid-shift reaches the tablet with the next token refresh.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mobile_app.store import LocalStore
from mobile_app.sync.enrollment import load_tokens
from mobile_app.sync.errors import DeviceRevoked, SignInRefused, SignInRequired
from mobile_app.sync.scheduler import SyncScheduler
from mobile_app.sync.status import Connectivity, SyncStatus
from shared.api import Role
from shared.protocol import IncidentFields
from sync_server.testing import LiveServer
from tests.sync.conftest import (
    PASSWORD,
    SIGN_IN_S,
    Device,
    enroll_device,
    run,
    short_lived_server,
)

CALL = IncidentFields(incident_type="FALL", address="77 Harbor Rd", caller_name="Grace Hopper")


@pytest.fixture(scope="module")
def brief(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose access tokens last 1 s and sign-ins ``SIGN_IN_S``."""
    with short_lived_server(
        tmp_path_factory.mktemp("brief-sign-in"),
        {"alice": Role.DISPATCHER},
        access_token_seconds=1,
        refresh_token_seconds=SIGN_IN_S,
    ) as server:
        yield server


@pytest.fixture(scope="module")
def hourly(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose access tokens last 1 s (every round refreshes) and sign-ins 12 h."""
    with short_lived_server(
        tmp_path_factory.mktemp("hourly-refresh"), {"sue": Role.SUPERVISOR}, access_token_seconds=1
    ) as server:
        yield server


def _expired(brief: LiveServer, tmp_path: Path, name: str, user: str = "alice") -> Device:
    """A tablet enrolled, then left switched off past its sign-in's life."""
    tablet = enroll_device(brief, tmp_path, name, user)
    time.sleep(SIGN_IN_S + 0.5)
    return tablet


def _sign_in(tablet: Device, password: str) -> None:
    async def go() -> None:
        client = tablet.client()
        try:
            await client.sign_in(password)
        finally:
            tablet.tokens = client.tokens
            await client.aclose()

    run(go())


def test_a_tablet_whose_sign_in_ran_out_sends_its_waiting_work_after_the_password(brief, tmp_path):
    tablet = _expired(brief, tmp_path, "tablet-overnight")
    taken = tablet.store.create_incident(CALL, 2)

    with pytest.raises(SignInRequired):
        tablet.sync()
    assert tablet.store.pending_ops() == [taken], "the call waits on the tablet"

    _sign_in(tablet, PASSWORD)
    tablet.sync()

    assert tablet.store.pending_count() == 0
    kept = load_tokens(tablet.store)
    assert kept is not None and kept.refresh_token == tablet.tokens.refresh_token, (
        "the new sign-in is sealed in the store, for the next unlock"
    )
    tablet.store.lock()


def test_a_wrong_password_is_refused_in_words_and_the_work_stays(brief, tmp_path):
    tablet = _expired(brief, tmp_path, "tablet-typo")
    taken = tablet.store.create_incident(CALL, 3)
    old = tablet.tokens

    with pytest.raises(SignInRefused, match="wrong username or password"):
        _sign_in(tablet, "correct horse battery staple")
    with pytest.raises(SignInRefused, match="enter your password"):
        _sign_in(tablet, "")

    assert tablet.tokens == old
    assert tablet.store.pending_ops() == [taken]
    tablet.store.lock()


def test_signing_in_on_a_withdrawn_tablet_erases_it(brief, tmp_path):
    tablet = _expired(brief, tmp_path, "tablet-lost")
    tablet.store.create_incident(CALL, 1)
    path = tablet.store.path
    assert brief.cli("revoke", tablet.store.device_id).returncode == 0

    with pytest.raises(DeviceRevoked):
        _sign_in(tablet, PASSWORD)

    assert not LocalStore.exists(path)
    assert LocalStore.wipe_reason(path) is not None


def test_the_schedule_waits_for_the_password_then_syncs_at_once(brief, tmp_path):
    tablet = _expired(brief, tmp_path, "tablet-paused")
    seen: list[SyncStatus] = []

    async def shift() -> None:
        client = tablet.client()
        scheduler = SyncScheduler(client, periodic_s=3600, on_status=seen.append, live=False)
        try:
            tablet.store.create_incident(CALL, 2)
            await scheduler.start()
            await _until(scheduler, lambda s: s.connectivity is Connectivity.SIGNED_OUT)
            assert scheduler.status.problem is not None
            assert "kept on this device" in scheduler.status.problem

            rounds = sum(s.connectivity is Connectivity.SYNCING for s in seen)
            tablet.store.create_incident(CALL, 3)  # a write triggers nothing while signed out
            await asyncio.sleep(0.5)
            assert sum(s.connectivity is Connectivity.SYNCING for s in seen) == rounds

            with pytest.raises(SignInRefused):
                await scheduler.sign_in("not it")
            assert scheduler.status.connectivity is Connectivity.SIGNED_OUT

            await scheduler.sign_in(PASSWORD)
            await _until(scheduler, lambda s: s.pending_ops == 0)
            await _until(scheduler, lambda s: s.connectivity is Connectivity.ONLINE)
            assert tablet.store.pending_count() == 0
        finally:
            await scheduler.stop()
            await client.aclose()

    run(shift())
    tablet.store.lock()


def test_a_role_changed_by_it_reaches_the_tablet_with_the_next_refresh(hourly, tmp_path):
    tablet = enroll_device(hourly, tmp_path, "tablet-sue", "sue")

    async def shift() -> None:
        client = tablet.client()
        scheduler = SyncScheduler(client, periodic_s=3600, live=False)
        try:
            await scheduler.start()
            await _until(scheduler, lambda s: s.connectivity is Connectivity.ONLINE)
            assert scheduler.status.role is Role.SUPERVISOR
            changed = hourly.cli("set-role", "sue", "--role", "dispatcher")
            assert changed.returncode == 0, changed.stderr
            await asyncio.sleep(1.2)  # the access token (1 s) runs out: the next round refreshes
            scheduler.trigger()
            await _until(scheduler, lambda s: s.role is Role.DISPATCHER)
        finally:
            await scheduler.stop()
            await client.aclose()

    run(shift())
    kept = load_tokens(tablet.store)
    assert kept is not None and kept.role is Role.DISPATCHER, "the next unlock opens as one"
    tablet.store.lock()


async def _until(
    scheduler: SyncScheduler, condition: Callable[[SyncStatus], bool], timeout_s: float = 15.0
) -> None:
    """Wait for the schedule's published status to meet ``condition``."""
    deadline = time.monotonic() + timeout_s
    while not condition(scheduler.status):
        assert time.monotonic() < deadline, f"never happened: {scheduler.status}"
        await asyncio.sleep(0.02)


def test_after_it_resets_the_password_the_tablet_asks_for_the_new_one_and_sends_its_work(
    hourly, tmp_path
):
    hourly.add_user("rita", PASSWORD, Role.DISPATCHER)
    tablet = enroll_device(hourly, tmp_path, "tablet-rita", "rita")
    new = "a brand new passphrase"
    done = hourly.cli("reset-password", "rita", "--password-stdin", stdin=new + "\n")
    assert done.returncode == 0, done.stderr
    taken = tablet.store.create_incident(CALL, 2)

    with pytest.raises(SignInRequired):
        tablet.sync()
    with pytest.raises(SignInRefused, match="wrong username or password"):
        _sign_in(tablet, PASSWORD)
    _sign_in(tablet, new)
    tablet.sync()

    assert tablet.store.pending_count() == 0, f"{taken.op_id} reached the server"
    tablet.store.lock()


def test_a_password_change_on_a_tablet_whose_sign_in_ran_out_asks_for_a_sign_in_first(
    brief, tmp_path
):
    """Nothing changes: the bar turns to Signed out, and the old password still signs in."""
    tablet = _expired(brief, tmp_path, "tablet-changing", user="alice")
    seen: list[SyncStatus] = []

    async def go() -> None:
        client = tablet.client()
        scheduler = SyncScheduler(client, periodic_s=3600, on_status=seen.append, live=False)
        try:
            with pytest.raises(SignInRequired):
                await scheduler.change_password(PASSWORD, "a brand new passphrase")
        finally:
            await client.aclose()  # the schedule was never started

    run(go())
    assert seen[-1].connectivity is Connectivity.SIGNED_OUT
    _sign_in(tablet, PASSWORD)
