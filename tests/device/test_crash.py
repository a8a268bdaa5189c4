"""kill -9 at any moment loses nothing and duplicates nothing (real process, real SIGKILL)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mobile_app.store import LocalStore
from shared.protocol import Op
from tests.device.conftest import FAST_KDF, PIN, as_changes
from tests.simulation import ACTIONS, World, replay

ROOT = Path(__file__).resolve().parents[2]


def _remote_ops(seed: int) -> list[Op]:
    """Another device's work the crashing device pulls while it writes."""
    rng = random.Random(seed)
    world = World.create(2)
    for _ in range(250):
        world.step(rng.randrange(2), rng.choice(ACTIONS), rng.randrange(9), rng.randrange(51))
    return world.all_ops


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_a_killed_app_loses_and_duplicates_nothing(tmp_path: Path, seed: int):
    rng = random.Random(seed)
    db = tmp_path / "device.db"
    LocalStore.create(db, PIN, "dev-crash", "casey", kdf=FAST_KDF).lock()
    remote = _remote_ops(seed)
    remote_file = tmp_path / "remote.jsonl"
    remote_file.write_text("\n".join(op.model_dump_json() for op in remote))

    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.device.crash_writer",
            str(db),
            PIN,
            str(seed),
            str(remote_file),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    told: list[list[str]] = []
    for _ in range(rng.randint(5, 60)):
        line = child.stdout.readline()
        assert line, f"the writer died early: {child.stderr.read() if child.stderr else ''}"
        told.append(line.split())
    time.sleep(rng.uniform(0, 0.03))  # land somewhere inside a transaction, or between two
    os.kill(child.pid, signal.SIGKILL)
    rest, _ = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    told += [line.split() for line in rest.splitlines() if line.endswith(tuple("0123456789"))]

    store = LocalStore.unlock(db, PIN)
    own = store.pending_ops(limit=100_000)
    seqs = [op.seq for op in own]
    saved_seqs = {int(n) for what, n in told if what == "op"}
    saved_cursor = max([int(n) for what, n in told if what == "cursor"], default=0)

    # Nothing duplicated, no gaps: the outbox is exactly 1..n.
    assert seqs == list(range(1, len(seqs) + 1))
    # Nothing lost: everything the user was told was saved is there (plus at most the one
    # action that committed just before the kill, before it could be reported).
    assert saved_seqs <= set(seqs)
    assert len(seqs) - len(saved_seqs) <= 1
    assert store.cursor >= saved_cursor
    # Every op in the outbox has its effect, and nothing else does: finishing the interrupted
    # sync from the checkpoint gives exactly the state the ops themselves define.
    start = store.cursor
    store.apply_pulled(as_changes(remote[start:], start + 1), cursor=len(remote))
    assert store.snapshot() == replay([*own, *remote]).snapshot()
    # The seq counter survived too: the next action continues the sequence.
    incident = store.create_incident({"incident_type": "FSTRU"}, 3)
    assert incident.seq == len(seqs) + 1
    store.lock()
