"""Times in the words a dispatcher reads at arm's length: "14:03:27", "2 min ago", "12 min".

A view model is built for one moment (``Now``), injected rather than read from the system
clock, so what a screen says about time is a pure function of its inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from shared.hlc import system_ms

#: Differences smaller than this read as "just now": phones disagree by a few seconds.
JUST_NOW_MS = 10_000


@dataclass(frozen=True, slots=True)
class Now:
    """The moment a screen is rendered for, and the dispatcher's time zone (None: local)."""

    ms: int
    tz: tzinfo | None = None

    @classmethod
    def system(cls, tz: tzinfo | None = None) -> Now:
        return cls(system_ms(), tz)

    def _local(self, ms: int) -> datetime:
        return datetime.fromtimestamp(ms / 1000, self.tz)

    def clock(self, ms: int) -> str:
        """Wall-clock time, with the date only when it is not today: "14:03:27"."""
        moment, today = self._local(ms), self._local(self.ms)
        if moment.date() == today.date():
            return moment.strftime("%H:%M:%S")
        return moment.strftime("%d %b %H:%M:%S")

    def ago(self, ms: int) -> str:
        """How long before now, rounded down: "just now", "40 s ago", "2 min ago"."""
        delta = self.ms - ms
        if delta < -JUST_NOW_MS:
            return "in " + duration(-delta)
        if delta < JUST_NOW_MS:
            return "just now"
        return duration(delta) + " ago"

    def elapsed(self, ms: int) -> str:
        """Time since ``ms``, e.g. a unit's time in its status: "12 min" (never negative)."""
        return duration(max(0, self.ms - ms))

    def when(self, ms: int) -> str:
        """Both at once, for timelines and conflict sides: "14:03:27 (2 min ago)"."""
        return f"{self.clock(ms)} ({self.ago(ms)})"


def duration(ms: int) -> str:
    """A non-negative duration, as precise as a dispatcher needs it."""
    seconds = max(0, ms) // 1000
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"
