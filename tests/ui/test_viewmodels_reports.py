"""The supervisor's NFPA 1225 screen: how fast calls were processed and units responded."""

from __future__ import annotations

from mobile_app.ui.viewmodels.reports import ReportRange, build_reports
from shared.api import Role
from shared.lifecycle import UnitStatus
from tests.ui.desks import MINUTE, T0, Desk, at


def shift(desk: Desk | None = None) -> Desk:
    """Three calls from 14:00 to 14:20: dispatched 45, 60 and 75 s after they were answered."""
    desk = desk or Desk("dev-s", "sam")
    for unit in ("E1", "M2", "E3"):
        desk.unit(unit)
    for n, (unit, dispatch, turnout, travel) in enumerate(
        (("E1", 45, 60, 300), ("M2", 60, 90, 420), ("E3", 75, 30, 240))
    ):
        start = T0 + n * 10 * MINUTE
        desk.now[0] = start
        incident = desk.call("FSTRU" if unit.startswith("E") else "ALS", 2)
        desk.now[0] = start + dispatch * 1000
        desk.move(unit, UnitStatus.DISPATCHED, incident)
        desk.now[0] += turnout * 1000
        desk.move(unit, UnitStatus.ENROUTE, incident)
        desk.now[0] += travel * 1000
        desk.move(unit, UnitStatus.ONSCENE, incident)
    return desk


def screen(desk: Desk, minutes: float = 40, choice=ReportRange.HOUR, role=Role.SUPERVISOR):
    return build_reports(desk.incidents(), desk.units(), choice, at(minutes), role)


def rows(desk: Desk, **kw) -> dict[str, tuple[str, str, str, str]]:
    return {r.key: (r.count, r.p50, r.p90, r.excluded) for r in screen(desk, **kw).rows}


def test_the_share_of_calls_dispatched_within_sixty_seconds_and_the_verdict():
    report = screen(shift())
    assert report.share == "66.7 % dispatched within 60 s"  # 60 s itself counts as within
    assert report.verdict == "Below the NFPA 1225 goal of 90 % within 60 s."
    assert report.meets_goal is False
    assert report.calls == "3 calls · 3 dispatched · 0 with no unit yet"
    assert report.period == "Calls received since 13:40:00 (last hour)"
    assert report.warnings == ()


def test_processing_turnout_travel_and_total_response_medians_and_90th_percentiles():
    assert rows(shift()) == {
        "processing": ("3", "1:00", "1:12", "0"),  # 45, 60, 75 s
        "turnout": ("3", "1:00", "1:24", "0"),  # 30, 60, 90 s
        "travel": ("3", "5:00", "6:36", "0"),  # 240, 300, 420 s
        "total": ("3", "6:45", "8:57", "0"),  # 345, 405, 570 s
    }


def test_all_calls_dispatched_within_a_minute_meets_the_goal():
    desk = Desk("dev-s", "sam")
    desk.unit("E1")
    incident = desk.at(0).call("FALL", 3)
    desk.at(0.5).move("E1", UnitStatus.DISPATCHED, incident)
    report = screen(desk, minutes=5)
    assert (report.share, report.meets_goal) == ("100.0 % dispatched within 60 s", True)
    assert report.verdict == "Meets the NFPA 1225 goal of 90 % within 60 s."


def test_the_bars_count_calls_by_processing_time_and_mark_those_over_the_target():
    bars = {b.label: b for b in screen(shift()).bars}
    assert [label for label in bars] == [
        "0-15 s",
        "15-30 s",
        "30-45 s",
        "45-60 s",
        "60-90 s",
        "90-120 s",
        "> 2 min",
    ]
    assert {label: b.count for label, b in bars.items() if b.count} == {
        "30-45 s": 1,  # 45 s
        "45-60 s": 1,  # 60 s, still within
        "60-90 s": 1,  # 75 s
    }
    assert [b.over_target for b in bars.values()] == [False] * 4 + [True] * 3
    assert {b.fraction for b in bars.values()} == {0.0, 1.0}
    assert screen(shift()).bars_caption == (
        "Dispatched calls by processing time; orange bars are over 60 s."
    )


def test_the_range_picks_calls_received_in_the_last_hour_day_or_week():
    desk = Desk("dev-s", "sam", now=[T0 - 3 * 24 * 60 * MINUTE])  # three days before the shift
    desk.unit("M9")
    old = desk.call("ALS", 1)
    desk.now[0] += 200_000
    desk.move("M9", UnitStatus.DISPATCHED, old)
    shift(desk)
    three_hours_on = 3 * 60 + 10
    counts = {
        choice: screen(desk, three_hours_on, choice).calls.split(" · ")[0] for choice in ReportRange
    }
    assert counts[ReportRange.DAY] == "3 calls"
    assert counts[ReportRange.WEEK] == "4 calls"
    hour = screen(desk, three_hours_on, ReportRange.HOUR)
    assert hour.empty_message == "No calls received in the last hour."
    assert [(r.label, r.selected) for r in hour.ranges] == [
        ("Last hour", True),
        ("Last 24 h", False),
        ("Last 7 days", False),
    ]


def test_a_call_with_no_unit_yet_is_counted_apart_and_said():
    desk = shift()
    desk.at(30).call("NONEMERG", 5)
    report = screen(desk)
    assert report.calls == "4 calls · 3 dispatched · 1 with no unit yet"
    assert report.share == "66.7 % dispatched within 60 s"
    assert report.warnings == ("1 call has no unit dispatched yet.",)


def test_with_nothing_dispatched_the_goal_cannot_be_judged():
    desk = Desk("dev-s", "sam")
    desk.at(0).call("FALL", 3)
    report = screen(desk, 5)
    assert report.share == "No call dispatched yet"
    assert report.meets_goal is None
    assert report.verdict.startswith("No call dispatched yet: the NFPA 1225 goal")
    assert [b.count for b in report.bars] == [0] * 7


def test_a_dispatch_keyed_before_the_call_was_answered_is_left_out_and_flagged():
    desk = Desk("dev-s", "sam")
    desk.unit("E1")
    incident = desk.at(10).call("FSTRU", 1)
    desk.at(12).late_move("E1", UnitStatus.DISPATCHED, incident, event_ms=T0 + 9 * MINUTE)
    report = screen(desk, 15)
    assert rows(desk, minutes=15)["processing"] == ("0", "-", "-", "1")
    assert report.warnings == (
        "Processing: 1 left out because the times run backwards (check the record).",
    )


def test_only_supervisors_see_figures():
    report = screen(shift(), role=Role.DISPATCHER)
    assert report.empty_message == "Only supervisors see reports."
    assert report.rows == () and report.bars == () and report.share == ""
