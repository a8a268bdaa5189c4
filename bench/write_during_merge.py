"""Benchmark: a dispatcher's write while the device merges a big pull, and while a new tablet
loads its snapshot (issue 4: no local write waits more than 100 ms behind a merge).

The first situation is the one after an outage: the tablet holds 1,000 incidents with history
and pulls 10k changes other devices made meanwhile.  The second is a tablet enrolled at the
backup site, taking calls while it loads the centre's snapshot (the same 1,000 incidents and
their units, merged).  The work runs in a background thread as the sync client's does (worked
out off the write gate, stored in short transactions); meanwhile the dispatcher takes calls
(``create_incident`` every few milliseconds, far faster than anyone types).  Side by side in
one run: the same writes on the same store with nothing else running.

Each write is timed from when it was due to when it committed: the write gate, the write
itself, and any stretch the other thread held the interpreter when the tap came (a long
decode, a collection) are all in it, since the dispatcher feels all three.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from bench.figures import BenchResult, Figure, Target, ratio
from bench.ingest import check, ingest, same_as_reference
from bench.local_write import _inputs, _write
from bench.pages import encode_pages, snapshot_pages
from bench.runner import Benchmark, RunContext
from bench.stores import open_store
from bench.timing import Latency, fmt_ms, fmt_s, frozen_heap, timed
from bench.workload import Fleet
from mobile_app.store import LocalStore
from mobile_app.store.core import MERGE_BUDGET_S
from mobile_app.sync.collector import collector_paused
from mobile_app.sync.snapshots import read_page
from shared.hlc import system_ms
from shared.merge.replica import EntityState
from shared.protocol import IncidentCreate

T = TypeVar("T")

#: Pause between two writes: a write every few ms samples the whole merge densely.
GAP_S = 0.005
TARGET = Target("<", 100.0, "issue 4: no local write waits > 100 ms behind a merge")


def run(ctx: RunContext) -> BenchResult:
    incidents, history, changes = (100, 400, 2_000) if ctx.quick else (1_000, 3_000, 10_000)
    fleet = Fleet(seed=ctx.seed)
    ctx.log(f"generating {incidents:,} incidents, {history:,} ops of history, {changes:,} changes")
    setup = fleet.populate(incidents) + fleet.activity(
        history, new_incidents=False, close_rate=0.01
    )
    batch = fleet.activity(changes, new_incidents=False, close_rate=0.02)
    now = system_ms()
    setup_pages = encode_pages(setup, server_time_ms=now)
    pages = encode_pages(batch, first_seq=len(setup) + 1, server_time_ms=now)
    inputs = _inputs(ctx.seed + 1, 4_000 if ctx.quick else 20_000)
    result = BenchResult()
    with open_store(ctx.workdir / "tablet.db", "bench-tablet", LocalStore) as store:
        ctx.log(f"loading {len(setup):,} ops of existing state (not timed)")
        ingest(store, setup_pages, len(setup))
        ctx.log(f"merging {changes:,} changes in a thread while writing every {GAP_S * 1000:g} ms")
        with frozen_heap():  # the harness's workload and reference replica stay out of GC
            merging, merged = _writes_during(store, lambda: ingest(store, pages, changes), inputs)
            ctx.log(f"the same number of writes ({len(merging)}) with no merge running")
            idle = _writes(store, inputs[len(merging) : 2 * len(merging)])
        check(store, merged, fleet.replica, len(setup) + changes, own_writes=True)
        if store.pending_count() != 2 * len(merging):
            raise AssertionError("a dispatcher's write is missing from the outbox")
    states: list[EntityState] = [*fleet.replica.incidents.values(), *fleet.replica.units.values()]
    snapshot = snapshot_pages(states, cursor=len(setup) + changes)
    ctx.log(f"a new tablet loading {len(states):,} states ({len(snapshot)} snapshot pages)")
    with open_store(ctx.workdir / "new-tablet.db", "bench-new", LocalStore) as fresh:
        with frozen_heap():
            loading, load_s = _writes_during(fresh, lambda: _load(fresh, snapshot), inputs)
        same_as_reference(fresh, fleet.replica, own_writes=True)
        if fresh.pending_count() != len(loading):
            raise AssertionError("a dispatcher's write is missing from the new tablet's outbox")
    busy, quiet, new = Latency.of(merging), Latency.of(idle), Latency.of(loading)
    result.add(
        Figure(
            "local write while a big pull merges, max",
            busy.max_ms,
            "ms",
            f"{busy.n:,} writes during a {fmt_s(merged.seconds)} merge of {changes:,} changes "
            f"(transactions of <= {MERGE_BUDGET_S * 1000:g} ms); p99 {fmt_ms(busy.p99_ms)}",
            TARGET,
        )
    )
    result.add(
        ratio(
            "write while merging ÷ idle write, p50",
            busy.p50_ms,
            quiet.p50_ms,
            f"{fmt_ms(busy.p50_ms)} ÷ {fmt_ms(quiet.p50_ms)} (same store, same run)",
        )
    )
    result.add(
        ratio(
            "write while merging ÷ idle write, p99",
            busy.p99_ms,
            quiet.p99_ms,
            f"{fmt_ms(busy.p99_ms)} ÷ {fmt_ms(quiet.p99_ms)}; idle max {fmt_ms(quiet.max_ms)}",
        )
    )
    result.add(
        Figure(
            "local write on a new tablet loading its snapshot, max",
            new.max_ms,
            "ms",
            f"{new.n:,} writes while {len(states):,} merged states in {len(snapshot)} pages were "
            f"decoded and adopted in {fmt_s(load_s)}; p50 {fmt_ms(new.p50_ms)}, "
            f"p99 {fmt_ms(new.p99_ms)}",
            TARGET,
        )
    )
    result.extras.update(
        merging=busy.as_json(),
        idle=quiet.as_json(),
        loading_snapshot=new.as_json(),
        merge_seconds=merged.seconds,
        snapshot_seconds=load_s,
        changes=changes,
        merge_budget_s=MERGE_BUDGET_S,
    )
    return result


def _load(store: LocalStore, pages: list[bytes]) -> float:
    """Decode and adopt every snapshot page as the sync client does; returns the seconds."""

    def load_all() -> None:
        for data in pages:
            with collector_paused():
                page = read_page(data)
            with collector_paused():
                store.adopt_snapshot(page.states)

    return timed(load_all)[1]


def _writes_during(
    store: LocalStore, work: Callable[[], T], inputs: list[IncidentCreate]
) -> tuple[list[float], T]:
    """Write until ``work``, running in another thread, has finished; returns every write's
    time and what ``work`` returned."""
    done: list[T] = []
    failed: list[BaseException] = []

    def background() -> None:
        try:
            done.append(work())
        except BaseException as error:  # re-raised in the benchmark's thread
            failed.append(error)

    worker = threading.Thread(target=background, name="sync")
    worker.start()
    times: list[float] = []
    due = time.perf_counter() + GAP_S
    for body in inputs:
        if not worker.is_alive():
            break
        times.append(_tap(store, body, due))
        due = time.perf_counter() + GAP_S
    else:
        raise AssertionError("the work outlasted every prepared write; prepare more inputs")
    worker.join()
    if failed:
        raise failed[0]
    return times, done[0]


def _writes(store: LocalStore, inputs: list[IncidentCreate]) -> list[float]:
    times = []
    for body in inputs:
        times.append(_tap(store, body, time.perf_counter() + GAP_S))
    return times


def _tap(store: LocalStore, body: IncidentCreate, due: float) -> float:
    """Write ``body`` at ``due``; seconds from ``due`` until it committed."""
    pause = due - time.perf_counter()
    if pause > 0:
        time.sleep(pause)
    _write(store, body)
    return time.perf_counter() - due


BENCHMARK = Benchmark(
    "write_during_merge",
    "local write while a big pull merges or a snapshot loads, vs the same write idle",
    run,
)
