"""A deterministic in-memory model of devices and a server, for property tests.

Devices act on their own replica (offline), push their ops to a server log that accepts each
device's ops in seq order, and pull a prefix of that log, exactly as the real sync does.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from shared.commands import CommandError, Commands
from shared.hlc import Hlc, HybridClock
from shared.lifecycle import IncidentStatus, UnitStatus
from shared.merge import Replica
from shared.protocol import IncidentFields, Op

UNITS = ("E32", "M85", "T10")
INCIDENTS = ("inc-a", "inc-b", "inc-c")
ACTIONS = (
    "create",
    "update",
    "priority",
    "note",
    "status",
    "close",
    "dispatch",
    "unit_step",
    "resolve",
    "push",
    "pull",
    "tick",
)


@dataclass
class SimDevice:
    device_id: str
    now: list[int]
    replica: Replica = field(default_factory=Replica)
    seq: int = 0
    pending: list[Op] = field(default_factory=list)
    cursor: int = 0
    clock: HybridClock = field(init=False)
    commands: Commands = field(init=False)

    def __post_init__(self) -> None:
        self.clock = HybridClock(lambda: self.now[0], max_offset_ms=10**12)
        self.commands = Commands(self.device_id, f"user-{self.device_id}", self.clock, self._next)

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def local(self, op: Op) -> None:
        self.clock.observe(_hlc(op))
        self.replica.apply(op)
        self.pending.append(op)


def _hlc(op: Op) -> Hlc:
    return Hlc.decode(op.hlc)


@dataclass
class World:
    devices: list[SimDevice]
    server_log: list[Op] = field(default_factory=list)
    all_ops: list[Op] = field(default_factory=list)

    @classmethod
    def create(cls, n: int, skew_ms: list[int] | None = None) -> World:
        skews = skew_ms or [0] * n
        clocks = [[1_700_000_000_000 + skews[i]] for i in range(n)]
        return cls([SimDevice(f"dev{i}", clocks[i]) for i in range(n)])

    def step(self, who: int, action: str, pick: int, value: int) -> None:
        device = self.devices[who]
        try:
            op = self._act(device, action, pick, value)
        except CommandError:
            return
        if op is not None:
            device.local(op)
            self.all_ops.append(op)

    def _act(self, d: SimDevice, action: str, pick: int, value: int) -> Op | None:
        c = d.commands
        incident_id = INCIDENTS[pick % len(INCIDENTS)]
        unit_id = UNITS[pick % len(UNITS)]
        incident = d.replica.incidents.get(incident_id)
        unit = d.replica.units.get(unit_id)
        if action == "create":
            if incident is not None and incident.created is not None:
                return None
            fields = IncidentFields(
                incident_type="FSTRU", address=f"{value} Mission St", caller_name=f"C{value}"
            )
            return c.create_incident(
                fields, 1 + value % 5, f"narrative {value}", incident_id=incident_id
            )
        if action == "update" and incident is not None:
            return c.update_incident(incident, IncidentFields(address=f"{value} Valencia St"))
        if action == "priority" and incident is not None:
            return c.change_priority(incident, 1 + value % 5)
        if action == "note" and incident is not None:
            return c.add_note(incident, f"note {d.device_id} {value}")
        if action == "status" and incident is not None:
            target = (IncidentStatus.RESOURCES_ASSIGNED, IncidentStatus.REOPENED)[value % 2]
            return c.set_incident_status(incident, target)
        if action == "close" and incident is not None:
            return c.set_incident_status(incident, IncidentStatus.CLOSED, disposition="01")
        if action == "dispatch":
            if unit is None:
                return c.upsert_unit(None, unit_id=unit_id, name=unit_id, unit_type="ENGINE")
            goal = INCIDENTS[value % len(INCIDENTS)]
            return c.set_unit_status(unit, UnitStatus.DISPATCHED, incident_id=goal)
        if action == "unit_step" and unit is not None:
            order = [
                UnitStatus.ENROUTE,
                UnitStatus.ONSCENE,
                UnitStatus.TRANSPORTING,
                UnitStatus.HOSPITAL,
                UnitStatus.CLEARED,
            ]
            return c.set_unit_status(unit, order[value % len(order)])
        if action == "resolve":
            return self._resolve(d, value)
        if action == "push":
            self.server_log.extend(d.pending)
            d.pending.clear()
        elif action == "pull":
            end = min(len(self.server_log), d.cursor + 1 + value % 7)
            for op in self.server_log[d.cursor : end]:
                d.clock.observe(_hlc(op))
                d.replica.apply(op)
            d.cursor = end
        elif action == "tick":
            d.now[0] += 1 + value * 97
        return None

    @staticmethod
    def _resolve(d: SimDevice, value: int) -> Op | None:
        for record in d.replica.conflicts():
            if not record.open:
                continue
            if record.entity == "unit":
                state = d.replica.units[record.entity_id]
                keep = str(record.sides[value % len(record.sides)].value)
                return d.commands.resolve_unit_conflict(state, record.conflict_id, keep)
            incident = d.replica.incidents[record.entity_id]
            if record.kind == "priority_downgrade":
                return d.commands.resolve_incident_conflict(
                    incident, record.conflict_id, "set_priority", priority=1 + value % 5
                )
            choice = ("keep", "reopen")[value % 2]
            return d.commands.resolve_incident_conflict(incident, record.conflict_id, choice)
        return None

    def sync_all(self) -> None:
        """Everyone pushes, then everyone pulls everything: the end of the outage."""
        for d in self.devices:
            self.server_log.extend(d.pending)
            d.pending.clear()
        for d in self.devices:
            for op in self.server_log[d.cursor :]:
                d.replica.apply(op)
            d.cursor = len(self.server_log)


def replay(ops: list[Op]) -> Replica:
    replica = Replica()
    for op in ops:
        replica.apply(op)
    return replica


def op_ids(ops: list[Op]) -> set[str]:
    return {op.op_id for op in ops}


__all__ = ["ACTIONS", "World", "itertools", "op_ids", "replay"]
