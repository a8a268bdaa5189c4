"""The sync bar: always saying whether work is safe and whether it reached the others."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mobile_app.sync.status import Connectivity, SyncStatus
from mobile_app.ui.viewmodels.sync_bar import Tone, build_sync_bar, pending_words
from tests.ui.desks import MINUTE, T0, at


def test_offline_with_work_waiting_reassures_and_counts():
    bar = build_sync_bar(
        SyncStatus(Connectivity.OFFLINE, pending_ops=3, last_sync_ms=T0, next_retry_ms=None),
        at(2),
    )
    assert bar.headline == "Offline"
    assert bar.pending == "3 changes waiting to send"
    assert bar.last_sync == "last sync 14:00:00 (2 min ago)"
    assert bar.tone is Tone.WARN
    assert bar.problem is not None and "saved on this device" in bar.problem
    assert bar.line == "Offline · 3 changes waiting to send · last sync 14:00:00 (2 min ago)"


def test_online_and_caught_up():
    bar = build_sync_bar(SyncStatus(Connectivity.ONLINE, 0, last_sync_ms=T0), at(0))
    assert (bar.headline, bar.pending, bar.tone) == ("Online", "all changes sent", Tone.OK)
    assert bar.last_sync == "last sync 14:00:00 (just now)"
    assert bar.problem is None and not bar.busy and bar.progress is None


def test_a_device_that_never_synced_says_so():
    bar = build_sync_bar(SyncStatus(), at(0))
    assert bar.last_sync == "never synced"
    assert bar.headline == "Offline"


def test_syncing_shows_progress_when_the_amount_to_pull_is_known():
    bar = build_sync_bar(SyncStatus(Connectivity.SYNCING, pulled=250, to_pull=1000), at(0))
    assert bar.busy and bar.tone is Tone.BUSY
    assert bar.progress == 0.25
    unknown = build_sync_bar(SyncStatus(Connectivity.SYNCING, pulled=250), at(0))
    assert unknown.busy and unknown.progress is None


def test_the_sync_clients_own_words_are_shown_as_they_are():
    words = "The server is having trouble (error 503). Your work is saved on this device; retrying."
    bar = build_sync_bar(SyncStatus(Connectivity.OFFLINE, problem=words), at(0))
    assert bar.problem == words


def test_a_problem_while_online_turns_the_bar_to_a_warning():
    bar = build_sync_bar(
        SyncStatus(Connectivity.ONLINE, problem="The server refused a change"), at(0)
    )
    assert bar.tone is Tone.WARN


def test_signed_out_asks_for_the_password_and_says_the_work_is_kept():
    bar = build_sync_bar(SyncStatus(Connectivity.SIGNED_OUT, pending_ops=1), at(0))
    assert bar.tone is Tone.ERROR
    assert bar.headline == "Signed out"
    assert bar.sign_in
    assert bar.pending == "1 change waiting to send"
    assert bar.problem is not None and "kept on this device" in bar.problem


def test_a_withdrawn_device_sends_the_person_to_it_and_asks_for_no_password():
    bar = build_sync_bar(SyncStatus(Connectivity.LOCKED_OUT), at(0))
    assert bar.tone is Tone.ERROR
    assert not bar.sign_in
    assert bar.problem is not None and "IT" in bar.problem


@pytest.mark.parametrize("state", [c for c in Connectivity if c is not Connectivity.SIGNED_OUT])
def test_only_a_signed_out_device_shows_the_password_field(state):
    assert not build_sync_bar(SyncStatus(state), at(0)).sign_in


def test_the_next_retry_is_counted_down_while_offline():
    status = SyncStatus(Connectivity.OFFLINE, next_retry_ms=T0 + 2 * MINUTE)
    assert build_sync_bar(status, at(0)).retry == "next try in 2 min"
    assert build_sync_bar(status, at(3)).retry == "trying again now"
    online = SyncStatus(Connectivity.ONLINE, next_retry_ms=T0 + MINUTE)
    assert build_sync_bar(online, at(0)).retry is None


@given(st.integers(-5, 10**6), st.integers(0, 10**6))
def test_progress_always_stays_between_0_and_1(pulled, to_pull):
    bar = build_sync_bar(SyncStatus(Connectivity.SYNCING, pulled=pulled, to_pull=to_pull), at(0))
    assert bar.progress is None or 0.0 <= bar.progress <= 1.0


def test_pending_words_are_grammatical():
    assert [pending_words(n) for n in (0, 1, 2)] == [
        "all changes sent",
        "1 change waiting to send",
        "2 changes waiting to send",
    ]
