"""Snapshot: every merged entity state, paged, for a device that cannot resume from the log
(new after a compaction, or told ``resync_required``); and one entity's whole state, for a
device that let a closed incident go and pulled a change to it since (it was reopened).

Take the cursor of the first page, load every page, then pull from that cursor: changes the
pages already contain are applied again as no-ops, so nothing is missed or doubled.
"""

from __future__ import annotations

import json

from shared.merge.replica import EntityState
from shared.protocol import Entity, ErrorCode
from sync_server.context import Context
from sync_server.errors import Refused
from sync_server.messages import EntitySnapshot, SnapshotPage
from sync_server.store import changelog, entities


def _parse_after(after: str | None) -> tuple[str, str] | None:
    if after is None or after == "":
        return None
    entity, sep, entity_id = after.partition("/")
    if not sep or not entity or not entity_id:
        raise Refused(ErrorCode.INVALID, "after must be '<entity>/<entity_id>' from next_after")
    return entity, entity_id


def snapshot(ctx: Context, after: str | None, limit: int) -> SnapshotPage:
    position = _parse_after(after)
    with ctx.db.read() as session:
        cursor = changelog.head(session)
        rows = entities.page(session, position, limit + 1)
        states = [
            _snapshot_of(row.entity, row.entity_id, entities.decode(ctx.sealer, row))
            for row in rows[:limit]
        ]
    last = states[-1] if states and len(rows) > limit else None
    return SnapshotPage(
        cursor=cursor,
        entities=states,
        next_after=f"{last.entity}/{last.entity_id}" if last else None,
    )


def one_entity(ctx: Context, entity: str, entity_id: str) -> EntitySnapshot:
    try:
        kind = Entity(entity)
    except ValueError:
        raise Refused(ErrorCode.INVALID, "entity must be 'incident' or 'unit'") from None
    with ctx.db.read() as session:
        state = entities.load(session, ctx.sealer, kind, entity_id)
    if state is None:
        raise Refused(ErrorCode.NOT_FOUND, f"no {kind.value} {entity_id!r} here")
    return _snapshot_of(kind.value, entity_id, state)


def _snapshot_of(entity: str, entity_id: str, state: EntityState) -> EntitySnapshot:
    return EntitySnapshot(
        entity=entity, entity_id=entity_id, state=json.loads(state.model_dump_json())
    )
