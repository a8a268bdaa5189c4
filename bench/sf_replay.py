"""Benchmark 5: the San Francisco Fire dispatch data replayed through 20 devices, 10x vs 100x.

The busiest stretch of the real export (``shared/data/sf-fire-calls-2020-04.csv``) is replayed
against a real sync server on loopback (SQLite, ``start_server``), compressed 10x and then 100x,
by 20 enrolled devices, each with its own encrypted store and the app's own sync machinery
(``SyncScheduler``: sync on every local write, live announcements over SSE, periodic sync,
backoff with jitter, at ``DeviceSettings`` defaults).  Between each device and the server sits
the chaos suite's fault-injecting proxy: seeded random dropouts (``partition``/``heal``) plus
a few lost responses, dropped and duplicated requests.

Who writes what, as in a CAD centre: a quarter of the devices are dispatch consoles, the rest
unit terminals (MDTs) carrying about ten SF units each.  The console owning a call creates the
incident and dispatches its units; each later unit status (en route, on scene, transporting, at
hospital, available) is tapped on that unit's terminal, against what the terminal has pulled.
A status the terminal cannot make live yet (it has not pulled the dispatch) goes in as a late
entry with its real time, exactly as ``shared.sfdata.replay`` does for the data's own anomalies.
The calls already in progress when the window opens (and every unit) are loaded first by a
separate "history" device and pulled by everyone before the clock starts.

Measured, the same ops at both speeds: every op on the server exactly once and every store
equal to the merge of the server's log (asserted); propagation from the local commit to the
moment another device has merged the op, over every (op, other device) pair; from the commit
to the server's acknowledgement at the writer; bytes on the wire per change (HTTP/1.1 heads
and bodies, gzip as sent, both ways, all devices, live streams included).

One Python process hosts all 20 devices and their proxies on one event loop (the server is a
second process): on a 2-core machine the harness shares the CPU with the server, and how late
the writes started against their schedule is reported so a saturated harness is visible.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
import os
import random
import time
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bench.figures import BenchResult, BenchSkipped, Figure, Target, ratio
from bench.ingest import same_as_reference
from bench.live import PASSWORD as LIVE_PASSWORD
from bench.live import (
    WireMeter,
    check_exactly_once,
    counting_client,
    enroll,
    enrolled_store,
    server_log,
)
from bench.runner import Benchmark, RunContext
from bench.timing import Latency, fmt_bytes, fmt_ms, percentile
from bench.workload import replay
from mobile_app.device import DeviceSettings
from mobile_app.store import LocalStore
from mobile_app.sync.backoff import Backoff
from mobile_app.sync.client import SyncClient
from mobile_app.sync.errors import SyncFailed
from mobile_app.sync.scheduler import SyncScheduler
from shared.api import Role, TokenPair
from shared.commands import CommandError, Commands
from shared.hlc import HybridClock
from shared.lifecycle import UnitStatus
from shared.protocol import (
    Change,
    ErrorBody,
    IncidentCreate,
    Op,
    PullPage,
    SyncResponse,
    UnitStatusChange,
    UnitUpsert,
)
from shared.sfdata import SfDispatch, load_sf_calls, sf_ops
from shared.sfdata.replay import _events
from sync_server.testing import sqlite_url, start_server
from tests.chaos.faulty_proxy import FaultPlan, FaultyProxy

SF_CSV = Path(
    os.environ.get("DA_SF_CSV")
    or Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sf-fire-calls-2020-04.csv"
)
SPEEDS = (10, 100)
SF_TIME = ZoneInfo("America/Los_Angeles")
APP = DeviceSettings(data_dir=Path("."))  # the app's sync defaults (periodic, retry, timeout)


@dataclass(frozen=True)
class Config:
    minutes: int  # length of the replayed window of real time
    devices: int
    dropout_gap_s: float  # mean wall-clock seconds between two dropouts of one device
    dropout_s: tuple[float, float]  # how long a dropout lasts, uniform in this range
    converge_s: float  # how long the live machinery gets to deliver everything at the end

    @property
    def consoles(self) -> int:
        return max(1, self.devices // 4)


FULL = Config(minutes=30, devices=20, dropout_gap_s=20.0, dropout_s=(0.5, 4.0), converge_s=120)
QUICK = Config(minutes=1, devices=4, dropout_gap_s=3.0, dropout_s=(0.2, 1.0), converge_s=20)
LOST_RESPONSES = FaultPlan(drop=0.01, cut_after_commit=0.02, duplicate=0.01)
"""Per-request faults on top of the dropouts (seeded per device with ``dataclasses.replace``)."""


# --------------------------------------------------------------------------- the window


@dataclass(frozen=True)
class Step:
    event_ms: int  # the real time it happened, which sets when it is replayed
    op: Op  # what happened (built by the planner); its owner re-enacts it on its store


@dataclass(frozen=True)
class Window:
    start_ms: int
    end_ms: int
    calls: int  # SF calls received inside the window
    records: int  # dispatch records touching the window (including calls in progress)
    setup: list[Op]  # state at the window's start: calls in progress and every unit
    steps: list[Step]  # what happens inside the window, in real-time order

    def describe(self) -> str:
        start = datetime.fromtimestamp(self.start_ms / 1000, SF_TIME)
        end = datetime.fromtimestamp(self.end_ms / 1000, SF_TIME)
        minutes = (self.end_ms - self.start_ms) // 60_000
        return (
            f"busiest {minutes} min of the export, {start:%Y-%m-%d %H:%M:%S}-{end:%H:%M:%S} "
            f"{start:%Z}: {self.calls} calls received, {len(self.steps)} ops replayed; "
            f"{len(self.setup)} ops of calls already in progress and units loaded beforehand"
        )


def busiest_start(records: Sequence[SfDispatch], minutes: int) -> int:
    """Start (ms) of the ``minutes``-long window holding the most ops: unit events and calls
    (a call counts once, not once per unit sent to it)."""
    calls: set[str] = set()
    times: list[int] = []
    for event in _events(records):
        if event.status is None:
            if event.record.incident_number in calls:
                continue
            calls.add(event.record.incident_number)
        times.append(event.event_ms)
    width = minutes * 60_000
    best, best_count, right = times[0], 0, 0
    for left, start in enumerate(times):
        while right < len(times) and times[right] < start + width:
            right += 1
        if right - left > best_count:
            best, best_count = start, right - left
    return best


def plan_window(records: Sequence[SfDispatch], start: int, end: int) -> Window:
    """The ops of every record overlapping [start, end): before ``start`` as setup, inside
    the window as timed steps; unit upserts always go to setup (a CAD knows its units)."""
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for event in _events(records):
        first.setdefault(event.line, event.event_ms)
        last[event.line] = event.event_ms
    active = [r for r in records if first[r.line] < end and last[r.line] >= start]
    now = [0]
    current = [0]

    def follow(ms: int) -> None:
        current[0] = ms
        now[0] = max(now[0], ms)

    seqs = itertools.count(1)
    planner = Commands(
        "sf-plan", "sf-plan", HybridClock(lambda: now[0], max_offset_ms=10**12), lambda: next(seqs)
    )
    setup: list[Op] = []
    steps: list[Step] = []
    for op in sf_ops(active, planner, before_event=follow):
        if current[0] >= end:
            break
        if current[0] < start or isinstance(op.body, UnitUpsert):
            setup.append(op)
        else:
            steps.append(Step(current[0], op))
    calls = len({r.incident_number for r in active if start <= r.received_ms < end})
    return Window(start, end, calls, len(active), setup, steps)


def perform(store: LocalStore, op: Op) -> tuple[Op, bool]:
    """Re-enact a planned op through the store's own actions; True when it had to go in as a
    late entry although it was live in the plan (the device had not seen the unit's last
    status yet)."""
    body = op.body
    if isinstance(body, IncidentCreate):
        made = store.create_incident(
            body.fields,
            body.priority,
            body.narrative,
            incident_id=op.entity_id,
            received_ms=body.received_ms,
            late=body.late,
        )
        return made, False
    if isinstance(body, UnitUpsert):
        made = store.upsert_unit(
            op.entity_id, name=body.name, unit_type=body.unit_type, station=body.station
        )
        return made, False
    if not isinstance(body, UnitStatusChange) or body.event_ms is None:
        raise TypeError(f"the SF replay makes no {body.kind} ops")
    if not body.late:
        with contextlib.suppress(CommandError):
            made = store.set_unit_status(
                op.entity_id, body.status, incident_id=body.incident_id, event_ms=body.event_ms
            )
            return made, False
    made = store.record_late_unit_status(
        op.entity_id, body.status, incident_id=body.incident_id, event_ms=body.event_ms
    )
    return made, not body.late


def owner(op: Op, consoles: int, devices: int) -> int:
    """Index of the device that makes ``op``: the call's console creates it and dispatches its
    units; the unit's terminal reports everything after the dispatch."""
    body = op.body
    if isinstance(body, IncidentCreate):
        return _bucket(op.entity_id, consoles)
    if isinstance(body, UnitStatusChange) and body.status is UnitStatus.DISPATCHED:
        assert body.incident_id is not None
        return _bucket(body.incident_id, consoles)
    return consoles + _bucket(op.entity_id, devices - consoles)


