"""The clear columns a device stores for its queue and unit board (the headline) always say
what the full view says, whatever the ops and their arrival order."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.merge import Replica
from shared.merge.incidents import incident_headline
from shared.merge.units import UnitState, unit_headline
from tests.simulation import ACTIONS, World

step = st.tuples(st.integers(0, 5), st.sampled_from(ACTIONS), st.integers(0, 8), st.integers(0, 50))
steps = st.lists(step, min_size=1, max_size=120)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n_devices=st.integers(2, 6), script=steps, data=st.data())
def test_the_headline_of_every_incident_and_unit_matches_its_full_view(n_devices, script, data):
    world = World.create(n_devices)
    for who, action, pick, value in script:
        world.step(who % n_devices, action, pick, value)
    world.sync_all()
    replica = Replica()
    for op in data.draw(st.permutations(world.all_ops), label="arrival order"):
        replica.apply(op)
        for state in replica.incidents.values():
            view, head = state.view(), incident_headline(state)
            assert (
                head.exists,
                head.incident_type,
                head.priority,
                head.status,
                head.received_ms,
                head.callback_number,
                head.open_conflicts,
            ) == (
                view.exists,
                view.incident_type,
                view.priority,
                view.status,
                view.received_ms,
                view.caller.callback_number,
                len(view.open_conflicts),
            )
        for unit_state in replica.units.values():
            unit, unit_head = unit_state.view(), unit_headline(unit_state)
            assert (
                unit_head.name,
                unit_head.status,
                unit_head.status_since_ms,
                unit_head.incident_id,
                unit_head.open_conflicts,
            ) == (
                unit.name,
                unit.status,
                unit.status_since_ms,
                unit.incident_id,
                len(unit.open_conflicts),
            )


long_steps = st.lists(step, min_size=30, max_size=200)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    skews=st.lists(st.sampled_from([0, 0, 5_000, -5_000, 3_600_000]), min_size=2, max_size=6),
    script=long_steps,
)
def test_a_unit_status_kept_up_op_by_op_is_the_fold_of_all_its_events(skews, script):
    """Ops applied as they were written (events mostly in time order, as from the field, with
    late entries, resolutions and devices whose clocks are off among them): the status kept
    up event by event is always what folding every event again from the start gives."""
    n_devices = len(skews)
    world = World.create(n_devices, skew_ms=skews)
    for who, action, pick, value in script:
        world.step(who % n_devices, action, pick, value)
    replica = Replica()
    for op in world.all_ops:
        replica.apply(op)
        for unit_state in replica.units.values():
            from_scratch = UnitState.model_validate_json(unit_state.model_dump_json())
            assert unit_headline(unit_state) == unit_headline(from_scratch)
