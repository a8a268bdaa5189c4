"""The device's tables: what stays in clear, and what is only ever a sealed blob.

In clear: ids, codes, statuses, priorities, clocks, counts and sync metadata, so the queue can
be sorted and the outbox read without decrypting everything.  Everything that can hold caller
PII or case detail (address, caller, callback number, narrative, notes, field history) lives
only inside the AES-GCM blobs ``entity.state`` and ``op_log.op``.

Tables use their own SQLModel registry so they never mix with the server's tables.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKeyConstraint, Index, LargeBinary
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

SCHEMA_VERSION = 4
"""2 added ``entity_base``, 3 ``op_log.refused``, 4 ``purged`` (``mobile_app.store.migrations``
upgrades older files)."""


class DeviceTable(SQLModel, registry=registry()):
    """Base of the device tables (a separate metadata from the server's)."""


class EntityRow(DeviceTable, table=True):
    """Current merged state of one incident or unit."""

    __tablename__ = "entity"
    __table_args__ = (Index("ix_entity_queue", "kind", "is_open", "priority", "received_ms"),)

    kind: str = Field(primary_key=True, description="incident | unit")
    entity_id: str = Field(primary_key=True)
    created: bool = Field(default=False, description="incident create op seen (units: always)")
    incident_type: str | None = None
    priority: int | None = None
    status: str
    is_open: bool = False
    received_ms: int | None = None
    incident_id: str | None = Field(default=None, description="unit: the incident it is on")
    name: str | None = Field(default=None, description="unit call sign (not PII)")
    updated_hlc: str = ""
    conflicts: int = 0
    open_conflicts: int = 0
    callback_index: str | None = Field(default=None, index=True, description="blind index")
    state: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class EntityBaseRow(DeviceTable, table=True):
    """The server's merged state of an entity as adopted from a snapshot (a resync after the
    server compacted its change log): what the op log's later ops build on.  Without it, a
    rebuild from the log alone would drop everything the snapshot summarised."""

    __tablename__ = "entity_base"

    kind: str = Field(primary_key=True, description="incident | unit")
    entity_id: str = Field(primary_key=True)
    state: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class OpLogRow(DeviceTable, table=True):
    """Every op applied here, own and pulled; own ops above the acked seq are the outbox."""

    __tablename__ = "op_log"
    __table_args__ = (
        ForeignKeyConstraint(["kind", "entity_id"], ["entity.kind", "entity.entity_id"]),
        Index("ix_op_log_entity", "kind", "entity_id"),
    )

    device_id: str = Field(primary_key=True)
    seq: int = Field(primary_key=True)
    kind: str
    entity_id: str
    op_kind: str = Field(description="body kind, e.g. incident.update")
    hlc: str
    server_seq: int | None = Field(default=None, description="null until the server has it")
    refused: str | None = Field(
        default=None, description="why the server refused this op for good: undone here"
    )
    op: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class PurgedRow(DeviceTable, table=True):
    """An incident closed long ago whose records left this device (``retention``): only its id
    stays, in clear, so that a change to it pulled later (someone reopened it) is known to lack
    its history and the whole incident is fetched from the server again."""

    __tablename__ = "purged"

    kind: str = Field(primary_key=True, description="incident")
    entity_id: str = Field(primary_key=True)
    purged_ms: int
    refetch: bool = Field(default=False, description="a change arrived since: fetch it whole")


class MetaRow(DeviceTable, table=True):
    """Identity, counters, cursor and clock of this store (no secrets, no PII)."""

    __tablename__ = "meta"

    key: str = Field(primary_key=True)
    value: str
