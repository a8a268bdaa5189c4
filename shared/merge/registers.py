"""Last-writer-wins registers that keep every losing value."""

from __future__ import annotations

from shared.domain import FieldChange
from shared.merge.causality import Write


def lww_write(winners: dict[str, Write], superseded: dict[str, Write], write: Write) -> None:
    """Apply ``write`` to the field it names; whichever value loses is kept in ``superseded``.

    The winner is the greatest stamp, so the result depends only on the set of writes; the
    superseded set is "every write but the winner", also order-free.
    """
    current = winners.get(write.field)
    if current is None or write.by.stamp > current.by.stamp:
        winners[write.field] = write
        if current is not None:
            superseded[_key(current)] = current
    elif write.by.op != current.by.op:
        superseded[_key(write)] = write


def history(winners: dict[str, Write], superseded: dict[str, Write]) -> tuple[FieldChange, ...]:
    """Every value each field held, oldest first; flags writes that lost a concurrent race."""
    changes = []
    for write in sorted(
        [*superseded.values(), *winners.values()], key=lambda w: (w.field, w.by.stamp)
    ):
        winner = winners[write.field]
        lost_race = write is not winner and winner.by.concurrent_with(write.by)
        changes.append(
            FieldChange(
                field=write.field, value=write.value, by=write.by.author(), concurrent=lost_race
            )
        )
    return tuple(changes)


def _key(write: Write) -> str:
    return f"{write.by.op}/{write.field}"
