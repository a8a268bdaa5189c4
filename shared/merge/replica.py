"""A whole replica's state in memory: the reference every store must agree with.

The server and the device persist per-entity state and call ``apply_op`` on it; tests and
benchmarks use ``Replica`` directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.domain import ConflictRecord, Incident, Unit
from shared.merge.incidents import IncidentState, apply_incident_op
from shared.merge.units import UnitState, apply_unit_op
from shared.protocol import Entity, Op

EntityState = IncidentState | UnitState


def new_state(op: Op) -> EntityState:
    """An empty state for the entity ``op`` is about."""
    if op.entity is Entity.UNIT:
        return UnitState(id=op.entity_id)
    return IncidentState(id=op.entity_id)


def apply_op(state: EntityState, op: Op) -> bool:
    """Merge one op into the state of its entity; False if it was already there."""
    if state.id != op.entity_id:
        raise ValueError(f"op {op.op_id} is about {op.entity_id}, not {state.id}")
    entity = op.entity
    if isinstance(state, UnitState):
        if entity is not Entity.UNIT:
            raise ValueError(f"op {op.op_id} ({op.body.kind}) is not about a unit")
        return apply_unit_op(state, op)
    if entity is not Entity.INCIDENT:
        raise ValueError(f"op {op.op_id} ({op.body.kind}) is not about an incident")
    return apply_incident_op(state, op)


@dataclass
class Replica:
    incidents: dict[str, IncidentState] = field(default_factory=dict)
    units: dict[str, UnitState] = field(default_factory=dict)

    def state_for(self, op: Op) -> EntityState:
        states: dict[str, UnitState] | dict[str, IncidentState]
        states = self.units if op.entity is Entity.UNIT else self.incidents
        state = states.get(op.entity_id)
        if state is None:  # built only when missing: a pydantic model is not free
            state = states[op.entity_id] = new_state(op)  # type: ignore[assignment]
        return state

    def apply(self, op: Op) -> bool:
        return apply_op(self.state_for(op), op)

    def incident(self, incident_id: str) -> Incident:
        return self.incidents[incident_id].view()

    def unit(self, unit_id: str) -> Unit:
        return self.units[unit_id].view()

    def conflicts(self) -> list[ConflictRecord]:
        found: list[ConflictRecord] = []
        for incident in self.incidents.values():
            found += incident.conflict_records()
        for unit in self.units.values():
            found += unit.conflict_records()
        return sorted(found, key=lambda c: c.conflict_id)

    def snapshot(self) -> dict[str, object]:
        """Everything a user could see, for comparing replicas."""
        return {
            "incidents": {i: s.view() for i, s in sorted(self.incidents.items())},
            "units": {u: s.view() for u, s in sorted(self.units.items())},
            "conflicts": self.conflicts(),
        }
