"""Benchmark: a one-tap unit status change, early in a shift and after a long one.

A unit's status events are kept in its state for good (every event is a fact a replica must not
drop), so each change re-checks, re-folds and re-seals a state that grows all shift.  Measured
on one encrypted store: the unit cycles Dispatched -> EnRoute -> OnScene -> Cleared on a call;
the status changes of the first cycles are timed, then those after ``events`` more, and the
later ÷ earlier ratio is the figure (same store, same run).  A busy SF engine logged ~60 status
events in a day of the export; 400 is about a week without restarting the history.
"""

from __future__ import annotations

import time

from bench.figures import BenchResult, Figure, ratio
from bench.runner import Benchmark, RunContext
from bench.stores import open_store
from bench.timing import Latency, fmt_ms, frozen_heap
from mobile_app.store import LocalStore

CYCLE = ("Dispatched", "EnRoute", "OnScene", "Cleared")
TIMED_CYCLES = 25


def run(ctx: RunContext) -> BenchResult:
    events = 80 if ctx.quick else 400
    result = BenchResult()
    with open_store(ctx.workdir / "units.db", "bench-units", LocalStore) as store, frozen_heap():
        store.upsert_unit("E1", name="E1")
        incident = store.create_incident({"incident_type": "FSTRU"}, 2).entity_id
        early = _timed_cycles(store, incident, TIMED_CYCLES)
        ctx.log(f"adding {events} more status events")
        for _ in range(events // len(CYCLE)):
            _cycle(store, incident)
        late = _timed_cycles(store, incident, TIMED_CYCLES)
        stored = len(store.unit("E1").events)
    first, last = Latency.of(early), Latency.of(late)
    result.add(
        Figure(
            f"unit status change after {stored:,} events, p50",
            last.p50_ms,
            "ms",
            f"p99 {fmt_ms(last.p99_ms)}; first {len(early)} changes: p50 {fmt_ms(first.p50_ms)}",
        )
    )
    result.add(
        ratio(
            f"unit status change: after {stored:,} events ÷ at the start of the shift (p50)",
            last.p50_ms,
            first.p50_ms,
            f"{fmt_ms(last.p50_ms)} ÷ {fmt_ms(first.p50_ms)}",
        )
    )
    result.extras.update(early=first.as_json(), late=last.as_json(), events=stored)
    return result


def _cycle(store: LocalStore, incident: str) -> None:
    for status in CYCLE:
        store.set_unit_status("E1", status, incident_id=incident)


def _timed_cycles(store: LocalStore, incident: str, cycles: int) -> list[float]:
    times = []
    for _ in range(cycles):
        for status in CYCLE:
            start = time.perf_counter_ns()
            store.set_unit_status("E1", status, incident_id=incident)
            times.append((time.perf_counter_ns() - start) / 1e9)
    return times


BENCHMARK = Benchmark(
    name="unit_history",
    title="Unit status change as the unit's history grows",
    run=run,
)
