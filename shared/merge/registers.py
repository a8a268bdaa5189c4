"""Last-writer-wins registers that keep every losing value."""

from __future__ import annotations

from shared.domain import FieldChange
from shared.merge.causality import OpTable, Write


def lww_write(
    ops: OpTable, winners: dict[str, Write], superseded: dict[str, Write], write: Write
) -> None:
    """Apply ``write`` to the field it names; whichever value loses is kept in ``superseded``.

    The winner is the greatest stamp, so the result depends only on the set of writes; the
    superseded set is "every write but the winner", also order-free.
    """
    current = winners.get(write.field)
    if current is None or ops.stamp(write.by) > ops.stamp(current.by):
        winners[write.field] = write
        if current is not None:
            superseded[_key(current)] = current
    elif write.by != current.by:
        superseded[_key(write)] = write


def history(
    ops: OpTable, winners: dict[str, Write], superseded: dict[str, Write]
) -> tuple[FieldChange, ...]:
    """Every value each field held, oldest first; flags writes that lost a concurrent race."""
    changes = []
    for write in sorted(
        [*superseded.values(), *winners.values()], key=lambda w: (w.field, ops.stamp(w.by))
    ):
        winner = winners[write.field]
        lost_race = write is not winner and ops.concurrent(winner.by, write.by)
        changes.append(
            FieldChange(
                field=write.field, value=write.value, by=ops.author(write.by), concurrent=lost_race
            )
        )
    return tuple(changes)


def _key(write: Write) -> str:
    return f"{write.by}/{write.field}"
