"""Entity state and ops to sealed blobs and back, plus the clear columns of an entity row.

Pure: no database here, so the rules about what is sealed and what stays in clear are in one
small place that can be read and tested on its own.
"""

from __future__ import annotations

import base64
from typing import Any

from pydantic import ValidationError

from mobile_app.store.crypto import BlindIndex, RecordCipher
from mobile_app.store.errors import CorruptRecord, describe_invalid
from shared.lifecycle import is_open
from shared.merge import IncidentState, UnitState
from shared.merge.incidents import incident_headline
from shared.merge.replica import EntityState
from shared.merge.units import unit_headline
from shared.protocol import Entity, Op

ENTITY_TABLE = "entity"
BASE_TABLE = "entity_base"
OP_TABLE = "op_log"
META_TABLE = "meta"

# Clear columns that one kind of entity does not use.
_NO_COLUMNS: dict[str, Any] = {
    "incident_type": None,
    "priority": None,
    "is_open": False,
    "received_ms": None,
    "incident_id": None,
    "name": None,
    "callback_index": None,
}


class CorruptEntity(CorruptRecord):
    """An entity row that cannot be read; ``LocalStore.rebuild`` re-derives it from the log."""

    def __init__(self, kind: Entity, entity_id: str, reason: str) -> None:
        self.kind = kind
        self.entity_id = entity_id
        super().__init__(f"{ENTITY_TABLE}[{kind.value}/{entity_id}]", reason)


def kind_of(state: EntityState) -> Entity:
    return Entity.UNIT if isinstance(state, UnitState) else Entity.INCIDENT


class RecordCodec:
    def __init__(self, data_key: bytes) -> None:
        self._cipher = RecordCipher(data_key)
        self._index = BlindIndex(data_key)

    # Entity state ------------------------------------------------------------------------
    def seal_state(self, state: EntityState, table: str = ENTITY_TABLE) -> bytes:
        """``table``: ``ENTITY_TABLE`` for the current state, ``BASE_TABLE`` for a snapshot
        base (bound in, so one can never be passed off as the other)."""
        row = f"{kind_of(state).value}/{state.id}"
        return self._cipher.seal(table, row, "state", state.model_dump_json().encode())

    def open_state(self, kind: Entity, entity_id: str, blob: bytes) -> EntityState:
        """The current state of an entity row; ``CorruptEntity`` (rebuildable) if damaged."""
        try:
            return self._open_state(ENTITY_TABLE, kind, entity_id, blob)
        except CorruptRecord as damaged:
            raise CorruptEntity(kind, entity_id, damaged.reason) from None

    def open_base(self, kind: Entity, entity_id: str, blob: bytes) -> EntityState:
        """A snapshot base; ``CorruptRecord`` if damaged (nothing on the device rebuilds it)."""
        return self._open_state(BASE_TABLE, kind, entity_id, blob)

    def _open_state(self, table: str, kind: Entity, entity_id: str, blob: bytes) -> EntityState:
        row = f"{kind.value}/{entity_id}"
        plain = self._cipher.open(table, row, "state", blob)
        model = UnitState if kind is Entity.UNIT else IncidentState
        where = f"{table}[{row}].state"
        try:
            state: EntityState = model.model_validate_json(plain)
        except ValidationError as invalid:
            raise CorruptRecord(where, f"does not parse: {describe_invalid(invalid)}") from None
        if state.id != entity_id:
            raise CorruptRecord(where, "holds another entity's state")
        return state

    # Ops ---------------------------------------------------------------------------------
    def seal_op(self, op: Op) -> bytes:
        return self._cipher.seal(OP_TABLE, op.op_id, "op", op.model_dump_json().encode())

    def open_op(self, device_id: str, seq: int, blob: bytes) -> Op:
        where = f"{device_id}:{seq}"
        plain = self._cipher.open(OP_TABLE, where, "op", blob)
        try:
            op = Op.model_validate_json(plain)
        except ValidationError as invalid:
            raise CorruptRecord(
                f"{OP_TABLE}[{where}].op", f"does not parse: {describe_invalid(invalid)}"
            ) from None
        if op.op_id != where:
            raise CorruptRecord(f"{OP_TABLE}[{where}].op", "holds another op")
        return op

    # Secrets kept for the sync client (refresh token) ----------------------------------------
    def seal_secret(self, name: str, value: str) -> str:
        sealed = self._cipher.seal(META_TABLE, name, "value", value.encode())
        return base64.b64encode(sealed).decode()

    def open_secret(self, name: str, stored: str) -> str:
        try:
            sealed = base64.b64decode(stored, validate=True)
        except ValueError:
            raise CorruptRecord(f"{META_TABLE}[{name}].value", "not a sealed value") from None
        return self._cipher.open(META_TABLE, name, "value", sealed).decode()

    # Clear columns -----------------------------------------------------------------------
    def clear_columns(self, state: EntityState) -> dict[str, Any]:
        """Every clear column of the row: codes, statuses, counts, clocks, blind index."""
        if isinstance(state, UnitState):
            unit = unit_headline(state)
            return {
                **_NO_COLUMNS,
                "created": True,
                "status": unit.status.value,
                "incident_id": unit.incident_id,
                "name": unit.name,
                "updated_hlc": state.updated_hlc,
                "conflicts": len(state.conflicts),
                "open_conflicts": unit.open_conflicts,
            }
        incident = incident_headline(state)
        return {
            **_NO_COLUMNS,
            "created": incident.exists,
            "incident_type": incident.incident_type,
            "priority": incident.priority,
            "status": incident.status.value,
            "is_open": incident.exists and is_open(incident.status),
            "received_ms": incident.received_ms,
            "updated_hlc": state.updated_hlc,
            "conflicts": len(state.conflicts),
            "open_conflicts": incident.open_conflicts,
            "callback_index": self._index.phone(incident.callback_number),
        }

    def callback_index(self, number: str) -> str | None:
        return self._index.phone(number)
