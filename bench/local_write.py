"""Benchmark 1: a dispatcher's write (incident + outbox op), encrypted vs the same unencrypted.

Both stores take identical inputs (realistic new incidents from ``bench.workload``) through
``LocalStore.create_incident``: one transaction writing the entity row, the op-log row (the
outbox) and the counters, committed with synchronous=FULL.  The unencrypted baseline is
``bench.stores.PlainStore`` (same code path, cipher swapped out).  Writes alternate between the
two stores in blocks, so load from other processes hits both sides alike.

Two more numbers explain the result: the cost of the cryptography alone per write, and the
floor, a bare ``sqlite3`` transaction of two rows with the store's pragmas (the fsync the
durability guarantee costs, with no Python layer on top).
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from bench.figures import BenchResult, Figure, Target, ratio
from bench.profiling import profiled
from bench.runner import Benchmark, RunContext
from bench.stores import PlainCodec, PlainStore, contains, open_store
from bench.timing import Latency, fmt_ms, frozen_heap
from bench.workload import Fleet
from mobile_app.store import LocalStore
from mobile_app.store.codec import RecordCodec
from mobile_app.store.db import _PRAGMAS as STORE_PRAGMAS
from shared.merge import apply_op, new_state
from shared.protocol import IncidentCreate, IncidentFields, Op

MARKER = "BENCH-MARKER-STREET"  # plaintext that must be found in the plain store only
WARMUP = 30


def run(ctx: RunContext) -> BenchResult:
    n, block = (200, 20) if ctx.quick else (2000, 100)
    inputs = _inputs(ctx.seed, WARMUP + n)
    result = BenchResult()
    enc_path, plain_path = ctx.workdir / "encrypted.db", ctx.workdir / "plain.db"
    with (
        open_store(enc_path, "bench-enc", LocalStore) as enc,
        open_store(plain_path, "bench-plain", PlainStore) as plain,
    ):
        stores: dict[str, LocalStore] = {"encrypted": enc, "plain": plain}
        for store in stores.values():
            for body in inputs[:WARMUP]:
                _write(store, body)
        ctx.log(f"timing {n} writes per store, alternating blocks of {block}")
        times: dict[str, list[float]] = {name: [] for name in stores}
        with frozen_heap():
            for index, start in enumerate(range(WARMUP, WARMUP + n, block)):
                for name in stores if index % 2 == 0 else reversed(stores):
                    for body in inputs[start : start + block]:
                        times[name].append(_timed_write(stores[name], body))
        for store in stores.values():
            if store.pending_count() != WARMUP + n:
                raise AssertionError(f"{store.device_id}: an outbox op is missing")
        if not contains(plain_path, MARKER.encode()):
            raise AssertionError("the plain baseline does not hold the plaintext")
        if contains(enc_path, MARKER.encode()):
            raise AssertionError("the encrypted store holds plaintext")
        sample_op = enc.pending_ops(limit=1)[0]
        if ctx.profile:
            sample = inputs[WARMUP : WARMUP + 200]
            _, result.profiles["200 encrypted writes"] = profiled(
                lambda: [_write(enc, body) for body in sample]
            )
    encrypted, unencrypted = Latency.of(times["encrypted"]), Latency.of(times["plain"])
    crypto_us = _crypto_cost_us(sample_op, 200 if ctx.quick else 2000)
    floor = Latency.of(_floor(ctx.workdir / "floor.db", n))
    side = f"{n:,} writes each, alternating blocks of {block}"
    result.add(
        ratio(
            "encrypted ÷ unencrypted write, p50",
            encrypted.p50_ms,
            unencrypted.p50_ms,
            f"{fmt_ms(encrypted.p50_ms)} ÷ {fmt_ms(unencrypted.p50_ms)} ({side})",
            target=Target("<=", 1.5, "issue 6"),
        )
    )
    result.add(
        ratio(
            "encrypted ÷ unencrypted write, p99",
            encrypted.p99_ms,
            unencrypted.p99_ms,
            f"{fmt_ms(encrypted.p99_ms)} ÷ {fmt_ms(unencrypted.p99_ms)}",
        )
    )
    result.add(
        Figure(
            "encrypted write (incident + outbox op, committed), p50",
            encrypted.p50_ms,
            "ms",
            f"p90 {fmt_ms(encrypted.p90_ms)}, mean {fmt_ms(encrypted.mean_ms)}",
            Target("<", 1.0, "issue 6; Replicache write+commit < 1 ms"),
        )
    )
    result.add(
        Figure(
            "encrypted write, p99",
            encrypted.p99_ms,
            "ms",
            f"max {fmt_ms(encrypted.max_ms)}",
            Target("<", 1.0, "issue 6"),
        )
    )
    result.add(
        Figure(
            "AES-GCM + HMAC work per write",
            crypto_us,
            "µs",
            f"{crypto_us / 10 / encrypted.p50_ms:.1f}% of the encrypted p50 "
            "(seal state + seal op + blind index, minus the same without cipher)",
        )
    )
    result.add(
        Figure(
            "floor: bare sqlite3 2-row transaction, same pragmas, p50",
            floor.p50_ms,
            "ms",
            f"p99 {fmt_ms(floor.p99_ms)}; the fsync synchronous=FULL pays per commit",
        )
    )
    result.extras.update(
        encrypted=encrypted.as_json(),
        unencrypted=unencrypted.as_json(),
        floor=floor.as_json(),
        crypto_us_per_write=crypto_us,
        writes_per_store=n,
    )
    return result


def _inputs(seed: int, n: int) -> list[IncidentCreate]:
    """New-incident inputs as dispatchers type them; the first carries the plaintext marker."""
    bodies = [op.body for op in Fleet(seed=seed).populate(n)]
    creates = [b for b in bodies if isinstance(b, IncidentCreate)]
    first = creates[0]
    fields = IncidentFields(**{**first.fields.changes(), "address": f"1 {MARKER}"})
    return [first.model_copy(update={"fields": fields}), *creates[1:]]


def _write(store: LocalStore, body: IncidentCreate) -> Op:
    return store.create_incident(body.fields, body.priority, body.narrative)


def _timed_write(store: LocalStore, body: IncidentCreate) -> float:
    start = time.perf_counter_ns()
    _write(store, body)
    return (time.perf_counter_ns() - start) / 1e9


def _crypto_cost_us(op: Op, repeat: int) -> float:
    """Per write: what sealing the state and the op and indexing the callback cost, with the
    cipher minus without (so JSON serialisation, paid by both, is not counted)."""
    state = new_state(op)
    apply_op(state, op)
    number = "+1 415 555 0100"

    def per_call(codec: RecordCodec) -> float:
        start = time.perf_counter_ns()
        for _ in range(repeat):
            codec.seal_state(state)
            codec.seal_op(op)
            codec.callback_index(number)
        return (time.perf_counter_ns() - start) / repeat / 1000

    encrypted, plain = RecordCodec(os.urandom(32)), PlainCodec()
    per_call(encrypted), per_call(plain)  # warm up
    return max(0.0, per_call(encrypted) - per_call(plain))


def _floor(path: Path, n: int) -> list[float]:
    """Bare sqlite3: BEGIN IMMEDIATE, two ~1 kB rows, COMMIT, with the store's pragmas."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in STORE_PRAGMAS:
            connection.execute(pragma)
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, blob BLOB NOT NULL)")
        blob = os.urandom(1000)
        for _ in range(WARMUP):
            _two_rows(connection, blob)
        times = []
        for _ in range(n):
            start = time.perf_counter_ns()
            _two_rows(connection, blob)
            times.append((time.perf_counter_ns() - start) / 1e9)
        return times
    finally:
        connection.close()


def _two_rows(connection: sqlite3.Connection, blob: bytes) -> None:
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT INTO t (blob) VALUES (?)", (blob,))
    connection.execute("INSERT INTO t (blob) VALUES (?)", (blob,))
    connection.execute("COMMIT")


BENCHMARK = Benchmark(
    name="local_write",
    title="Local write: incident + outbox op, encrypted vs unencrypted",
    run=run,
)
