"""NFPA 1225 (2022) interval reports, as pure functions over incidents and unit assignments.

Processing time is the standard's "alarm processing": from the call being answered (our
``Incident.received_ms``) to the first unit dispatched on the incident; the standard asks for
90 % within 60 s.  Its other call-handling target, answering 90 % of calls within 10 s, needs
the ring time, which a CAD does not see (the 9-1-1 phone system does), so it is not reported.

Response intervals come from each unit's assignment timestamps: turnout (dispatched to en
route) and travel (en route to on scene) per unit, and total response (call answered to first
unit on scene) per incident.  Percentiles interpolate linearly between ranks (numpy's default,
Excel's PERCENTILE.INC).  A negative interval is a clock or data-entry error: it is left out of
the statistics and counted as ``excluded`` so a supervisor can go and look, never hidden.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from shared.domain import Assignment, Incident, Unit

PROCESSING_TARGET_S = 60
PROCESSING_GOAL = 0.90


@dataclass(frozen=True, slots=True)
class Window:
    """Which incidents a report covers: received in ``[start_ms, end_ms)``, of these types."""

    start_ms: int | None = None
    end_ms: int | None = None
    incident_types: frozenset[str] | None = None

    @classmethod
    def of(
        cls,
        start_ms: int | None = None,
        end_ms: int | None = None,
        incident_types: Collection[str] | None = None,
    ) -> Window:
        types = frozenset(incident_types) if incident_types is not None else None
        return cls(start_ms, end_ms, types)

    def admits(self, incident: Incident) -> bool:
        received = incident.received_ms
        if not incident.exists or received is None:
            return False
        if self.start_ms is not None and received < self.start_ms:
            return False
        if self.end_ms is not None and received >= self.end_ms:
            return False
        return self.incident_types is None or incident.incident_type in self.incident_types


@dataclass(frozen=True, slots=True)
class IncidentTimes:
    """The key moments of one incident, from its record and its units' assignments."""

    incident_id: str
    incident_type: str | None
    received_ms: int
    first_dispatch_ms: int | None
    first_onscene_ms: int | None


@dataclass(frozen=True, slots=True)
class IntervalStats:
    """One interval's distribution: how many, median and 90th percentile, in seconds."""

    interval: str
    count: int
    p50_s: float | None
    p90_s: float | None
    excluded: int = 0


@dataclass(frozen=True, slots=True)
class ProcessingReport:
    """Answer-to-first-dispatch times against the NFPA 1225 target."""

    window: Window
    incidents: int
    not_dispatched: int
    stats: IntervalStats
    within_target: int
    target_s: int = PROCESSING_TARGET_S
    goal: float = PROCESSING_GOAL
    seconds: tuple[float, ...] = field(default=(), repr=False)

    @property
    def share_within_target(self) -> float | None:
        return self.within_target / self.stats.count if self.stats.count else None

    @property
    def meets_goal(self) -> bool | None:
        share = self.share_within_target
        return None if share is None else share >= self.goal


@dataclass(frozen=True, slots=True)
class ResponseReport:
    """Unit turnout and travel, and incident total response, over one window."""

    window: Window
    incidents: int
    turnout: IntervalStats
    travel: IntervalStats
    total: IntervalStats


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0..100) of ``values``, linear between ranks; None if empty."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile must be within 0..100, not {q}")
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def interval_stats(interval: str, seconds: Sequence[float], excluded: int = 0) -> IntervalStats:
    return IntervalStats(
        interval=interval,
        count=len(seconds),
        p50_s=percentile(seconds, 50),
        p90_s=percentile(seconds, 90),
        excluded=excluded,
    )


def assignments_by_incident(units: Iterable[Unit]) -> dict[str, list[Assignment]]:
    by_incident: dict[str, list[Assignment]] = defaultdict(list)
    for unit in units:
        for assignment in unit.assignments:
            by_incident[assignment.incident_id].append(assignment)
    return by_incident


