"""The open store's plumbing: transactions, the write gate, locking, wiping, repair.

``LocalStore`` is assembled from this core plus the actions, queries and replication parts,
each in its own module; all of them reach the database only through ``_read``/``_write``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy.exc
from sqlalchemy import Connection
from sqlmodel import Session, select

from mobile_app.store.codec import CorruptEntity, RecordCodec
from mobile_app.store.db import Engines, open_engines
from mobile_app.store.errors import (
    StoreLocked,
    StoreWiped,
    UnknownEntity,
    storage_failure,
)
from mobile_app.store.files import StorePaths, shred_store
from mobile_app.store.gate import WriteGate
from mobile_app.store.idle import IdleLock
from mobile_app.store.kdf import KdfParams
from mobile_app.store.listeners import ChangeKind, Listener, Listeners, StoreChange
from mobile_app.store.migrations import upgrade
from mobile_app.store.repository import Decoded, EntityKey, Repository, get_meta
from mobile_app.store.schema import EntityRow
from mobile_app.store.vault import rewrap_vault
from shared.commands import Commands
from shared.hlc import ZERO, Hlc, HybridClock, system_ms
from shared.protocol import Entity

log = logging.getLogger(__name__)

DEFAULT_CHUNK = 2_000
"""At most this many pulled ops stored per transaction (one entity's are never split); the
time budget below usually ends a transaction first."""
MERGE_BUDGET_S = 0.01
"""A merge transaction stops taking entities once it has worked this long, the writes still to
come included, so a dispatcher's write waits one short transaction at most (issue 4: under
100 ms).  Measured: transactions overshoot a 20 ms budget to 30-40 ms on a busy CPU (the
dispatcher's thread and the merge share the GIL); 10 ms keeps the wait's tail near 40 ms and
costs the merge nothing measurable, since the merge rules and sealing run outside the gate."""


class StoreCore:
    """An unlocked store's shared machinery (see ``LocalStore`` for the public entry points)."""

    def __init__(
        self,
        paths: StorePaths,
        data_key: bytes,
        *,
        idle: IdleLock | None = None,
        physical_ms: Callable[[], int] = system_ms,
        chunk_size: int = DEFAULT_CHUNK,
    ) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self._paths = paths
        self._engines: Engines = open_engines(paths.db)
        self._repo: Repository | None = Repository(RecordCodec(data_key))
        self._gate = WriteGate()
        self._listeners = Listeners()
        self._idle = idle or IdleLock()
        self._chunk = chunk_size
        self._seq = 0  # next seq, loaded from meta inside each write transaction
        try:
            upgrade(self._engines.writer)
        except BaseException:
            self._engines.dispose()
            raise
        with self._read() as s:
            meta = get_meta(s)
        self.device_id = meta["device_id"]
        self.user_id = meta["user_id"]
        self._clock = HybridClock(
            physical_ms,
            offset_ms=int(meta["clock_offset_ms"]),
            last=Hlc.decode(meta["hlc_last"]) if meta["hlc_last"] else ZERO,
        )
        self._commands = Commands(self.device_id, self.user_id, self._clock, self._take_seq)

    @property
    def path(self) -> Path:
        """The database file (its companions: ``.keys``, ``.secret``, ``-wal``, ``-shm``)."""
        return self._paths.db

    # Locking, wiping, PIN ----------------------------------------------------------------
    @property
    def locked(self) -> bool:
        return self._repo is None

    def lock(self) -> None:
        """Drop the data key and close the database; unlock again with the PIN.

        Python cannot scrub memory reliably: dropping every reference to the key objects is
        the best available, and the process's pages are the OS's to protect.
        """
        with self._gate.local():
            if self._repo is None:
                return
            self._repo = None
            self._engines.dispose()
        self._listeners.notify(StoreChange(ChangeKind.LOCKED))

    def wipe(self, reason: str = "wipe order from the server") -> None:
        """Destroy the wrapped key, the device secret and every database file (irreversible)."""
        with self._gate.local():
            self._repo = None
            self._engines.dispose()
            shred_store(self._paths, reason)
        self._listeners.notify(StoreChange(ChangeKind.WIPED))

    def change_pin(self, old_pin: str, new_pin: str, *, kdf: KdfParams | None = None) -> None:
        """Re-wrap the data key under a new PIN; no record is re-encrypted.

        A wrong old PIN counts as a failed attempt, and the last one wipes the store.
        """
        self._repo_or_raise(touch=True)
        try:
            with self._gate.local():
                self._engines.dispose()  # nothing may hold the files if this attempt wipes them
                rewrap_vault(self._paths, old_pin, new_pin, kdf)
        except StoreWiped:
            self._repo = None
            self._listeners.notify(StoreChange(ChangeKind.WIPED))
            raise

    def check_idle(self) -> bool:
        """Lock if the dispatcher has been idle too long; True if the store is now locked."""
        if self._repo is not None and self._idle.expired():
            log.info("locking the store after %.0f s without activity", self._idle.timeout_s)
            self.lock()
        return self._repo is None

    def touch(self) -> None:
        """Record user activity that did not go through the store (scrolling, typing)."""
        self._repo_or_raise(touch=True)

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` after every commit; returns a function that unregisters it."""
        return self._listeners.add(listener)

    # Repair ------------------------------------------------------------------------------
    def rebuild(self, kind: Entity, entity_id: str) -> None:
        """Re-derive one entity from the op log (after a CorruptEntity error)."""
        with self._write(local=True) as s:
            rebuilt = self._unlocked().rebuild(s, kind, entity_id)
        if rebuilt is None:  # (what the rebuild learned, e.g. that a resync is needed, is kept)
            raise UnknownEntity(kind.value, entity_id)
        self._listeners.notify(StoreChange(ChangeKind.REBUILT, frozenset({(kind, entity_id)})))

    def repair(self) -> list[EntityKey]:
        """Check every entity row and snapshot base; rebuild the damaged rows and returns them.

        A damaged base, or a row with nothing on the device to rebuild it from, is left to the
        resync this asks for (only the server still has that history)."""
        repo = self._repo_or_raise()
        damaged: list[EntityKey] = []
        with self._read() as s:
            rows = s.exec(select(EntityRow.kind, EntityRow.entity_id, EntityRow.state)).all()
            bad_bases = repo.damaged_bases(s)
        if bad_bases:
            with self._write(local=False) as s:
                for base_kind, base_id, failure in bad_bases:
                    repo.drop_base(s, base_kind, base_id, failure)
        for kind, entity_id, blob in rows:
            try:
                repo.decoded(Entity(kind), entity_id, blob)
            except CorruptEntity:
                damaged.append((Entity(kind), entity_id))
        rebuilt = []
        for key in damaged:
            try:
                self.rebuild(*key)
            except UnknownEntity:
                # Nothing here to rebuild it from (its snapshot base was damaged too): the
                # resync that asked for brings it back from the server.
                log.error("%s/%s cannot be rebuilt on this device; resyncing", *key)
                continue
            rebuilt.append(key)
        return rebuilt

    # Plumbing ----------------------------------------------------------------------------
    def _repo_or_raise(self, *, touch: bool = False) -> Repository:
        """The repository if the store is open; locks it first if it has been idle too long."""
        repo = self._repo
        if repo is None:
            raise StoreLocked("the store is locked: enter the PIN to continue")
        if self._idle.expired():
            self.lock()
            raise StoreLocked(
                f"locked after {self._idle.timeout_s / 60:.0f} minutes without activity: "
                "enter the PIN to continue"
            )
        if touch:
            self._idle.touch()
        return repo

    def _unlocked(self) -> Repository:
        """The repository, for use inside the gate (no idle check: locking needs the gate)."""
        repo = self._repo
        if repo is None:
            raise StoreLocked("the store is locked: enter the PIN to continue")
        return repo

    def _take_seq(self) -> int:
        seq = self._seq
        self._seq += 1
        return seq

    @contextmanager
    def _read(self) -> Iterator[Session]:
        """A read transaction: one consistent snapshot, never blocked by the writer (WAL)."""
        with Session(self._engines.reader) as s, s.begin():
            yield s

    @contextmanager
    def _write(self, *, local: bool, durable: bool = True) -> Iterator[Connection]:
        """One write transaction; user actions go ahead of merges (see ``gate``).

        ``durable=False`` only for what the server can send again (see ``db``): it commits
        without waiting for the disk.  A write the storage refuses (full, failing) is rolled
        back and raised as ``StorageFailed``, in words."""
        self._repo_or_raise(touch=local)
        with self._gate.local() if local else self._gate.merge():
            self._unlocked()  # the store may have locked while this waited
            self._engines.write_mode.durable = durable
            # A bare connection: an ORM session per write cost as much as the write itself.
            try:
                with self._engines.writer.connect() as connection, connection.begin():
                    yield connection
            except sqlite3.OperationalError as failed:  # the hot paths use the driver itself
                raise storage_failure(failed) from failed
            except sqlalchemy.exc.OperationalError as failed:
                raise storage_failure(failed.orig or failed) from failed

    def _meta(self) -> dict[str, str]:
        self._repo_or_raise()
        with self._read() as s:
            return get_meta(s)

    def _get(self, kind: Entity, entity_id: str) -> Decoded:
        found = self._decoded(
            select(EntityRow.kind, EntityRow.entity_id, EntityRow.state).where(
                EntityRow.kind == kind.value, EntityRow.entity_id == entity_id
            )
        )
        if not found:
            raise UnknownEntity(kind.value, entity_id)
        return found[0]

    def _decoded(self, query: Any) -> list[Decoded]:
        """The read models of the (kind, entity_id, state) rows a query selects."""
        repo = self._repo_or_raise()
        with self._read() as s:
            rows = s.exec(query).all()
        return [repo.decoded(Entity(k), entity_id, blob) for k, entity_id, blob in rows]
