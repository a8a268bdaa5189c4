"""Upgrading a store file written by an older version of the app, in place, at unlock.

Each step takes the file from one schema version to the next inside one transaction with the
version bump, so an interrupted upgrade is simply run again.  Steps only ever add: a tablet
that was offline through several releases keeps every record.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine

from mobile_app.store.errors import StoreError
from mobile_app.store.repository import RESYNC_NEEDED, get_meta, set_meta
from mobile_app.store.schema import SCHEMA_VERSION, DeviceTable, EntityBaseRow, PurgedRow


def _add_entity_base(connection: Connection) -> None:
    """Entities this store adopted from a snapshot before bases existed have no base, and their
    history is not in the log: one resync (a full pull, or a snapshot, whose states become
    bases) makes every entity rebuildable again."""
    DeviceTable.metadata.tables[EntityBaseRow.__tablename__].create(connection, checkfirst=True)
    set_meta(connection, **{RESYNC_NEEDED: 1})


def _add_op_refused(connection: Connection) -> None:
    """Ops the server refused for good are kept in the log, marked, and left out of rebuilds."""
    columns = {row[1] for row in connection.exec_driver_sql("PRAGMA table_info(op_log)")}
    if "refused" not in columns:
        connection.exec_driver_sql("ALTER TABLE op_log ADD COLUMN refused VARCHAR")


def _add_purged(connection: Connection) -> None:
    """Where incidents that left the device under the retention rule are remembered."""
    DeviceTable.metadata.tables[PurgedRow.__tablename__].create(connection, checkfirst=True)


STEPS: dict[int, Callable[[Connection], None]] = {
    1: _add_entity_base,
    2: _add_op_refused,
    3: _add_purged,
}
"""From version N to N + 1."""


def upgrade(engine: Engine) -> None:
    """Bring the file to ``SCHEMA_VERSION``; refuse a file from a newer app, which this one
    could misread."""
    with engine.begin() as connection:
        version = _version(connection)
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"this store has schema {version}, written by a newer app; "
                f"this app reads up to {SCHEMA_VERSION}: update the app"
            )
        while version < SCHEMA_VERSION:
            STEPS[version](connection)
            version += 1
            set_meta(connection, schema=version)


def _version(connection: Connection) -> int:
    found = get_meta(connection).get("schema", "")
    if not found.isdigit():
        raise StoreError(f"this store has no readable schema version ({found!r})")
    return int(found)
