"""Pure rule for a page of a peer's log: which ops are new here, in an order this server
accepts (each device's ops in seq order, no gaps), and which it already has."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shared.protocol import Op


class OutOfOrder(ValueError):
    """A peer sent a device's op before ops of that device this server lacks."""


@dataclass(frozen=True)
class Plan:
    fresh: list[Op]
    duplicates: int
    last_seqs: dict[str, int]
    """Per device touched by ``fresh``: its applied seq once the page is in."""


def plan_page(applied: Mapping[str, int], ops: Sequence[Op]) -> Plan:
    """Split ``ops`` (in the peer's log order) given each device's applied seq here.

    An op at or below its device's applied seq is already here (pushed directly, or replicated
    earlier); the rest must continue that device's seqs one by one.
    """
    last = dict(applied)
    fresh: list[Op] = []
    for op in ops:
        expected = last.get(op.device_id, 0) + 1
        if op.seq < expected:
            continue
        if op.seq != expected:
            raise OutOfOrder(
                f"op {op.op_id} arrived but this server's next op of device {op.device_id} "
                f"is seq {expected}: the peer lacks it (compacted or lost)"
            )
        last[op.device_id] = op.seq
        fresh.append(op)
    touched = {op.device_id for op in fresh}
    return Plan(fresh, len(ops) - len(fresh), {d: last[d] for d in touched})
