"""The hybrid logical clock: monotonic, causal, and suspicious of clocks from the future."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.hlc import ClockSkewError, Hlc, HybridClock

T0 = 1_700_000_000_000


def test_stamps_never_go_backwards_even_when_the_wall_clock_does():
    now = [T0]
    clock = HybridClock(lambda: now[0])
    first = clock.now()
    now[0] -= 5000  # the phone's clock was corrected backwards
    second = clock.now()
    assert second > first and second.wall == first.wall and second.counter == 1


def test_receiving_a_stamp_moves_the_clock_past_it():
    clock = HybridClock(lambda: T0)
    remote = Hlc(T0 + 10_000, 7)
    after = clock.observe(remote)
    assert after > remote
    assert clock.now() > after


def test_a_stamp_an_hour_ahead_is_rejected_with_the_reason():
    clock = HybridClock(lambda: T0)
    with pytest.raises(ClockSkewError, match=r"3600\.0 s ahead"):
        clock.observe(Hlc(T0 + 3_600_000))
    assert clock.now().wall == T0  # nothing was adopted


def test_measuring_the_server_offset_corrects_a_wrong_clock():
    clock = HybridClock(lambda: T0 - 3_600_000)
    clock.observe_server_time(T0, round_trip_ms=200)
    assert abs(clock.now().wall - (T0 + 100)) <= 1


@given(st.integers(0, 10**14), st.integers(0, 999_998))
def test_encoding_round_trips_and_sorts_like_the_stamps(wall, counter):
    stamp = Hlc(wall, counter)
    assert Hlc.decode(stamp.encode()) == stamp
    assert (stamp.encode() < Hlc(wall, counter + 1).encode()) is True


@given(st.lists(st.tuples(st.booleans(), st.integers(-2000, 2000)), max_size=200))
def test_every_event_gets_a_strictly_greater_stamp(events):
    now = [T0]
    clock = HybridClock(lambda: now[0])
    last = clock.now()
    for is_receive, jump in events:
        now[0] += jump
        stamp = clock.observe(Hlc(now[0] + 500, 3)) if is_receive else clock.now()
        assert stamp > last
        last = stamp


def test_garbage_is_not_a_stamp():
    with pytest.raises(ValueError, match="not an HLC stamp"):
        Hlc.decode("yesterday")
