"""Reading and writing the device tables inside a caller's transaction.

The store decides *when* a transaction starts and ends; this module only knows *how* to load,
seal and save entity state, append to the op log, rebuild from it, and keep the meta counters.
Statements are built once with bound parameters: building SQLAlchemy statements per row cost
more than SQLite itself when merging a page.  The hottest ones (load, save, append, meta) are
compiled to SQLite's SQL once and run on the driver's cursor inside the same transaction:
SQLAlchemy's own work per execution (~0.3 ms) was a third of a merge.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, select, update
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.dialects.sqlite import insert
from sqlmodel import Session

from mobile_app.store.cache import SealedCache
from mobile_app.store.codec import BASE_TABLE, CorruptEntity, RecordCodec, kind_of
from mobile_app.store.errors import CorruptRecord
from mobile_app.store.schema import DeviceTable, EntityBaseRow, EntityRow, MetaRow, OpLogRow
from shared.domain import ConflictRecord, Incident, Unit
from shared.merge import apply_op, new_state
from shared.merge.replica import EntityState
from shared.protocol import Entity, Op

log = logging.getLogger(__name__)

EntityKey = tuple[Entity, str]
Tx = Session | Connection
"""A transaction: a read ``Session`` or the writer's ``Connection`` (no ORM session needed)."""

_ENTITY = DeviceTable.metadata.tables[EntityRow.__tablename__]
_OP_LOG = DeviceTable.metadata.tables[OpLogRow.__tablename__]
_META = DeviceTable.metadata.tables[MetaRow.__tablename__]
_BASE = DeviceTable.metadata.tables[EntityBaseRow.__tablename__]


def _upsert(table: Table, keys: Sequence[str]) -> Any:
    stmt = insert(table)
    changing = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=changing)


_SAVE_ENTITY = _upsert(_ENTITY, ("kind", "entity_id"))
_LOAD_ENTITY = select(_ENTITY.c.state).where(
    _ENTITY.c.kind == bindparam("kind"), _ENTITY.c.entity_id == bindparam("entity_id")
)
_APPEND_OP = (stmt := insert(_OP_LOG)).on_conflict_do_update(
    index_elements=["device_id", "seq"],
    # Already logged (our own op coming back, or a page pulled again): only learn its
    # server sequence.
    set_={"server_seq": func.coalesce(_OP_LOG.c.server_seq, stmt.excluded.server_seq)},
)
_REPLACE_OP = (
    update(_OP_LOG)
    .where(_OP_LOG.c.device_id == bindparam("d"), _OP_LOG.c.seq == bindparam("s"))
    .values(hlc=bindparam("hlc"), op=bindparam("sealed"))
)
_OPS_FOR = (
    select(_OP_LOG.c.device_id, _OP_LOG.c.seq, _OP_LOG.c.op)
    .where(
        _OP_LOG.c.kind == bindparam("kind"),
        _OP_LOG.c.entity_id == bindparam("entity_id"),
        _OP_LOG.c.refused.is_(None),
    )
    .order_by(_OP_LOG.c.hlc)
)
_MARK_REFUSED = (
    update(_OP_LOG)
    .where(
        _OP_LOG.c.device_id == bindparam("d"),
        _OP_LOG.c.seq == bindparam("s"),
        _OP_LOG.c.refused.is_(None),
    )
    .values(refused=bindparam("reason"))
)
_REFUSED = (
    select(_OP_LOG.c.device_id, _OP_LOG.c.seq, _OP_LOG.c.op, _OP_LOG.c.refused)
    .where(_OP_LOG.c.refused.is_not(None))
    .order_by(_OP_LOG.c.device_id, _OP_LOG.c.seq)
)
_OWN_OPS = (
    select(_OP_LOG.c.device_id, _OP_LOG.c.seq, _OP_LOG.c.op)
    .where(_OP_LOG.c.device_id == bindparam("device_id"), _OP_LOG.c.seq > bindparam("after"))
    .order_by(_OP_LOG.c.seq)
    .limit(bindparam("limit"))
)
_COUNT_OWN = select(func.count()).where(
    _OP_LOG.c.device_id == bindparam("device_id"), _OP_LOG.c.seq > bindparam("after")
)
_SET_META = _upsert(_META, ("key",))
_SAVE_BASE = _upsert(_BASE, ("kind", "entity_id"))
_LOAD_BASE = select(_BASE.c.state).where(
    _BASE.c.kind == bindparam("kind"), _BASE.c.entity_id == bindparam("entity_id")
)
_DROP_BASE = delete(_BASE).where(
    _BASE.c.kind == bindparam("kind"), _BASE.c.entity_id == bindparam("entity_id")
)
RESYNC_NEEDED = "resync_needed"
"""Meta key: set when history only the server has was lost here; the sync client then pulls
everything again (or loads a snapshot) and clears it."""