def _bucket(key: str, n: int) -> int:
    return zlib.crc32(key.encode()) % n


# --------------------------------------------------------------------------- measuring


Key = tuple[str, int]  # (device id, seq): an op's identity


class Propagation:
    """When each op was committed locally, acknowledged by the server, and merged elsewhere."""

    def __init__(self, receivers: Sequence[str]) -> None:
        self.receivers = list(receivers)
        self.written: dict[Key, float] = {}
        self.acked: dict[Key, float] = {}
        self.seen: dict[Key, dict[str, float]] = {}
        self.refusals: Counter[str] = Counter()
        self._acked_to: dict[str, int] = {}
        self._missing = 0  # (op, receiver) pairs not delivered yet, plus ops not acked yet
        self.changed = asyncio.Event()

    def wrote(self, op: Op) -> None:
        key = (op.device_id, op.seq)
        self.written[key] = time.perf_counter()
        self.seen[key] = {}
        self._missing += len(self.receivers)  # the other devices, plus the server's ack

    def acknowledged(self, device: str, last: int) -> None:
        """The server has ``device``'s ops up to ``last`` (a sync response arrived)."""
        now = time.perf_counter()
        for seq in range(self._acked_to.get(device, 0) + 1, last + 1):
            key = (device, seq)
            if key in self.written and key not in self.acked:
                self.acked[key] = now
                self._missing -= 1
        self._acked_to[device] = max(last, self._acked_to.get(device, 0))

    def merged(self, device: str, changes: Sequence[Change]) -> None:
        """``device`` has merged ``changes`` into its store (the client's merge listener)."""
        now = time.perf_counter()
        for change in changes:
            key = (change.op.device_id, change.op.seq)
            seen = self.seen.get(key)
            if seen is not None and device != key[0] and device not in seen:
                seen[device] = now
                self._missing -= 1

    def refused(self, reply: httpx.Response) -> None:
        try:
            self.refusals[ErrorBody.model_validate_json(reply.content).error.value] += 1
        except ValueError:
            self.refusals[f"HTTP {reply.status_code}"] += 1

    @property
    def complete(self) -> bool:
        return self._missing == 0

    @property
    def undelivered(self) -> int:
        return self._missing

    def delivery_s(self) -> list[float]:
        return [t - self.written[k] for k, seen in self.seen.items() for t in seen.values()]

    def ack_s(self) -> list[float]:
        return [t - self.written[k] for k, t in self.acked.items()]


