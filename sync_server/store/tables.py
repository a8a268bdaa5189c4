"""The server's tables.  Incident content is sealed (``store.crypto``); only ids, codes,
statuses, sequence numbers, HLC stamps and times are in clear columns.

Times are epoch milliseconds (BIGINT).  ``da_change.seq`` never reuses a value, even after
compaction deleted the newest rows (SQLite AUTOINCREMENT; a PostgreSQL identity).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

_ID = BigInteger().with_variant(Integer(), "sqlite")


class UserRow(SQLModel, table=True):
    __tablename__ = "da_user"

    username: str = Field(primary_key=True, max_length=64)
    role: str = Field(max_length=16)
    #: When an administrator last changed ``role`` (0: as created); the later change wins
    #: when two sites merge their copies of the account.
    role_changed_ms: int = Field(
        default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"}
    )
    display_name: str = Field(default="", max_length=64)
    password_hash: str = Field(max_length=512)
    #: When an administrator last reset the password (0: as created); the later reset wins
    #: between sites.
    password_changed_ms: int = Field(
        default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"}
    )
    #: When this site last ended every session of the account (a password reset or a new
    #: authenticator app, made here or taken from a peer), on this site's own clock: access
    #: tokens issued before it are refused.  Not replicated: a peer's clock may be off, and
    #: a reset stamped an hour ahead there must not shut the account out here for an hour.
    sessions_ended_ms: int = Field(
        default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"}
    )
    active: bool = True
    #: The authenticator app's secret, sealed (``auth.authenticator``); None: password only.
    totp: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    #: When an administrator last set up the authenticator; the later one wins between sites.
    totp_changed_ms: int = Field(
        default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"}
    )
    #: The newest code step used here: a code is accepted once (per site, not replicated).
    totp_last_step: int = Field(
        default=0, sa_type=BigInteger, sa_column_kwargs={"server_default": "0"}
    )
    failed_logons: int = 0
    locked_until_ms: int = Field(default=0, sa_type=BigInteger)
    created_ms: int = Field(default=0, sa_type=BigInteger)


class DeviceRow(SQLModel, table=True):
    __tablename__ = "da_device"

    device_id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(max_length=64, index=True)
    name: str = Field(max_length=64)
    #: Highest of this device's seqs applied; updated in the same transaction as the effects.
    last_seq: int = Field(default=0, sa_type=BigInteger)
    #: Highest pull cursor the device has confirmed holding (None: never pulled).
    acked_seq: int | None = Field(default=None, sa_type=BigInteger)
    revoked: bool = False
    revoked_ms: int | None = Field(default=None, sa_type=BigInteger)
    created_ms: int = Field(default=0, sa_type=BigInteger)
    last_seen_ms: int | None = Field(default=None, sa_type=BigInteger)


class DeviceUserRow(SQLModel, table=True):
    """Who has logged on from which device: the only authors that device may push ops for."""

    __tablename__ = "da_device_user"

    device_id: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(primary_key=True, max_length=64)
    first_ms: int = Field(default=0, sa_type=BigInteger)


class ChangeRow(SQLModel, table=True):
    """The append-only change log: every accepted op, winners and losers of merges alike."""

    __tablename__ = "da_change"
    __table_args__ = (
        UniqueConstraint("device_id", "device_seq", name="uq_change_op"),
        {"sqlite_autoincrement": True},
    )

    seq: int | None = Field(
        default=None, sa_column=Column(_ID, primary_key=True, autoincrement=True)
    )
    device_id: str = Field(max_length=64)
    device_seq: int = Field(sa_type=BigInteger)
    entity: str = Field(max_length=16)
    entity_id: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=32)
    hlc: str = Field(max_length=32)
    user_id: str = Field(max_length=64)
    received_ms: int = Field(default=0, sa_type=BigInteger)
    #: Why the op was refused for good (None: accepted and merged); see ``Change.refused``.
    refused: str | None = Field(default=None, max_length=500)
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class EntityRow(SQLModel, table=True):
    """Merged state of one incident or unit (sealed), with its clear status for timers."""

    __tablename__ = "da_entity"
    __table_args__ = (Index("ix_entity_status", "entity", "status"),)

    entity: str = Field(primary_key=True, max_length=16)
    entity_id: str = Field(primary_key=True, max_length=64)
    state: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    updated_seq: int = Field(default=0, sa_type=BigInteger)
    status: str | None = Field(default=None, max_length=32)
    status_since_ms: int | None = Field(default=None, sa_type=BigInteger)
    incident_id: str | None = Field(default=None, max_length=64)


class ConflictRow(SQLModel, table=True):
    """Index of the conflict records inside entity states, for the supervisor's inbox."""

    __tablename__ = "da_conflict"

    conflict_id: str = Field(sa_column=Column(String(320), primary_key=True))
    entity: str = Field(max_length=16)
    entity_id: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    open: bool = Field(default=True, index=True)
    updated_seq: int = Field(default=0, sa_type=BigInteger)


class RefreshTokenRow(SQLModel, table=True):
    """A refresh token, stored only as a keyed hash; rotated on every use."""

    __tablename__ = "da_refresh_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    family: str = Field(max_length=64, index=True)
    user_id: str = Field(max_length=64)
    device_id: str = Field(max_length=64, index=True)
    created_ms: int = Field(default=0, sa_type=BigInteger)
    expires_ms: int = Field(default=0, sa_type=BigInteger, index=True)
    replaced_ms: int | None = Field(default=None, sa_type=BigInteger)


class AuditRow(SQLModel, table=True):
    """CJIS audit record: date/time, component, event type, user, device, outcome."""

    __tablename__ = "da_audit"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(
        default=None, sa_column=Column(_ID, primary_key=True, autoincrement=True)
    )
    time_ms: int = Field(default=0, sa_type=BigInteger, index=True)
    component: str = Field(max_length=32)
    event_type: str = Field(max_length=48, index=True)
    user_id: str | None = Field(default=None, max_length=64)
    device_id: str | None = Field(default=None, max_length=64)
    outcome: str = Field(max_length=16)
    detail: str = Field(default="", max_length=500)


class AlertRow(SQLModel, table=True):
    """A timer alert for supervisors, raised once per unit per on-scene stint."""

    __tablename__ = "da_alert"
    __table_args__ = (UniqueConstraint("kind", "unit_id", "since_ms", name="uq_alert_once"),)

    id: int | None = Field(
        default=None, sa_column=Column(_ID, primary_key=True, autoincrement=True)
    )
    kind: str = Field(max_length=32)
    unit_id: str = Field(max_length=64)
    incident_id: str | None = Field(default=None, max_length=64)
    since_ms: int = Field(default=0, sa_type=BigInteger)
    raised_ms: int = Field(default=0, sa_type=BigInteger)
    acked_by: str | None = Field(default=None, max_length=64)
    acked_ms: int | None = Field(default=None, sa_type=BigInteger)


class MetaRow(SQLModel, table=True):
    """Small server facts, e.g. the compaction horizon."""

    __tablename__ = "da_meta"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=256)
