"""The dispatcher's actions: each is one op, committed with its effect in one transaction.

Ops are built only by ``shared.commands.Commands`` (which owns the lifecycle checks); this
module finds the current state, turns bad input into a ``CommandError`` with words for the
dispatcher (never echoing values: they can be caller PII) and commits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from mobile_app.store.core import StoreCore
from mobile_app.store.errors import describe_invalid
from mobile_app.store.listeners import ChangeKind, StoreChange
from mobile_app.store.repository import get_meta, set_meta
from shared.commands import CommandError
from shared.lifecycle import IncidentStatus, UnitStatus
from shared.merge import IncidentState, UnitState, apply_op, new_state
from shared.merge.replica import EntityState
from shared.protocol import Entity, IncidentFields, Op

S = TypeVar("S", IncidentState, UnitState)
E = TypeVar("E", IncidentStatus, UnitStatus)
Fields = IncidentFields | Mapping[str, Any]


class StoreActions(StoreCore):
    # Incidents ---------------------------------------------------------------------------
    def create_incident(
        self,
        fields: Fields,
        priority: int,
        narrative: str = "",
        *,
        incident_id: str | None = None,
        received_ms: int | None = None,
        late: bool = False,
    ) -> Op:
        """A new incident; ``late=True`` with ``received_ms`` re-keys a paper call sheet."""

        def build(state: EntityState | None) -> Op:
            if isinstance(state, IncidentState) and state.created is not None:
                raise CommandError(f"incident {incident_id} already exists")
            return self._commands.create_incident(
                _fields(fields),
                priority,
                narrative,
                incident_id=incident_id,
                received_ms=received_ms,
                late=late,
            )

        return self._act(Entity.INCIDENT, incident_id, build)

    def update_incident(self, incident_id: str, fields: Fields) -> Op:
        return self._on(
            IncidentState,
            incident_id,
            lambda state: self._commands.update_incident(state, _fields(fields)),
        )

    def change_priority(self, incident_id: str, priority: int) -> Op:
        return self._on(
            IncidentState,
            incident_id,
            lambda state: self._commands.change_priority(state, priority),
        )

    def set_incident_status(
        self,
        incident_id: str,
        status: IncidentStatus | str,
        *,
        disposition: str | None = None,
        event_ms: int | None = None,
        late: bool = False,
    ) -> Op:
        target = _enum(IncidentStatus, status, "incident status")
        return self._on(
            IncidentState,
            incident_id,
            lambda state: self._commands.set_incident_status(
                state, target, disposition=disposition, event_ms=event_ms, late=late
            ),
        )

    def add_note(
        self, incident_id: str, text: str, *, event_ms: int | None = None, late: bool = False
    ) -> Op:
        return self._on(
            IncidentState,
            incident_id,
            lambda state: self._commands.add_note(state, text, event_ms=event_ms, late=late),
        )

    def resolve_incident_conflict(
        self,
        incident_id: str,
        conflict_id: str,
        action: str,
        *,
        priority: int | None = None,
        comment: str = "",
    ) -> Op:
        return self._on(
            IncidentState,
            incident_id,
            lambda state: self._commands.resolve_incident_conflict(
                state, conflict_id, action, priority=priority, comment=comment
            ),
        )

    # Units -------------------------------------------------------------------------------
    def upsert_unit(
        self,
        unit_id: str | None = None,
        *,
        name: str | None = None,
        unit_type: str | None = None,
        station: str | None = None,
    ) -> Op:
        """Create a unit (a new id unless given) or change its descriptive fields."""

        def build(state: EntityState | None) -> Op:
            current = state if isinstance(state, UnitState) else None
            return self._commands.upsert_unit(
                current, unit_id=unit_id, name=name, unit_type=unit_type, station=station
            )

        return self._act(Entity.UNIT, unit_id, build)

    def set_unit_status(
        self,
        unit_id: str,
        status: UnitStatus | str,
        *,
        incident_id: str | None = None,
        event_ms: int | None = None,
        late: bool = False,
    ) -> Op:
        target = _enum(UnitStatus, status, "unit status")
        return self._on(
            UnitState,
            unit_id,
            lambda state: self._commands.set_unit_status(
                state, target, incident_id=incident_id, event_ms=event_ms, late=late
            ),
        )

    def record_late_unit_status(
        self, unit_id: str, status: UnitStatus | str, *, incident_id: str | None, event_ms: int
    ) -> Op:
        """A status change from the paper log, with the time it really happened."""
        target = _enum(UnitStatus, status, "unit status")
        return self._on(
            UnitState,
            unit_id,
            lambda state: self._commands.record_late_unit_status(
                state, target, incident_id=incident_id, event_ms=event_ms
            ),
        )

    def resolve_unit_conflict(
        self, unit_id: str, conflict_id: str, keep_incident_id: str, *, comment: str = ""
    ) -> Op:
        return self._on(
            UnitState,
            unit_id,
            lambda state: self._commands.resolve_unit_conflict(
                state, conflict_id, keep_incident_id, comment=comment
            ),
        )

    # One transaction per action ------------------------------------------------------------
    def _on(self, model: type[S], entity_id: str, build: Callable[[S], Op]) -> Op:
        kind = Entity.UNIT if model is UnitState else Entity.INCIDENT

        def checked(state: EntityState | None) -> Op:
            if not isinstance(state, model):
                raise CommandError(f"no {kind.value} {entity_id} on this device")
            return build(state)

        return self._act(kind, entity_id, checked)

    def _act(
        self, kind: Entity, entity_id: str | None, build: Callable[[EntityState | None], Op]
    ) -> Op:
        """Build an op from the current state; commit op log + effect + counters together."""
        try:
            with self._write(local=True) as s:
                repo = self._unlocked()
                self._seq = int(get_meta(s)["next_seq"])
                state = repo.load_for_write(s, kind, entity_id) if entity_id else None
                op = build(state)
                target = state if state is not None else new_state(op)
                apply_op(target, op)
                repo.save(s, target)
                repo.append(s, [(op, None)])
                set_meta(s, next_seq=self._seq, hlc_last=self._clock.last.encode())
        except ValidationError as invalid:
            raise CommandError(describe_invalid(invalid)) from None
        self._listeners.notify(
            StoreChange(ChangeKind.LOCAL, frozenset({(op.entity, op.entity_id)}))
        )
        return op


def _fields(fields: Fields) -> IncidentFields:
    if isinstance(fields, IncidentFields):
        return fields
    return IncidentFields.model_validate(dict(fields))


def _enum(enum: type[E], value: E | str, what: str) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(e.value for e in enum)
        raise CommandError(f"{value!r} is not a {what} (one of {allowed})") from None
