"""Retry timing after a failed sync: exponential, capped, with full jitter.

Full jitter (AWS architecture blog, "Exponential Backoff And Jitter") spreads a whole center's
devices out when the server comes back, instead of having them all retry on the same beat.

Two ceilings, because the two ways a sync fails ask for different patience:
- the server answered but is in trouble (5xx): back off up to minutes, sparing it a stampede;
- the server could not be reached at all (hotspot down, a tunnel, a site being evacuated): a
  retry is one small request that fails fast, and a dispatcher whose link came back must not
  wait minutes to see the board again, so the wait stays under half a minute.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base_s: float = 1.0
    cap_s: float = 300.0
    unreachable_cap_s: float = 30.0
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay(self, *, unreachable: bool = False) -> float:
        """Seconds to wait before the next attempt; counts this failure."""
        cap = min(self.cap_s, self.unreachable_cap_s) if unreachable else self.cap_s
        ceiling = min(cap, self.base_s * 2**self.failures)
        self.failures += 1
        return self.rng.uniform(0.0, ceiling)

    def reset(self) -> None:
        self.failures = 0
