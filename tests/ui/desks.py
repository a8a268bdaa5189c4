"""Dispatch desks for view-model tests: real commands on real replicas, at a chosen time.

Read models come out of ``shared.merge`` exactly as the store produces them, so the view
models are tested on incidents, units and conflicts that the merge rules really make.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC

from mobile_app.ui.viewmodels.clock import Now
from shared.commands import Commands
from shared.domain import ConflictRecord, Incident, Unit
from shared.hlc import Hlc, HybridClock
from shared.lifecycle import IncidentStatus, UnitStatus
from shared.merge import Replica
from shared.protocol import IncidentFields, Op

#: 2024-03-01 14:00:00 UTC: view-model tests read times in UTC.
T0 = 1_709_301_600_000
MINUTE = 60_000


def at(minutes: float) -> Now:
    """The screen as rendered ``minutes`` after T0, in UTC."""
    return Now(T0 + int(minutes * MINUTE), UTC)


@dataclass
class Desk:
    """One dispatcher on one device, working on its own replica (offline until synced)."""

    device_id: str
    user_id: str
    now: list[int] = field(default_factory=lambda: [T0])
    replica: Replica = field(default_factory=Replica)
    log: list[Op] = field(default_factory=list)
    seq: int = 0

    def __post_init__(self) -> None:
        self.clock = HybridClock(lambda: self.now[0])
        self.commands = Commands(self.device_id, self.user_id, self.clock, self._next)

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def at(self, minutes: float) -> Desk:
        self.now[0] = T0 + int(minutes * MINUTE)
        return self

    def _do(self, op: Op) -> Op:
        self.replica.apply(op)
        self.log.append(op)
        return op

    # Actions, as a dispatcher takes them ------------------------------------------------
    def call(
        self,
        incident_type: str = "FALL",
        priority: int = 3,
        *,
        incident_id: str | None = None,
        narrative: str = "",
        received_ms: int | None = None,
        late: bool = False,
        **fields: object,
    ) -> str:
        op = self.commands.create_incident(
            IncidentFields.model_validate({"incident_type": incident_type, **fields}),
            priority,
            narrative,
            incident_id=incident_id,
            received_ms=received_ms,
            late=late,
        )
        return self._do(op).entity_id

    def update(self, incident_id: str, **fields: object) -> None:
        state = self.replica.incidents[incident_id]
        self._do(self.commands.update_incident(state, IncidentFields.model_validate(fields)))

    def priority(self, incident_id: str, priority: int) -> None:
        self._do(self.commands.change_priority(self.replica.incidents[incident_id], priority))

    def note(
        self, incident_id: str, text: str, *, event_ms: int | None = None, late: bool = False
    ) -> None:
        state = self.replica.incidents[incident_id]
        self._do(self.commands.add_note(state, text, event_ms=event_ms, late=late))

    def status(
        self, incident_id: str, status: IncidentStatus, disposition: str | None = None
    ) -> None:
        state = self.replica.incidents[incident_id]
        self._do(self.commands.set_incident_status(state, status, disposition=disposition))

    def unit(self, unit_id: str, name: str | None = None, **kw: str) -> str:
        state = self.replica.units.get(unit_id)
        op = self.commands.upsert_unit(state, unit_id=unit_id, name=name or unit_id, **kw)
        return self._do(op).entity_id

    def move(self, unit_id: str, status: UnitStatus, incident_id: str | None = None) -> None:
        state = self.replica.units[unit_id]
        self._do(self.commands.set_unit_status(state, status, incident_id=incident_id))

    def late_move(
        self, unit_id: str, status: UnitStatus, incident_id: str | None, event_ms: int
    ) -> None:
        state = self.replica.units[unit_id]
        op = self.commands.record_late_unit_status(
            state, status, incident_id=incident_id, event_ms=event_ms
        )
        self._do(op)

    def resolve_unit(self, unit_id: str, conflict_id: str, keep: str) -> None:
        state = self.replica.units[unit_id]
        self._do(self.commands.resolve_unit_conflict(state, conflict_id, keep))

    # Reading ----------------------------------------------------------------------------
    def incident(self, incident_id: str) -> Incident:
        return self.replica.incident(incident_id)

    def incidents(self) -> list[Incident]:
        return [s.view() for s in self.replica.incidents.values()]

    def units(self) -> list[Unit]:
        return [s.view() for s in self.replica.units.values()]

    def conflicts(self) -> list[ConflictRecord]:
        return self.replica.conflicts()


def sync(*desks: Desk) -> None:
    """Every desk receives every op the others made (the connection came back)."""
    everything = [op for d in desks for op in d.log]
    for desk in desks:
        for op in everything:
            if desk.replica.apply(op):
                desk.clock.observe(Hlc.decode(op.hlc))
