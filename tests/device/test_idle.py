"""An unattended device locks itself (CJIS: session lock after 30 minutes idle)."""

from __future__ import annotations

import pytest

from mobile_app.store import (
    DEFAULT_IDLE_SECONDS,
    ChangeKind,
    IdleLock,
    LocalStore,
    StoreChange,
    StoreLocked,
)
from tests.device.conftest import PIN, MakeStore, as_changes


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def test_the_default_idle_lock_is_thirty_minutes():
    assert DEFAULT_IDLE_SECONDS == 30 * 60
    assert IdleLock().timeout_s == 30 * 60


def test_the_policy_expires_after_the_timeout_without_activity():
    clock = FakeClock()
    idle = IdleLock(600, clock=clock)

    clock.advance(599)
    assert not idle.expired()
    assert idle.remaining() == 1
    clock.advance(1)
    assert idle.expired()
    assert idle.remaining() == 0


def test_activity_restarts_the_countdown():
    clock = FakeClock()
    idle = IdleLock(600, clock=clock)
    clock.advance(500)
    idle.touch()
    clock.advance(500)
    assert not idle.expired()
    assert idle.idle_for() == 500


def test_a_timeout_must_be_positive():
    with pytest.raises(ValueError):
        IdleLock(0)


def test_an_idle_store_locks_and_asks_for_the_pin_again(make_store: MakeStore):
    clock = FakeClock()
    store = make_store(idle=IdleLock(600, clock=clock))
    heard: list[StoreChange] = []
    store.listen(heard.append)
    incident_id = store.create_incident({"incident_type": "FSTRU"}, 2).entity_id

    clock.advance(600)

    with pytest.raises(StoreLocked, match="10 minutes without activity"):
        store.incident(incident_id)
    assert store.locked
    assert heard[-1].kind is ChangeKind.LOCKED
    with pytest.raises(StoreLocked):
        store.add_note(incident_id, "too late")
    reopened = LocalStore.unlock(store.path, PIN)
    assert reopened.incident(incident_id).exists
    reopened.lock()


def test_the_ui_timer_locks_an_idle_store_without_any_read(make_store: MakeStore):
    clock = FakeClock()
    store = make_store(idle=IdleLock(600, clock=clock))

    assert not store.check_idle()
    clock.advance(601)
    assert store.check_idle()
    assert store.locked


def test_actions_count_as_activity_but_background_refreshes_do_not(make_store: MakeStore):
    clock = FakeClock()
    store = make_store(idle=IdleLock(600, clock=clock))
    incident_id = store.create_incident({"incident_type": "FSTRU"}, 2).entity_id

    clock.advance(400)
    store.add_note(incident_id, "dispatcher typed this")  # activity
    clock.advance(400)
    store.incidents()  # the queue redrawn after a merge: not a person
    store.apply_pulled([], cursor=0)  # background sync: not a person
    clock.advance(200)

    assert store.check_idle()


def test_the_ui_can_report_activity_that_does_not_touch_the_store(make_store: MakeStore):
    clock = FakeClock()
    store = make_store(idle=IdleLock(600, clock=clock))
    clock.advance(500)
    store.touch()  # scrolling the queue
    clock.advance(500)
    assert not store.check_idle()


def test_a_locked_store_takes_no_pulled_changes(make_store: MakeStore):
    source = make_store("dev-src", "sam")
    source.create_incident({"incident_type": "FSTRU"}, 2)
    store = make_store()
    store.lock()

    with pytest.raises(StoreLocked):
        store.apply_pulled(as_changes(source.pending_ops()), cursor=1)
    with pytest.raises(StoreLocked):
        store.pending_ops()
