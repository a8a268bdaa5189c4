"""A stored entity state reads back as the same state: same view, same conflicts, same merges.

Devices and the server keep each incident's and unit's merge state as JSON, load it, merge the
next chunk of ops into it and store it again; a device that must resync receives the server's
states as parsed JSON.  Whatever point a state was stored at, carrying on from the stored copy
must give exactly what carrying on in memory gives.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.commands import context_of
from shared.merge import IncidentState, Replica, UnitState
from tests.simulation import ACTIONS, World

steps = st.lists(
    st.tuples(st.integers(0, 5), st.sampled_from(ACTIONS), st.integers(0, 8), st.integers(0, 50)),
    min_size=1,
    max_size=120,
)


def _stored(replica: Replica) -> Replica:
    """Every state through the device store's path: JSON text out, JSON text in."""
    return Replica(
        incidents={
            i: IncidentState.model_validate_json(s.model_dump_json())
            for i, s in replica.incidents.items()
        },
        units={
            u: UnitState.model_validate_json(s.model_dump_json()) for u, s in replica.units.items()
        },
    )


def _shipped(replica: Replica) -> Replica:
    """Every state through a resync snapshot: JSON text out, parsed JSON objects in."""
    return Replica(
        incidents={
            i: IncidentState.model_validate(json.loads(s.model_dump_json()))
            for i, s in replica.incidents.items()
        },
        units={
            u: UnitState.model_validate(json.loads(s.model_dump_json()))
            for u, s in replica.units.items()
        },
    )


def _everything_seen(replica: Replica) -> dict[str, object]:
    """What users see, plus the causal context the next local action would carry."""
    contexts = {
        **{f"incident/{i}": context_of(s) for i, s in replica.incidents.items()},
        **{f"unit/{u}": context_of(s) for u, s in replica.units.items()},
    }
    return {**replica.snapshot(), "contexts": contexts}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_devices=st.integers(2, 6), script=steps, data=st.data())
def test_a_state_stored_after_any_chunk_merges_on_exactly_as_in_memory(n_devices, script, data):
    world = World.create(n_devices)
    for who, action, pick, value in script:
        world.step(who % n_devices, action, pick, value)
    world.sync_all()
    arrival = data.draw(st.permutations(world.all_ops), label="arrival order")
    stored_at = data.draw(
        st.sets(st.integers(0, len(arrival))), label="stored and reloaded after op number"
    )

    in_memory, stored, shipped = Replica(), Replica(), Replica()
    for number, op in enumerate(arrival):
        if number in stored_at:
            stored, shipped = _stored(stored), _shipped(shipped)
            assert _everything_seen(stored) == _everything_seen(in_memory)
            assert _everything_seen(shipped) == _everything_seen(in_memory)
        fresh = in_memory.apply(op)
        assert stored.apply(op) == fresh and shipped.apply(op) == fresh
        # A redelivered op changes nothing after a reload either.
        assert not stored.apply(op) and not shipped.apply(op)

    expected = _everything_seen(in_memory)
    assert _everything_seen(_stored(stored)) == expected
    assert _everything_seen(_shipped(shipped)) == expected
