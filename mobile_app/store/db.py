"""SQLite connections with the settings the store's guarantees rely on.

- WAL: readers (the UI) never block the writer, and the writer never blocks readers.
- synchronous=FULL for the dispatcher's own writes: with WAL, NORMAL survives an app crash but
  may lose the last commits on power loss or an OS crash; an acknowledged 911 entry must
  survive a dead battery, and FULL costs one fsync of the WAL per commit.
- synchronous=NORMAL for merging pulled changes (``WriteMode.durable`` False): what a power cut
  can lose is a tail of the WAL, whole commits with the cursor that came with them, and the
  server still has those changes to pull again.  A later FULL commit syncs the WAL with every
  frame before it, so a merge is never lost from under a local write that came after it.
- secure_delete: freed pages are zeroed, so old ciphertext does not linger in the file.
- temp_store=MEMORY: sorts and temporary tables never spill to unencrypted temp files.
- wal_autocheckpoint=4000 pages (a 16 MB WAL, reused once grown): the commit that crosses
  the limit copies the WAL into the database and waits for that fsync, a few milliseconds.
  At SQLite's default of 1000 pages, about one dispatcher's write in 100 paid it (a write
  touches ~10 pages); now it is one in 400, and a page written many times between
  checkpoints is copied once (``python -m bench --only local_write``: p99 1.8-2.0 ms ->
  0.9-1.3 ms, merges 2-5% faster).
- Writes begin IMMEDIATE (take the write lock up front) so two writers cannot deadlock while
  upgrading; reads use deferred transactions and see a consistent snapshot.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.pool import QueuePool
from sqlmodel import create_engine

BUSY_TIMEOUT_MS = 5_000
WAL_CHECKPOINT_PAGES = 4_000

#: Every statement the driver runs, values included, at DEBUG (the store's hottest statements
#: bypass SQLAlchemy and its ``sqlalchemy.engine`` log).  Values are what is stored: ciphertext
#: for every field that can hold PII.  Followed only while DEBUG is on for this logger, checked
#: at every BEGIN: SQLite expands each statement with its values (a sealed blob as hex) before
#: calling back, which cost more than the insert itself (80 us per 4 kB row).
SQL_LOG = logging.getLogger("mobile_app.store.sql")
_TRACED = "mobile_app.store.traced"


def _trace(statement: str) -> None:
    SQL_LOG.debug(statement)


def _follow_sql_log(dbapi_connection: Any, info: dict[str, Any]) -> None:
    """Install or remove the driver's statement callback as ``SQL_LOG``'s level says."""
    wanted = SQL_LOG.isEnabledFor(logging.DEBUG)
    if info.get(_TRACED, False) != wanted:
        dbapi_connection.set_trace_callback(_trace if wanted else None)
        info[_TRACED] = wanted


_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
    "PRAGMA secure_delete=ON",
    "PRAGMA foreign_keys=ON",
    "PRAGMA temp_store=MEMORY",
    f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}",
)


@dataclass
class WriteMode:
    """How the next write transaction commits: set under the write gate, read at its BEGIN."""

    durable: bool = True


@dataclass(frozen=True)
class Engines:
    writer: Engine
    reader: Engine
    write_mode: WriteMode

    def dispose(self) -> None:
        self.writer.dispose()
        self.reader.dispose()


def open_engines(db_path: Path) -> Engines:
    if not db_path.exists():
        os.close(os.open(db_path, os.O_WRONLY | os.O_CREAT, 0o600))
    mode = WriteMode()
    return Engines(
        writer=_engine(db_path, "BEGIN IMMEDIATE", 1, mode),
        reader=_engine(db_path, "BEGIN", 4, None),
        write_mode=mode,
    )


def _engine(db_path: Path, begin: str, pool_size: int, mode: WriteMode | None) -> Engine:
    engine = create_engine(
        f"sqlite:///{db_path}",
        connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
        poolclass=QueuePool,
        pool_size=pool_size,
        max_overflow=0 if pool_size == 1 else 4,
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so BEGIN is ours (SQLAlchemy recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in _PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # Straight to the driver: SQLAlchemy's statement machinery cost ~50 us per BEGIN, a
        # tenth of a dispatcher's write.
        info = connection.connection.info  # lives as long as the pooled connection
        driver = connection.connection.driver_connection
        _follow_sql_log(driver, info)
        if mode is not None:
            wanted = "FULL" if mode.durable else "NORMAL"
            if info.get("synchronous") != wanted:
                driver.execute(f"PRAGMA synchronous={wanted}")
                info["synchronous"] = wanted
        driver.execute(begin)

    return engine