class TimedClient(SyncClient):
    """The app's sync client, telling ``Propagation`` about every round it completes."""

    def __init__(self, *args: Any, tracker: Propagation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tracker = tracker
        self.merge_listeners.append(self._merged)
        self._loop: asyncio.AbstractEventLoop | None = None

    async def _round(self, *, push: bool = True) -> tuple[list[Op], SyncResponse | None]:
        self._loop = asyncio.get_running_loop()
        batch, response = await super()._round(push=push)
        if response is not None:
            self.tracker.acknowledged(self.store.device_id, response.push.last_seq)
            self.tracker.changed.set()
        return batch, response

    def _merged(self, page: PullPage) -> None:
        """On the merge's worker thread: note the time, wake the waiting replay."""
        self.tracker.merged(self.store.device_id, page.changes)
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.tracker.changed.set)

    async def _recover(self, reply: httpx.Response, rtt_ms: int, *, pushed: bool = False) -> None:
        self.tracker.refused(reply)
        await super()._recover(reply, rtt_ms, pushed=pushed)


@dataclass
class Device:
    name: str
    store: LocalStore
    tokens: TokenPair
    writes: int = 0


@dataclass
class SpeedRun:
    speed: int
    ops: int
    devices: int
    replay_s: float
    converge_s: float
    converged_live: bool
    drained_pairs: int  # (op, device) pairs the final direct sync delivered, not the live one
    delivery: Latency
    p95_ms: float
    ack: Latency
    wire: WireMeter
    lateness: Latency  # how late writes started against their schedule (harness lag)
    late_entries: int  # live statuses entered late: the terminal had not pulled the dispatch
    dropouts: int
    offline_s: float
    faults: dict[str, int]
    refusals: dict[str, int]
    log_ops: int
    stuck: list[str] = field(default_factory=list)  # devices not caught up live, in their words

    def as_json(self) -> dict[str, Any]:
        return {
            "speed": self.speed,
            "ops": self.ops,
            "devices": self.devices,
            "replay_s": self.replay_s,
            "converge_s": self.converge_s,
            "converged_live": self.converged_live,
            "drained_pairs": self.drained_pairs,
            "delivery": self.delivery.as_json(),
            "delivery_p95_ms": self.p95_ms,
            "ack": self.ack.as_json(),
            "wire": {"requests": self.wire.requests, "up": self.wire.up, "down": self.wire.down},
            "lateness": self.lateness.as_json(),
            "late_entries": self.late_entries,
            "dropouts": self.dropouts,
            "offline_s": self.offline_s,
            "faults": self.faults,
            "refusals": self.refusals,
            "server_log_ops": self.log_ops,
            "stuck": self.stuck,
        }


