"""A center is evacuated mid-shift: its server is lost, tablets carry on at the standby site,
the primary comes back while the sites still cannot see each other (both take writes), and
when the link returns the two servers reconcile.  Nothing is lost, nothing is doubled, every
tablet and both servers show the same incidents, units and conflicts."""

from __future__ import annotations

from pathlib import Path

import httpx

from shared import api
from shared.api import Role
from shared.domain import ConflictKind
from shared.hlc import system_ms
from shared.lifecycle import IncidentStatus, UnitStatus
from shared.protocol import IncidentFields
from sync_server.service import admin
from sync_server.testing import bearer
from tests.continuity import views
from tests.continuity.conftest import Sites, Tablet, add_staff, enroll_tablet

FIRE = IncidentFields(incident_type="FSTRU", address="1200 Mission St", caller_name="Ada")
CRASH = IncidentFields(incident_type="ELEC", address="Market St & 5th St")
ALARM = IncidentFields(incident_type="FELEC", address="12 Oak St")
PAPER = IncidentFields(incident_type="FALL", address="300 Pine St", caller_name="Grace")


def _written(tablet: Tablet) -> set[views.OpId]:
    assert tablet.store.pending_count() == 0, f"{tablet.name} still has unsent ops"
    return {(tablet.store.device_id, seq) for seq in range(1, tablet.store.acked_seq + 1)}


def _same_log(sites: Sites) -> bool:
    return set(views.logged(sites.primary)) == set(views.logged(sites.standby))


