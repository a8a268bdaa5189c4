"""The files of one store on disk, written atomically and destroyed on wipe.

``<name>.db`` (+ ``-wal``/``-shm``) holds the records, ``<name>.db.keys`` the wrapped data key
and the failed-PIN counter, ``<name>.db.secret`` the device secret.  In production the device
secret belongs in the platform keystore (Android Keystore / iOS Keychain, non-exportable),
which is what makes the PIN useless off the device; here a file beside the database stands in
for it.  ``<name>.db.wiped`` is a tombstone saying why a store is gone (it holds no secret).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 20


@dataclass(frozen=True)
class StorePaths:
    db: Path

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> StorePaths:
        return cls(Path(path))

    @property
    def keys(self) -> Path:
        return self.db.with_name(self.db.name + ".keys")

    @property
    def secret(self) -> Path:
        return self.db.with_name(self.db.name + ".secret")

    @property
    def tombstone(self) -> Path:
        return self.db.with_name(self.db.name + ".wiped")

    @property
    def database_files(self) -> tuple[Path, ...]:
        return tuple(self.db.with_name(self.db.name + s) for s in ("", "-wal", "-shm", "-journal"))

    def wipe_reason(self) -> str | None:
        """Why this store was wiped, if it was."""
        try:
            return str(json.loads(self.tombstone.read_text())["reason"])
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            return "unknown reason"


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file, whole."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def shred(path: Path) -> None:
    """Overwrite a file with random bytes, sync, then delete it.

    On flash storage an overwrite may land on new cells, so this is defence in depth: what
    really destroys the data is that the key it was encrypted with is gone (crypto-shredding).
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    with contextlib.suppress(OSError), path.open("r+b") as handle:
        remaining = size
        while remaining > 0:
            step = min(remaining, _CHUNK)
            handle.write(os.urandom(step))
            remaining -= step
        handle.flush()
        os.fsync(handle.fileno())
    path.unlink(missing_ok=True)


def shred_store(paths: StorePaths, reason: str) -> None:
    """Destroy the key material first, then the database files; leave a tombstone."""
    for path in (paths.keys, paths.secret, paths.keys.with_name(paths.keys.name + ".tmp")):
        shred(path)
    for path in paths.database_files:
        shred(path)
    atomic_write(
        paths.tombstone,
        json.dumps({"reason": reason, "wiped_ms": time.time_ns() // 1_000_000}).encode(),
    )


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
