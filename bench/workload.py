"""Realistic op streams: dispatch consoles and unit terminals working a busy shift.

The mix follows the San Francisco Fire export in ``shared/data`` (about 200 units, about two
units per call, each unit going Dispatched -> EnRoute -> OnScene [-> Transporting -> Hospital]
-> Cleared), plus the dispatcher's own edits: notes, address and caller corrections, priority
and status changes, closes with an APCO disposition.

Ops are built only through ``shared.commands.Commands`` (so every op passes the same checks as
on a device), stamped by a simulated clock that starts at a fixed past date (so pulled stamps are
never "ahead" of a real device clock), and chosen by a seeded RNG (so a run is reproducible).
Every device has seen every earlier op: the benchmarks measure throughput, and the cost of
merging an op does not depend on who knew what.

Unit commands run against a per-unit working state holding only the current dispatch cycle
(the trick ``shared.sfdata.replay`` documents): checking a status change against a unit's whole
history would make generating 100k ops quadratic.  The reference ``replica`` gets every op.
"""

from __future__ import annotations

import functools
import itertools
import random
from collections.abc import Callable

from shared.codes import DISPOSITIONS, INCIDENT_TYPES
from shared.commands import CommandError, Commands
from shared.hlc import HybridClock
from shared.lifecycle import OPEN_INCIDENT, IncidentStatus, UnitStatus, incident_allowed
from shared.merge import IncidentState, Replica, UnitState, apply_op
from shared.merge.units import knowing_the_same_ops
from shared.protocol import IncidentFields, Op

BASE_MS = 1_700_000_000_000  # 2023-11-14: fixed, and always in a real clock's past
DEFAULT_UNITS = 200  # SF Fire had 199 units on the air in the two weeks of the export

_CALL_TYPES = (
    "CARDIAC",
    "FALL",
    "SICK",
    "SEIZURE",
    "STROKE",
    "OD",
    "ALRF",
    "FSTRU",
    "FBRUSH",
    "FVEH",
    "GASLEAK",
    "ODOR",
    "HAZMAT",
    "CITASST",
    "ELECHZD",
    "WATER",
    "NCRNONE",
)
_unknown = [code for code in _CALL_TYPES if code not in INCIDENT_TYPES]
if _unknown:  # pragma: no cover - caught the moment the code lists change
    raise RuntimeError(f"bench call types missing from the APCO registry: {_unknown}")
_DISPOSITIONS = tuple(sorted(DISPOSITIONS))
_UNIT_TYPES = ("ENGINE", "MEDIC", "TRUCK", "CHIEF", "RESCUE")
_STREETS = (
    "Mission St",
    "Valencia St",
    "Market St",
    "Geary Blvd",
    "Folsom St",
    "Howard St",
    "Castro St",
    "Divisadero St",
    "Van Ness Ave",
    "3rd St",
    "Irving St",
    "Taraval St",
)
_SAMPLE_TEXT = (
    "caller reports patient conscious breathing difficulty smoke visible from second floor "
    "neighbor states door locked no answer vehicle blocking lane fluid leaking engine units "
    "request additional medic staging at corner of building access via rear alley gate code "
    "given elderly male fell in kitchen bleeding controlled alarm company advises zone trouble"
)
_WORDS = tuple(_SAMPLE_TEXT.split())
_OPEN_INCIDENT = sorted(OPEN_INCIDENT - {IncidentStatus.REOPENED})

Build = Callable[[], Op]


