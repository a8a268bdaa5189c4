"""Decoded records kept in memory, valid only while the stored ciphertext is unchanged.

Parsing a busy incident's state costs milliseconds; a page merged in chunks, or a queue redrawn
after every chunk, would otherwise decode the same rows again and again.  An entry is keyed by
the exact sealed bytes it was decoded from (every seal uses a fresh nonce), so any write,
rollback or outside change to the row simply misses the cache.  The cache goes away with the
data key when the store locks.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class SealedCache(Generic[K, V]):
    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[K, tuple[bytes, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K, sealed: bytes) -> V | None:
        """The value decoded from exactly ``sealed``, if cached (for immutable values)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != sealed:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def take(self, key: K, sealed: bytes) -> V | None:
        """Like ``get`` but removes the entry: for values the caller is about to mutate."""
        with self._lock:
            entry = self._entries.pop(key, None)
        return entry[1] if entry is not None and entry[0] == sealed else None

    def drop(self, key: K) -> None:
        """Forget ``key`` (its record left the device)."""
        with self._lock:
            self._entries.pop(key, None)

    def put(self, key: K, sealed: bytes, value: V) -> None:
        with self._lock:
            self._entries[key] = (sealed, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
