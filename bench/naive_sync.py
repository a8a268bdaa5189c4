"""Benchmark 4: incremental pull vs a naive full-state download, per sync.

Workload: a centre with 1,000 open incidents and its units, each with some history; between
two syncs other devices make 100 changes.  Two encrypted devices start in the same state:
- incremental (this engine): the server sends the 100 changes since the device's cursor as one
  ``PullPage``; the device decodes it and merges it with ``apply_page``;
- naive: the server sends every entity's full mergeable state (``IncidentState`` /
  ``UnitState``, what the device stores) at every sync; the device decodes it and overwrites
  its copy of each entity (``bench.stores.FullStateStore``: no merge, no op log).
Time per sync = the server encoding its answer + the device decoding and storing it (the
network is not simulated: bytes on the wire are reported beside it, raw and gzip-compressed).
The two devices alternate which goes first each round; the medians over the rounds are
reported, and both devices must end showing exactly what the reference shows.
"""

from __future__ import annotations

import functools
import gzip
import statistics
from collections.abc import Callable

from pydantic import BaseModel

from bench.figures import BenchResult, ratio
from bench.ingest import ingest, same_as_reference
from bench.pages import decode_page, encode_page, encode_pages
from bench.runner import Benchmark, RunContext
from bench.stores import FullStateStore, open_store
from bench.timing import fmt_bytes, fmt_s, frozen_heap, timed
from bench.workload import Fleet
from mobile_app.store import LocalStore
from shared.hlc import system_ms
from shared.merge import IncidentState, Replica, UnitState
from shared.protocol import Op


class FullState(BaseModel):
    """The naive server's answer to every sync: the whole state of every entity."""

    incidents: list[IncidentState]
    units: list[UnitState]


def run(ctx: RunContext) -> BenchResult:
    incidents, history, per_sync, rounds = (
        (100, 300, 20, 2) if ctx.quick else (1_000, 3_000, 100, 7)
    )
    fleet = Fleet(seed=ctx.seed)
    ctx.log(f"{incidents:,} open incidents with {history:,} ops of history")
    setup = fleet.populate(incidents) + fleet.activity(history, new_incidents=False, close_rate=0)
    now = system_ms()
    measured: dict[str, list[float]] = {
        k: [] for k in ("inc_bytes", "inc_gzip", "inc_s", "naive_bytes", "naive_gzip", "naive_s")
    }
    with (
        open_store(ctx.workdir / "incremental.db", "bench-incremental", LocalStore) as incremental,
        open_store(ctx.workdir / "naive.db", "bench-naive", FullStateStore) as naive,
    ):
        ingest(incremental, encode_pages(setup, server_time_ms=now), len(setup))
        start = _full_state(fleet.replica)
        naive.replace_all([*start.incidents, *start.units])
        cursor = len(setup)
        ctx.log(f"{rounds} syncs of {per_sync} changes each, both devices")
        for index in range(rounds):
            batch = fleet.activity(per_sync, new_incidents=False, close_rate=0)
            sides: list[tuple[str, Callable[[], tuple[bytes, float]]]] = [
                ("inc", functools.partial(_incremental, incremental, batch, cursor + 1, now)),
                ("naive", functools.partial(_naive, naive, fleet.replica)),
            ]
            for side, sync in sides if index % 2 == 0 else sides[::-1]:
                with frozen_heap():
                    data, seconds = sync()
                measured[f"{side}_bytes"].append(len(data))
                measured[f"{side}_gzip"].append(len(gzip.compress(data, 6)))
                measured[f"{side}_s"].append(seconds)
            cursor += per_sync
        ctx.log("checking both devices against the reference")
        for store in (incremental, naive):
            same_as_reference(store, fleet.replica)
    med = {k: statistics.median(v) for k, v in measured.items()}
    entities = len(fleet.replica.incidents) + len(fleet.replica.units)
    result = BenchResult()
    result.add(
        ratio(
            "bytes per sync: full-state download ÷ incremental pull",
            med["naive_bytes"],
            med["inc_bytes"],
            f"{fmt_bytes(med['naive_bytes'])} ÷ {fmt_bytes(med['inc_bytes'])} of JSON per sync "
            f"({per_sync} changes; {incidents:,} open incidents, {entities:,} entities)",
        )
    )
    result.add(
        ratio(
            "bytes per sync, gzip: full-state ÷ incremental",
            med["naive_gzip"],
            med["inc_gzip"],
            f"{fmt_bytes(med['naive_gzip'])} ÷ {fmt_bytes(med['inc_gzip'])}",
        )
    )
    result.add(
        ratio(
            "time per sync (server encode + device decode/store): full-state ÷ incremental",
            med["naive_s"],
            med["inc_s"],
            f"{fmt_s(med['naive_s'])} ÷ {fmt_s(med['inc_s'])}, median of {rounds} syncs",
        )
    )
    result.extras.update(
        median=med,
        per_round=measured,
        incidents=incidents,
        entities=entities,
        changes_per_sync=per_sync,
    )
    return result


def _incremental(
    store: LocalStore, batch: list[Op], first_seq: int, now: int
) -> tuple[bytes, float]:
    def sync() -> bytes:
        data = encode_page(batch, first_seq, has_more=False, server_time_ms=now)
        merged = store.apply_page(decode_page(data))
        if merged.applied != len(batch):
            raise AssertionError(f"incremental: {merged.applied} of {len(batch)} changes applied")
        return data

    return timed(sync)


def _naive(store: FullStateStore, server: Replica) -> tuple[bytes, float]:
    def sync() -> bytes:
        data = _full_state(server).model_dump_json().encode()
        received = FullState.model_validate_json(data)
        store.replace_all([*received.incidents, *received.units])
        return data

    return timed(sync)


def _full_state(replica: Replica) -> FullState:
    return FullState(incidents=list(replica.incidents.values()), units=list(replica.units.values()))


BENCHMARK = Benchmark(
    name="naive_sync",
    title="Incremental pull vs naive full-state download per sync",
    run=run,
)