def _earliest(values: Iterable[int | None]) -> int | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def incident_times(
    incidents: Iterable[Incident], units: Iterable[Unit], window: Window | None = None
) -> list[IncidentTimes]:
    """Key moments of every incident in ``window``, in order of receipt."""
    window = window or Window()
    by_incident = assignments_by_incident(units)
    times = []
    for incident in incidents:
        if not window.admits(incident) or incident.received_ms is None:
            continue
        assigned = by_incident.get(incident.incident_id, [])
        times.append(
            IncidentTimes(
                incident_id=incident.incident_id,
                incident_type=incident.incident_type,
                received_ms=incident.received_ms,
                first_dispatch_ms=_earliest(a.dispatched_ms for a in assigned),
                first_onscene_ms=_earliest(a.onscene_ms for a in assigned),
            )
        )
    times.sort(key=lambda t: (t.received_ms, t.incident_id))
    return times


def _split(intervals: Iterable[tuple[int | None, int | None]]) -> tuple[list[float], int]:
    """Seconds for every (start, end) pair with both ends, and how many were negative."""
    seconds: list[float] = []
    negative = 0
    for start, end in intervals:
        if start is None or end is None:
            continue
        if end < start:
            negative += 1
        else:
            seconds.append((end - start) / 1000)
    return seconds, negative


def processing_from_times(
    times: Sequence[IncidentTimes],
    window: Window | None = None,
    *,
    target_s: int = PROCESSING_TARGET_S,
    goal: float = PROCESSING_GOAL,
) -> ProcessingReport:
    seconds, negative = _split((t.received_ms, t.first_dispatch_ms) for t in times)
    return ProcessingReport(
        window=window or Window(),
        incidents=len(times),
        not_dispatched=sum(1 for t in times if t.first_dispatch_ms is None),
        stats=interval_stats("processing", seconds, negative),
        within_target=sum(1 for s in seconds if s <= target_s),
        target_s=target_s,
        goal=goal,
        seconds=tuple(sorted(seconds)),
    )


def processing_report(
    incidents: Iterable[Incident],
    units: Iterable[Unit],
    window: Window | None = None,
    *,
    target_s: int = PROCESSING_TARGET_S,
    goal: float = PROCESSING_GOAL,
) -> ProcessingReport:
    """Share of incidents dispatched within ``target_s`` of the answer, with p50/p90."""
    window = window or Window()
    times = incident_times(incidents, units, window)
    return processing_from_times(times, window, target_s=target_s, goal=goal)


def processing_by_type(
    incidents: Iterable[Incident],
    units: Iterable[Unit],
    window: Window | None = None,
    *,
    target_s: int = PROCESSING_TARGET_S,
    goal: float = PROCESSING_GOAL,
) -> dict[str | None, ProcessingReport]:
    """One processing report per incident type (``None``: untyped), busiest type first."""
    window = window or Window()
    grouped: dict[str | None, list[IncidentTimes]] = defaultdict(list)
    for times in incident_times(incidents, units, window):
        grouped[times.incident_type].append(times)
    ordered = sorted(grouped.items(), key=lambda item: (-len(item[1]), item[0] or ""))
    return {
        kind: processing_from_times(group, window, target_s=target_s, goal=goal)
        for kind, group in ordered
    }


def response_report(
    incidents: Iterable[Incident], units: Iterable[Unit], window: Window | None = None
) -> ResponseReport:
    """Turnout and travel per unit assignment, total response per incident."""
    window = window or Window()
    units = list(units)
    times = incident_times(incidents, units, window)
    covered = {t.incident_id for t in times}
    assignments = [a for unit in units for a in unit.assignments if a.incident_id in covered]
    turnout, turnout_bad = _split((a.dispatched_ms, a.enroute_ms) for a in assignments)
    travel, travel_bad = _split((a.enroute_ms, a.onscene_ms) for a in assignments)
    total, total_bad = _split((t.received_ms, t.first_onscene_ms) for t in times)
    return ResponseReport(
        window=window,
        incidents=len(times),
        turnout=interval_stats("turnout", turnout, turnout_bad),
        travel=interval_stats("travel", travel, travel_bad),
        total=interval_stats("total response", total, total_bad),
    )
