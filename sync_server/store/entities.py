"""Merged entity state (sealed) and the conflict index derived from it.

The state is exactly ``shared.merge``'s IncidentState / UnitState, so the server merges with
the devices' code.  A unit's current status and since-time are also kept in clear columns,
because the on-scene timer must find long stints without decrypting every unit.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from shared.lifecycle import UnitStatus
from shared.merge import IncidentState, UnitState
from shared.merge.incidents import incident_headline
from shared.merge.replica import EntityState
from shared.merge.units import unit_headline
from shared.protocol import Entity
from sync_server.store.crypto import Sealer
from sync_server.store.tables import ConflictRow, EntityRow

TABLE = "da_entity"


def _row_key(entity: Entity, entity_id: str) -> str:
    return f"{entity.value}/{entity_id}"


def entity_of(state: EntityState) -> Entity:
    return Entity.UNIT if isinstance(state, UnitState) else Entity.INCIDENT


def decode(sealer: Sealer, row: EntityRow) -> EntityState:
    entity = Entity(row.entity)
    raw = sealer.open(TABLE, _row_key(entity, row.entity_id), row.state)
    if entity is Entity.UNIT:
        return UnitState.model_validate_json(raw)
    return IncidentState.model_validate_json(raw)


def load(session: Session, sealer: Sealer, entity: Entity, entity_id: str) -> EntityState | None:
    row = session.get(EntityRow, (entity.value, entity_id))
    return None if row is None else decode(sealer, row)


def exists(state: EntityState | None) -> bool:
    """Whether the entity has been created (an incident needs its create op, a unit an upsert)."""
    if state is None:
        return False
    if isinstance(state, IncidentState):
        return state.created is not None
    return bool(state.applied)


def save(session: Session, sealer: Sealer, state: EntityState, *, seq: int) -> None:
    """Store ``state`` as of change ``seq`` and refresh its conflicts in the index."""
    entity = entity_of(state)
    sealed = sealer.seal(TABLE, _row_key(entity, state.id), state.model_dump_json().encode())
    row = session.get(EntityRow, (entity.value, state.id))
    if row is None:
        row = EntityRow(entity=entity.value, entity_id=state.id, state=sealed)
    row.state = sealed
    row.updated_seq = seq
    if isinstance(state, UnitState):
        unit = unit_headline(state)
        row.status = unit.status.value
        row.status_since_ms = unit.status_since_ms
        row.incident_id = unit.incident_id
    else:
        row.status = incident_headline(state).status.value
    session.add(row)
    for record in state.conflict_records():
        conflict = session.get(ConflictRow, record.conflict_id)
        if conflict is None:
            conflict = ConflictRow(
                conflict_id=record.conflict_id,
                entity=entity.value,
                entity_id=state.id,
                kind=record.kind.value,
            )
        conflict.open = record.open
        conflict.updated_seq = seq
        session.add(conflict)


def conflict(session: Session, conflict_id: str) -> ConflictRow | None:
    return session.get(ConflictRow, conflict_id)


def conflicts(session: Session, *, include_resolved: bool = False) -> Sequence[ConflictRow]:
    query = select(ConflictRow)
    if not include_resolved:
        query = query.where(col(ConflictRow.open).is_(True))
    return session.exec(query.order_by(col(ConflictRow.conflict_id))).all()


def units_on_scene_since(session: Session, before_ms: int) -> Sequence[EntityRow]:
    """Units whose current status is OnScene and began at or before ``before_ms``."""
    return session.exec(
        select(EntityRow)
        .where(col(EntityRow.entity) == Entity.UNIT.value)
        .where(col(EntityRow.status) == UnitStatus.ONSCENE.value)
        .where(col(EntityRow.status_since_ms) <= before_ms)
    ).all()


def page(session: Session, after: tuple[str, str] | None, limit: int) -> Sequence[EntityRow]:
    """Entity rows in (entity, id) order after ``after``: the snapshot's pages."""
    query = select(EntityRow)
    if after is not None:
        entity, entity_id = after
        query = query.where(
            (col(EntityRow.entity) > entity)
            | ((col(EntityRow.entity) == entity) & (col(EntityRow.entity_id) > entity_id))
        )
    return session.exec(
        query.order_by(col(EntityRow.entity), col(EntityRow.entity_id)).limit(limit)
    ).all()
