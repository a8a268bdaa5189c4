"""Snapshot: every merged entity state, paged, for a device that cannot resume from the log
(new after a compaction, or told ``resync_required``); and one entity's whole state, for a
device that let a closed incident go and pulled a change to it since (it was reopened).

Take the cursor of the first page, load every page, then pull from that cursor: changes the
pages already contain are applied again as no-ops, so nothing is missed or doubled.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

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


SNAPSHOT_PAGE_BYTES = 512 * 1024
"""A snapshot page also stops once its states come to this much JSON (one state at least).

A device decodes a page in one call that holds the interpreter for its whole length: 500 states
of a busy day's units came to 13 MB and half a second, during which a dispatcher's tap on that
tablet waited.  Pages of this size decode in about 20 ms on the development VM; a 100k-change
history then takes about 80 requests instead of 12, small beside its transfer."""


def snapshot(ctx: Context, after: str | None, limit: int) -> SnapshotPage:
    position = _parse_after(after)
    with ctx.db.read() as session:
        cursor = changelog.head(session)
        rows = entities.page(session, position, limit + 1)
        # Decoded one by one as the page fills: most of a page of busy units does not fit.
        states = page_of(
            (row.entity, row.entity_id, entities.decode(ctx.sealer, row)) for row in rows[:limit]
        )
    last = states[-1] if states and len(rows) > len(states) else None
    return SnapshotPage(
        cursor=cursor,
        entities=states,
        next_after=after_of(last) if last else None,
    )


def after_of(last: EntitySnapshot) -> str:
    """The ``next_after`` of a page ending at ``last`` (what ``_parse_after`` reads back)."""
    return f"{last.entity}/{last.entity_id}"


def page_of(
    candidates: Iterable[tuple[str, str, EntityState]], max_bytes: int = SNAPSHOT_PAGE_BYTES
) -> list[EntitySnapshot]:
    """The first of ``candidates`` (entity, id, state) that fit in one page: up to
    ``max_bytes`` of state JSON, and always the first, however large it is."""
    page: list[EntitySnapshot] = []
    size = 0
    for entity, entity_id, state in candidates:
        text = state.model_dump_json()
        size += len(text)
        if page and size > max_bytes:
            break
        page.append(_snapshot_of(entity, entity_id, text))
    return page


def one_entity(ctx: Context, entity: str, entity_id: str) -> EntitySnapshot:
    try:
        kind = Entity(entity)
    except ValueError:
        raise Refused(ErrorCode.INVALID, "entity must be 'incident' or 'unit'") from None
    with ctx.db.read() as session:
        state = entities.load(session, ctx.sealer, kind, entity_id)
    if state is None:
        raise Refused(ErrorCode.NOT_FOUND, f"no {kind.value} {entity_id!r} here")
    return _snapshot_of(kind.value, entity_id, state.model_dump_json())


def _snapshot_of(entity: str, entity_id: str, state_json: str) -> EntitySnapshot:
    return EntitySnapshot(entity=entity, entity_id=entity_id, state=json.loads(state_json))
