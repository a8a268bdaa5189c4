"""Bad nights, replayed: flaky hotspots, lost responses, duplicated requests, a tablet killed
mid-sync, the server killed mid-push.  Every replica ends equal to the server's state, with
every operation in the server's log exactly once."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mobile_app.store import LocalStore
from mobile_app.sync.errors import SyncFailed
from shared.commands import CommandError
from shared.lifecycle import IncidentStatus, UnitStatus
from shared.protocol import IncidentFields
from sync_server.testing import sqlite_url, start_server
from tests.chaos.faulty_proxy import FaultPlan, run_in_thread
from tests.sync.conftest import PIN, Device, enroll_device
from tests.sync.test_client_live import _server_copies

SEEDS = range(int(os.environ.get("DA_CHAOS_SEEDS", "4")))
TABLETS = 5


def _sync_until_done(device: Device, attempts: int = 40) -> None:
    for _ in range(attempts):
        try:
            device.sync()
            if device.store.pending_count() == 0:
                return
        except SyncFailed:
            time.sleep(0.05)
    raise AssertionError(f"{device.name} never finished syncing")


def _random_work(device: Device, rng: random.Random, tag: str) -> None:
    store = device.store
    incidents = [i.incident_id for i in store.incidents(open_only=True)]
    units = [u.unit_id for u in store.units() if u.unit_id.startswith(tag)]
    choice = rng.random()
    try:
        if choice < 0.2 or not incidents:
            store.create_incident(
                IncidentFields(incident_type="SICK", address=f"{rng.randint(1, 999)} Main St"),
                rng.randint(1, 5),
                "caller reports illness",
            )
        elif choice < 0.35:
            store.add_note(rng.choice(incidents), f"update {rng.random():.4f}")
        elif choice < 0.45:
            store.change_priority(rng.choice(incidents), rng.randint(1, 5))
        elif choice < 0.5:
            store.set_incident_status(
                rng.choice(incidents), IncidentStatus.CLOSED, disposition="01"
            )
        elif choice < 0.6 or not units:
            store.upsert_unit(unit_id=f"{tag}-U{rng.randint(1, 6)}", name="unit")
        elif choice < 0.8:
            store.set_unit_status(
                rng.choice(units), UnitStatus.DISPATCHED, incident_id=rng.choice(incidents)
            )
        else:
            step = rng.choice([UnitStatus.ENROUTE, UnitStatus.ONSCENE, UnitStatus.CLEARED])
            store.set_unit_status(rng.choice(units), step)
    except CommandError:
        pass  # an action the lifecycle refuses locally: the dispatcher would see why


def _written(device: Device) -> list[int]:
    ops = device.store.pending_ops(10**6)
    last = device.store.acked_seq
    return list(range(1, (ops[-1].seq if ops else last) + 1))


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_five_tablets_on_bad_hotspots_converge_with_nothing_lost_or_doubled(
    seed,
    live,
    tmp_path,
):
    rng = random.Random(seed)
    port = int(live.url.rsplit(":", 1)[1])
    tag = f"S{seed}"
    proxies, tablets = [], []
    for i in range(TABLETS):
        plan = FaultPlan(
            seed=seed * 100 + i,
            drop=0.1,
            cut_after_commit=0.1,
            truncate=0.05,
            duplicate=0.1,
            delay=0.05,
            delay_response=0.05,
            delay_ms=30,
        )
        proxy = run_in_thread(port, plan)
        proxies.append(proxy)
        user = ("alice", "bob", "sue")[i % 3]
        tablets.append(
            enroll_device(
                live, tmp_path, f"chaos-{seed}-{i}", user, url=f"http://127.0.0.1:{proxy.port}"
            )
        )
    try:
        for _ in range(120):
            tablet = rng.choice(tablets)
            if rng.random() < 0.25:
                with contextlib.suppress(SyncFailed):
                    tablet.sync()
            else:
                _random_work(tablet, rng, tag)
            if rng.random() < 0.05:
                rng.choice(proxies).partition()
            if rng.random() < 0.1:
                rng.choice(proxies).heal()
        written = {t.store.device_id: _written(t) for t in tablets}
        for proxy in proxies:
            proxy.heal()
        for _ in range(2):  # everyone pushes, then everyone pulls what the others pushed
            for tablet in tablets:
                _sync_until_done(tablet)

        observer = enroll_device(live, tmp_path, f"observer-{seed}", "sue")
        observer.sync()
        expected = observer.store.snapshot()
        for tablet in tablets:
            assert tablet.store.snapshot() == expected, f"{tablet.name} diverged"
            copies = _server_copies(observer, tablet.store.device_id)
            assert copies == written[tablet.store.device_id], "lost or duplicated ops"
        faults = sum(sum(p.stats.faults.values()) for p in proxies)
        assert faults > 0  # the run really was a bad night
    finally:
        for proxy in proxies:
            proxy.stop()
        for tablet in tablets:
            tablet.store.lock()


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3))
def test_a_tablet_killed_mid_sync_loses_and_doubles_nothing(seed, live, tmp_path):
    device = enroll_device(live, tmp_path, f"killed-{seed}")
    path = device.store.path
    device.store.lock()
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.chaos.device_worker", str(path), PIN, live.url, str(seed)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    committed = 0
    deadline = time.monotonic() + 60
    target = random.Random(seed).randint(30, 150)
    assert worker.stdout is not None
    while committed < target and time.monotonic() < deadline:
        line = worker.stdout.readline()
        if line.startswith("seq "):
            committed = int(line.split()[1])
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    assert committed >= target

    device.store = LocalStore.unlock(path, PIN)
    written = _written(device)
    assert len(written) >= committed  # every write it reported survived the kill
    _sync_until_done(device)
    observer = enroll_device(live, tmp_path, f"killed-observer-{seed}", "bob")
    assert _server_copies(observer, device.store.device_id) == written
    device.store.lock()
    observer.store.lock()


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2))
def test_the_server_killed_mid_push_loses_and_doubles_nothing(seed, tmp_path):
    from shared.api import Role

    workdir = tmp_path / "server"
    database = sqlite_url(workdir / "server.db")
    workdir.mkdir()
    server = start_server(database, workdir=workdir, server_id="primary")
    server.add_user("alice", "correct horse battery", Role.DISPATCHER)
    device = enroll_device(server, tmp_path, f"pusher-{seed}")
    for n in range(1200):
        device.store.upsert_unit(unit_id=f"P{seed}-{n}", name=f"P{n}")

    failures: list[BaseException] = []

    def push() -> None:
        try:
            device.sync()
        except SyncFailed as failure:
            failures.append(failure)

    pusher = threading.Thread(target=push)
    pusher.start()
    time.sleep(random.Random(seed).uniform(0.05, 0.6))
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    pusher.join(60)
    server.stop()

    restarted = start_server(database, workdir=workdir, server_id="primary")
    try:
        device.url = restarted.url
        _sync_until_done(device)
        observer = enroll_device(restarted, tmp_path, f"pusher-observer-{seed}")
        assert _server_copies(observer, device.store.device_id) == list(range(1, 1201))
        observer.store.lock()
    finally:
        device.store.lock()
        restarted.stop()
