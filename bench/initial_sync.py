"""Benchmark 2: initial sync into an empty encrypted store, rows per second.

A new device pulls a dispatch centre's history: the server's change log in ``PullPage`` pages
of 500 (the client's pull limit), each decoded from JSON, held in a ``PullBatch`` as the sync
client does while catching up, and merged with ``LocalStore.apply_page`` once per batch (each
entity merged and sealed once per batch, stored in short transactions).  "Rows" are changes
(ops), the unit the protocol syncs.  The network and the server are not in the timing:
this is the device's share, the part PowerSync's 27.6k rows/s desktop figure also bounds.

Side by side in the same run: the unencrypted baseline ingesting the same pages in lockstep
(page by page, alternating which store goes first), and the merge rules alone
(``Replica.apply`` in memory: no decode, no store), the ceiling for this design.

A new device does not replay the log, though: the sync client starts it from the server's
snapshot (one merged state per incident or unit).  The same history as snapshot pages,
decoded and adopted into another empty encrypted store, is the last figure: replay ÷ snapshot.
"""

from __future__ import annotations

import functools
from contextlib import ExitStack
from dataclasses import dataclass

from bench.figures import BenchResult, Figure, Target, ratio
from bench.ingest import check, disk_bytes, ingest, ingest_side_by_side, same_as_reference
from bench.pages import PAGE_SIZE, SNAPSHOT_LIMIT, encode_pages, snapshot_pages
from bench.profiling import profiled
from bench.runner import Benchmark, RunContext
from bench.stores import PlainStore, open_store
from bench.timing import fmt_bytes, fmt_int, fmt_s, frozen_heap, timed
from bench.workload import Fleet, replay
from mobile_app.store import LocalStore
from mobile_app.sync.snapshots import read_page
from shared.hlc import system_ms
from shared.merge import Replica
from shared.merge.replica import EntityState
from shared.protocol import Op

TARGET = Target(">=", 30_000, "issue 6; PowerSync desktop 27.6k")
SIDE_BY_SIDE_UP_TO = 10_000  # larger syncs run the encrypted store only (minutes per store)


def run(ctx: RunContext) -> BenchResult:
    sizes = (2_000,) if ctx.quick else (10_000, 100_000)
    ctx.log(f"generating {max(sizes):,} ops")
    ops = Fleet(seed=ctx.seed).activity(max(sizes))
    result = BenchResult()
    now = system_ms()
    for size in sizes:
        _one_size(ctx, result, ops[:size], now)
    if ctx.profile:
        _profile_tail(ctx, result, ops, now)
    return result


