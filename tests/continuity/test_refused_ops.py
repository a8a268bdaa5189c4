"""An op the primary refuses for good (a resolution by someone who is not a supervisor) is in
its log as refused: the standby copies it as refused and merges it nowhere, both sites keep
the conflict open, and the tablet's later work goes on being accepted at either site."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from shared.lifecycle import UnitStatus
from shared.protocol import IncidentFields
from sync_server.store.tables import ChangeRow
from tests.continuity import views
from tests.continuity.conftest import Site, Sites, add_staff, enroll_tablet

FIRE = IncidentFields(incident_type="FSTRU", address="1200 Mission St")
CRASH = IncidentFields(incident_type="ELEC", address="Market St & 5th St")


def _refusal(site: Site, device_id: str, seq: int) -> str | None:
    ctx = site.context()
    with ctx.db.read() as session:
        row = session.exec(
            select(ChangeRow).where(ChangeRow.device_id == device_id, ChangeRow.device_seq == seq)
        ).one()
        return row.refused


def test_a_refused_op_reaches_the_standby_as_refused_and_the_work_after_it_follows(
    sites: Sites, tmp_path: Path
) -> None:
    primary, standby = sites.primary, sites.standby
    add_staff(sites)
    alice = enroll_tablet(sites, tmp_path, "alice-tablet", "alice")
    bob = enroll_tablet(sites, tmp_path, "bob-tablet", "bob")
    alice.store.upsert_unit("E1", name="Engine 1")
    fire = alice.store.create_incident(FIRE, 1).entity_id
    crash = alice.store.create_incident(CRASH, 2).entity_id
    alice.sync()
    bob.sync()
    alice.store.set_unit_status("E1", UnitStatus.DISPATCHED, incident_id=fire)
    bob.store.set_unit_status("E1", UnitStatus.DISPATCHED, incident_id=crash)
    for tablet in (alice, bob, alice):
        tablet.sync()
    conflict = alice.store.unit("E1").open_conflicts[0]

    resolution = alice.store.resolve_unit_conflict("E1", conflict, fire)  # alice dispatches
    alice.store.add_note(fire, "E1 staging at the corner")
    alice.sync()
    views.wait_until(
        lambda: set(views.logged(standby)) == set(views.logged(primary)), "the standby to copy"
    )

    for site in (primary, standby):
        assert "not a supervisor" in (_refusal(site, resolution.device_id, resolution.seq) or ""), (
            site.server_id
        )
    assert views.snapshot(standby) == views.snapshot(primary)
    assert (conflict, "unit_double_booked", True) in views.conflict_index(standby)
    assert alice.store.unit("E1").open_conflicts == (conflict,)

    primary.kill()
    alice.store.add_note(fire, "command moved to the standby site")
    assert alice.sync().server == standby.url
    assert alice.store.pending_count() == 0
    notes = {n.text for n in alice.store.incident(fire).notes}
    assert {"E1 staging at the corner", "command moved to the standby site"} <= notes
