"""Bad input gets a clear 4xx with a reason, and nothing of it is stored.

A tablet with a bug, an old app version or a hostile client must not leave half a batch on
the server: after any refusal the device's next good batch starts from the same seq.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.api import PUSH
from shared.protocol import MAX_BATCH, ErrorBody, ErrorCode
from sync_server.testing import LiveServer
from tests.server.client import Device


def _refusal(response) -> ErrorBody:
    assert 400 <= response.status_code < 500, response.text
    return ErrorBody.model_validate_json(response.content)


def _batch(device: Device) -> dict[str, Any]:
    device.create_incident(caller_name="Pat Doe")
    return {"device_id": device.device_id, "ops": [device.outbox[0].model_dump(mode="json")]}


def _nothing_stored(device: Device) -> None:
    """The server still expects this device's first op: the good batch applies from seq 1."""
    pending = len(device.outbox)
    result = device.push()
    assert (result.applied, result.duplicates, result.last_seq) == (pending, 0, pending)


def test_malformed_json_is_refused_with_the_parse_error(server: LiveServer):
    tablet = Device.new(server)
    body = json.dumps(_batch(tablet))[:-7]
    response = tablet.http.post(PUSH, content=body, headers={"Content-Type": "application/json"})
    error = _refusal(response)
    assert response.status_code == 422 and error.error is ErrorCode.INVALID
    assert "malformed JSON" in error.detail
    _nothing_stored(tablet)


@pytest.mark.parametrize(
    ("where", "change", "reason"),
    [
        ("an unknown field", lambda op: op.update(priority_override=1), "priority_override"),
        ("an unknown body field", lambda op: op["body"].update(colour="red"), "colour"),
        ("a wrong type", lambda op: op.update(seq="first"), "seq"),
        ("an unknown op kind", lambda op: op["body"].update(kind="incident.delete"), "kind"),
        ("a bad code", lambda op: op["body"]["fields"].update(incident_type="NOPE"), "NOPE"),
    ],
)
def test_an_op_with_bad_content_is_refused_naming_it(server: LiveServer, where, change, reason):
    tablet = Device.new(server)
    body = _batch(tablet)
    change(body["ops"][0])
    error = _refusal(tablet.http.post(PUSH, json=body))
    assert error.error is ErrorCode.INVALID, where
    assert reason in error.detail, error.detail
    _nothing_stored(tablet)


def test_a_batch_over_the_limit_is_refused_as_too_large(server: LiveServer):
    tablet = Device.new(server)
    incident = tablet.create_incident()
    for n in range(MAX_BATCH):
        tablet.add_note(incident, f"n{n}")
    response = tablet.post_push()
    error = _refusal(response)
    assert response.status_code == 413 and error.error is ErrorCode.BATCH_TOO_LARGE
    assert str(MAX_BATCH) in error.detail
    assert tablet.push(tablet.outbox[:MAX_BATCH]).applied == MAX_BATCH


def test_a_body_over_the_byte_limit_is_refused_before_parsing(server: LiveServer):
    tablet = Device.new(server)
    huge = b'{"device_id": "x", "ops": [' + b" " * server.settings.max_body_bytes + b"]}"
    response = tablet.http.post(PUSH, content=huge, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert _refusal(response).error is ErrorCode.BATCH_TOO_LARGE


def test_a_batch_out_of_order_is_refused(server: LiveServer):
    tablet = Device.new(server)
    incident = tablet.create_incident()
    tablet.add_note(incident, "second")
    body = {
        "device_id": tablet.device_id,
        "ops": [op.model_dump(mode="json") for op in reversed(tablet.outbox)],
    }
    error = _refusal(tablet.http.post(PUSH, json=body))
    assert error.error is ErrorCode.INVALID and "increasing seq" in error.detail
    _nothing_stored(tablet)


def test_control_characters_in_the_url_are_refused(server: LiveServer):
    tablet = Device.new(server)
    response = tablet.http.get("/v1/conflicts/a%00b")
    assert response.status_code == 422
    assert _refusal(response).error is ErrorCode.INVALID


def test_unknown_paths_answer_not_found_as_an_error_body(server: LiveServer):
    with server.client() as http:
        response = http.get("/v1/nowhere")
    assert response.status_code == 404
    assert _refusal(response).error is ErrorCode.NOT_FOUND
