"""Bringing an existing server database up to this version's tables, in place.

Tables this version adds are created by ``create_all``; columns it adds to existing tables are
added here, each with its database default, so rows written by an older server read as they
did.  Only additions: an upgraded server never loses a row an older one wrote.
"""

from __future__ import annotations

import logging

from sqlalchemy import Column, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateColumn
from sqlmodel import SQLModel

log = logging.getLogger(__name__)


class SchemaTooNew(RuntimeError):
    """A column this server needs cannot be added by itself (no default to fill old rows)."""


def add_missing_columns(connection: Connection) -> list[str]:
    """Add every column the tables declare but the database lacks; returns "table.column"s."""
    inspector = inspect(connection)
    added: list[str] = []
    for table in SQLModel.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue  # create_all makes it whole
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            _require_default(table.name, column)
            ddl = CreateColumn(column).compile(dialect=connection.dialect)
            name = connection.dialect.identifier_preparer.quote(table.name)
            connection.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN {ddl}")
            log.warning("upgraded the database: added %s.%s", table.name, column.name)
            added.append(f"{table.name}.{column.name}")
    return added


def _require_default(table: str, column: Column[object]) -> None:
    if not column.nullable and column.server_default is None:
        raise SchemaTooNew(
            f"{table}.{column.name} is required but has no default for existing rows"
        )
