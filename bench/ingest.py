"""Pulling pages into a store, timed, and checked against the reference replica.

Shared by the sync benchmarks: what is timed is the device's work per page, as the sync client
does it (decode the JSON that arrived; hold it in a ``PullBatch`` while more pages follow, and
``LocalStore.apply_page`` the batch once it is full or caught up; the cyclic collector held off
meanwhile, ``mobile_app.sync.collector``); what is checked afterwards
is that nothing was lost or applied twice and that the store shows exactly what the in-memory
reference shows.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.pages import decode_page
from bench.timing import Stopwatch
from mobile_app.store import LocalStore
from mobile_app.sync.batching import PullBatch
from mobile_app.sync.collector import collector_paused
from shared.merge import Replica


@dataclass(frozen=True)
class Ingest:
    ops: int
    seconds: float
    decode_s: float
    merge_s: float
    cpu_s: float  # this process's CPU time: wall time minus waiting for the disk or the CPU
    applied: int
    duplicates: int

    @property
    def rows_per_s(self) -> float:
        return self.ops / self.seconds


def ingest(store: LocalStore, pages: list[bytes], ops: int) -> Ingest:
    """Decode and merge every page in order, timing the two phases separately."""
    return ingest_side_by_side({"store": store}, pages, ops)["store"]


def ingest_side_by_side(
    stores: Mapping[str, LocalStore], pages: list[bytes], ops: int
) -> dict[str, Ingest]:
    """Feed the same pages to several stores in lockstep, page by page, alternating which goes
    first, so a burst of load from elsewhere on the machine hits every store alike."""
    watches = {name: Stopwatch() for name in stores}
    counts = {name: [0, 0] for name in stores}
    cpu = dict.fromkeys(stores, 0.0)
    held = {name: PullBatch() for name in stores}
    names = list(stores)
    for index, data in enumerate(pages):
        for name in names if index % 2 == 0 else names[::-1]:
            watch = watches[name]
            started = time.process_time()
            with collector_paused():  # as the sync client holds it for a page
                with watch.phase("decode"):
                    page = decode_page(data)  # every device decodes its own copy
                ready = held[name].add(page) or index == len(pages) - 1
                with watch.phase("merge"):
                    batch = held[name].take() if ready else None
                    merged = stores[name].apply_page(batch) if batch is not None else None
            cpu[name] += time.process_time() - started
            if merged is not None:
                counts[name][0] += merged.applied
                counts[name][1] += merged.duplicates
    return {
        name: Ingest(
            ops=ops,
            seconds=watch.total,
            decode_s=watch.seconds.get("decode", 0.0),
            merge_s=watch.seconds.get("merge", 0.0),
            cpu_s=cpu[name],
            applied=counts[name][0],
            duplicates=counts[name][1],
        )
        for name, watch in watches.items()
    }


def check(
    store: LocalStore, run: Ingest, reference: Replica, cursor: int, *, own_writes: bool = False
) -> None:
    """Zero lost, zero doubled, cursor at the end, and the same picture as the reference
    (``own_writes``: besides entities the store created itself, which the reference lacks)."""
    if run.applied != run.ops or run.duplicates:
        raise AssertionError(
            f"{store.device_id}: {run.applied} of {run.ops} ops applied, "
            f"{run.duplicates} reported as duplicates"
        )
    if store.cursor != cursor:
        raise AssertionError(f"{store.device_id}: cursor {store.cursor}, expected {cursor}")
    same_as_reference(store, reference, own_writes=own_writes)


def same_as_reference(store: LocalStore, reference: Replica, *, own_writes: bool = False) -> None:
    mine, theirs = store.snapshot(), reference.snapshot()
    for part in ("incidents", "units"):
        got, want = mine[part], theirs[part]
        assert isinstance(got, dict) and isinstance(want, dict)
        if own_writes:
            got = {key: value for key, value in got.items() if key in want}
        if got.keys() != want.keys():
            raise AssertionError(f"{store.device_id}: {part} differ in which ids exist")
        wrong = [key for key in want if got[key] != want[key]]
        if wrong:
            raise AssertionError(f"{store.device_id}: {len(wrong)} {part} differ, e.g. {wrong[0]}")
    if mine["conflicts"] != theirs["conflicts"]:
        raise AssertionError(f"{store.device_id}: conflict records differ")


def disk_bytes(path: Path) -> int:
    """The database's size on disk, WAL included."""
    files = (path, path.with_name(path.name + "-wal"))
    return sum(p.stat().st_size for p in files if p.exists())
