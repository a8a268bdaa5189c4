"""Any replicas that saw the same operations show the same thing, and nothing is lost."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from shared.protocol import IncidentCreate, IncidentUpdate, NoteAdd, UnitResolve, UnitStatusChange
from tests.simulation import ACTIONS, World, replay

steps = st.lists(
    st.tuples(st.integers(0, 5), st.sampled_from(ACTIONS), st.integers(0, 8), st.integers(0, 50)),
    min_size=1,
    max_size=120,
)


def _run(n_devices: int, script: list[tuple[int, str, int, int]]) -> World:
    world = World.create(n_devices)
    for who, action, pick, value in script:
        world.step(who % n_devices, action, pick, value)
    world.sync_all()
    return world


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_devices=st.integers(2, 6), script=steps, data=st.data())
def test_every_replica_converges_whatever_the_delivery_order(n_devices, script, data):
    world = _run(n_devices, script)
    expected = replay(world.all_ops).snapshot()

    for device in world.devices:
        assert device.replica.snapshot() == expected

    shuffled = data.draw(st.permutations(world.all_ops), label="delivery order")
    dupes = (
        data.draw(st.lists(st.sampled_from(world.all_ops), max_size=20)) if world.all_ops else []
    )
    assert replay([*dupes, *shuffled, *dupes]).snapshot() == expected


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_devices=st.integers(2, 6), script=steps)
def test_no_note_status_event_or_losing_value_is_lost(n_devices, script):
    world = _run(n_devices, script)
    replica = replay(world.all_ops)

    for op in world.all_ops:
        body = op.body
        if isinstance(body, NoteAdd):
            notes = replica.incident(op.entity_id).notes
            assert body.text in {n.text for n in notes}
        elif isinstance(body, IncidentCreate) and body.narrative:
            assert body.narrative in {n.text for n in replica.incident(op.entity_id).notes}
        if isinstance(body, IncidentCreate | IncidentUpdate):
            history = replica.incident(op.entity_id).field_history
            for field, value in body.fields.changes().items():
                assert any(
                    h.field == field and h.value == value and h.by.op_id == op.op_id
                    for h in history
                ), f"{field}={value} from {op.op_id} vanished"
        if isinstance(body, UnitStatusChange | UnitResolve):
            events = replica.unit(op.entity_id).events
            assert op.op_id in {e.by.op_id for e in events}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_devices=st.integers(2, 6), script=steps, data=st.data())
def test_the_same_conflicts_are_raised_on_every_replica(n_devices, script, data):
    world = _run(n_devices, script)
    expected = replay(world.all_ops).conflicts()
    target(float(len(expected)), label="conflicts raised")
    shuffled = data.draw(st.permutations(world.all_ops))
    assert replay(shuffled).conflicts() == expected
    for device in world.devices:
        assert device.replica.conflicts() == expected


def test_the_simulation_reaches_every_kind_of_conflict():
    """Guards the properties above against passing vacuously."""
    import random

    from shared.domain import ConflictKind

    seen: set[ConflictKind] = set()
    for seed in range(200):
        rng = random.Random(seed)
        n = rng.randint(2, 6)
        world = World.create(n)
        for _ in range(80):
            world.step(rng.randrange(n), rng.choice(ACTIONS), rng.randrange(9), rng.randrange(51))
        world.sync_all()
        seen |= {c.kind for c in replay(world.all_ops).conflicts()}
    assert seen == set(ConflictKind)