def _sql(statement: Any) -> str:
    """The statement as SQLite runs it, with ``:name`` parameters."""
    return str(statement.compile(dialect=sqlite_dialect(paramstyle="named")))


_SAVE_ENTITY_SQL = _sql(_SAVE_ENTITY)
_LOAD_ENTITY_SQL = _sql(_LOAD_ENTITY)
_APPEND_OP_SQL = _sql(_APPEND_OP)
_SET_META_SQL = _sql(_SET_META)
_OPS_FOR_SQL = _sql(_OPS_FOR)
_SAVE_BASE_SQL = _sql(_SAVE_BASE)
_GET_META_SQL = _sql(select(_META.c.key, _META.c.value))


@dataclass(frozen=True)
class SealedRow:
    """An entity row sealed ahead of its transaction, with the state it was sealed from."""

    state: EntityState
    row: dict[str, Any]


@dataclass(frozen=True)
class Decoded:
    """What readers need from an entity row: immutable, so it can be shared between threads."""

    view: Incident | Unit
    conflicts: tuple[ConflictRecord, ...]


class Repository:
    def __init__(self, codec: RecordCodec, states: int = 2048, views: int = 4096) -> None:
        self.codec = codec
        # States handed to one writer at a time (taken out while being changed): the entities
        # a merge keeps touching page after page.
        self._writable: SealedCache[EntityKey, EntityState] = SealedCache(states)
        # Read models shared by every reader: a whole queue's worth.
        self._readable: SealedCache[EntityKey, Decoded] = SealedCache(views)

    # Entities ----------------------------------------------------------------------------
    def load(self, s: Tx, kind: Entity, entity_id: str) -> EntityState | None:
        """The entity's state, for the caller to change and ``save``; CorruptEntity if its row
        cannot be read."""
        return self.state_of(kind, entity_id, self.sealed(s, kind, entity_id))

    def sealed(self, s: Tx, kind: Entity, entity_id: str) -> bytes | None:
        """The row's sealed state as stored (None: no such entity yet)."""
        found = _driver(s).execute(_LOAD_ENTITY_SQL, {"kind": kind.value, "entity_id": entity_id})
        row = found.fetchone()
        return row[0] if row is not None else None

    def state_of(self, kind: Entity, entity_id: str, sealed: bytes | None) -> EntityState | None:
        """The state sealed in ``sealed``, the caller's to change (taken out of the cache)."""
        if sealed is None:
            return None
        cached = self._writable.take((kind, entity_id), sealed)
        return cached if cached is not None else self.codec.open_state(kind, entity_id, sealed)

    def load_for_write(self, s: Tx, kind: Entity, entity_id: str) -> EntityState | None:
        """Like ``load``, but a damaged row is rebuilt from the op log first.

        A write needs the true state anyway, and the op log is the source of truth; refusing
        would leave a merge stuck on one bad row.
        """
        try:
            return self.load(s, kind, entity_id)
        except CorruptEntity as damaged:
            log.warning("rebuilding %s from the op log: %s", damaged.where, damaged.reason)
            return self.rebuild(s, kind, entity_id)

    def decoded(self, kind: Entity, entity_id: str, sealed: bytes) -> Decoded:
        """The read models of a row's sealed state (decoded once per version of the row)."""
        key = (kind, entity_id)
        cached = self._readable.get(key, sealed)
        if cached is None:
            state = self.codec.open_state(kind, entity_id, sealed)
            cached = Decoded(state.view(), tuple(state.conflict_records()))
            self._readable.put(key, sealed, cached)
        return cached

    def forget(self, key: EntityKey) -> None:
        """Drop what memory holds of an entity that left the device."""
        self._writable.drop(key)
        self._readable.drop(key)

    def save(self, s: Tx, state: EntityState) -> None:
        """Seal and store ``state``; the repository owns the object from here on."""
        self.save_rows(s, [self.entity_row(state)])

    def entity_row(self, state: EntityState) -> SealedRow:
        """``state`` sealed with its clear columns, ready to store (pure: no database)."""
        sealed = self.codec.seal_state(state)
        row = {
            **self.codec.clear_columns(state),
            "kind": kind_of(state).value,
            "entity_id": state.id,
            "state": sealed,
        }
        return SealedRow(state, row)

    def save_rows(self, s: Tx, rows: Sequence[SealedRow]) -> None:
        """Store sealed entity rows; the repository owns their states from here on."""
        if not rows:
            return
        _driver(s).executemany(_SAVE_ENTITY_SQL, [r.row for r in rows])
        for r in rows:
            self._writable.put((kind_of(r.state), r.state.id), r.row["state"], r.state)

    def rebuild(self, s: Tx, kind: Entity, entity_id: str) -> EntityState | None:
        """Re-derive an entity from its snapshot base (if it was adopted from one) and every op
        the log holds for it (but those the server refused), and save it.

        A damaged base cannot be re-derived here (only the server has that history): it is
        dropped, the entity rebuilt from the log alone for now, and a resync asked for
        (``RESYNC_NEEDED``), which brings the history back at the next sync.  Refusing instead
        would leave a merge, or a re-stamped outbox, stuck on one bad record.
        """
        state = self.base(s, kind, entity_id)
        for op in self.ops_for(s, kind, entity_id):
            state = state or new_state(op)
            apply_op(state, op)
        if state is not None:
            self.save(s, state)
        return state

    # Snapshot bases --------------------------------------------------------------------
    def base_row(self, state: EntityState) -> dict[str, Any]:
        """``state`` (as the server sent it) sealed as a snapshot base (pure: no database)."""
        return {
            "kind": kind_of(state).value,
            "entity_id": state.id,
            "state": self.codec.seal_state(state, BASE_TABLE),
        }

    def save_base_rows(self, s: Tx, rows: Sequence[dict[str, Any]]) -> None:
        """Keep sealed bases (``base_row``) as what the log's ops build on."""
        if rows:
            _driver(s).executemany(_SAVE_BASE_SQL, rows)

    def base(self, s: Tx, kind: Entity, entity_id: str) -> EntityState | None:
        """The entity's snapshot base (write transactions only: a damaged one is dropped)."""
        found = _db(s).execute(_LOAD_BASE, {"kind": kind.value, "entity_id": entity_id})
        blob = found.scalar()
        if blob is None:
            return None
        try:
            return self.codec.open_base(kind, entity_id, blob)
        except CorruptRecord as damaged:
            self.drop_base(s, kind, entity_id, damaged)
            return None

    def damaged_bases(self, s: Tx) -> list[tuple[Entity, str, CorruptRecord]]:
        """Every snapshot base that no longer opens (a read: ``drop_base`` them after)."""
        damaged = []
        for kind, entity_id, blob in _db(s).execute(select(_BASE)):
            try:
                self.codec.open_base(Entity(kind), entity_id, blob)
            except CorruptRecord as failure:
                damaged.append((Entity(kind), entity_id, failure))
        return damaged

    def drop_base(self, s: Tx, kind: Entity, entity_id: str, damaged: CorruptRecord) -> None:
        """Forget a damaged base and ask for the resync that brings its history back."""
        log.error("%s is damaged: %s; resyncing with the server", damaged.where, damaged.reason)
        _db(s).execute(_DROP_BASE, {"kind": kind.value, "entity_id": entity_id})
        set_meta(s, **{RESYNC_NEEDED: 1})

    # Op log ------------------------------------------------------------------------------
    def append(self, s: Tx, ops: Sequence[tuple[Op, int | None]]) -> None:
        """Log ops with their server sequence (None for local ops); the entity rows must exist.

        An op already logged keeps its sealed body and gains the server sequence if it had none.
        """
        self.append_rows(s, self.op_rows(ops))

    def op_rows(self, ops: Sequence[tuple[Op, int | None]]) -> list[dict[str, Any]]:
        """Op log rows, sealed (pure: no database), for ``append_rows``."""
        return [
            {
                "device_id": op.device_id,
                "seq": op.seq,
                "kind": op.entity.value,
                "entity_id": op.entity_id,
                "op_kind": op.body.kind,
                "hlc": op.hlc,
                "server_seq": server_seq,
                "refused": None,
                "op": self.codec.seal_op(op),
            }
            for op, server_seq in ops
        ]

    def append_rows(self, s: Tx, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            _driver(s).executemany(_APPEND_OP_SQL, rows)

    def replace(self, s: Tx, op: Op) -> None:
        """Overwrite a logged op (re-stamping); its id stays the same."""
        params = {"d": op.device_id, "s": op.seq, "hlc": op.hlc, "sealed": self.codec.seal_op(op)}
        _db(s).execute(_REPLACE_OP, params)

    def mark_refused(self, s: Tx, op: Op, reason: str) -> bool:
        """Record that the server refused ``op`` for good; False if this log does not hold it
        or already knew (a page pulled again)."""
        params = {"d": op.device_id, "s": op.seq, "reason": reason}
        return bool(_db(s).execute(_MARK_REFUSED, params).rowcount)

    def refused(self, s: Tx) -> list[tuple[Op, str]]:
        """Every op the server refused, with the reason (oldest first per device)."""
        rows = _db(s).execute(_REFUSED).all()
        return [(self.codec.open_op(d, seq, blob), reason) for d, seq, blob, reason in rows]

    def ops_for(self, s: Tx, kind: Entity, entity_id: str) -> list[Op]:
        params = {"kind": kind.value, "entity_id": entity_id}
        return self._open(_driver(s).execute(_OPS_FOR_SQL, params).fetchall())

    def own_ops(self, s: Tx, device_id: str, after_seq: int, limit: int) -> list[Op]:
        params = {"device_id": device_id, "after": after_seq, "limit": limit}
        return self._open(_db(s).execute(_OWN_OPS, params))

    def count_own(self, s: Tx, device_id: str, after_seq: int) -> int:
        count = _db(s).execute(_COUNT_OWN, {"device_id": device_id, "after": after_seq})
        return int(count.scalar_one())

    def max_seen_hlc(self, s: Tx, device_id: str, acked_seq: int, at_most: str) -> str:
        """Latest stamp in the log outside this device's outbox, ignoring untrusted ones."""
        outbox = (_OP_LOG.c.device_id == device_id) & (_OP_LOG.c.seq > acked_seq)
        query = select(func.max(_OP_LOG.c.hlc)).where(~outbox, _OP_LOG.c.hlc <= at_most)
        found = _db(s).execute(query).scalar()
        return str(found or "")

    def _open(self, rows: Any) -> list[Op]:
        return [self.codec.open_op(device_id, seq, blob) for device_id, seq, blob in rows]


# Meta -------------------------------------------------------------------------------------
def get_meta(s: Tx) -> dict[str, str]:
    """Every meta value (read at the start of every write: on the driver's cursor)."""
    return dict(_driver(s).execute(_GET_META_SQL).fetchall())


def set_meta(s: Tx, **values: object) -> None:
    rows = [{"key": key, "value": str(value)} for key, value in values.items()]
    if rows:
        _driver(s).executemany(_SET_META_SQL, rows)


def delete_meta(s: Tx, key: str) -> None:
    _db(s).execute(delete(_META).where(_META.c.key == key))


def _db(s: Tx) -> Connection:
    """The transaction's connection, for plain Core statements (no ORM bookkeeping per row)."""
    return s if isinstance(s, Connection) else s.connection()


def _driver(s: Tx) -> sqlite3.Cursor:
    """A cursor on the transaction's own sqlite3 connection (one per session or connection:
    reaching the driver through SQLAlchemy costs more than a small statement)."""
    cursor = s.info.get(_CURSOR)
    if cursor is None:
        driver = _db(s).connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        cursor = s.info[_CURSOR] = driver.cursor()
    assert isinstance(cursor, sqlite3.Cursor)
    return cursor


_CURSOR = "mobile_app.store.cursor"
