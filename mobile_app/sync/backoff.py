"""Retry timing after a failed sync: exponential, capped, with full jitter.

Full jitter (AWS architecture blog, "Exponential Backoff And Jitter") spreads a whole center's
devices out when the server comes back, instead of having them all retry on the same beat.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base_s: float = 1.0
    cap_s: float = 300.0
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay(self) -> float:
        """Seconds to wait before the next attempt; counts this failure."""
        ceiling = min(self.cap_s, self.base_s * 2**self.failures)
        self.failures += 1
        return self.rng.uniform(0.0, ceiling)

    def reset(self) -> None:
        self.failures = 0
