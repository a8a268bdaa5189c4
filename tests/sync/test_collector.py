"""The cyclic collector is held off while a pulled batch is decoded and merged, and always
comes back: after an error, after nested and overlapping pauses from several threads, and
not at all if the host had switched it off itself."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from mobile_app.sync.collector import collector_paused


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_the_collector_waits_during_a_batch_and_resumes_after_it():
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # the merge inside the decode's pause
            assert not gc.isenabled()
        assert not gc.isenabled(), "the outer batch is still being worked on"
    assert gc.isenabled()


def test_a_batch_that_fails_still_lets_the_collector_resume():
    gc.enable()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the store is full")
    assert gc.isenabled()


def test_a_host_that_switched_the_collector_off_keeps_it_off():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_overlapping_pauses_from_two_threads_resume_once_both_are_done():
    gc.enable()
    inside, release = threading.Event(), threading.Event()

    def other_batch() -> None:
        with collector_paused():
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=other_batch)
    with collector_paused():
        worker.start()
        inside.wait(10)
    assert not gc.isenabled(), "the other thread's batch is still running"
    release.set()
    worker.join(10)
    assert gc.isenabled()
