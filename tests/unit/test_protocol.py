"""Every protocol message survives the wire unchanged; bad input is refused with a reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from pydantic import BaseModel, ValidationError

from shared.protocol import (
    IncidentCreate,
    IncidentFields,
    IncidentStatusChange,
    IncidentUpdate,
    Op,
    PullPage,
    PushRequest,
    PushResult,
    SyncRequest,
    SyncResponse,
    UnitStatusChange,
    UnitUpsert,
)
from tests import strategies as s


def _round_trip(message: BaseModel) -> None:
    again = type(message).model_validate_json(message.model_dump_json())
    assert again == message
    assert type(message).model_validate(message.model_dump(mode="json")) == message


@given(s.ops())
def test_op_round_trips(op: Op):
    _round_trip(op)


@given(s.push_requests())
def test_push_request_round_trips(req: PushRequest):
    _round_trip(req)


@given(s.push_requests(SyncRequest))
def test_sync_request_round_trips(req: SyncRequest):
    _round_trip(req)


@given(s.pages)
def test_pull_page_round_trips(page: PullPage):
    _round_trip(page)


@given(s.results)
def test_push_result_round_trips(result: PushResult):
    _round_trip(result)


@given(s.sync_responses)
def test_sync_response_round_trips(resp: SyncResponse):
    _round_trip(resp)


GOOD_OP = {
    "device_id": "tab-7",
    "seq": 1,
    "hlc": "001700000000000-000000",
    "user_id": "alice",
    "entity_id": "inc-1",
    "ctx": {},
    "body": {"kind": "note.add", "note_id": "n1", "text": "hello"},
}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"extra": 1}, "Extra inputs are not permitted"),
        ({"seq": 0}, "greater than or equal to 1"),
        ({"hlc": "yesterday"}, "String should match pattern"),
        ({"body": {"kind": "note.add", "note_id": "n1", "text": "x", "bogus": 1}}, "Extra"),
        ({"body": {"kind": "teleport"}}, "does not match any of the expected tags"),
        ({"body": {"kind": "note.add", "note_id": "n1", "text": ""}}, "at least 1 character"),
    ],
)
def test_malformed_ops_are_refused_with_a_reason(change, reason):
    with pytest.raises(ValidationError, match=reason):
        Op.model_validate({**GOOD_OP, **change})


def test_codes_must_come_from_the_apco_registries():
    with pytest.raises(ValidationError, match=r"not a known APCO 2\.103\.2 incident type"):
        IncidentFields(incident_type="STRUCTFIRE")
    with pytest.raises(ValidationError, match=r"not a known APCO 1\.111\.2 disposition"):
        IncidentStatusChange(status="Closed", disposition="ZZ")


def test_closing_needs_a_disposition():
    with pytest.raises(ValidationError, match="needs a disposition"):
        IncidentStatusChange(status="Closed")


def test_a_unit_dispatched_must_say_where():
    with pytest.raises(ValidationError, match="needs the incident"):
        UnitStatusChange(status="Dispatched")


def test_an_empty_update_is_refused():
    with pytest.raises(ValidationError, match="at least one field"):
        IncidentUpdate(fields={})


def test_a_push_batch_must_be_one_devices_ops_in_order():
    op1 = Op.model_validate(GOOD_OP)
    op2 = Op.model_validate({**GOOD_OP, "seq": 2})
    with pytest.raises(ValidationError, match="increasing seq order"):
        PushRequest(device_id="tab-7", ops=[op2, op1])
    with pytest.raises(ValidationError, match="not from device"):
        PushRequest(device_id="tab-8", ops=[op1])


@given(s.ops())
def test_an_op_means_the_same_change_after_the_wire(op: Op):
    """Unset fields must stay unset: an explicit None would erase that field everywhere."""
    again = Op.model_validate_json(op.model_dump_json())
    body, back = op.body, again.body
    if isinstance(body, IncidentCreate | IncidentUpdate):
        assert isinstance(back, IncidentCreate | IncidentUpdate)
        assert back.fields.changes() == body.fields.changes()
    if isinstance(body, UnitUpsert):
        assert isinstance(back, UnitUpsert)
        assert back.model_fields_set - {"kind"} == body.model_fields_set - {"kind"}
