"""What a benchmark reports: figures with their targets, and its own numbers for the record.

A ratio is only ever computed from two figures measured in the same run (interleaved where it
matters), never against a number from another machine: anchors from other projects appear as
targets, not as denominators.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from bench.profiling import Profile

Comparison = Literal["<", "<=", ">", ">="]


@dataclass(frozen=True)
class Target:
    """A goal for a figure, e.g. ``Target("<=", 1.5, "issue 6")``."""

    op: Comparison
    bound: float
    source: str = ""

    def met(self, value: float) -> bool:
        if self.op == "<":
            return value < self.bound
        if self.op == "<=":
            return value <= self.bound
        if self.op == ">":
            return value > self.bound
        return value >= self.bound


@dataclass(frozen=True)
class Figure:
    """One measured number.  ``detail`` shows the side-by-side values a ratio came from."""

    measure: str
    value: float
    unit: str
    detail: str = ""
    target: Target | None = None

    def __post_init__(self) -> None:
        if not math.isfinite(self.value):
            raise ValueError(f"{self.measure}: a figure must be a finite number")

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.value)

    def as_json(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "value": self.value,
            "unit": self.unit,
            "detail": self.detail,
            "target": None
            if self.target is None
            else {"op": self.target.op, "bound": self.target.bound, "source": self.target.source},
            "met": self.met,
        }


def ratio(measure: str, numerator: float, denominator: float, detail: str, **kw: Any) -> Figure:
    """A same-run ratio figure (``x``), with both absolute values spelled out in ``detail``."""
    if denominator <= 0:
        raise ValueError(f"{measure}: the baseline must be positive to form a ratio")
    return Figure(measure, numerator / denominator, "x", detail, **kw)


@dataclass
class BenchResult:
    """Everything one benchmark produced; ``extras`` holds raw numbers for latest.json."""

    figures: list[Figure] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    profiles: dict[str, Profile] = field(default_factory=dict)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure


class BenchSkipped(Exception):
    """A benchmark that cannot run here (e.g. no PostgreSQL), with the reason to show."""
