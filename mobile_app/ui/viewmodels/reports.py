"""The supervisor's NFPA 1225 screen, from what this device holds: how fast calls were
processed (answered to first unit dispatched, against 90 % within 60 s) and how long units
took to turn out, travel and arrive, over the last hour, day or week.

The figures are ``shared.reports``' (the server console prints the same ones); this module only
picks the window, words the verdict and lays the numbers out as table rows and histogram bars.
A device reports on what it has synced: an offline tablet's figures cover its own record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from mobile_app.ui.viewmodels.clock import Now
from shared.api import Role
from shared.domain import Incident, Unit
from shared.reports import Window, processing_report, response_report
from shared.reports.nfpa1225 import IntervalStats, ProcessingReport
from shared.reports.render import format_seconds, format_share

HOUR_MS = 3_600_000


class ReportRange(StrEnum):
    HOUR = "1h"
    DAY = "24h"
    WEEK = "7d"

    @property
    def label(self) -> str:
        return {
            ReportRange.HOUR: "Last hour",
            ReportRange.DAY: "Last 24 h",
            ReportRange.WEEK: "Last 7 days",
        }[self]

    @property
    def span_ms(self) -> int:
        return {ReportRange.HOUR: 1, ReportRange.DAY: 24, ReportRange.WEEK: 7 * 24}[self] * HOUR_MS


DEFAULT_RANGE = ReportRange.DAY

#: Histogram buckets of processing time, in seconds, each up to and including its bound (the
#: standard's "within 60 s" includes 60 s); the last bucket is everything beyond.
BUCKETS: tuple[tuple[float, str], ...] = (
    (15, "0-15 s"),
    (30, "15-30 s"),
    (45, "30-45 s"),
    (60, "45-60 s"),
    (90, "60-90 s"),
    (120, "90-120 s"),
    (float("inf"), "> 2 min"),
)


def can_see_reports(role: Role) -> bool:
    return role is Role.SUPERVISOR


@dataclass(frozen=True, slots=True)
class RangeChoice:
    range: ReportRange
    label: str
    selected: bool


@dataclass(frozen=True, slots=True)
class TableRow:
    """One interval: how many, median, 90th percentile, and how many were left out."""

    key: str
    label: str
    meaning: str
    """From when to when, in words: "answered to first unit dispatched"."""
    count: str
    p50: str
    p90: str
    excluded: str


@dataclass(frozen=True, slots=True)
class Bar:
    """One histogram bar of processing times; ``fraction`` of the tallest bar's length."""

    label: str
    count: int
    fraction: float
    over_target: bool


@dataclass(frozen=True, slots=True)
class ReportsScreen:
    ranges: tuple[RangeChoice, ...]
    period: str
    """Which calls the figures cover, in words."""
    calls: str
    """"3 calls · 3 dispatched · 0 with no unit yet"."""
    share: str
    """The headline: "66.7 % dispatched within 60 s"."""
    verdict: str
    meets_goal: bool | None
    rows: tuple[TableRow, ...]
    bars: tuple[Bar, ...]
    bars_caption: str
    warnings: tuple[str, ...]
    empty_message: str | None
    """Set when there is nothing to report (no calls, or not a supervisor)."""


def window_for(choice: ReportRange, now: Now) -> Window:
    """Calls received in the last ``choice``, up to and including this moment."""
    return Window.of(now.ms - choice.span_ms, now.ms + 1)


def _row(key: str, label: str, meaning: str, stats: IntervalStats) -> TableRow:
    return TableRow(
        key=key,
        label=label,
        meaning=meaning,
        count=str(stats.count),
        p50=format_seconds(stats.p50_s),
        p90=format_seconds(stats.p90_s),
        excluded=str(stats.excluded),
    )


def histogram(seconds: Sequence[float], target_s: float) -> tuple[Bar, ...]:
    counts = [0] * len(BUCKETS)
    for value in seconds:
        counts[next(i for i, (bound, _) in enumerate(BUCKETS) if value <= bound)] += 1
    tallest = max(counts, default=0) or 1
    lower_bounds = [0.0, *(bound for bound, _ in BUCKETS[:-1])]
    return tuple(
        Bar(label=label, count=count, fraction=count / tallest, over_target=low >= target_s)
        for (_, label), count, low in zip(BUCKETS, counts, lower_bounds, strict=True)
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _share(report: ProcessingReport) -> str:
    if report.share_within_target is None:
        return "No call dispatched yet"
    return f"{format_share(report.share_within_target)} dispatched within {report.target_s} s"


def _verdict(report: ProcessingReport) -> str:
    goal = f"{report.goal * 100:.0f} % within {report.target_s} s"
    if report.meets_goal is None:
        return f"No call dispatched yet: the NFPA 1225 goal ({goal}) cannot be judged."
    if report.meets_goal:
        return f"Meets the NFPA 1225 goal of {goal}."
    return f"Below the NFPA 1225 goal of {goal}."


def _warnings(report: ProcessingReport, rows: Sequence[TableRow]) -> tuple[str, ...]:
    found = []
    if report.not_dispatched:
        calls = "call has" if report.not_dispatched == 1 else "calls have"
        found.append(f"{report.not_dispatched} {calls} no unit dispatched yet.")
    for row in rows:
        if row.excluded != "0":
            found.append(
                f"{row.label}: {row.excluded} left out because the times run backwards "
                "(check the record)."
            )
    return tuple(found)


def build_reports(
    incidents: Sequence[Incident],
    units: Sequence[Unit],
    choice: ReportRange,
    now: Now,
    role: Role,
) -> ReportsScreen:
    ranges = tuple(RangeChoice(r, r.label, r is choice) for r in ReportRange)
    window = window_for(choice, now)
    assert window.start_ms is not None
    period = f"Calls received since {now.clock(window.start_ms)} ({choice.label.lower()})"
    if not can_see_reports(role):
        return _empty(ranges, period, "Only supervisors see reports.")
    processing = processing_report(incidents, units, window)
    if processing.incidents == 0:
        return _empty(ranges, period, f"No calls received in the {choice.label.lower()}.")
    response = response_report(incidents, units, window)
    rows = (
        _row("processing", "Processing", "answered to first unit dispatched", processing.stats),
        _row("turnout", "Turnout", "each unit, dispatched to en route", response.turnout),
        _row("travel", "Travel", "each unit, en route to on scene", response.travel),
        _row("total", "Total response", "answered to first unit on scene", response.total),
    )
    return ReportsScreen(
        ranges=ranges,
        period=period,
        calls=(
            f"{_count(processing.incidents, 'call')} · {processing.stats.count} dispatched"
            f" · {processing.not_dispatched} with no unit yet"
        ),
        share=_share(processing),
        verdict=_verdict(processing),
        meets_goal=processing.meets_goal,
        rows=rows,
        bars=histogram(processing.seconds, processing.target_s),
        bars_caption=(
            f"Dispatched calls by processing time; orange bars are over {processing.target_s} s."
        ),
        warnings=_warnings(processing, rows),
        empty_message=None,
    )


def _empty(ranges: tuple[RangeChoice, ...], period: str, message: str) -> ReportsScreen:
    return ReportsScreen(
        ranges=ranges,
        period=period,
        calls="",
        share="",
        verdict="",
        meets_goal=None,
        rows=(),
        bars=(),
        bars_caption="",
        warnings=(),
        empty_message=message,
    )
