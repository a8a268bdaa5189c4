"""The append-only change log: every accepted op gets the next global sequence number.

Payloads are sealed; the clear columns (device, seq, entity id, kind, HLC) are what ordering,
idempotency and compaction need.  Compaction may delete a prefix of the log that every active
device has confirmed; the highest deleted seq becomes the *horizon*, and a pull from a cursor
below it is answered with ``resync_required`` (take a snapshot) instead of silently skipping.
"""

from __future__ import annotations

from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from shared.protocol import Change, Op
from sync_server.store.crypto import SealBroken, Sealer
from sync_server.store.db import affected
from sync_server.store.tables import ChangeRow, MetaRow

TABLE = "da_change"
HORIZON_KEY = "compaction_horizon"


def append(
    session: Session, sealer: Sealer, op: Op, *, now_ms: int, refused: str | None = None
) -> int:
    """Add ``op`` to the log and return its global seq (assigned at insert); ``refused``: the
    reason it is logged without having been merged."""
    row = ChangeRow(
        device_id=op.device_id,
        device_seq=op.seq,
        entity=op.entity.value,
        entity_id=op.entity_id,
        kind=op.body.kind,
        hlc=op.hlc,
        user_id=op.user_id,
        received_ms=now_ms,
        refused=refused,
        payload=sealer.seal(TABLE, op.op_id, op.model_dump_json().encode()),
    )
    session.add(row)
    session.flush()
    assert row.seq is not None
    return row.seq


def page(session: Session, sealer: Sealer, cursor: int, limit: int) -> tuple[list[Change], bool]:
    """Changes after ``cursor`` in seq order, at most ``limit``; and whether more follow."""
    rows = session.exec(
        select(ChangeRow)
        .where(col(ChangeRow.seq) > cursor)
        .order_by(col(ChangeRow.seq))
        .limit(limit + 1)
    ).all()
    changes = []
    for row in rows[:limit]:
        assert row.seq is not None
        op_id = f"{row.device_id}:{row.device_seq}"
        try:
            op = Op.model_validate_json(sealer.open(TABLE, op_id, row.payload))
        except (SealBroken, ValidationError) as damaged:
            raise DamagedChange(row.seq, op_id, damaged) from None
        changes.append(Change(seq=row.seq, op=op, refused=row.refused))
    return changes, len(rows) > limit


class DamagedChange(Exception):
    """A change whose stored payload no longer opens or parses (a damaged disk page, a bad
    restore): the op is lost to this server's log, though its effect is in the merged state."""

    def __init__(self, seq: int, op_id: str, cause: Exception) -> None:
        why = str(cause) if isinstance(cause, SealBroken) else "does not parse"
        super().__init__(f"change {seq} (op {op_id}) cannot be read: {why}")
        self.seq = seq
        self.op_id = op_id


def horizon(session: Session) -> int:
    row = session.get(MetaRow, HORIZON_KEY)
    return int(row.value) if row is not None else 0


def head(session: Session) -> int:
    """The highest seq ever assigned that a reader can see (0 for an empty log)."""
    top = session.exec(select(func.max(ChangeRow.seq))).one()
    return max(int(top or 0), horizon(session))


def newest_received_before(session: Session, before_ms: int) -> int:
    """The highest seq received before ``before_ms`` (0 if none)."""
    top = session.exec(
        select(func.max(ChangeRow.seq)).where(col(ChangeRow.received_ms) < before_ms)
    ).one()
    return int(top or 0)


def compact(session: Session, up_to: int) -> int:
    """Delete changes with seq <= ``up_to`` and move the horizon there; returns rows removed."""
    if up_to <= horizon(session):
        return 0
    result = session.execute(delete(ChangeRow).where(col(ChangeRow.seq) <= up_to))
    meta = session.get(MetaRow, HORIZON_KEY) or MetaRow(key=HORIZON_KEY, value="0")
    meta.value = str(up_to)
    session.add(meta)
    return affected(result)


def count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(ChangeRow)).one())
