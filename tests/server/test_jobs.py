"""Background jobs: the on-scene timer alerts supervisors, expired sessions are purged, and
change-log compaction never breaks a tablet's resume."""

from __future__ import annotations

import time

from shared.api import REFRESH, Role
from shared.hlc import system_ms
from shared.lifecycle import UnitStatus
from shared.merge import IncidentState, Replica, UnitState
from shared.protocol import ErrorBody, ErrorCode
from sync_server.context import Context
from sync_server.jobs.maintenance import compact_changes, purge_expired_tokens
from sync_server.messages import AlertOut, SnapshotPage
from sync_server.service.alerts import raise_onscene_alerts
from sync_server.testing import LiveServer
from tests.server.client import Device

MINUTE = 60_000


def _on_scene_since(device: Device, incident: str, minutes_ago: int) -> str:
    """A unit dispatched and on scene, entered late from the paper log with real times."""
    unit = device.create_unit(f"E{minutes_ago}")
    now = system_ms()
    c = device.commands
    device.act(
        c.set_unit_status(
            device.replica.units[unit],
            UnitStatus.DISPATCHED,
            incident_id=incident,
            event_ms=now - (minutes_ago + 5) * MINUTE,
            late=True,
        )
    )
    device.act(
        c.set_unit_status(
            device.replica.units[unit],
            UnitStatus.ONSCENE,
            event_ms=now - minutes_ago * MINUTE,
            late=True,
        )
    )
    return unit


def _context(server: LiveServer, *, ahead_ms: int = 0) -> Context:
    ctx = Context.open(server.settings)
    ctx.now_ms = lambda: system_ms() + ahead_ms
    return ctx


def _alerts(supervisor: Device, **params: str) -> list[AlertOut]:
    response = supervisor.http.get("/v1/alerts", params=params)
    assert response.status_code == 200, response.text
    return [AlertOut.model_validate(a) for a in response.json()]


def test_a_unit_on_scene_too_long_raises_one_alert_per_stint(start):
    server = start(jobs_enabled=False, onscene_alert_minutes=20)
    dispatcher, supervisor = Device.new(server), Device.new(server, Role.SUPERVISOR)
    fire = dispatcher.create_incident()
    long_stint = _on_scene_since(dispatcher, fire, minutes_ago=30)
    _on_scene_since(dispatcher, fire, minutes_ago=5)
    dispatcher.push()
    ctx = _context(server)
    try:
        raised = raise_onscene_alerts(ctx)
        again = raise_onscene_alerts(ctx)
    finally:
        ctx.close()

    assert [(a.unit_id, a.incident_id) for a in raised] == [(long_stint, fire)]
    assert again == []
    listed = _alerts(supervisor)
    assert [a.unit_id for a in listed] == [long_stint]
    assert listed[0].since_ms == dispatcher.replica.unit(long_stint).status_since_ms
    acknowledged = supervisor.http.post(f"/v1/alerts/{listed[0].id}/acknowledge")
    assert acknowledged.status_code == 200 and acknowledged.json()["acked_by"] == supervisor.user_id
    assert _alerts(supervisor) == []
    assert len(_alerts(supervisor, include_acknowledged="true")) == 1
    assert dispatcher.http.get("/v1/alerts").status_code == 403


def test_the_scheduler_runs_the_on_scene_timer_by_itself(start):
    server = start(alert_check_seconds=0.2, onscene_alert_minutes=20)
    dispatcher, supervisor = Device.new(server), Device.new(server, Role.SUPERVISOR)
    unit = _on_scene_since(dispatcher, dispatcher.create_incident(), minutes_ago=45)
    dispatcher.push()
    deadline = time.monotonic() + 30
    while not (found := _alerts(supervisor)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [a.unit_id for a in found] == [unit]


def test_expired_refresh_tokens_are_purged(start):
    server = start(jobs_enabled=False)
    tablet = Device.new(server)
    ctx = _context(server, ahead_ms=server.settings.refresh_token_seconds * 1000 + MINUTE)
    try:
        assert purge_expired_tokens(ctx) >= 1
    finally:
        ctx.close()
    with server.client() as http:
        response = http.post(REFRESH, json={"refresh_token": tablet.tokens.refresh_token})
    assert response.status_code == 401


def _compact(server: LiveServer) -> int:
    ctx = _context(server)
    try:
        return compact_changes(ctx)
    finally:
        ctx.close()


def _replica_from_snapshot(device: Device) -> None:
    """Load every page of the snapshot, then pull on from the first page's cursor."""
    replica, after, cursor = Replica(), None, None
    while True:
        params: dict[str, str | int] = {"limit": 1, **({"after": after} if after else {})}
        page = SnapshotPage.model_validate_json(
            device.http.get("/v1/snapshot", params=params).content
        )
        cursor = page.cursor if cursor is None else cursor
        for item in page.entities:
            if item.entity == "unit":
                replica.units[item.entity_id] = UnitState.model_validate(item.state)
            else:
                replica.incidents[item.entity_id] = IncidentState.model_validate(item.state)
        if page.next_after is None:
            break
        after = page.next_after
    device.replica, device.cursor = replica, cursor
    device.pull_all()


def test_compaction_keeps_every_resume_working(start):
    server = start(jobs_enabled=False, compaction_keep_seconds=0)
    writer, slow = Device.new(server), Device.new(server)
    incident = writer.create_incident(address="5 Harbor Rd")
    for n in range(6):
        writer.add_note(incident, f"note {n}")
    writer.create_unit("L7")
    writer.push()
    writer.pull_all()
    writer.pull()  # a pull sends the cursor saved so far: it confirms what the device holds
    slow.pull(limit=2)
    assert _compact(server) == 0  # slow has not confirmed holding anything yet
    slow.pull(limit=2)  # sending cursor 2 confirms changes 1-2

    assert _compact(server) == 2
    slow.pull_all()  # resumes from 4: unaffected
    assert slow.replica.snapshot() == writer.replica.snapshot()

    newcomer = Device.new(server)
    refused = newcomer.http.get("/v1/pull", params={"cursor": 0})
    error = ErrorBody.model_validate_json(refused.content)
    assert refused.status_code == 410 and error.error is ErrorCode.RESYNC_REQUIRED
    assert "/v1/snapshot" in error.detail

    _replica_from_snapshot(newcomer)
    writer.add_note(incident, "written after the snapshot")
    writer.push()
    writer.pull_all()
    newcomer.pull_all()
    assert newcomer.replica.snapshot() == writer.replica.snapshot()
