"""Holding off Python's cyclic garbage collector while a pulled batch is decoded and merged.

Decoding and merging a batch allocates tens of thousands of short-lived objects (ops, entity
states, sealed rows).  Reference counting frees them as soon as they are done with, since
none of them forms a cycle, but their sheer number keeps triggering collections that walk
everything alive, the batch being decoded included: about a fifth of a 10k-change merge
(``python -m bench --only merge_existing``), and the full collections that used to land in the
middle of a dispatcher's write during a big merge.  The collector resumes when the batch is
done; anything cyclic made meanwhile is collected by its next run.  A batch is bounded
(``batching.MERGE_BATCH``), so the pause is too.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Pause:
    """Nested and cross-thread pauses: the collector resumes when the last one ends, and only
    if it was running when the first began (a host that switched it off keeps it off)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._resume = False

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0 and self._resume:
                    gc.enable()


_PAUSE = _Pause()


def collector_paused() -> contextlib.AbstractContextManager[None]:
    """``with collector_paused():`` around decoding or merging one pulled batch."""
    return _PAUSE.held()
