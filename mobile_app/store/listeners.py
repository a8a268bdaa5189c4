"""Tell the UI and the sync scheduler what changed, after it is committed.

Callbacks run in the writing thread after the commit; a failing callback is logged and does not
affect the write (which is already durable) or the other callbacks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from shared.protocol import Entity

log = logging.getLogger(__name__)


class ChangeKind(StrEnum):
    LOCAL = "local"  # a user action on this device: the outbox grew
    MERGED = "merged"  # a pulled page (or chunk) was merged
    ACKED = "acked"  # the server acknowledged outbox ops
    RESTAMPED = "restamped"  # outbox ops were re-stamped after a clock correction
    REBUILT = "rebuilt"  # an entity was rebuilt from the op log
    LOCKED = "locked"  # the store locked (idle or explicit): ask for the PIN
    WIPED = "wiped"  # the store was destroyed


@dataclass(frozen=True)
class StoreChange:
    kind: ChangeKind
    entities: frozenset[tuple[Entity, str]] = field(default_factory=frozenset)
    cursor: int | None = None


Listener = Callable[[StoreChange], None]


class Listeners:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []

    def add(self, listener: Listener) -> Callable[[], None]:
        """Register ``listener``; returns a function that unregisters it."""
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    def notify(self, change: StoreChange) -> None:
        with self._lock:
            current = list(self._listeners)
        for listener in current:
            try:
                listener(change)
            except Exception:
                log.exception("a store listener failed on a %s change", change.kind.value)