class Fleet:
    """A dispatch centre's devices producing ops, plus the reference replica of them all."""

    def __init__(
        self, *, seed: int = 1, units: int = DEFAULT_UNITS, devices: int = 4, prefix: str = ""
    ) -> None:
        self._rng = random.Random(seed)
        self._now = BASE_MS
        self._prefix = prefix
        self.replica = Replica()
        self.log: list[Op] = []
        self.consoles = [self._device(f"console-{i + 1}") for i in range(devices)]
        self.terminals = [self._device(f"mdt-{i + 1}") for i in range(devices)]
        self._unit_ids = [f"{prefix}unit-{i + 1:03d}" for i in range(units)]
        self._units_ready = False
        self._incidents = itertools.count(1)
        self.open: list[str] = []
        self._working: dict[str, UnitState] = {}
        self._plans: dict[str, list[UnitStatus]] = {}  # busy unit -> statuses still to come
        self._free: list[str] = []

    @classmethod
    def single(cls, device_id: str, user_id: str, *, seed: int, units: int, prefix: str) -> Fleet:
        """One device working only incidents and units it made itself (console and terminal in
        one): its ops are valid on a server whatever order other such devices push in.
        ``prefix`` keeps its entity ids apart from other devices'."""
        fleet = cls(seed=seed, units=units, devices=0, prefix=prefix)
        fleet.consoles = fleet.terminals = [fleet._device(device_id, user_id)]
        return fleet

    @property
    def now_ms(self) -> int:
        return self._now

    # What the benchmarks ask for -------------------------------------------------------
    def populate(self, incidents: int) -> list[Op]:
        """Create the units (once) and ``incidents`` open incidents."""
        start = len(self.log)
        self._ensure_units()
        for _ in range(incidents):
            self._emit(self._create)
        return self.log[start:]

    def activity(
        self,
        n: int,
        *,
        new_incidents: bool = True,
        close_rate: float = 0.06,
        open_target: int = 40,
    ) -> list[Op]:
        """Exactly ``n`` more ops of a working shift (unit upserts first, if not made yet).

        With ``new_incidents`` calls keep coming in (about ``open_target`` open at once);
        without, every op is about an incident or unit that already exists.
        """
        start = len(self.log)
        target = start + n
        if not self._units_ready:
            self._ensure_units(limit=n)
        while len(self.log) < target:
            self._emit(self._choose(new_incidents, close_rate, open_target))
        return self.log[start:]

    # Choosing the next action ----------------------------------------------------------
    def _choose(self, new_incidents: bool, close_rate: float, open_target: int) -> Build:
        rng = self._rng
        wants_call = len(self.open) < open_target and rng.random() < 0.15
        if new_incidents and (not self.open or wants_call):
            return self._create
        if not self.open:
            raise RuntimeError("no open incident left to act on: populate more incidents")
        roll = rng.random()
        if roll < 0.50:
            return self._unit_step
        if roll < 0.68:
            return self._note
        if roll < 0.78:
            return self._update
        if roll < 0.88:
            return self._incident_status
        if roll < 0.94:
            return self._priority
        if rng.random() < close_rate / 0.06:
            return self._close
        return self._note

    def _emit(self, build: Build) -> None:
        self._now += self._rng.randint(500, 15_000)
        try:
            op = build()
        except CommandError:
            return  # not a legal move right now; the next step picks another
        self.replica.apply(op)
        working = self._working.get(op.entity_id)
        if working is not None:
            apply_op(working, op)
        self.log.append(op)
        if op.entity_id in self._plans and not self._plans[op.entity_id]:
            self._release(op.entity_id)

    # Incidents -------------------------------------------------------------------------
    def _create(self) -> Op:
        rng = self._rng
        incident_id = f"{self._prefix}inc-{next(self._incidents):06d}"
        fields = IncidentFields(
            incident_type=rng.choice(_CALL_TYPES),
            address=f"{rng.randint(1, 4999)} {rng.choice(_STREETS)}",
            cross_street=rng.choice(_STREETS),
            lat=round(37.70 + rng.random() * 0.11, 6),
            lon=round(-122.51 + rng.random() * 0.15, 6),
            location_verified=rng.random() < 0.7,
            caller_name=f"Caller {rng.randint(1, 99_999)}",
            callback_number=f"+1 415 555 {rng.randint(0, 9999):04d}",
        )
        op = self._console().create_incident(
            fields, rng.randint(1, 5), self._text(20, 60), incident_id=incident_id
        )
        self.open.append(incident_id)
        return op

    def _note(self) -> Op:
        return self._console().add_note(self._incident(), self._text(8, 40))

    def _update(self) -> Op:
        rng = self._rng
        if rng.random() < 0.5:
            fields = IncidentFields(
                address=f"{rng.randint(1, 4999)} {rng.choice(_STREETS)}", location_verified=True
            )
        else:
            fields = IncidentFields(callback_number=f"+1 628 555 {rng.randint(0, 9999):04d}")
        return self._console().update_incident(self._incident(), fields)

    def _incident_status(self) -> Op:
        state = self._incident()
        current = state.view().status
        options = [s for s in _OPEN_INCIDENT if s in incident_allowed(current)]
        return self._console().set_incident_status(state, self._rng.choice(options))

    def _priority(self) -> Op:
        state = self._incident()
        current = state.view().priority
        options = [p for p in range(1, 6) if p != current]
        return self._console().change_priority(state, self._rng.choice(options))

    def _close(self) -> Op:
        state = self._incident()
        op = self._console().set_incident_status(
            state, IncidentStatus.CLOSED, disposition=self._rng.choice(_DISPOSITIONS)
        )
        self.open.remove(state.id)
        return op

    def _incident(self) -> IncidentState:
        return self.replica.incidents[self._rng.choice(self.open)]

    # Units -----------------------------------------------------------------------------
    def _ensure_units(self, limit: int | None = None) -> None:
        todo = [u for u in self._unit_ids if u not in self._working]
        for unit_id in todo[:limit]:
            self._working[unit_id] = UnitState(id=unit_id)
            self._emit(functools.partial(self._upsert, unit_id))
            self._free.append(unit_id)
        self._units_ready = len(self._working) == len(self._unit_ids)

    def _upsert(self, unit_id: str) -> Op:
        number = unit_id.rsplit("-", 1)[1]
        kind = self._rng.choice(_UNIT_TYPES)
        return self._console().upsert_unit(
            None, unit_id=unit_id, name=f"{kind[0]}{number}", unit_type=kind, station=number[-2:]
        )

    def _unit_step(self) -> Op:
        rng = self._rng
        if self._plans and (not self._free or rng.random() < 0.6):
            unit_id = rng.choice(list(self._plans))
            status = self._plans[unit_id].pop(0)
            return rng.choice(self.terminals).set_unit_status(self._working[unit_id], status)
        if not self._free:
            raise CommandError("every unit is busy")
        unit_id = self._free.pop(rng.randrange(len(self._free)))
        incident_id = rng.choice(self.open)
        plan = [UnitStatus.ENROUTE, UnitStatus.ONSCENE]
        if rng.random() < 0.3:
            plan += [UnitStatus.TRANSPORTING, UnitStatus.HOSPITAL]
        self._plans[unit_id] = [*plan, UnitStatus.CLEARED]
        try:
            return self._console().set_unit_status(
                self._working[unit_id], UnitStatus.DISPATCHED, incident_id=incident_id
            )
        except CommandError:
            self._release(unit_id)
            raise

    def _release(self, unit_id: str) -> None:
        """A cleared unit: available again, with a fresh working state (see module doc)."""
        del self._plans[unit_id]
        self._working[unit_id] = knowing_the_same_ops(self.replica.units.get(unit_id), unit_id)
        self._free.append(unit_id)

    # Helpers ---------------------------------------------------------------------------
    def _device(self, device_id: str, user_id: str | None = None) -> Commands:
        seqs = itertools.count(1)
        clock = HybridClock(lambda: self._now, max_offset_ms=10**12)
        return Commands(device_id, user_id or f"user-{device_id}", clock, lambda: next(seqs))

    def _console(self) -> Commands:
        return self._rng.choice(self.consoles)

    def _text(self, low: int, high: int) -> str:
        return " ".join(self._rng.choices(_WORDS, k=self._rng.randint(low, high)))


def replay(ops: list[Op]) -> Replica:
    """The reference state after ``ops`` (e.g. a prefix of a fleet's log)."""
    replica = Replica()
    for op in ops:
        replica.apply(op)
    return replica
