"""Benchmark 6: server push throughput, 100 devices pushing at once, PostgreSQL vs SQLite.

Each backend gets a fresh real server process (``start_server``; PostgreSQL in a private schema
from ``postgres_schema``, dropped afterwards) and 100 enrolled devices.  Every device pushes its
own outbox, ``POST /v1/push`` with batches of ops, one batch after the other (a device waits for
the acknowledgement before sending the next, as the sync client does), all 100 devices at once
from one asyncio loop over keep-alive connections.  The ops come from ``Fleet.single``: each
device works its own incidents and units (creates, notes, corrections, status and priority
changes, units cycling through calls), so every batch is valid whatever order the devices'
pushes reach the server in.  Request bodies are encoded before the clock starts, so the client
process spends its time on HTTP only (it shares the machine's cores with the server).

Reported per backend: ops/s over the whole concurrent phase, and push latency (request sent to
acknowledgement received) p50/p99; side by side, PostgreSQL ÷ SQLite.  Afterwards every op must
be in the server's log exactly once.  The backends run one after the other, in an order that
alternates with the seed.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.figures import BenchResult, BenchSkipped, Figure, ratio
from bench.live import (
    PASSWORD,
    POSTGRES_URL,
    WireMeter,
    check_exactly_once,
    counting_client,
    enroll,
    postgres_problem,
    server_log,
)
from bench.runner import Benchmark, RunContext
from bench.timing import Latency, fmt_bytes, fmt_int, fmt_ms, fmt_s
from bench.workload import Fleet
from shared import api
from shared.api import EnrollResponse, Role
from shared.protocol import PushRequest, PushResult
from sync_server.testing import bearer, postgres_schema, sqlite_url, start_server

BACKENDS = ("sqlite", "postgresql")
USER = "pusher"
_DEVICE = "bench-{:03d}"  # placeholder device ids in the pre-encoded bodies
_USER_ID = "bench-user"


@dataclass(frozen=True)
class Config:
    clients: int
    batches: int  # pushes per client
    batch: int  # ops per push

    @property
    def ops(self) -> int:
        return self.clients * self.batches * self.batch


FULL = Config(clients=100, batches=5, batch=20)
QUICK = Config(clients=20, batches=2, batch=20)


@dataclass
class BackendRun:
    backend: str
    ops: int
    seconds: float
    latency: Latency
    wire: WireMeter
    server_cpu_s: float | None

    @property
    def ops_per_s(self) -> float:
        return self.ops / self.seconds

    def as_json(self) -> dict[str, Any]:
        return {
            "ops": self.ops,
            "seconds": self.seconds,
            "ops_per_s": self.ops_per_s,
            "latency": self.latency.as_json(),
            "wire": {"requests": self.wire.requests, "up": self.wire.up, "down": self.wire.down},
            "server_cpu_s": self.server_cpu_s,
        }


def run(ctx: RunContext) -> BenchResult:
    problem = postgres_problem()
    if problem is not None:
        raise BenchSkipped(problem)
    cfg = QUICK if ctx.quick else FULL
    ctx.log(f"generating {cfg.clients} devices x {cfg.batches} batches of {cfg.batch} ops")
    bodies = _bodies(cfg, ctx.seed)
    order = BACKENDS if ctx.seed % 2 else BACKENDS[::-1]
    runs: dict[str, BackendRun] = {}
    for backend in order:
        with _database(backend, ctx.workdir / backend) as url:
            runs[backend] = _one_backend(ctx, cfg, backend, url, bodies)
    return _report(cfg, runs, order)


def _bodies(cfg: Config, seed: int) -> list[list[bytes]]:
    """Each device's pushes, JSON-encoded, with placeholder device and user ids."""
    out = []
    for index in range(cfg.clients):
        device = _DEVICE.format(index)
        fleet = Fleet.single(
            device, _USER_ID, seed=seed * 1000 + index, units=4, prefix=f"d{index:03d}-"
        )
        ops = fleet.activity(cfg.batches * cfg.batch, open_target=8)
        out.append(
            [
                PushRequest(device_id=device, ops=ops[i : i + cfg.batch]).model_dump_json().encode()
                for i in range(0, len(ops), cfg.batch)
            ]
        )
    return out


@contextmanager
def _database(backend: str, workdir: Path) -> Iterator[str]:
    workdir.mkdir(parents=True)
    if backend == "sqlite":
        yield sqlite_url(workdir / "server.db")
    else:
        with postgres_schema(POSTGRES_URL, prefix="da_bench") as url:
            yield url


def _one_backend(
    ctx: RunContext, cfg: Config, backend: str, url: str, bodies: list[list[bytes]]
) -> BackendRun:
    with start_server(url, workdir=ctx.workdir / backend, server_id=f"bench-{backend}") as server:
        server.add_user(USER, PASSWORD, Role.DISPATCHER)
        ctx.log(f"{backend}: enrolling {cfg.clients} devices")
        enrolled = asyncio.run(_enroll_all(server.url, cfg.clients))
        mine = [
            [_personal(body, index, device) for body in bodies[index]]
            for index, device in enumerate(enrolled)
        ]
        ctx.log(f"{backend}: {cfg.clients} devices pushing {cfg.ops:,} ops at once")
        cpu_before = _cpu_seconds(server.process.pid)
        try:
            seconds, latencies, meter = asyncio.run(_push_all(server.url, enrolled, mine, cfg))
        except AssertionError as refused:
            errors = [line for line in server.log().splitlines() if "Error" in line]
            raise AssertionError(f"{backend}: {refused}; server log: {errors[-3:]}") from None
        cpu_after = _cpu_seconds(server.process.pid)
        ctx.log(f"{backend}: {cfg.ops / seconds:,.0f} ops/s; checking the log")
        log = asyncio.run(server_log(server.url, enrolled[0].tokens.access_token))
        written = {device.device_id: cfg.batches * cfg.batch for device in enrolled}
        check_exactly_once(log, written)
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return BackendRun(backend, cfg.ops, seconds, Latency.of(latencies), meter, cpu)


