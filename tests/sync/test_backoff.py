"""Retry timing: grows after each failure, never past the cap, spread out by jitter."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from mobile_app.sync.backoff import Backoff


@given(st.integers(0, 2**32), st.integers(1, 40))
def test_delays_stay_within_the_exponential_envelope_and_the_cap(seed, failures):
    backoff = Backoff(base_s=1.0, cap_s=300.0, rng=random.Random(seed))
    for attempt in range(failures):
        delay = backoff.next_delay()
        assert 0.0 <= delay <= min(300.0, 2.0**attempt)


def test_a_success_starts_the_envelope_again():
    backoff = Backoff(base_s=1.0, cap_s=300.0, rng=random.Random(1))
    for _ in range(10):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() <= 1.0


def test_a_hundred_devices_do_not_retry_on_the_same_beat():
    delays = [Backoff(rng=random.Random(seed)) for seed in range(100)]
    for b in delays:
        for _ in range(5):
            b.next_delay()
    sixth = [round(b.next_delay(), 1) for b in delays]
    assert len(set(sixth)) > 50


@given(st.integers(0, 2**32), st.integers(1, 60))
def test_an_unreachable_server_is_retried_at_least_every_thirty_seconds(seed, failures):
    """A hotspot that was down for an hour: the tablet still notices within half a minute that
    the link is back (no wait grows towards the 5-minute ceiling meant for a failing server)."""
    backoff = Backoff(rng=random.Random(seed))
    for attempt in range(failures):
        delay = backoff.next_delay(unreachable=True)
        assert 0.0 <= delay <= min(30.0, 2.0**attempt)


def test_a_server_answering_with_errors_is_given_the_long_envelope():
    backoff = Backoff(rng=random.Random(7))
    waits = [backoff.next_delay() for _ in range(20)]
    assert max(waits) > 30.0  # a struggling server is spared a stampede
    assert max(waits) <= 300.0