# --------------------------------------------------------------------------- one speed


class Replay:
    """One speed: a fresh server, fresh devices, the window replayed, everything checked."""

    def __init__(
        self, ctx: RunContext, window: Window, cfg: Config, speed: int, workdir: Path
    ) -> None:
        self.ctx = ctx
        self.window = window
        self.cfg = cfg
        self.speed = speed
        self.workdir = workdir
        self.rng = random.Random(f"{ctx.seed}:{speed}")

    def log(self, message: str) -> None:
        self.ctx.log(f"{self.speed}x: {message}")

    async def run(self) -> SpeedRun:
        self.workdir.mkdir()
        users = ("console", "mdt", "history")
        server = start_server(sqlite_url(self.workdir / "server.db"), workdir=self.workdir)
        stores: list[LocalStore] = []
        try:
            for user in users:
                server.add_user(user, LIVE_PASSWORD, Role.DISPATCHER)
            async with httpx.AsyncClient(timeout=30) as http:
                history = await self._device(server.url, "history", "history", http, stores)
                devices = [
                    await self._device(
                        server.url,
                        "console" if i < self.cfg.consoles else "mdt",
                        f"device-{i:02d}",
                        http,
                        stores,
                    )
                    for i in range(self.cfg.devices)
                ]
            await self._load_history(server.url, history, devices)
            port = int(server.url.rsplit(":", 1)[1])
            run = await self._replay(server.url, port, devices)
            await self._check(server.url, history, devices, run, stores)
            return run
        finally:
            for store in stores:
                if not store.locked:
                    store.lock()
            server.stop()

    async def _device(
        self, url: str, user: str, name: str, http: httpx.AsyncClient, stores: list[LocalStore]
    ) -> Device:
        enrolled = await enroll(url, user, name, http)
        store = enrolled_store(self.workdir / f"{name}.db", enrolled, url)
        stores.append(store)
        return Device(name, store, enrolled.tokens)

    async def _load_history(self, url: str, history: Device, devices: list[Device]) -> None:
        """The calls in progress and every unit, written by one device, pulled by all."""
        self.log(f"loading {len(self.window.setup)} ops of state at the window's start")
        for op in self.window.setup:
            perform(history.store, op)
        history.writes = len(self.window.setup)
        for device in [history, *devices]:
            await _sync_direct(device, url)
        if history.store.pending_count():
            raise AssertionError("the history device still has ops to push")

    async def _replay(self, url: str, port: int, devices: list[Device]) -> SpeedRun:
        cfg, speed = self.cfg, self.speed
        tracker = Propagation([d.store.device_id for d in devices])
        meter = WireMeter()
        proxies: list[FaultyProxy] = []
        clients: list[TimedClient] = []
        schedulers: list[SyncScheduler] = []
        quiet = logging.getLogger("apscheduler")
        level = quiet.level
        quiet.setLevel(logging.ERROR)  # "job missed by 0.01 s" under load is expected here
        try:
            for index, device in enumerate(devices):
                plan = dataclasses.replace(LOST_RESPONSES, seed=self.rng.randrange(2**32))
                proxy = FaultyProxy(port, plan)
                await proxy.start()
                proxies.append(proxy)
                client = TimedClient(
                    device.store,
                    [f"http://127.0.0.1:{proxy.port}"],
                    device.tokens,
                    http=counting_client(meter, timeout_s=APP.timeout_s),
                    tracker=tracker,
                )
                clients.append(client)
                backoff = Backoff(
                    base_s=APP.retry_base_s,
                    cap_s=APP.retry_cap_s,
                    unreachable_cap_s=APP.retry_unreachable_cap_s,
                    rng=random.Random(f"{self.ctx.seed}:{speed}:{index}"),
                )
                schedulers.append(
                    SyncScheduler(client, periodic_s=APP.periodic_s, backoff=backoff, live=True)
                )
            for scheduler in schedulers:
                await scheduler.start()
            await _until(lambda: all(s.status.last_sync_ms for s in schedulers), 30)
            await asyncio.sleep(1.0)  # let the live streams connect
            meter.reset()
            self.log(
                f"replaying {len(self.window.steps)} ops over "
                f"{(self.window.end_ms - self.window.start_ms) / 1000 / speed:.0f} s "
                f"on {len(devices)} devices"
            )
            stop = asyncio.Event()
            outages = [
                asyncio.create_task(self._dropouts(proxy, stop, index))
                for index, proxy in enumerate(proxies)
            ]
            started = time.perf_counter()
            lateness, late_entries = await self._drive(devices, tracker)
            replay_s = time.perf_counter() - started
            stop.set()
            offline = await asyncio.gather(*outages)
            for proxy in proxies:
                proxy.heal()
            self.log(f"replay done in {replay_s:.1f} s; waiting for every device to catch up")
            converged = await _until(lambda: tracker.complete, cfg.converge_s, tracker.changed)
            converge_s = time.perf_counter() - started - replay_s
            stuck = [] if converged else _stuck(devices, schedulers)
            if stuck:
                self.log(
                    f"{tracker.undelivered} deliveries still missing after {converge_s:.0f} s: "
                    + "; ".join(stuck)
                )
            for scheduler in schedulers:
                await scheduler.stop()
            await _until(lambda: not any(s._running for s in schedulers), 30)
            faults = Counter[str]()
            for proxy in proxies:
                faults.update(proxy.stats.faults)
            faults.pop("partition", None)
        finally:
            quiet.setLevel(level)
            for client in clients:
                await client.aclose()
            for proxy in proxies:
                await proxy.stop()
        missing = tracker.undelivered
        for _ in range(2):  # whatever the live machinery did not deliver: all push, then all pull
            for device in devices:
                await _sync_direct(device, url, tracker=tracker, meter=meter)
        if not tracker.complete:
            raise AssertionError(f"{tracker.undelivered} deliveries missing after a direct sync")
        deliveries = tracker.delivery_s()
        return SpeedRun(
            speed=speed,
            ops=len(tracker.written),
            devices=len(devices),
            replay_s=replay_s,
            converge_s=converge_s,
            converged_live=converged,
            drained_pairs=missing,
            delivery=Latency.of(deliveries),
            p95_ms=percentile(deliveries, 95) * 1000,
            ack=Latency.of(tracker.ack_s()),
            wire=meter,
            lateness=Latency.of(lateness),
            late_entries=late_entries,
            dropouts=sum(n for n, _ in offline),
            offline_s=sum(s for _, s in offline),
            faults=dict(faults),
            refusals=dict(tracker.refusals),
            log_ops=0,
            stuck=stuck,
        )

    async def _drive(self, devices: list[Device], tracker: Propagation) -> tuple[list[float], int]:
        """Each step on its owner's store at its compressed time; returns how late each write
        started against its schedule, and how many live statuses had to be entered late."""
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        lateness: list[float] = []
        late_entries = 0
        for step in self.window.steps:
            due = t0 + (step.event_ms - self.window.start_ms) / 1000 / self.speed
            if (delay := due - loop.time()) > 0:
                await asyncio.sleep(delay)
            lateness.append(max(0.0, loop.time() - due))
            device = devices[owner(step.op, self.cfg.consoles, len(devices))]
            made, entered_late = perform(device.store, step.op)
            tracker.wrote(made)
            device.writes += 1
            late_entries += entered_late
        return lateness, late_entries

    async def _dropouts(
        self, proxy: FaultyProxy, stop: asyncio.Event, index: int
    ) -> tuple[int, float]:
        """Lose this device's link now and then (seeded) until ``stop``; (count, seconds)."""
        rng = random.Random(f"{self.ctx.seed}:{self.speed}:dropouts:{index}")
        count, offline = 0, 0.0
        while not stop.is_set():
            if await _wait(stop, rng.expovariate(1 / self.cfg.dropout_gap_s)):
                break
            proxy.partition()
            count += 1
            started = time.perf_counter()
            try:
                await _wait(stop, rng.uniform(*self.cfg.dropout_s))
            finally:
                proxy.heal()
                offline += time.perf_counter() - started
        return count, offline

    async def _check(
        self,
        url: str,
        history: Device,
        devices: list[Device],
        run: SpeedRun,
        stores: list[LocalStore],
    ) -> None:
        """Every op on the server exactly once; every store equal to the merge of the log."""
        async with httpx.AsyncClient(timeout=30) as http:
            observer = await self._device(url, "history", "observer", http, stores)
        for device in (history, observer):  # neither took part in the live replay
            await _sync_direct(device, url)
        log = await server_log(url, observer.tokens.access_token)
        written = {d.store.device_id: d.writes for d in [history, *devices]}
        check_exactly_once(log, written)
        reference = replay(log)
        for device in [history, *devices, observer]:
            same_as_reference(device.store, reference)
        run.log_ops = len(log)
        self.log(
            f"checked: {len(log)} ops on the server exactly once; "
            f"{len(devices) + 2} stores equal to the merge of the log"
        )


