"""Applying accepted ops inside the caller's append transaction.

Each op is merged into its entity's stored state with ``shared.merge.apply_op`` (the devices'
own code), appended to the change log, and the touched states are written back once.  Any
refusal raised here rolls the whole batch back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlmodel import Session

from shared.merge import apply_op, new_state
from shared.merge.replica import EntityState
from shared.protocol import CREATING_KINDS, Entity, ErrorCode, Op
from sync_server.context import Context
from sync_server.errors import Refused
from sync_server.service.batch import referenced_incidents
from sync_server.store import changelog, entities


class _States:
    """Entity states loaded once per batch and written back once."""

    def __init__(self, ctx: Context, session: Session) -> None:
        self._ctx = ctx
        self._session = session
        self._cache: dict[tuple[Entity, str], EntityState | None] = {}
        self.dirty: dict[tuple[Entity, str], int] = {}

    def get(self, entity: Entity, entity_id: str) -> EntityState | None:
        key = (entity, entity_id)
        if key not in self._cache:
            self._cache[key] = entities.load(self._session, self._ctx.sealer, entity, entity_id)
        return self._cache[key]

    def put(self, entity: Entity, state: EntityState) -> None:
        self._cache[(entity, state.id)] = state

    def flush(self) -> None:
        for (entity, entity_id), seq in self.dirty.items():
            state = self._cache[(entity, entity_id)]
            assert state is not None
            entities.save(self._session, self._ctx.sealer, state, seq=seq)


def apply_ops(
    ctx: Context,
    session: Session,
    ops: Sequence[Op],
    *,
    now_ms: int,
    refused: Mapping[str, str] | None = None,
) -> int:
    """Merge and log ``ops`` (already checked for order and clock); returns the last seq.

    Ops in ``refused`` (op id -> reason) are logged as refused and merged nowhere."""
    states = _States(ctx, session)
    last = 0
    for op in ops:
        reason = refused.get(op.op_id) if refused else None
        if reason is not None:
            last = changelog.append(session, ctx.sealer, op, now_ms=now_ms, refused=reason)
            continue
        state = states.get(op.entity, op.entity_id)
        if not entities.exists(state):
            if op.body.kind not in CREATING_KINDS:
                raise Refused(
                    ErrorCode.UNKNOWN_ENTITY,
                    f"op {op.op_id} ({op.body.kind}) is about {op.entity.value} "
                    f"{op.entity_id!r}, which does not exist on the server",
                )
            state = state or new_state(op)
            states.put(op.entity, state)
        for incident_id in referenced_incidents(op):
            if not entities.exists(states.get(Entity.INCIDENT, incident_id)):
                raise Refused(
                    ErrorCode.UNKNOWN_ENTITY,
                    f"op {op.op_id} names incident {incident_id!r}, which does not exist",
                )
        assert state is not None
        apply_op(state, op)
        last = changelog.append(session, ctx.sealer, op, now_ms=now_ms)
        states.dirty[(op.entity, op.entity_id)] = last
    states.flush()
    return last
