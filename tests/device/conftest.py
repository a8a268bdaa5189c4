"""Device-store fixtures: real SQLite files in a temporary directory, cheap KDF parameters."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from mobile_app.store import KdfParams, LocalStore
from shared.protocol import Change, Op

PIN = "4821"
FAST_KDF = KdfParams.fast()

MakeStore = Callable[..., LocalStore]


@pytest.fixture
def make_store(tmp_path: Path) -> Iterator[MakeStore]:
    """Create stores under ``tmp_path`` (one per device name); locks them all at the end."""
    opened: list[LocalStore] = []

    def make(device: str = "dev-a", user: str = "alice", **options: Any) -> LocalStore:
        store = LocalStore.create(
            tmp_path / f"{device}.db", PIN, device, user, kdf=FAST_KDF, **options
        )
        opened.append(store)
        return store

    yield make
    for store in opened:
        if not store.locked:
            store.lock()


@pytest.fixture
def store(make_store: MakeStore) -> LocalStore:
    return make_store()


def as_changes(ops: list[Op], first_seq: int = 1) -> list[Change]:
    """Ops as the server would hand them out: numbered by its global sequence."""
    return [Change(seq=first_seq + i, op=op) for i, op in enumerate(ops)]


def sync(source: LocalStore, target: LocalStore, server_log: list[Op]) -> None:
    """A stand-in for the sync server: ``source`` pushes its outbox, ``target`` pulls."""
    pushed = source.pending_ops()
    server_log.extend(pushed)
    if pushed:
        source.ack(pushed[-1].seq)
    start = target.cursor
    target.apply_pulled(as_changes(server_log[start:], start + 1), len(server_log))


@contextmanager
def in_background(work: Callable[[], None]) -> Iterator[None]:
    """Run ``work`` in another thread (a sync round) while the block runs (the dispatcher);
    then wait for it and raise what it raised, which a thread would otherwise lose."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield
    finally:
        thread.join()
    if errors:
        raise errors[0]
