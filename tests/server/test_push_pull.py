"""Push and pull as a dispatcher's tablet experiences them, over HTTP against a real server.

Specs: what one tablet records reaches every other; a replayed or retried batch applies
nothing twice; a missing op is refused with the seq the server expects; a paused download
resumes where it stopped; responses travel gzipped.
"""

from __future__ import annotations

import gzip
import itertools
import socket

from shared.api import PULL, SYNC
from shared.hlc import system_ms
from shared.protocol import ErrorBody, ErrorCode, IncidentFields, PullPage, SyncResponse
from sync_server.testing import LiveServer
from tests.server.client import Device


def test_what_one_tablet_records_reaches_another(server: LiveServer):
    alice, bob = Device.new(server), Device.new(server)
    incident = alice.create_incident(address="1 Ferry Building")
    alice.add_note(incident, "smoke from the second floor")
    result = alice.push()
    assert (result.applied, result.duplicates, result.last_seq) == (2, 0, 2)

    bob.pull_all()
    seen = bob.replica.incident(incident)
    assert seen.location.address == "1 Ferry Building"
    assert [n.text for n in seen.notes] == ["smoke from the second floor"]
    assert seen == alice.replica.incident(incident)


def test_a_value_that_lost_a_race_stays_in_the_log_and_in_the_history(server: LiveServer):
    alice, bob, carol = Device.new(server), Device.new(server), Device.new(server)
    incident = alice.create_incident(address="10 Old Rd")
    alice.push()
    bob.pull_all()
    for device, address in ((alice, "12 Old Rd"), (bob, "21 Old Rd")):
        state = device.replica.incidents[incident]
        device.act(device.commands.update_incident(state, IncidentFields(address=address)))
        device.push()

    updates = [c.op for c in carol.pull_all() if c.op.body.kind == "incident.update"]
    assert {op.device_id for op in updates} == {alice.device_id, bob.device_id}
    history = carol.replica.incident(incident).field_history
    offered = {h.value: h.concurrent for h in history if h.field == "address"}
    assert set(offered) == {"10 Old Rd", "12 Old Rd", "21 Old Rd"}
    assert sum(offered.values()) == 1  # the value that lost the race is kept and flagged


def test_a_replayed_batch_applies_nothing_twice(server: LiveServer):
    alice, bob = Device.new(server), Device.new(server)
    incident = alice.create_incident()
    alice.add_note(incident, "caller is on the roof")
    batch = list(alice.outbox)
    first = alice.push(batch)
    again = alice.push(batch)

    assert (first.applied, first.duplicates) == (2, 0)
    assert (again.applied, again.duplicates, again.last_seq) == (0, 2, 2)
    mine = [c.op.op_id for c in bob.pull_all() if c.op.device_id == alice.device_id]
    assert mine == [op.op_id for op in batch]


def test_a_retry_after_a_lost_response_sends_only_the_new_ops_onward(server: LiveServer):
    alice, bob = Device.new(server), Device.new(server)
    incident = alice.create_incident()
    alice.post_push()  # the server applied it, but the tablet never saw the answer
    alice.add_note(incident, "second unit requested")
    retry = alice.push()  # the outbox still holds op 1 as well as op 2

    assert (retry.applied, retry.duplicates, retry.last_seq) == (1, 1, 2)
    mine = [c.op.seq for c in bob.pull_all() if c.op.device_id == alice.device_id]
    assert mine == [1, 2]


def test_a_seq_gap_is_refused_with_the_seq_the_server_expects(server: LiveServer):
    alice = Device.new(server)
    incident = alice.create_incident()
    alice.push()
    lost = alice.add_note(incident, "this op never arrives")
    later = alice.add_note(incident, "this one does")

    response = alice.post_push([later])
    error = ErrorBody.model_validate_json(response.content)
    assert response.status_code == 409
    assert error.error is ErrorCode.SEQ_GAP and error.expected_seq == lost.seq
    assert f"{lost.seq}" in error.detail

    assert alice.push([lost, later]).last_seq == later.seq


def test_a_clock_too_far_ahead_is_refused_with_the_server_time(server: LiveServer):
    fast_tablet, other = Device.new(server, skew_ms=5 * 60_000), Device.new(server)
    incident = fast_tablet.create_incident()
    response = fast_tablet.post_push()
    error = ErrorBody.model_validate_json(response.content)

    assert response.status_code == 409
    assert error.error is ErrorCode.CLOCK_AHEAD
    assert "ahead" in error.detail and error.server_time_ms is not None
    assert abs(error.server_time_ms - system_ms()) < 60_000
    assert incident not in {c.op.entity_id for c in other.pull_all()}


def test_unknown_entities_are_refused_and_nothing_of_the_batch_is_stored(server: LiveServer):
    alice, stranger, bob = Device.new(server), Device.new(server), Device.new(server)
    stranger.create_incident()  # never pushed: the server has not heard of it
    unknown = stranger.replica.incidents[next(iter(stranger.replica.incidents))]
    good = alice.create_incident()
    alice.act(alice.commands.add_note(unknown, "note on an incident nobody created"))

    response = alice.post_push()
    error = ErrorBody.model_validate_json(response.content)
    assert response.status_code == 422 and error.error is ErrorCode.UNKNOWN_ENTITY
    assert unknown.id in error.detail
    assert good not in {c.op.entity_id for c in bob.pull_all()}


def test_a_unit_cannot_be_dispatched_to_an_incident_the_server_never_saw(server: LiveServer):
    alice, stranger = Device.new(server), Device.new(server)
    unit = alice.create_unit("E32")
    alice.push()
    ghost = stranger.create_incident()
    alice.replica.incidents[ghost] = stranger.replica.incidents[ghost]
    alice.dispatch(unit, ghost)

    response = alice.post_push()
    assert response.status_code == 422
    assert ErrorBody.model_validate_json(response.content).error is ErrorCode.UNKNOWN_ENTITY


def test_a_paused_download_resumes_from_the_last_saved_cursor(server: LiveServer):
    writer, reader = Device.new(server), Device.new(server)
    reader.pull_all()
    start = reader.cursor
    incident = writer.create_incident()
    for n in range(11):
        writer.add_note(incident, f"update {n}")
    writer.push()

    first = reader.pull(limit=5)
    saved = reader.cursor  # checkpoint, then the connection drops
    assert first.has_more and len(first.changes) == 5
    resumed = Device(server, reader.user_id)
    resumed.cursor = saved
    rest = resumed.pull_all(limit=5)

    everything = Device(server, reader.user_id)
    everything.cursor = start
    assert [c.seq for c in first.changes + rest] == [c.seq for c in everything.pull_all()]
    assert all(a.seq < b.seq for a, b in itertools.pairwise(rest))


def test_one_request_pushes_and_pulls_when_a_tablet_reconnects(server: LiveServer):
    alice, bob = Device.new(server), Device.new(server)
    incident = alice.create_incident(address="9 Pier")
    alice.push()
    mine = bob.create_unit("M85")  # recorded while offline
    body = {
        "device_id": bob.device_id,
        "ops": [op.model_dump(mode="json") for op in bob.outbox],
        "cursor": 0,
        "limit": 1000,
    }
    response = bob.http.post(SYNC, json=body)
    result = SyncResponse.model_validate_json(response.content)

    assert response.status_code == 200
    assert result.push.applied == 1
    pulled = {c.op.entity_id for c in result.pull.changes}
    assert {incident, mine} <= pulled  # others' work and its own op, back in global order


def test_pull_responses_are_gzipped_on_the_wire(server: LiveServer):
    writer, reader = Device.new(server), Device.new(server)
    incident = writer.create_incident()
    for n in range(5):
        writer.add_note(incident, f"long narrative line {n} " * 10)
    writer.push()

    host, port = server.url.removeprefix("http://").split(":")
    request = (
        f"GET {PULL}?cursor=0&limit=1000 HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {reader.tokens.access_token}\r\n"
        "Accept-Encoding: gzip\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((host, int(port))) as raw:
        raw.sendall(request.encode())
        reply = b""
        while chunk := raw.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert b"content-encoding: gzip" in head.lower()
    page = PullPage.model_validate_json(gzip.decompress(_unchunk(head, body)))
    assert len(page.changes) >= 6


def _unchunk(head: bytes, body: bytes) -> bytes:
    if b"transfer-encoding: chunked" not in head.lower():
        return body
    out = b""
    while body:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return out
        out, body = out + body[:size], body[size + 2 :]
    return out


def test_a_tablet_cannot_push_for_another_device(server: LiveServer):
    alice, bob = Device.new(server), Device.new(server)
    alice.create_incident()
    body = {"device_id": bob.device_id, "ops": []}
    response = alice.http.post("/v1/push", json=body)
    assert response.status_code == 403
    assert ErrorBody.model_validate_json(response.content).error is ErrorCode.FORBIDDEN


def test_ops_may_only_name_users_who_logged_on_from_that_device(server: LiveServer):
    alice, bob = Device.new(server), Device.new(server)
    impostor = alice.commands
    impostor.user_id = bob.user_id  # alice's tablet claims bob wrote this
    alice.act(impostor.create_incident(IncidentFields(incident_type="FSTRU"), priority=3))
    response = alice.post_push()
    assert response.status_code == 403
    assert bob.user_id in ErrorBody.model_validate_json(response.content).detail
