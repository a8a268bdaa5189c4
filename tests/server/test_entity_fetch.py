"""One incident's whole state, for a tablet that let a closed call go and has since pulled a
change to it: the same merged state the server holds, for the roles that sync; an unknown id
or kind is said in words."""

from __future__ import annotations

from shared.api import ENTITY, EntitySnapshot, Role
from shared.protocol import ErrorBody
from sync_server.testing import LiveServer
from tests.server.client import Device


def test_a_tablet_fetches_one_incident_whole(server: LiveServer):
    desk, tablet = Device.new(server), Device.new(server)
    incident = desk.create_incident(address="12 Harbor Rd")
    desk.add_note(incident, "neighbour has a key")
    desk.push()

    reply = tablet.http.get(ENTITY.format(entity="incident", entity_id=incident))

    assert reply.status_code == 200, reply.text
    fetched = EntitySnapshot.model_validate_json(reply.content)
    assert (fetched.entity, fetched.entity_id) == ("incident", incident)
    assert fetched.state["id"] == incident
    assert "12 Harbor Rd" in reply.text
    desk.close()
    tablet.close()


def test_an_unknown_incident_or_kind_is_said_in_words(server: LiveServer):
    tablet = Device.new(server)
    unknown = tablet.http.get(ENTITY.format(entity="incident", entity_id="inc-nowhere"))
    assert unknown.status_code == 404
    assert ErrorBody.model_validate_json(unknown.content).detail == (
        "no incident 'inc-nowhere' here"
    )
    wrong = tablet.http.get(ENTITY.format(entity="vehicle", entity_id="x"))
    assert wrong.status_code == 422
    assert "'incident' or 'unit'" in wrong.text
    tablet.close()


def test_an_administrator_sees_no_incident_this_way_either(server: LiveServer):
    desk, admin = Device.new(server), Device.new(server, Role.ADMIN)
    incident = desk.create_incident()
    desk.push()
    refused = admin.http.get(ENTITY.format(entity="incident", entity_id=incident))
    assert refused.status_code == 403
    desk.close()
    admin.close()
