"""Property: however a device's outbox is cut into batches, retried, replayed or interleaved
with other devices, the server applies every op exactly once, refuses gaps without storing
anything, and ends in the same state as any replica that saw the same ops."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.api import Role
from shared.merge import Replica
from shared.protocol import Entity, ErrorCode, Op, PushRequest
from sync_server.auth.principal import Principal
from sync_server.context import Context
from sync_server.errors import Refused
from sync_server.service.pull import pull
from sync_server.service.push import push
from sync_server.settings import Settings
from sync_server.store import devices, entities, users
from sync_server.testing import TEST_SECRET, sqlite_url
from tests.simulation import ACTIONS, INCIDENTS, UNITS, World, replay

DEVICES = 3
LOCAL_ACTIONS = [a for a in ACTIONS if a not in {"push", "pull"}]
scripts = st.lists(
    st.tuples(
        st.integers(0, DEVICES - 1),
        st.sampled_from(LOCAL_ACTIONS),
        st.integers(0, 8),
        st.integers(0, 50),
    ),
    max_size=60,
)


def _world(script: list[tuple[int, str, int, int]]) -> tuple[World, int]:
    """Device 0 creates the incidents and units and everyone syncs; then all work offline.
    Returns the world and how many of device 0's ops came before the offline work."""
    world = World.create(DEVICES)
    for n, _ in enumerate(INCIDENTS):
        world.step(0, "create", n, n)
    for n, _ in enumerate(UNITS):
        world.step(0, "dispatch", n, 0)  # a unit the device has not seen is created first
    world.sync_all()
    first_sync = len(world.all_ops)
    for who, action, pick, value in script:
        world.step(who, action, pick, value)
    return world, first_sync


def _server(directory: Path, world: World) -> Context:
    ctx = Context.open(
        Settings(
            database_url=sqlite_url(directory / "server.db"),
            secret_key=TEST_SECRET,
            jobs_enabled=False,
        )
    )
    ctx.db.create_all()
    with ctx.db.write() as session:
        for device in world.devices:
            user = device.commands.user_id
            users.add(session, user, Role.SUPERVISOR, "-", now_ms=0)
            devices.add(session, device.device_id, user, device.device_id, now_ms=0)
            devices.record_logon(session, device.device_id, user, now_ms=0)
    return ctx


def _principal(op_source: World, who: int) -> Principal:
    device = op_source.devices[who]
    return Principal(device.commands.user_id, device.device_id, Role.SUPERVISOR, 2**62)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=scripts, data=st.data())
def test_every_op_is_applied_exactly_once_whatever_the_batching(script, data):
    world, first_sync = _world(script)
    outboxes = {
        n: sorted((op for op in world.all_ops if op.device_id == d.device_id), key=lambda o: o.seq)
        for n, d in enumerate(world.devices)
    }
    applied = dict.fromkeys(outboxes, 0)
    with tempfile.TemporaryDirectory() as directory:
        ctx = _server(Path(directory), world)
        try:
            # What everyone saw before going offline reached the server first.
            push(
                ctx,
                _principal(world, 0),
                PushRequest(device_id="dev0", ops=outboxes[0][:first_sync]),
            )
            applied[0] = first_sync
            while pending := [n for n, ops in outboxes.items() if applied[n] < len(ops)]:
                who = data.draw(st.sampled_from(pending), label="device")
                ops, done = outboxes[who], applied[who]
                start = done - data.draw(st.integers(0, done), label="ops sent again")
                if data.draw(st.booleans(), label="one op lost") and done + 1 < len(ops):
                    start = done + 1
                end = len(ops) - data.draw(st.integers(0, len(ops) - start - 1), label="held")
                batch = ops[start:end]
                request = PushRequest(device_id=world.devices[who].device_id, ops=batch)
                if start > done:
                    with pytest.raises(Refused) as refused:
                        push(ctx, _principal(world, who), request)
                    assert refused.value.code is ErrorCode.SEQ_GAP
                    assert refused.value.expected_seq == done + 1
                    continue
                result = push(ctx, _principal(world, who), request)
                assert result.duplicates == min(end, done) - start
                assert result.applied == max(0, end - done)
                applied[who] = max(done, end)

            changes, cursor = [], 0
            while True:
                page = pull(ctx, _principal(world, 0), cursor, 7)
                changes += page.changes
                cursor = page.cursor
                if not page.has_more:
                    break
            stored = _stored_replica(ctx, world)
        finally:
            ctx.close()

    logged = [c.op.op_id for c in changes]
    assert sorted(logged) == sorted(op.op_id for op in world.all_ops)
    assert [c.seq for c in changes] == sorted({c.seq for c in changes})
    expected = replay(world.all_ops).snapshot()
    assert replay([c.op for c in changes]).snapshot() == expected
    assert stored.snapshot() == expected


def _stored_replica(ctx: Context, world: World) -> Replica:
    """The server's own merged states, as stored (sealed) in its entity table."""
    replica = Replica()
    ids: set[tuple[Entity, str]] = {(op.entity, op.entity_id) for op in world.all_ops}
    with ctx.db.read() as session:
        for entity, entity_id in ids:
            state = entities.load(session, ctx.sealer, entity, entity_id)
            assert state is not None
            if entity is Entity.UNIT:
                replica.units[entity_id] = state  # type: ignore[assignment]
            else:
                replica.incidents[entity_id] = state  # type: ignore[assignment]
    return replica


def test_the_world_used_above_really_pushes_ops_from_every_device():
    world, _ = _world([(n % DEVICES, "note", n, n) for n in range(9)])
    assert {op.device_id for op in world.all_ops} == {d.device_id for d in world.devices}
    assert all(isinstance(op, Op) for op in world.all_ops)