def test_an_evacuated_center_loses_nothing_and_every_tablet_converges(
    sites: Sites, tmp_path: Path
) -> None:
    primary, standby = sites.primary, sites.standby
    add_staff(sites)
    alice = enroll_tablet(sites, tmp_path, "alice-tablet", "alice")
    bob = enroll_tablet(sites, tmp_path, "bob-tablet", "bob")
    sue = enroll_tablet(sites, tmp_path, "sue-tablet", "sue")

    # A normal shift: everyone works at the primary, the standby follows it.
    alice.store.upsert_unit("E1", name="Engine 1", unit_type="ENG")
    alice.store.upsert_unit("M2", name="Medic 2", unit_type="ALS")
    fire = alice.store.create_incident(FIRE, 1, "smoke showing, second floor").entity_id
    crash = alice.store.create_incident(CRASH, 2, "two cars").entity_id
    alarm = alice.store.create_incident(ALARM, 4, "alarm sounding").entity_id
    for tablet in (alice, bob, sue):
        assert tablet.sync().server == primary.url
    views.wait_until(lambda: _same_log(sites), "the standby to copy the primary")

    # The standby falls behind (the inter-site link drops), then the primary's center is lost.
    sites.cut()
    alice.store.add_note(fire, "second alarm requested")
    alice.store.set_unit_status("M2", UnitStatus.DISPATCHED, incident_id=crash)
    alice.sync()
    missing = set(views.logged(primary)) - set(views.logged(standby))
    assert {device for device, _ in missing} == {alice.store.device_id}
    primary.kill()
    paper_call_ms = system_ms()  # a call taken on paper while the tablets were moved

    # Failover: the tablets carry on at the standby, which gets alice's ops it never had.
    alice.store.add_note(fire, "command moved to the standby site")
    assert alice.sync().server == standby.url
    assert missing <= set(views.logged(standby))
    alice.store.set_incident_status(alarm, IncidentStatus.CLOSED, disposition="02")
    alice.store.set_unit_status("E1", UnitStatus.DISPATCHED, incident_id=fire)
    assert sue.sync().server == standby.url
    sue.store.add_note(crash, "supervisor on the radio from the standby site")
    paper_onscene_ms = system_ms()  # Medic 2 reported on scene; written on the paper log
    sue.sync()

    # Split: the primary is back but the sites cannot see each other; bob (offline during
    # the move) reaches the primary and works from what he knew.
    primary.start()
    # IT at the primary makes bob a supervisor for the night; the standby hears of it later.
    admin.set_role(primary.context(), "bob", Role.SUPERVISOR, by="ian", device_id=None)
    bob.store.set_unit_status("E1", UnitStatus.DISPATCHED, incident_id=crash)
    bob.store.update_incident(alarm, {"address": "14 Oak St"})
    bob.store.add_note(fire, "hydrant at the corner")
    assert bob.sync().server == primary.url
    # Late entry: the paper log is keyed in at the standby with the times things happened.
    paper = alice.store.create_incident(
        PAPER, 3, "taken on paper", received_ms=paper_call_ms, late=True
    ).entity_id
    alice.store.record_late_unit_status(
        "M2", UnitStatus.ONSCENE, incident_id=crash, event_ms=paper_onscene_ms
    )
    alice.store.add_note(fire, "knocked down", event_ms=paper_onscene_ms, late=True)
    assert alice.sync().server == standby.url

    # The link returns and the servers reconcile on their own.  Before anyone else syncs, the
    # supervisor settles the double booking at the standby.
    sites.mend()
    views.wait_until(lambda: _same_log(sites), "the sites to reconcile")
    with httpx.Client(base_url=standby.url, headers=bearer(sue.tokens.access_token)) as http:
        listed = http.get(api.CONFLICTS)
        assert listed.status_code == 200, listed.text
        open_conflicts = {c["kind"]: c for c in listed.json()}
        assert set(open_conflicts) == {
            ConflictKind.UNIT_DOUBLE_BOOKED,
            ConflictKind.EDIT_AFTER_CLOSE,
        }
        booked = open_conflicts[ConflictKind.UNIT_DOUBLE_BOOKED]
        assert (booked["entity_id"], {side["value"] for side in booked["sides"]}) == (
            "E1",
            {fire, crash},
        )
        resolve = api.RESOLVE.format(conflict_id=booked["conflict_id"])
        reply = http.post(resolve, json={"keep_incident_id": fire, "comment": "E1 on the fire"})
        assert reply.status_code == 200, reply.text
    views.wait_until(lambda: _same_log(sites), "the resolution to reach the primary")
    views.wait_until(lambda: views.staff(standby) == views.staff(primary), "the same staff")
    assert ("bob", Role.SUPERVISOR.value) in views.staff(standby)

    # Both servers hold the same thing, every op exactly once, the same conflicts.
    expected = views.snapshot(primary)
    assert views.snapshot(standby) == expected
    every_op = {*_written(alice), *_written(bob), *_written(sue), ("server-standby", 1)}
    for site in (primary, standby):
        log = views.logged(site)
        assert set(log) == every_op, site.server_id
        assert set(log.values()) == {1}, f"an op appears twice at {site.server_id}"
        assert any(row.outcome == "success" for row in views.audit(site, "peer.sync"))
    assert views.conflict_index(primary) == views.conflict_index(standby)

    # Then the standby site is lost too: alice and sue, whose cursors are positions in the
    # standby's log, move back to the primary; every tablet ends with what the servers hold.
    standby.kill()
    for tablet in (alice, bob, sue):
        assert tablet.sync().server == primary.url
        assert tablet.store.snapshot() == expected, tablet.name

    conflicts = {c.kind: c for c in expected["conflicts"]}  # type: ignore[attr-defined]
    assert not conflicts[ConflictKind.UNIT_DOUBLE_BOOKED].open
    assert conflicts[ConflictKind.EDIT_AFTER_CLOSE].open
    assert expected["units"]["E1"].incident_id == fire  # type: ignore[index]

    late_call = expected["incidents"][paper]  # type: ignore[index]
    assert (late_call.late, late_call.received_ms) == (True, paper_call_ms)
    medic = expected["units"]["M2"]  # type: ignore[index]
    late_onscene = [e for e in medic.events if e.status == UnitStatus.ONSCENE]
    assert [(e.late, e.event_ms, e.incident_id) for e in late_onscene] == [
        (True, paper_onscene_ms, crash)
    ]
    notes = {n.text: n for n in expected["incidents"][fire].notes}  # type: ignore[index]
    assert (notes["knocked down"].late, notes["knocked down"].event_ms) == (True, paper_onscene_ms)
    assert {
        "second alarm requested",
        "command moved to the standby site",
        "hydrant at the corner",
    } <= set(notes)


def test_a_call_the_standby_never_got_is_sent_again_by_a_tablet_with_nothing_new(
    sites: Sites, tmp_path: Path
) -> None:
    """The link between the sites was down when a call reached the primary; then the primary
    is lost.  The tablet that took the call has nothing new to send, but it is the only
    place the call still exists: failing over, it must notice the standby lacks it."""
    primary, standby = sites.primary, sites.standby
    add_staff(sites)
    alice = enroll_tablet(sites, tmp_path, "alice-tablet", "alice")
    device_id = alice.store.device_id
    views.wait_until(lambda: views.knows_logon(standby, device_id, "alice"), "alice's tablet")
    sites.cut()
    call = alice.store.create_incident(FIRE, 1, "caller trapped, second floor").entity_id
    assert alice.sync().server == primary.url
    primary.kill()

    written = _written(alice)
    assert not written <= set(views.logged(standby)), "the standby never got the call"
    assert alice.sync().server == standby.url
    assert written <= set(views.logged(standby))
    assert call in views.snapshot(standby)["incidents"]  # type: ignore[operator]
