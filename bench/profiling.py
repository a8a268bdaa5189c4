"""Where the time goes: cProfile, folded into a few categories a reader can act on.

Profiling slows Python code down (every call is traced), so benchmarks profile a separate
pass and never report profiled timings as figures; shares between categories are what count.
"""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

# (category, substrings of "file:function"), first match wins; order matters.
_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sqlite (C: execute, commit/fsync)", ("sqlite3.",)),
    ("sqlalchemy (statement building, ORM)", ("/sqlalchemy/", "/sqlmodel/")),
    ("aes-gcm / hmac (cryptography)", ("/cryptography/", "AESGCM", "_hashlib", "hmac.py")),
    ("pydantic (validate / serialise)", ("pydantic",)),
    ("json (stdlib)", ("/json/",)),
    ("merge rules + views (shared/)", ("/shared/",)),
    ("store code (mobile_app/store)", ("/mobile_app/",)),
    ("bench harness", ("/bench/",)),
)
OTHER = "other (stdlib, builtins)"
_REPO = str(Path(__file__).resolve().parents[1]) + "/"


@dataclass(frozen=True)
class Profile:
    total_s: float
    categories: dict[str, float]
    top: list[tuple[str, float, int]]  # (function, own seconds, calls)

    def as_json(self) -> dict[str, Any]:
        return {
            "total_s": self.total_s,
            "categories_s": self.categories,
            "top_own_time": [{"function": f, "seconds": s, "calls": c} for f, s, c in self.top],
        }

    def lines(self) -> list[str]:
        out = [f"profiled {self.total_s:.2f} s (own time by category):"]
        for name, seconds in sorted(self.categories.items(), key=lambda kv: -kv[1]):
            out.append(f"  {seconds / self.total_s:6.1%}  {seconds:7.3f} s  {name}")
        out.append("top functions by own time:")
        for function, seconds, calls in self.top:
            out.append(f"  {seconds:7.3f} s  {calls:>9,}  {function}")
        return out


def categorise(location: str) -> str:
    for name, needles in _RULES:
        if any(needle in location for needle in needles):
            return name
    return OTHER


def profiled(fn: Callable[[], T], top: int = 15) -> tuple[T, Profile]:
    """Run ``fn`` under cProfile; its result plus own time per category and top functions."""
    profiler = cProfile.Profile()
    result = profiler.runcall(fn)
    stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    categories: dict[str, float] = {}
    rows: list[tuple[str, float, int]] = []
    for (filename, line, function), (_cc, calls, own, _cum, _callers) in stats.items():
        location = f"{filename}:{function}"
        name = categorise(location)
        categories[name] = categories.get(name, 0.0) + own
        short = function if filename == "~" else f"{_short(filename)}:{line}({function})"
        rows.append((short, own, calls))
    rows.sort(key=lambda r: -r[1])
    total = sum(categories.values())
    return result, Profile(total, categories, rows[:top])


def _short(filename: str) -> str:
    for marker in (_REPO, "site-packages/", "/lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename
