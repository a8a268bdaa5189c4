"""A tablet that lets closed calls go (at any moment, however the pulls are cut) still shows
every call it keeps exactly as the server does, a call reopened after it left comes back
exactly as the server has it, and a call is only ever missing because it left closed."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mobile_app.store import KdfParams, LocalStore
from shared.lifecycle import IncidentStatus
from shared.merge import IncidentState, Replica
from tests.device.conftest import PIN, as_changes
from tests.simulation import ACTIONS, World

FAR_FUTURE_MS = 4_000_000_000_000  # a retention of no time at all: every closed call may go
step = st.tuples(st.integers(0, 5), st.sampled_from(ACTIONS), st.integers(0, 8), st.integers(0, 50))
_DONE = {IncidentStatus.CLOSED, IncidentStatus.CANCELLED}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n_devices=st.integers(2, 4),
    script=st.lists(step, min_size=20, max_size=160),
    cuts=st.lists(st.integers(0, 400), max_size=8),
)
def test_a_tablet_letting_closed_calls_go_shows_every_call_it_keeps_as_the_server_does(
    n_devices, script, cuts
):
    world = World.create(n_devices)
    for who, action, pick, value in script:
        world.step(who % n_devices, action, pick, value)
    ops = world.all_ops  # each desk's ops in its own order, as the server's log has them
    server = Replica()
    with tempfile.TemporaryDirectory() as scratch:
        tablet = LocalStore.create(
            Path(scratch) / "t.db", PIN, "tablet", "tim", kdf=KdfParams.fast()
        )
        start = 0
        for end in [*sorted({c % (len(ops) + 1) for c in cuts}), len(ops)]:
            if end > start:
                for op in ops[start:end]:
                    server.apply(op)
                tablet.apply_pulled(as_changes(ops[start:end], first_seq=start + 1), cursor=end)
                for key in tablet.refetch_needed():
                    whole = server.incidents[key[1]]
                    tablet.adopt_refetched(
                        key, IncidentState.model_validate_json(whole.model_dump_json())
                    )
                start = end
            tablet.purge_closed(older_than_ms=FAR_FUTURE_MS)
        mine, theirs = tablet.snapshot()["incidents"], server.snapshot()["incidents"]
        tablet.lock()
    assert isinstance(mine, dict) and isinstance(theirs, dict)
    for incident_id, view in mine.items():
        assert view == theirs[incident_id]
    for incident_id in theirs.keys() - mine.keys():
        assert theirs[incident_id].status in _DONE, "only a closed call ever leaves"
        assert not theirs[incident_id].open_conflicts