def _stuck(devices: list[Device], schedulers: list[SyncScheduler]) -> list[str]:
    """What each device that has not caught up says about itself."""
    out = []
    for device, scheduler in zip(devices, schedulers, strict=True):
        status = scheduler.status
        pending = device.store.pending_count()
        if pending or status.problem:
            out.append(
                f"{device.name}: {pending} pending, {status.connectivity.value}, "
                f"next retry in {((status.next_retry_ms or 0) / 1000 - time.time()):.0f} s, "
                f"{status.problem or 'no problem shown'}"
            )
    return out


async def _sync_direct(
    device: Device,
    url: str,
    *,
    tracker: Propagation | None = None,
    meter: WireMeter | None = None,
    attempts: int = 5,
) -> None:
    """Sync straight to the server (no proxy) until nothing is left to push or pull."""
    http = counting_client(meter or WireMeter(), timeout_s=APP.timeout_s)
    client: SyncClient
    if tracker is None:
        client = SyncClient(device.store, [url], device.tokens, http=http)
    else:
        client = TimedClient(device.store, [url], device.tokens, http=http, tracker=tracker)
    try:
        for attempt in range(attempts):
            try:
                await client.sync_once()
                return
            except SyncFailed:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(0.2)
    finally:
        device.tokens = client.tokens
        await client.aclose()


