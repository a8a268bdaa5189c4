"""Engines and transactions for the two supported databases.

SQLite (the embedded default): WAL, a busy timeout, full fsync, and ``BEGIN IMMEDIATE`` for
writes so writers queue instead of failing half-way.  PostgreSQL (psycopg 3): appends to the
change log take a transaction-scoped advisory lock, so change sequence order equals commit
order and a puller can never skip a change that commits late with a smaller number.

Several deployments may share one PostgreSQL database in different schemas (``search_path``
in the URL, e.g. ``?options=-csearch_path%3Dagency1``); the lock key and the notification
channel are derived from the schema, so they never cross.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, CursorResult, Engine, Result, make_url
from sqlmodel import Session, SQLModel, create_engine

from sync_server.store import tables  # noqa: F401  (registers the tables)
from sync_server.store.upgrade import add_missing_columns

SQLITE_BUSY_MS = 15_000


def normalize_url(url: str) -> str:
    """Accept libpq-style PostgreSQL URLs and pick the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" hook below opens transactions
    cursor = dbapi_conn.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged push survives a power cut
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def _key(*parts: str) -> int:
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Database:
    """One database: sessions for reading, for writing, and for appending changes."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        parsed = make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self._namespace: tuple[str, str] | None = None
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(
                self.url,
                connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_MS / 1000},
            )
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
            self._write_engine: Engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        else:
            self.engine = create_engine(self.url, pool_size=5, max_overflow=10, pool_pre_ping=True)
            self._write_engine = self.engine

    # Sessions ------------------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def write(self, *, append: bool = False) -> Iterator[Session]:
        """A transaction that commits on success and rolls back entirely on any exception.

        ``append=True`` is for transactions that add to the change log: they are serialized.
        """
        key = self.lock_key("append") if append and not self.is_sqlite else None
        with Session(self._write_engine, expire_on_commit=False) as session, session.begin():
            if key is not None:
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            yield session

    # Schema --------------------------------------------------------------------------------
    def create_all(self) -> None:
        """Create missing tables and add missing columns (a database an older server wrote);
        safe when several servers start at once."""
        with self._write_engine.begin() as conn:
            if not self.is_sqlite:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": self.lock_key("ddl")})
            SQLModel.metadata.create_all(conn)
            add_missing_columns(conn)

    def drop_all(self) -> None:
        with self._write_engine.begin() as conn:
            SQLModel.metadata.drop_all(conn)

    def dispose(self) -> None:
        self.engine.dispose()

    # PostgreSQL coordination ---------------------------------------------------------------
    def namespace(self) -> tuple[str, str]:
        """(database, schema) this URL writes to; SQLite: (file, "main")."""
        if self._namespace is None:
            if self.is_sqlite:
                self._namespace = (str(make_url(self.url).database), "main")
            else:
                with self.engine.connect() as conn:
                    row = conn.execute(text("SELECT current_database(), current_schema()")).one()
                self._namespace = (str(row[0]), str(row[1]))
        return self._namespace

    def lock_key(self, purpose: str) -> int:
        return _key("dispatch-anywhere", purpose, *self.namespace())

    @property
    def channel(self) -> str:
        """The LISTEN/NOTIFY channel announcing new changes in this schema."""
        return "da_changes_" + hashlib.sha256("/".join(self.namespace()).encode()).hexdigest()[:20]

    def notify_in(self, session: Session, seq: int) -> None:
        """Queue a change notification, delivered by PostgreSQL when ``session`` commits."""
        if not self.is_sqlite:
            session.execute(
                text("SELECT pg_notify(:channel, :seq)"), {"channel": self.channel, "seq": str(seq)}
            )

    def libpq_conninfo(self) -> str:
        """The URL for a plain psycopg connection (the LISTEN side)."""
        url = make_url(self.url).set(drivername="postgresql")
        return url.render_as_string(hide_password=False)


def affected(result: Result[Any]) -> int:
    """How many rows a DELETE or UPDATE touched: ``Session.execute`` is typed as returning a
    plain ``Result``, but for those statements it is the ``CursorResult`` that counts them."""
    return cast(CursorResult[Any], result).rowcount
