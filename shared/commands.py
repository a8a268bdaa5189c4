"""Turn a user's action into an operation, after checking it against the lifecycles.

This is the only place ops are built, on devices and on the server alike, so the causal
context and the HLC stamp are always filled in the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from shared.hlc import HybridClock
from shared.lifecycle import (
    COMMITTED,
    IllegalTransition,
    IncidentStatus,
    UnitStatus,
    incident_transition,
    is_open,
    unit_transition,
)
from shared.merge.incidents import IncidentState
from shared.merge.replica import EntityState
from shared.merge.units import UnitState, unit_headline
from shared.protocol import (
    Body,
    IncidentCreate,
    IncidentFields,
    IncidentPriority,
    IncidentResolve,
    IncidentStatusChange,
    IncidentUpdate,
    NoteAdd,
    Op,
    UnitResolve,
    UnitStatusChange,
    UnitUpsert,
)


class CommandError(ValueError):
    """A local action that cannot be taken, with words for the dispatcher."""


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


def context_of(state: EntityState | None) -> dict[str, int]:
    """Per device, the highest seq of its ops on this entity that this replica has applied."""
    ctx: dict[str, int] = {}
    if state is None:
        return ctx
    for op_id in state.applied:
        device, _, seq = op_id.rpartition(":")
        ctx[device] = max(ctx.get(device, 0), int(seq))
    return ctx


class Commands:
    """Builds ops for one user on one device."""

    def __init__(
        self, device_id: str, user_id: str, clock: HybridClock, next_seq: Callable[[], int]
    ) -> None:
        self.device_id = device_id
        self.user_id = user_id
        self.clock = clock
        self._next_seq = next_seq

    def _op(self, entity_id: str, state: EntityState | None, body: Body) -> Op:
        return Op(
            device_id=self.device_id,
            seq=self._next_seq(),
            hlc=self.clock.now().encode(),
            user_id=self.user_id,
            entity_id=entity_id,
            ctx=context_of(state),
            body=body,
        )

    # Incidents -------------------------------------------------------------------------
    def create_incident(
        self,
        fields: IncidentFields,
        priority: int,
        narrative: str = "",
        *,
        incident_id: str | None = None,
        received_ms: int | None = None,
        late: bool = False,
    ) -> Op:
        body = IncidentCreate(
            fields=fields,
            priority=priority,
            narrative=narrative,
            received_ms=received_ms,
            late=late,
        )
        return self._op(incident_id or new_id("inc"), None, body)

    def update_incident(self, state: IncidentState, fields: IncidentFields) -> Op:
        self._require_open(state)
        return self._op(state.id, state, IncidentUpdate(fields=fields))

    def change_priority(self, state: IncidentState, priority: int) -> Op:
        self._require_open(state)
        previous = state.view().priority
        if previous is None:
            raise CommandError("this incident has no priority yet")
        if previous == priority:
            raise CommandError(f"priority is already {priority}")
        return self._op(state.id, state, IncidentPriority(priority=priority, previous=previous))

    def set_incident_status(
        self,
        state: IncidentState,
        status: IncidentStatus,
        *,
        disposition: str | None = None,
        event_ms: int | None = None,
        late: bool = False,
    ) -> Op:
        self._require_exists(state)
        try:
            incident_transition(state.view().status, status)
        except IllegalTransition as illegal:
            raise CommandError(str(illegal)) from illegal
        body = IncidentStatusChange(
            status=status, disposition=disposition, event_ms=event_ms, late=late
        )
        return self._op(state.id, state, body)

    def add_note(
        self, state: IncidentState, text: str, *, event_ms: int | None = None, late: bool = False
    ) -> Op:
        self._require_open(state)
        body = NoteAdd(note_id=new_id("note"), text=text, event_ms=event_ms, late=late)
        return self._op(state.id, state, body)

    def resolve_incident_conflict(
        self,
        state: IncidentState,
        conflict_id: str,
        action: str,
        *,
        priority: int | None = None,
        comment: str = "",
    ) -> Op:
        if conflict_id not in state.conflicts:
            raise CommandError(f"no conflict {conflict_id} on this incident")
        body = IncidentResolve.model_validate(
            {"conflict_id": conflict_id, "action": action, "priority": priority, "comment": comment}
        )
        return self._op(state.id, state, body)

    # Units -----------------------------------------------------------------------------
    def upsert_unit(
        self,
        state: UnitState | None,
        *,
        unit_id: str | None = None,
        name: str | None = None,
        unit_type: str | None = None,
        station: str | None = None,
    ) -> Op:
        given = {"name": name, "unit_type": unit_type, "station": station}
        body = UnitUpsert(**{k: v for k, v in given.items() if v is not None})
        target = state.id if state is not None else unit_id or new_id("unit")
        return self._op(target, state, body)

    def set_unit_status(
        self,
        state: UnitState,
        status: UnitStatus,
        *,
        incident_id: str | None = None,
        event_ms: int | None = None,
        late: bool = False,
    ) -> Op:
        # The headline folds the events once; the full view would also build a read model of
        # every event in the unit's history, which grows all shift.
        view = unit_headline(state)
        try:
            unit_transition(view.status, status)
        except IllegalTransition as illegal:
            raise CommandError(str(illegal)) from illegal
        follows_current = status in COMMITTED or status is UnitStatus.CLEARED
        if incident_id is None and status is not UnitStatus.DISPATCHED and follows_current:
            incident_id = view.incident_id
        body = UnitStatusChange(
            status=status, incident_id=incident_id, event_ms=event_ms, late=late
        )
        return self._op(state.id, state, body)

    def record_late_unit_status(
        self, state: UnitState, status: UnitStatus, *, incident_id: str | None, event_ms: int
    ) -> Op:
        """Enter a status change from the paper log with the time it really happened.

        The live lifecycle check does not apply: the event is a past fact, and the merge keeps
        any out-of-order event as an anomaly for the supervisor rather than dropping it.
        """
        if event_ms > self.clock.physical():
            raise CommandError("a late entry cannot be in the future")
        body = UnitStatusChange(
            status=status, incident_id=incident_id, event_ms=event_ms, late=True
        )
        return self._op(state.id, state, body)

    def resolve_unit_conflict(
        self, state: UnitState, conflict_id: str, keep_incident_id: str, *, comment: str = ""
    ) -> Op:
        conflict = state.conflicts.get(conflict_id)
        if conflict is None:
            raise CommandError(f"no conflict {conflict_id} on this unit")
        if keep_incident_id not in {s.value for s in conflict.sides.values()}:
            raise CommandError(f"{keep_incident_id} is not one of the conflicting incidents")
        body = UnitResolve(
            conflict_id=conflict_id, keep_incident_id=keep_incident_id, comment=comment
        )
        return self._op(state.id, state, body)

    # Guards ----------------------------------------------------------------------------
    @staticmethod
    def _require_exists(state: IncidentState) -> None:
        if state.created is None:
            raise CommandError("this incident has not been created on this device yet")

    def _require_open(self, state: IncidentState) -> None:
        self._require_exists(state)
        status = state.view().status
        if not is_open(status):
            raise CommandError(f"the incident is {status.value.lower()}; reopen it first")