async def _wait(event: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` or until ``event``; True if the event was set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), seconds)
    return event.is_set()


async def _until(
    done: Any, seconds: float, changed: asyncio.Event | None = None, poll_s: float = 0.05
) -> bool:
    """Wait until ``done()`` holds (checked on ``changed`` or every ``poll_s``), at most
    ``seconds``; returns whether it held."""
    deadline = time.perf_counter() + seconds
    while not done():
        left = deadline - time.perf_counter()
        if left <= 0:
            return False
        if changed is not None:
            changed.clear()
            await _wait(changed, min(left, 1.0))
        else:
            await asyncio.sleep(min(left, poll_s))
    return True


# --------------------------------------------------------------------------- the benchmark


def run(ctx: RunContext) -> BenchResult:
    if not SF_CSV.exists():
        raise BenchSkipped(f"the SF Fire export is not at {SF_CSV} (shared data not mounted)")
    cfg = QUICK if ctx.quick else FULL
    ctx.log(f"loading {SF_CSV.name}")
    records = load_sf_calls(SF_CSV)
    start = busiest_start(records, cfg.minutes)
    window = plan_window(records, start, start + cfg.minutes * 60_000)
    ctx.log(window.describe())
    runs = {
        speed: asyncio.run(Replay(ctx, window, cfg, speed, ctx.workdir / f"{speed}x").run())
        for speed in SPEEDS
    }
    return _report(window, cfg, runs)


def _report(window: Window, cfg: Config, runs: dict[int, SpeedRun]) -> BenchResult:
    result = BenchResult()
    for speed, r in runs.items():
        pairs = r.delivery.n
        result.add(
            Figure(
                f"{speed}x: ops lost or doubled",
                0,
                "ops",
                f"{r.ops} ops by {r.devices} devices, each on the server exactly once "
                f"({r.log_ops} in the log with the history); {r.devices + 2} stores equal to "
                f"the merge of the log; {r.dropouts} dropouts ({r.offline_s:.0f} s offline), "
                f"injected {_counts(r.faults) or 'no other faults'}; "
                f"server refusals {_counts(r.refusals) or 'none'}",
                Target("<=", 0, "zero lost operations"),
            )
        )
        drained = (
            f"all delivered live within {r.converge_s:.1f} s of the replay's end"
            if r.converged_live
            else f"{r.drained_pairs} pairs not delivered live within {cfg.converge_s:.0f} s, "
            "delivered by a final direct sync (counted with that latency)"
        )
        result.add(
            Figure(
                f"{speed}x: write → merged on another device, p50",
                r.delivery.p50_ms,
                "ms",
                f"{pairs:,} (op, other device) pairs; mean {fmt_ms(r.delivery.mean_ms)}; {drained}",
            )
        )
        result.add(Figure(f"{speed}x: write → merged on another device, p95", r.p95_ms, "ms"))
        result.add(
            Figure(
                f"{speed}x: write → merged on another device, p99",
                r.delivery.p99_ms,
                "ms",
                f"max {fmt_ms(r.delivery.max_ms)}",
            )
        )
        result.add(
            Figure(
                f"{speed}x: write → acknowledged by the server, p50",
                r.ack.p50_ms,
                "ms",
                f"p99 {fmt_ms(r.ack.p99_ms)}, max {fmt_ms(r.ack.max_ms)}",
            )
        )
        result.add(
            Figure(
                f"{speed}x: bytes on the wire per change",
                r.wire.total / r.ops,
                "B",
                f"{fmt_bytes(r.wire.total)} in {r.wire.requests:,} requests for {r.ops} changes "
                f"to {r.devices} devices: up {fmt_bytes(r.wire.up / r.ops)}, down "
                f"{fmt_bytes(r.wire.down / r.ops)} per change "
                f"({fmt_bytes(r.wire.down / max(pairs, 1))} per delivered copy)",
            )
        )
    slow, fast = runs[SPEEDS[0]], runs[SPEEDS[-1]]
    for label, a, b in (
        ("p50", fast.delivery.p50_ms, slow.delivery.p50_ms),
        ("p99", fast.delivery.p99_ms, slow.delivery.p99_ms),
    ):
        result.add(
            ratio(
                f"propagation {label}: {fast.speed}x ÷ {slow.speed}x",
                a,
                b,
                f"{fmt_ms(a)} ÷ {fmt_ms(b)}, same ops, {fast.speed / slow.speed:.0f}x the rate",
            )
        )
    result.add(
        ratio(
            f"bytes per change: {fast.speed}x ÷ {slow.speed}x",
            fast.wire.total / fast.ops,
            slow.wire.total / slow.ops,
            f"{fmt_bytes(fast.wire.total / fast.ops)} ÷ {fmt_bytes(slow.wire.total / slow.ops)}",
        )
    )
    result.notes.append(f"window: {window.describe()}")
    consoles = cfg.consoles
    result.notes.append(
        f"{cfg.devices} devices ({consoles} consoles, {cfg.devices - consoles} unit terminals), "
        f"app sync defaults (periodic {APP.periodic_s:.0f} s, retry backoff "
        f"{APP.retry_base_s:.0f}-{APP.retry_unreachable_cap_s:.0f} s while unreachable, "
        f"up to {APP.retry_cap_s:.0f} s on server errors, live SSE); dropouts every "
        f"{cfg.dropout_gap_s:.0f} s on average per device (wall clock), "
        f"{cfg.dropout_s[0]}-{cfg.dropout_s[1]} s each; per request "
        + ", ".join(
            f"{name} {getattr(LOST_RESPONSES, name):.0%}"
            for name in ("drop", "cut_after_commit", "duplicate")
        )
    )
    for r in runs.values():
        result.notes.append(
            f"{r.speed}x: replay {r.replay_s:.1f} s + catch-up {r.converge_s:.1f} s; "
            f"writes started late vs schedule p50 {fmt_ms(r.lateness.p50_ms)}, "
            f"p99 {fmt_ms(r.lateness.p99_ms)} (harness lag); {r.late_entries} live statuses "
            "entered late because the terminal had not pulled the unit's dispatch yet"
        )
        if r.stuck:
            result.notes.append(
                f"{r.speed}x: not caught up {cfg.converge_s:.0f} s after the replay: "
                + "; ".join(r.stuck)
            )
    result.extras.update(
        window={
            "start_ms": window.start_ms,
            "end_ms": window.end_ms,
            "calls": window.calls,
            "records": window.records,
            "setup_ops": len(window.setup),
            "steps": len(window.steps),
        },
        runs={speed: r.as_json() for speed, r in runs.items()},
    )
    return result


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {name}" for name, n in sorted(counts.items()) if n)


BENCHMARK = Benchmark(
    name="sf_replay",
    title="SF Fire dispatch data replayed through 20 devices, 10x vs 100x, with dropouts",
    run=run,
)
