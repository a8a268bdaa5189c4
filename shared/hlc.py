"""Hybrid logical clock (Kulkarni et al. 2014) with a max-offset guard.

Stamps are fixed-width strings (``"<wall ms, 15 digits>-<counter, 6 digits>"``) so that string
order is time order everywhere: in Python, in SQLite and in PostgreSQL indexes.

A remote stamp further ahead of our physical clock than ``max_offset_ms`` is rejected rather
than adopted (CockroachDB's rule): one device with a wrong clock must not drag every replica
into the future.  Devices correct their physical clock with the offset measured against the
server at every sync, so a phone whose clock is an hour off still stamps in real time.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from pydantic import StringConstraints

WALL_DIGITS = 15
COUNTER_DIGITS = 6
MAX_COUNTER = 10**COUNTER_DIGITS - 1
HLC_PATTERN = rf"^\d{{{WALL_DIGITS}}}-\d{{{COUNTER_DIGITS}}}$"
_HLC_RE = re.compile(HLC_PATTERN)

#: Default tolerance for a remote clock ahead of ours.
MAX_CLOCK_OFFSET_MS = 60_000

HlcStr = Annotated[str, StringConstraints(pattern=HLC_PATTERN)]
"""A pydantic-validated, encoded HLC stamp."""


class ClockSkewError(ValueError):
    """A remote stamp is further ahead of the local physical clock than allowed."""

    def __init__(self, remote: Hlc, physical_ms: int, max_offset_ms: int) -> None:
        self.remote = remote
        self.physical_ms = physical_ms
        self.ahead_ms = remote.wall - physical_ms
        super().__init__(
            f"clock too far ahead: stamp is {self.ahead_ms / 1000:.1f} s ahead of this clock "
            f"(at most {max_offset_ms / 1000:.0f} s allowed)"
        )


@dataclass(frozen=True, order=True, slots=True)
class Hlc:
    """One stamp: physical wall time in ms plus a logical counter."""

    wall: int
    counter: int = 0

    def encode(self) -> str:
        return f"{self.wall:0{WALL_DIGITS}d}-{self.counter:0{COUNTER_DIGITS}d}"

    @classmethod
    def decode(cls, text: str) -> Hlc:
        if not _HLC_RE.match(text):
            raise ValueError(f"not an HLC stamp: {text!r}")
        wall, counter = text.split("-")
        return cls(int(wall), int(counter))

    def __str__(self) -> str:
        return self.encode()


ZERO = Hlc(0, 0)


def system_ms() -> int:
    return time.time_ns() // 1_000_000


class HybridClock:
    """The local clock of one replica.

    ``offset_ms`` is added to the physical clock; devices set it from the server's time at each
    sync (see ``observe_server_time``).
    """

    def __init__(
        self,
        physical_ms: Callable[[], int] = system_ms,
        *,
        max_offset_ms: int = MAX_CLOCK_OFFSET_MS,
        offset_ms: int = 0,
        last: Hlc = ZERO,
    ) -> None:
        self._physical = physical_ms
        self.max_offset_ms = max_offset_ms
        self.offset_ms = offset_ms
        self.last = last

    def physical(self) -> int:
        """Corrected physical time in ms."""
        return self._physical() + self.offset_ms

    def now(self) -> Hlc:
        """Stamp a local event (send or local write)."""
        pt = self.physical()
        if pt > self.last.wall:
            self.last = Hlc(pt, 0)
        else:
            self.last = self._bump(self.last.wall, self.last.counter + 1)
        return self.last

    def check(self, remote: Hlc) -> None:
        """Raise ClockSkewError if ``remote`` is too far ahead to be trusted."""
        pt = self.physical()
        if remote.wall - pt > self.max_offset_ms:
            raise ClockSkewError(remote, pt, self.max_offset_ms)

    def observe(self, remote: Hlc) -> Hlc:
        """Merge a received stamp (Kulkarni's receive rule) after the max-offset check."""
        self.check(remote)
        pt = self.physical()
        wall = max(self.last.wall, remote.wall, pt)
        if wall == self.last.wall == remote.wall:
            counter = max(self.last.counter, remote.counter) + 1
        elif wall == self.last.wall:
            counter = self.last.counter + 1
        elif wall == remote.wall:
            counter = remote.counter + 1
        else:
            counter = 0
        self.last = self._bump(wall, counter)
        return self.last

    def observe_server_time(self, server_ms: int, round_trip_ms: int = 0) -> None:
        """Re-measure the offset against the authoritative server clock (NTP-style midpoint)."""
        self.offset_ms = server_ms + round_trip_ms // 2 - self._physical()

    @staticmethod
    def _bump(wall: int, counter: int) -> Hlc:
        if counter > MAX_COUNTER:
            # The counter only grows while the physical clock stalls; waiting one ms resets it.
            return Hlc(wall + 1, 0)
        return Hlc(wall, counter)