def _one_size(ctx: RunContext, result: BenchResult, ops: list[Op], now: int) -> None:
    size, label = len(ops), f"{len(ops) // 1000}k"
    pages = encode_pages(ops, server_time_ms=now)
    with frozen_heap():
        reference, memory_s = timed(functools.partial(replay, ops))
    kinds: dict[str, type[LocalStore]] = {"encrypted": LocalStore}
    if size <= SIDE_BY_SIDE_UP_TO:
        kinds["plain"] = PlainStore
    paths = {name: ctx.workdir / f"{name}-{label}.db" for name in kinds}
    ctx.log(f"{label}: {' and '.join(kinds)} store(s) ingesting {len(pages)} pages")
    with ExitStack() as stack:
        stores = {
            name: stack.enter_context(open_store(paths[name], f"bench-{name}-{label}", cls))
            for name, cls in kinds.items()
        }
        with frozen_heap():
            runs = ingest_side_by_side(stores, pages, size)
        ctx.log(f"{label}: checking against the reference")
        for name, store in stores.items():
            check(store, runs[name], reference, cursor=size)
    enc = runs["encrypted"]
    entities = len(reference.incidents) + len(reference.units)
    wire, disk = sum(map(len, pages)), disk_bytes(paths["encrypted"])
    result.add(
        Figure(
            f"initial sync {label} rows, encrypted store",
            enc.rows_per_s,
            "rows/s",
            f"{fmt_s(enc.seconds)} for {size:,} ops in {len(pages)} pages "
            f"(decode {fmt_s(enc.decode_s)}, merge {fmt_s(enc.merge_s)}; CPU {fmt_s(enc.cpu_s)}) "
            f"into {entities:,} incidents/units; {fmt_bytes(wire)} of JSON, "
            f"{fmt_bytes(disk)} on disk",
            TARGET,
        )
    )
    if "plain" in runs:
        plain = runs["plain"]
        result.add(
            ratio(
                f"initial sync {label}: encrypted ÷ unencrypted time",
                enc.seconds,
                plain.seconds,
                f"{fmt_s(enc.seconds)} ÷ {fmt_s(plain.seconds)} "
                f"({fmt_int(plain.rows_per_s)} rows/s unencrypted, same pages in lockstep)",
            )
        )
    else:
        result.notes.append(
            f"{label}: encrypted store only; the unencrypted ratio is measured up to "
            f"{SIDE_BY_SIDE_UP_TO:,} rows"
        )
    result.add(
        ratio(
            f"initial sync {label}: encrypted store ÷ merge rules alone",
            enc.seconds,
            memory_s,
            f"{fmt_s(enc.seconds)} ÷ {fmt_s(memory_s)} "
            f"(in-memory Replica.apply: {fmt_int(size / memory_s)} rows/s)",
        )
    )
    snapshot = _snapshot_bootstrap(ctx, reference, label, now)
    result.add(
        ratio(
            f"new device, {label} ops of history: replaying the log ÷ adopting the snapshot",
            enc.seconds,
            snapshot.seconds,
            f"{fmt_s(enc.seconds)} ÷ {fmt_s(snapshot.seconds)} ({entities:,} merged states in "
            f"{snapshot.pages} snapshot pages of up to {SNAPSHOT_LIMIT} or 512 kB, decoded and "
            f"adopted into an empty encrypted store: {fmt_int(entities / snapshot.seconds)} "
            "states/s; how the sync client starts a new device)",
        )
    )
    result.extras[label] = {
        **{f"{name}": run.__dict__ for name, run in runs.items()},
        "in_memory_merge_s": memory_s,
        "entities": entities,
        "pages": len(pages),
        "wire_bytes": wire,
        "disk_bytes": disk,
        "snapshot_s": snapshot.seconds,
    }


@dataclass(frozen=True)
class Bootstrap:
    seconds: float
    pages: int


def _snapshot_bootstrap(ctx: RunContext, reference: Replica, label: str, now: int) -> Bootstrap:
    """The same history as the server's snapshot: pages of merged states, each decoded and
    adopted the way ``SyncClient`` does for a new device (the server's work is not timed)."""
    states: list[EntityState] = [*reference.incidents.values(), *reference.units.values()]
    pages = snapshot_pages(states, cursor=now)
    path = ctx.workdir / f"snapshot-{label}.db"
    with open_store(path, f"bench-snapshot-{label}", LocalStore) as store, frozen_heap():

        def adopt_all() -> None:
            for data in pages:
                store.adopt_snapshot(read_page(data).states)
            store.resume_from(1)

        _, seconds = timed(adopt_all)
        same_as_reference(store, reference)
    return Bootstrap(seconds, len(pages))


def _profile_tail(ctx: RunContext, result: BenchResult, ops: list[Op], now: int) -> None:
    """Profile the last tenth of the largest sync, where the store is fullest (own store)."""
    pages = encode_pages(ops, server_time_ms=now)
    tail = max(1, len(pages) // 10)
    head_ops = (len(pages) - tail) * PAGE_SIZE
    ctx.log(f"profiling the last {tail} of {len(pages)} pages (after an unprofiled catch-up)")
    path = ctx.workdir / "profiled.db"
    with open_store(path, "bench-profiled", LocalStore) as store, frozen_heap():
        ingest(store, pages[:-tail], head_ops)
        label = f"last {tail} pages of {len(ops):,} ops, encrypted"
        _, result.profiles[label] = profiled(
            lambda: ingest(store, pages[-tail:], len(ops) - head_ops)
        )


BENCHMARK = Benchmark(
    name="initial_sync",
    title="Initial sync into an empty encrypted store (PullPage pages of 500)",
    run=run,
)
