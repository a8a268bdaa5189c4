"""A dispatcher's desk at one agency: real commands, a real replica, a clock the test moves."""

from __future__ import annotations

from shared.domain import Incident, Unit
from shared.eido import Agency
from shared.lifecycle import UnitStatus
from shared.protocol import IncidentFields, Op
from tests.simulation import SimDevice

ALPHA = Agency("psap.alpha-county.example", "Alpha County 9-1-1")
BRAVO = Agency("ecc.bravo-city.example", "Bravo City Emergency Communications", ("fire", "ems"))
T0 = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC


class Desk:
    def __init__(self, device_id: str, start_ms: int = T0) -> None:
        self.device = SimDevice(device_id, [start_ms])

    @property
    def commands(self):
        return self.device.commands

    def do(self, op: Op) -> Op:
        self.device.local(op)
        return op

    def wait(self, seconds: float) -> None:
        self.device.now[0] += int(seconds * 1000)

    @property
    def now_ms(self) -> int:
        return self.device.now[0]

    def incident(self, incident_id: str) -> Incident:
        return self.device.replica.incident(incident_id)

    def state(self, incident_id: str):
        return self.device.replica.incidents[incident_id]

    def units(self) -> list[Unit]:
        return [s.view() for s in self.device.replica.units.values()]

    def unit_status(self, unit_id: str, status: UnitStatus, incident_id: str | None) -> None:
        state = self.device.replica.units[unit_id]
        self.do(self.commands.set_unit_status(state, status, incident_id=incident_id))

    def add_unit(self, unit_id: str, unit_type: str | None) -> None:
        self.do(self.commands.upsert_unit(None, unit_id=unit_id, name=unit_id, unit_type=unit_type))


def structure_fire(desk: Desk) -> str:
    """A house fire as Alpha's CAD records it: caller, location, narrative, notes, two units."""
    create = desk.do(
        desk.commands.create_incident(
            IncidentFields(
                incident_type="FSTRU",
                address="1420 Harbor View Rd, Alpha",
                cross_street="Cypress Ln",
                lat=37.7321745,
                lon=-122.4277935,
                location_verified=True,
                caller_name="Dana Whitfield",
                callback_number="+1 555 010 4477",
            ),
            2,
            "Caller reports smoke from the roof of a two-storey house; everyone is out.",
            received_ms=desk.now_ms,
        )
    )
    incident_id = create.entity_id
    desk.add_unit("E32", "StructureFireEngineType1")
    desk.add_unit("M85", "GroundALSAmbulance")
    desk.wait(48)
    desk.unit_status("E32", UnitStatus.DISPATCHED, incident_id)
    desk.unit_status("M85", UnitStatus.DISPATCHED, incident_id)
    desk.wait(40)
    desk.unit_status("E32", UnitStatus.ENROUTE, incident_id)
    desk.do(desk.commands.add_note(desk.state(incident_id), "Neighbour says a dog may be inside."))
    desk.wait(240)
    desk.unit_status("E32", UnitStatus.ONSCENE, incident_id)
    desk.do(
        desk.commands.add_note(
            desk.state(incident_id),
            "E32 on scene: working fire, attic <b>fully</b> involved\n"
            "2nd alarm requested & granted",
        )
    )
    return incident_id
