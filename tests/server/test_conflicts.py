"""The supervisor's conflict inbox: two offline decisions that cannot both stand are listed
with both sides, and the supervisor's decision travels to every tablet like any other change."""

from __future__ import annotations

from urllib.parse import quote

from shared.api import AUDIT, CONFLICT, CONFLICTS, RESOLVE, Role
from shared.domain import ConflictKind, ConflictRecord
from shared.protocol import ErrorBody, ErrorCode, PushResult
from sync_server.testing import LiveServer
from tests.server.client import Device


def _path(template: str, conflict_id: str) -> str:
    return template.format(conflict_id=quote(conflict_id, safe=""))


def _double_booking(server: LiveServer) -> tuple[Device, Device, str, str, str]:
    """Alice and Bob, both offline, send the same engine to two different fires."""
    alice, bob = Device.new(server), Device.new(server)
    fire_a = alice.create_incident(address="1 Alpha St")
    fire_b = alice.create_incident(address="2 Bravo St")
    engine = alice.create_unit("E1")
    alice.push()
    bob.pull_all()
    alice.dispatch(engine, fire_a)
    bob.dispatch(engine, fire_b)
    alice.push()
    bob.push()
    return alice, bob, engine, fire_a, fire_b


def _inbox(supervisor: Device, **params: str) -> list[ConflictRecord]:
    response = supervisor.http.get(CONFLICTS, params=params)
    assert response.status_code == 200, response.text
    return [ConflictRecord.model_validate(c) for c in response.json()]


def test_a_unit_sent_to_two_fires_shows_both_sides_and_the_decision_syncs(server: LiveServer):
    alice, bob, engine, fire_a, fire_b = _double_booking(server)
    supervisor = Device.new(server, Role.SUPERVISOR)

    listed = [c for c in _inbox(supervisor) if c.entity_id == engine]
    assert len(listed) == 1 and listed[0].kind is ConflictKind.UNIT_DOUBLE_BOOKED
    conflict_id = listed[0].conflict_id
    inspected = ConflictRecord.model_validate(
        supervisor.http.get(_path(CONFLICT, conflict_id)).json()
    )
    assert {side.value for side in inspected.sides} == {fire_a, fire_b}
    assert {side.by.user_id for side in inspected.sides} == {alice.user_id, bob.user_id}

    decision = {"keep_incident_id": fire_b, "comment": "E1 is closer to Bravo"}
    resolved = supervisor.http.post(_path(RESOLVE, conflict_id), json=decision)
    result = PushResult.model_validate_json(resolved.content)
    assert resolved.status_code == 200 and result.applied == 1
    assert result.device_id == f"server-{server.settings.server_id}"

    resolution = [c.op for c in alice.pull_all() if c.op.body.kind == "unit.resolve"]
    assert [(op.device_id, op.user_id) for op in resolution] == [
        (result.device_id, supervisor.user_id)
    ]
    unit = alice.replica.unit(engine)
    assert unit.incident_id == fire_b and not unit.open_conflicts
    assert all(c.conflict_id != conflict_id for c in _inbox(supervisor))
    closed = [
        c for c in _inbox(supervisor, include_resolved="true") if c.conflict_id == conflict_id
    ]
    assert (
        closed and not closed[0].open and closed[0].resolutions[0].by.user_id == supervisor.user_id
    )


def test_a_priority_raised_and_lowered_at_once_is_settled_by_the_supervisor(server: LiveServer):
    alice, bob = Device.new(server), Device.new(server)
    incident = alice.create_incident()
    alice.push()
    bob.pull_all()
    alice.act(alice.commands.change_priority(alice.replica.incidents[incident], 1))
    bob.act(bob.commands.change_priority(bob.replica.incidents[incident], 5))
    alice.push()
    bob.push()
    supervisor = Device.new(server, Role.SUPERVISOR)
    conflict = next(c for c in _inbox(supervisor) if c.entity_id == incident)
    assert conflict.kind is ConflictKind.PRIORITY_DOWNGRADE

    decision = {"action": "set_priority", "priority": 2, "comment": "working fire, no entrapment"}
    assert (
        supervisor.http.post(_path(RESOLVE, conflict.conflict_id), json=decision).status_code == 200
    )

    bob.pull_all()
    seen = bob.replica.incident(incident)
    assert seen.priority == 2 and not seen.open_conflicts


def test_a_resolution_needs_the_right_decision_for_its_kind(server: LiveServer):
    _, _, engine, _, _ = _double_booking(server)
    supervisor = Device.new(server, Role.SUPERVISOR)
    conflict = next(c for c in _inbox(supervisor) if c.entity_id == engine)
    wrong = supervisor.http.post(_path(RESOLVE, conflict.conflict_id), json={"action": "keep"})
    stranger = supervisor.http.post(
        _path(RESOLVE, conflict.conflict_id), json={"keep_incident_id": "inc-unrelated"}
    )
    missing = supervisor.http.post(_path(RESOLVE, "no-such-conflict"), json={"action": "keep"})
    assert (
        wrong.status_code == 422
        and "keep_incident_id" in ErrorBody.model_validate_json(wrong.content).detail
    )
    assert stranger.status_code == 422
    assert missing.status_code == 404
    assert ErrorBody.model_validate_json(missing.content).error is ErrorCode.NOT_FOUND
    assert any(c.conflict_id == conflict.conflict_id for c in _inbox(supervisor))


def test_only_supervisors_resolve_even_from_their_own_tablet(server: LiveServer):
    """A dispatcher's resolution is logged as refused, not merged, and the note she wrote after
    it is still accepted: her tablet is not stuck behind it.  Asked directly, the API says no."""
    alice, _, engine, fire_a, _ = _double_booking(server)
    alice.pull_all()
    conflict_id = alice.replica.unit(engine).open_conflicts[0]
    resolution = alice.act(
        alice.commands.resolve_unit_conflict(alice.replica.units[engine], conflict_id, fire_a)
    )
    note = alice.act(alice.commands.add_note(alice.replica.incidents[fire_a], "E1 staging"))
    pushed = PushResult.model_validate_json(alice.post_push([resolution, note]).content)
    via_api = alice.http.post(_path(RESOLVE, conflict_id), json={"keep_incident_id": fire_a})

    assert (pushed.last_seq, pushed.applied, pushed.refused) == (note.seq, 1, 1)
    assert via_api.status_code == 403
    observer = Device.new(server)
    logged = {c.op.op_id: c.refused for c in observer.pull_all()}
    assert "not a supervisor" in (logged[resolution.op_id] or "")
    assert logged[note.op_id] is None
    assert observer.replica.unit(engine).open_conflicts == (conflict_id,)
    assert "E1 staging" in [n.text for n in observer.replica.incident(fire_a).notes]


def test_resolutions_are_audited(server: LiveServer):
    _, _, engine, fire_a, _ = _double_booking(server)
    supervisor, admin = Device.new(server, Role.SUPERVISOR), Device.new(server, Role.ADMIN)
    conflict = next(c for c in _inbox(supervisor) if c.entity_id == engine)
    supervisor.http.post(_path(RESOLVE, conflict.conflict_id), json={"keep_incident_id": fire_a})
    entries = admin.http.get(
        AUDIT, params={"event_type": "conflict.resolve", "user_id": supervisor.user_id}
    ).json()
    assert len(entries) == 1
    assert entries[0]["outcome"] == "success" and conflict.conflict_id in entries[0]["detail"]
    assert entries[0]["device_id"] == supervisor.device_id
