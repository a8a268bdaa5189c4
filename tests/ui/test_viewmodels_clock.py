"""Times as the dispatcher reads them."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from mobile_app.ui.viewmodels.clock import Now, duration
from tests.ui.desks import MINUTE, T0, at


def test_times_today_show_hours_minutes_seconds():
    assert at(0).clock(T0 + 3 * MINUTE + 27_000) == "14:03:27"


def test_times_from_another_day_carry_the_date():
    assert at(0).clock(T0 - 24 * 60 * MINUTE) == "29 Feb 14:00:00"


def test_times_are_shown_in_the_dispatchers_time_zone():
    pacific = Now(T0, timezone(timedelta(hours=-8)))
    assert pacific.clock(T0) == "06:00:00"


def test_ago_reads_just_now_for_the_last_few_seconds_and_small_clock_differences():
    now = at(10)
    assert now.ago(now.ms) == "just now"
    assert now.ago(now.ms - 9_000) == "just now"
    assert now.ago(now.ms + 5_000) == "just now"


def test_ago_counts_seconds_then_minutes_then_hours():
    now = at(300)
    assert now.ago(now.ms - 40_000) == "40 s ago"
    assert now.ago(now.ms - 2 * MINUTE - 59_000) == "2 min ago"
    assert now.ago(now.ms - 125 * MINUTE) == "2 h 05 min ago"


def test_a_time_well_in_the_future_says_so_instead_of_a_negative_age():
    now = at(0)
    assert now.ago(now.ms + 5 * MINUTE) == "in 5 min"


def test_elapsed_is_time_in_status_and_never_negative():
    now = at(12)
    assert now.elapsed(T0) == "12 min"
    assert now.elapsed(now.ms + MINUTE) == "0 s"


def test_when_gives_the_time_and_how_long_ago():
    assert at(5).when(T0 + 3 * MINUTE) == "14:03:00 (2 min ago)"


def test_long_durations_switch_to_days():
    assert duration(26 * 60 * MINUTE) == "1 d 2 h"


@given(st.integers(0, 10**10), st.integers(0, 10**10))
def test_durations_never_read_shorter_for_a_longer_time(a, b):
    def minutes(text: str) -> float:
        parts = text.split()
        units = {"s": 1 / 60, "min": 1, "h": 60, "d": 1440}
        return sum(float(n) * units[u] for n, u in zip(parts[::2], parts[1::2], strict=True))

    short, long = sorted((a, b))
    assert minutes(duration(short)) <= minutes(duration(long))


def test_now_from_the_system_clock_defaults_to_local_time():
    now = Now.system()
    assert now.tz is None
    assert Now(now.ms, UTC).ago(now.ms) == "just now"
