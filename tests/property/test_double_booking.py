"""A unit is double-booked exactly when two dispatchers, each unaware of the other's dispatch,
sent it to different calls: checked pair by pair against the definition, for any history of
who had heard of what and any delivery order.  (The rules only look at the dispatches an
author had not seen, to stay fast on a unit's long day; this is what keeps that honest.)"""

from __future__ import annotations

from itertools import combinations
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain import ConflictKind
from shared.hlc import Hlc
from shared.lifecycle import UnitStatus
from shared.merge import Replica
from shared.protocol import Op, UnitStatusChange

DEVICES = ("dev-a", "dev-b", "dev-c", "dev-d")
CALLS = ("inc-1", "inc-2", "inc-3")

#: (device, "dispatch", call) or (device, "hear", other device, how many of its dispatches)
steps = st.lists(
    st.one_of(
        st.tuples(st.sampled_from(DEVICES), st.just("dispatch"), st.sampled_from(CALLS)),
        st.tuples(
            st.sampled_from(DEVICES), st.just("hear"), st.sampled_from(DEVICES), st.integers(0, 8)
        ),
    ),
    max_size=60,
)


def _history(script: list[tuple[Any, ...]]) -> list[Op]:
    """Dispatches of one unit, each carrying what its device had heard of the others'."""
    written: dict[str, list[Op]] = {d: [] for d in DEVICES}
    heard: dict[str, dict[str, int]] = {d: {} for d in DEVICES}
    ops = []
    for n, (device, action, *args) in enumerate(script):
        if action == "hear":
            other, upto = args
            if other != device:
                upto = min(upto, len(written[other]))
                heard[device][other] = max(heard[device].get(other, 0), upto)
            continue
        seq = len(written[device]) + 1
        op = Op(
            device_id=device,
            seq=seq,
            hlc=Hlc(1_700_000_000_000 + n, 0).encode(),
            user_id=f"user-{device}",
            entity_id="unit-E1",
            ctx={d: s for d, s in heard[device].items() if s},
            body=UnitStatusChange(status=UnitStatus.DISPATCHED, incident_id=args[0]),
        )
        written[device].append(op)
        ops.append(op)
    return ops


def _knew(a: Op, b: Op) -> bool:
    if a.device_id == b.device_id:
        return b.seq < a.seq
    return a.ctx.get(b.device_id, 0) >= b.seq


@settings(max_examples=300, deadline=None)
@given(script=steps, data=st.data())
def test_double_bookings_are_exactly_the_unaware_pairs(script, data):
    ops = _history(script)
    expected = {
        frozenset((a.op_id, b.op_id))
        for a, b in combinations(ops, 2)
        if a.body.incident_id != b.body.incident_id  # type: ignore[union-attr]
        and not _knew(a, b)
        and not _knew(b, a)
    }
    replica = Replica()
    for op in data.draw(st.permutations(ops), label="delivery order"):
        replica.apply(op)
    raised = {
        frozenset(side.by.op_id for side in conflict.sides)
        for conflict in replica.conflicts()
        if conflict.kind is ConflictKind.UNIT_DOUBLE_BOOKED
    }
    assert raised == expected
