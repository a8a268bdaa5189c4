"""One writer at a time, with the dispatcher's own actions ahead of background merges.

A pulled page is merged in short chunks; between chunks the merge waits while any local action
is waiting, so a dispatcher's write never queues behind a long merge (DESIGN.md: "long write
locks during merges" is a known failure to avoid).  A plain lock is not fair enough: the merging
thread could re-take it before a waiting writer wakes up.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class WriteGate:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = False
        self._local_waiting = 0

    @property
    def local_waiting(self) -> int:
        """User actions waiting to write right now."""
        with self._cond:
            return self._local_waiting

    @contextmanager
    def local(self) -> Iterator[None]:
        """Enter for a user action: goes before any merge chunk that is waiting."""
        with self._cond:
            self._local_waiting += 1
            try:
                self._cond.wait_for(lambda: not self._busy)
            finally:
                self._local_waiting -= 1
            self._busy = True
        try:
            yield
        finally:
            self._release()

    @contextmanager
    def merge(self) -> Iterator[None]:
        """Enter for one merge chunk: waits until no local action is waiting."""
        with self._cond:
            self._cond.wait_for(lambda: not self._busy and self._local_waiting == 0)
            self._busy = True
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        with self._cond:
            self._busy = False
            self._cond.notify_all()
