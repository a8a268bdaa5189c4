"""Stores for the benchmarks: the real encrypted ``LocalStore`` and two same-run baselines.

- ``PlainStore``: the unencrypted baseline.  The store has no switch to turn encryption off,
  so this subclass swaps the record codec for one without the cipher and keeps everything else:
  the same ``create_incident`` / ``apply_page`` code, SQLModel tables, pragmas (WAL,
  synchronous=FULL, secure_delete), and the same single transaction writing the entity row,
  the op-log row and the counters.  Only AES-GCM sealing/opening and the HMAC blind index are
  gone (blobs are the plain JSON; the callback column holds the plain digits, as an
  unencrypted app would store them to search by).  Swapping the codec rather than copying the
  write path means the baseline cannot drift from the code it is compared with.
- ``FullStateStore``: the naive sync's device, which replaces its copy of every entity with
  the full state the server sent (no op log, no merge).

Both reach into ``StoreCore``'s protected members, which is why they live in bench/ only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from mobile_app.store import KdfParams, LocalStore
from mobile_app.store.codec import RecordCodec
from mobile_app.store.crypto import BlindIndex, RecordCipher
from shared.merge.replica import EntityState

PIN = "2468-bench"
S = TypeVar("S", bound=LocalStore)


class PlainCipher(RecordCipher):
    """No encryption: the "sealed" record is the plaintext itself."""

    def __init__(self) -> None:  # no key, no AEAD
        pass

    def seal(self, table: str, row: str, column: str, plaintext: bytes) -> bytes:
        return plaintext

    def open(self, table: str, row: str, column: str, blob: bytes) -> bytes:
        return blob


_NOT_DIGIT = re.compile(r"\D")


class PlainIndex(BlindIndex):
    """No HMAC: the searchable column holds the digits in clear."""

    def __init__(self) -> None:
        pass

    def phone(self, number: str | None) -> str | None:
        return _NOT_DIGIT.sub("", number or "") or None


class PlainCodec(RecordCodec):
    def __init__(self) -> None:
        self._cipher = PlainCipher()
        self._index = PlainIndex()


class PlainStore(LocalStore):
    """``LocalStore`` with encryption switched off (see the module docstring)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        repo = self._unlocked()
        repo.codec = PlainCodec()


class FullStateStore(LocalStore):
    """The naive device: overwrite every entity with the server's full copy."""

    def replace_all(self, states: Iterable[EntityState]) -> int:
        """Save ``states`` in transactions of ``chunk_size`` (as merges are); returns count."""
        batch: list[EntityState] = []
        count = 0
        for state in states:
            batch.append(state)
            if len(batch) == self._chunk:
                count += self._save(batch)
                batch = []
        return count + self._save(batch)

    def _save(self, states: list[EntityState]) -> int:
        if states:
            with self._write(local=False) as s:
                repo = self._unlocked()
                for state in states:
                    repo.save(s, state)
        return len(states)


def create_store(path: Path, device_id: str, cls: type[S]) -> S:
    """A new store with the fast KDF (the KDF runs at unlock only, never on the write path)."""
    store = cls.create(path, PIN, device_id, f"user-{device_id}", kdf=KdfParams.fast())
    assert isinstance(store, cls)
    return store


@contextmanager
def open_store(path: Path, device_id: str, cls: type[S]) -> Iterator[S]:
    """``create_store`` that locks (closes) the store on the way out."""
    store = create_store(path, device_id, cls)
    try:
        yield store
    finally:
        store.lock()


def contains(path: Path, needle: bytes) -> bool:
    """Whether the store's database files hold ``needle`` anywhere (main file or WAL)."""
    return any(
        p.exists() and needle in p.read_bytes() for p in (path, path.with_name(path.name + "-wal"))
    )
