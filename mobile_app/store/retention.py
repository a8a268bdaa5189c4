"""Closed incidents leave the device after a while (caller PII and case detail kept no longer
than the work needs; the server keeps the record).

An incident goes when it has been closed (Closed or Cancelled) and unchanged for the retention
period, has no conflict left open, and every op on it has come back from the server in a pull
(nothing unsent, no echo still to come): its entity row, its snapshot base and every op the
log holds for it are deleted in one transaction.  Its id stays behind in ``purged``.  If a
change to it is pulled later (someone reopened it), the merge alone would build it from that
change only; the change is kept, the incident is marked, and the sync client fetches the
server's whole state of it and adopts it (``StoreReplication.adopt_refetched``), with the
pulled change applied on top again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, insert, select, update

from mobile_app.store.core import StoreCore
from mobile_app.store.listeners import ChangeKind, StoreChange
from mobile_app.store.repository import EntityKey, Tx
from mobile_app.store.schema import DeviceTable, EntityBaseRow, EntityRow, OpLogRow, PurgedRow
from shared.hlc import Hlc
from shared.lifecycle import IncidentStatus
from shared.protocol import Entity

_ENTITY = DeviceTable.metadata.tables[EntityRow.__tablename__]
_OP_LOG = DeviceTable.metadata.tables[OpLogRow.__tablename__]
_BASE = DeviceTable.metadata.tables[EntityBaseRow.__tablename__]
_PURGED = DeviceTable.metadata.tables[PurgedRow.__tablename__]

_DONE = (IncidentStatus.CLOSED.value, IncidentStatus.CANCELLED.value)


def _not_back_yet() -> Any:
    """Ops on the entity row at hand that have not come back in a pull (``server_seq`` is
    set when they do): this device's unsent ones, and sent ones whose echo is still to come,
    which would otherwise bring the incident back, in pieces, right after it left."""
    return exists().where(
        _OP_LOG.c.kind == _ENTITY.c.kind,
        _OP_LOG.c.entity_id == _ENTITY.c.entity_id,
        _OP_LOG.c.server_seq.is_(None),
    )


def purgeable(s: Tx, before_hlc: str) -> list[str]:
    """Ids of the incidents the retention rule lets go (see the module docstring)."""
    query = select(_ENTITY.c.entity_id).where(
        _ENTITY.c.kind == Entity.INCIDENT.value,
        _ENTITY.c.status.in_(_DONE),
        _ENTITY.c.open_conflicts == 0,
        _ENTITY.c.updated_hlc < before_hlc,
        ~_not_back_yet(),
    )
    return list(s.execute(query).scalars())


def _key_is(table: Any, kind: str, entity_id: str) -> Any:
    return and_(table.c.kind == kind, table.c.entity_id == entity_id)


def purge(s: Tx, key: EntityKey, now_ms: int) -> None:
    """Delete everything the device holds about one entity, and remember its id."""
    kind, entity_id = key[0].value, key[1]
    s.execute(delete(_OP_LOG).where(_key_is(_OP_LOG, kind, entity_id)))
    s.execute(delete(_BASE).where(_key_is(_BASE, kind, entity_id)))
    s.execute(delete(_ENTITY).where(_key_is(_ENTITY, kind, entity_id)))
    s.execute(delete(_PURGED).where(_key_is(_PURGED, kind, entity_id)))
    s.execute(insert(_PURGED).values(kind=kind, entity_id=entity_id, purged_ms=now_ms))


def purged_among(s: Tx, keys: Iterable[EntityKey]) -> set[EntityKey]:
    """Which of ``keys`` left the device under the retention rule."""
    wanted = {(kind.value, entity_id) for kind, entity_id in keys}
    if not wanted:
        return set()
    ids = sorted({entity_id for _, entity_id in wanted})
    query = select(_PURGED.c.kind, _PURGED.c.entity_id).where(_PURGED.c.entity_id.in_(ids))
    rows = s.execute(query).all()
    return {(Entity(kind), entity_id) for kind, entity_id in rows if (kind, entity_id) in wanted}


def refetch_needed(s: Tx) -> list[EntityKey]:
    rows = s.execute(select(_PURGED.c.kind, _PURGED.c.entity_id).where(_PURGED.c.refetch)).all()
    return [(Entity(kind), entity_id) for kind, entity_id in rows]


def forget_purged(s: Tx, key: EntityKey) -> None:
    s.execute(delete(_PURGED).where(_key_is(_PURGED, key[0].value, key[1])))


def mark_refetch(s: Tx, keys: Iterable[EntityKey]) -> None:
    params = [{"k": kind.value, "i": entity_id} for kind, entity_id in keys]
    if params:
        statement = (
            update(_PURGED)
            .where(_PURGED.c.kind == bindparam("k"), _PURGED.c.entity_id == bindparam("i"))
            .values(refetch=True)
        )
        s.execute(statement, params)


class StoreRetention(StoreCore):
    def purge_closed(self, *, older_than_ms: int) -> list[EntityKey]:
        """Let go of the incidents closed and unchanged since before ``older_than_ms`` (by
        their latest change's clock) that hold nothing unsent or unresolved; returns them."""
        before = Hlc(older_than_ms, 0).encode()
        with self._write(local=False) as s:
            repo = self._unlocked()
            keys = [(Entity.INCIDENT, entity_id) for entity_id in purgeable(s, before)]
            now = self._clock.physical()
            for key in keys:
                purge(s, key, now)
                repo.forget(key)
        if keys:
            self._listeners.notify(StoreChange(ChangeKind.MERGED, frozenset(keys)))
        return keys
