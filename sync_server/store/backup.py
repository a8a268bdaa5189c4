"""A consistent copy of a running server's SQLite database (the embedded default).

Copying the file of a live WAL database can catch it mid-write; SQLite's online backup reads
one consistent snapshot while the server keeps serving.  The copy is checked before it is
given its name, never overwrites anything, and is readable only by its owner (it holds the
password hashes and the sealed records).  It is useless without the server key, which is
the point: keep the two apart.  PostgreSQL deployments use the agency's PostgreSQL backups.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import make_url

from sync_server.store.db import Database


class BackupRefused(Exception):
    """Why no backup was made, in words for the operator."""


@dataclass(frozen=True)
class BackupMade:
    path: Path
    size_bytes: int
    latest_change: int


def backup_sqlite(db: Database, destination: Path) -> BackupMade:
    if not db.is_sqlite:
        raise BackupRefused(
            "this server keeps its data in PostgreSQL: back it up with the agency's PostgreSQL "
            "backups (pg_dump, or continuous archiving)"
        )
    if destination.exists():
        raise BackupRefused(f"{destination} already exists: a backup never overwrites a file")
    source = make_url(db.url).database
    if not source or source == ":memory:":
        raise BackupRefused("this server's database is in memory: there is no file to back up")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(partial)) as copy:
            live.backup(copy)
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            if verdict != "ok":
                raise BackupRefused(f"the copy failed SQLite's integrity check: {verdict}")
            latest = copy.execute("SELECT coalesce(max(seq), 0) FROM da_change").fetchone()[0]
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return BackupMade(destination, destination.stat().st_size, int(latest))
