"""Conflict records kept inside entity state, open until a resolution has seen every side.

Resolutions are stored beside conflicts, not inside them, because a replica may receive a
supervisor's resolution before the ops whose clash it resolves.  Sides and resolutions name
their ops by id; who knew what is looked up in the state's ``OpTable``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shared.domain import ConflictKind, ConflictRecord, ConflictSide, StatusEvent
from shared.merge.causality import OpTable


@dataclass(slots=True)
class Side:
    by: str
    summary: str
    value: Any = None


@dataclass(slots=True)
class Resolution:
    by: str
    action: str
    comment: str = ""


@dataclass(slots=True)
class Conflict:
    conflict_id: str
    kind: ConflictKind
    sides: dict[str, Side] = field(default_factory=dict)


Resolutions = dict[str, dict[str, Resolution]]
"""conflict id -> resolving op id -> resolution."""


def raise_conflict(
    conflicts: dict[str, Conflict], conflict_id: str, kind: ConflictKind, *sides: Side
) -> None:
    conflict = conflicts.setdefault(conflict_id, Conflict(conflict_id=conflict_id, kind=kind))
    for side in sides:
        conflict.sides.setdefault(side.by, side)


def is_open(ops: OpTable, conflict: Conflict, resolutions: Resolutions) -> bool:
    """Open while some side is unseen by every resolution, so a late edit re-opens it."""
    resolved_by = resolutions.get(conflict.conflict_id, {}).values()
    return any(
        not any(ops.knows(r.by, side.by) for r in resolved_by) for side in conflict.sides.values()
    )


def open_ids(
    ops: OpTable, conflicts: dict[str, Conflict], resolutions: Resolutions
) -> tuple[str, ...]:
    return tuple(
        sorted(c for c, conflict in conflicts.items() if is_open(ops, conflict, resolutions))
    )


def records(
    ops: OpTable,
    conflicts: dict[str, Conflict],
    resolutions: Resolutions,
    entity: str,
    entity_id: str,
) -> list[ConflictRecord]:
    out = []
    for conflict_id in sorted(conflicts):
        conflict = conflicts[conflict_id]
        sides = sorted(conflict.sides.values(), key=lambda s: ops.stamp(s.by))
        done = sorted(resolutions.get(conflict_id, {}).values(), key=lambda r: ops.stamp(r.by))
        out.append(
            ConflictRecord(
                conflict_id=conflict_id,
                kind=conflict.kind,
                entity=entity,
                entity_id=entity_id,
                sides=tuple(
                    ConflictSide(by=ops.author(s.by), summary=s.summary, value=s.value)
                    for s in sides
                ),
                open=is_open(ops, conflict, resolutions),
                resolutions=tuple(
                    StatusEvent(status=r.action, event_ms=ops[r.by].wall_ms, by=ops.author(r.by))
                    for r in done
                ),
            )
        )
    return out
