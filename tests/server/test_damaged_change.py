"""A change the server can no longer read (a damaged disk page, a bad restore) does not stop
every device at it, on SQLite and on PostgreSQL: a device reaching it loads the merged states,
which hold that op's effect, and pulls on past it; a peer site asking for it is told why; IT
finds both in the audit log."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from shared.api import Role
from shared.protocol import ErrorBody, ErrorCode, IncidentFields
from sync_server.peers.auth import peer_headers
from sync_server.peers.messages import CHANGES
from sync_server.store.db import Database
from tests.continuity.conftest import PEER_SECRET
from tests.server.conftest import StartServer
from tests.sync.conftest import PASSWORD, enroll_device

JUNK = bytes([1]) + bytes(40)  # the format byte, then nothing that authenticates


def _damage(url: str, entity_id: str) -> int:
    db = Database(url)
    try:
        with db.engine.begin() as conn:
            seq = conn.execute(
                text("SELECT seq FROM da_change WHERE entity_id = :e"), {"e": entity_id}
            ).scalar_one()
            conn.execute(
                text("UPDATE da_change SET payload = :p WHERE seq = :s"), {"p": JUNK, "s": seq}
            )
        return int(seq)
    finally:
        db.dispose()


def _audited(url: str) -> list[str]:
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT detail FROM da_audit WHERE event_type = 'change.damaged'")
            )
            return [str(r[0]) for r in rows]
    finally:
        db.dispose()


def test_a_change_the_server_cannot_read_sends_a_device_to_the_merged_states_and_on(
    start: StartServer, fresh_database_url: str, tmp_path: Path
):
    live = start()
    live.add_user("alice", PASSWORD, Role.DISPATCHER)
    live.add_user("bob", PASSWORD, Role.DISPATCHER)
    desk = enroll_device(live, tmp_path, "desk", "alice")
    tablet = enroll_device(live, tmp_path, "tablet", "bob")
    desk.store.create_incident(IncidentFields(incident_type="FALL", address="0 Elm St"), 3)
    desk.sync()
    tablet.sync()  # on the air before the calls: it pulls them, not a snapshot
    assert tablet.store.cursor > 0
    calls = [
        desk.store.create_incident(IncidentFields(incident_type="FALL", address=f"{n} Elm St"), 3)
        for n in range(1, 4)
    ]
    desk.sync()
    seq = _damage(fresh_database_url, calls[1].entity_id)

    tablet.sync()

    for call in calls:
        assert tablet.store.incident(call.entity_id) == desk.store.incident(call.entity_id)
    [audited] = _audited(fresh_database_url)
    assert f"change {seq} (op {calls[1].op_id}) cannot be read" in audited
    assert tablet.store.cursor >= seq, "past the damaged change"

    later = desk.store.create_incident(IncidentFields(incident_type="FALL", address="9 Oak"), 2)
    desk.sync()
    tablet.sync()
    assert tablet.store.incident(later.entity_id).location.address == "9 Oak"
    assert len(_audited(fresh_database_url)) == 1, "pulled past it for good"
    desk.store.lock()
    tablet.store.lock()


def test_a_peer_asking_for_a_change_this_site_cannot_read_is_told_why_not_sent_a_500(
    start: StartServer, fresh_database_url: str, tmp_path: Path
):
    live = start(peer_secret=PEER_SECRET)
    live.add_user("alice", PASSWORD, Role.DISPATCHER)
    desk = enroll_device(live, tmp_path, "desk", "alice")
    call = desk.store.create_incident(IncidentFields(incident_type="FALL", address="1 Elm"), 3)
    desk.sync()
    seq = _damage(fresh_database_url, call.entity_id)

    with live.client(headers=peer_headers(PEER_SECRET, "standby")) as http:
        answer = http.get(CHANGES, params={"cursor": 0, "limit": 100})

    assert answer.status_code == 410, answer.text
    error = ErrorBody.model_validate_json(answer.content)
    assert error.error is ErrorCode.RESYNC_REQUIRED
    assert f"change {seq} (op {call.op_id}) cannot be read" in error.detail
    assert "seed standby from a copy" in error.detail
    [audited] = _audited(fresh_database_url)
    assert audited.endswith("peer standby cannot copy it")
    desk.store.lock()
