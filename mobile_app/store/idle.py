"""When to lock an unattended store (CJIS 5.5.5: session lock after 30 minutes idle).

A pure policy over an injectable monotonic clock, so it is tested without sleeping.  Only the
dispatcher's own activity counts: background sync must not keep an unattended device open.
"""

from __future__ import annotations

import time
from collections.abc import Callable

DEFAULT_IDLE_SECONDS = 30 * 60


class IdleLock:
    def __init__(
        self,
        timeout_s: float = DEFAULT_IDLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError("the idle timeout must be positive")
        self.timeout_s = timeout_s
        self._clock = clock
        self._last_activity = clock()

    def touch(self) -> None:
        """The user did something."""
        self._last_activity = self._clock()

    def idle_for(self) -> float:
        return max(0.0, self._clock() - self._last_activity)

    def remaining(self) -> float:
        """Seconds until the store locks (0 once it should be locked)."""
        return max(0.0, self.timeout_s - self.idle_for())

    def expired(self) -> bool:
        return self.idle_for() >= self.timeout_s