def _personal(body: bytes, index: int, device: EnrollResponse) -> bytes:
    placeholder = _DEVICE.format(index)
    return body.replace(f'"{placeholder}"'.encode(), f'"{device.device_id}"'.encode()).replace(
        f'"{_USER_ID}"'.encode(), f'"{device.tokens.user_id}"'.encode()
    )


async def _enroll_all(url: str, clients: int) -> list[EnrollResponse]:
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        return list(
            await asyncio.gather(
                *(enroll(url, USER, f"pusher-{i:03d}", http) for i in range(clients))
            )
        )


async def _push_all(
    url: str, devices: list[EnrollResponse], bodies: list[list[bytes]], cfg: Config
) -> tuple[float, list[float], WireMeter]:
    meter = WireMeter()
    limits = httpx.Limits(max_connections=cfg.clients, max_keepalive_connections=cfg.clients)
    async with counting_client(meter, timeout_s=120, limits=limits) as http:
        # Open the connections first, so the timed phase measures pushes, not TCP set-up.
        await asyncio.gather(*(http.get(url + api.TIME) for _ in devices))
        meter.reset()
        start = asyncio.Event()
        latencies: list[float] = []
        tasks = [
            asyncio.create_task(_device(http, url, device, mine, cfg, start, latencies))
            for device, mine in zip(devices, bodies, strict=True)
        ]
        await asyncio.sleep(0)
        began = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        seconds = time.perf_counter() - began
    return seconds, latencies, meter


async def _device(
    http: httpx.AsyncClient,
    url: str,
    device: EnrollResponse,
    bodies: list[bytes],
    cfg: Config,
    start: asyncio.Event,
    latencies: list[float],
) -> None:
    headers = {**bearer(device.tokens.access_token), "Content-Type": "application/json"}
    await start.wait()
    for number, body in enumerate(bodies, 1):
        sent = time.perf_counter()
        reply = await http.post(url + api.PUSH, content=body, headers=headers)
        latencies.append(time.perf_counter() - sent)
        if reply.status_code != 200:
            raise AssertionError(f"push refused: {reply.status_code} {reply.text[:300]}")
        result = PushResult.model_validate_json(reply.content)
        if (result.applied, result.duplicates, result.last_seq) != (
            cfg.batch,
            0,
            number * cfg.batch,
        ):
            raise AssertionError(f"{device.device_id}: unexpected push result {result}")


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` (Linux), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def _report(cfg: Config, runs: dict[str, BackendRun], order: tuple[str, ...]) -> BenchResult:
    result = BenchResult()
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    for backend in BACKENDS:
        r = runs[backend]
        cpu = (
            f"; server process CPU {fmt_s(r.server_cpu_s)} ({r.server_cpu_s / r.seconds:.2f} cores)"
            if r.server_cpu_s is not None
            else ""
        )
        result.add(
            Figure(
                f"{names[backend]}: push throughput, {cfg.clients} concurrent devices",
                r.ops_per_s,
                "ops/s",
                f"{r.ops:,} ops in {r.latency.n:,} pushes of {cfg.batch} in {fmt_s(r.seconds)}"
                f"{cpu}; {fmt_bytes(r.wire.up / r.ops)} up per op",
            )
        )
        result.add(
            Figure(
                f"{names[backend]}: push latency, p50",
                r.latency.p50_ms,
                "ms",
                f"mean {fmt_ms(r.latency.mean_ms)}, p90 {fmt_ms(r.latency.p90_ms)}",
            )
        )
        result.add(
            Figure(
                f"{names[backend]}: push latency, p99",
                r.latency.p99_ms,
                "ms",
                f"max {fmt_ms(r.latency.max_ms)}",
            )
        )
    pg, lite = runs["postgresql"], runs["sqlite"]
    result.add(
        ratio(
            "push throughput: PostgreSQL ÷ SQLite",
            pg.ops_per_s,
            lite.ops_per_s,
            f"{fmt_int(pg.ops_per_s)} ÷ {fmt_int(lite.ops_per_s)} ops/s",
        )
    )
    for label, a, b in (
        ("p50", pg.latency.p50_ms, lite.latency.p50_ms),
        ("p99", pg.latency.p99_ms, lite.latency.p99_ms),
    ):
        result.add(
            ratio(
                f"push latency {label}: PostgreSQL ÷ SQLite",
                a,
                b,
                f"{fmt_ms(a)} ÷ {fmt_ms(b)}",
            )
        )
    result.notes.append(
        f"{cfg.clients} devices x {cfg.batches} pushes of {cfg.batch} ops each, all at once; "
        f"backends run one after the other ({' then '.join(names[b] for b in order)}); "
        "every op checked in the server's log exactly once afterwards"
    )
    result.extras.update(
        clients=cfg.clients,
        batches=cfg.batches,
        batch=cfg.batch,
        order=list(order),
        runs={backend: r.as_json() for backend, r in runs.items()},
    )
    return result


BENCHMARK = Benchmark(
    name="push_throughput",
    title="Server push throughput, 100 concurrent devices, PostgreSQL vs SQLite",
    run=run,
)
