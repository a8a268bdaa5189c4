"""Find, run and time the benchmarks; one failing or skipped benchmark never hides the others.

A benchmark ``NAME`` is the module ``bench.NAME`` exposing ``BENCHMARK = Benchmark(...)``; its
``run(ctx)`` returns a ``BenchResult``.  Adding one (the SF replay, server push throughput) is
one new module and its name in ``BENCHMARK_NAMES``; only the selected modules are imported.
"""

from __future__ import annotations

import importlib
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from bench import machine
from bench.figures import BenchResult, BenchSkipped

BENCHMARK_NAMES = (
    "local_write",
    "initial_sync",
    "merge_existing",
    "unit_history",
    "write_during_merge",
    "naive_sync",
    "sf_replay",
    "push_throughput",
)
"""Run order; benchmark ``NAME`` lives in module ``bench.NAME``."""

Log = Callable[[str], None]


def stderr_log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class RunContext:
    """What a benchmark gets: its mode, a private scratch directory, a seed, a logger."""

    name: str
    quick: bool
    profile: bool
    workdir: Path
    seed: int = 1
    logger: Log = stderr_log
    _start: float = field(default_factory=time.perf_counter)

    def log(self, message: str) -> None:
        self.logger(f"[{self.name} +{time.perf_counter() - self._start:5.1f}s] {message}")


@dataclass(frozen=True)
class Benchmark:
    name: str
    title: str
    run: Callable[[RunContext], BenchResult]


@dataclass
class Outcome:
    name: str
    title: str
    status: Literal["ok", "skipped", "failed"]
    seconds: float
    result: BenchResult | None = None
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        result = self.result or BenchResult()
        return {
            "name": self.name,
            "title": self.title,
            "status": self.status,
            "reason": self.reason,
            "seconds": round(self.seconds, 3),
            "figures": [f.as_json() for f in result.figures],
            "notes": result.notes,
            "extras": result.extras,
            "profiles": {label: p.as_json() for label, p in result.profiles.items()},
        }


@dataclass
class Report:
    mode: Literal["quick", "full"]
    started: datetime
    machine: dict[str, Any]
    outcomes: list[Outcome]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def as_json(self) -> dict[str, Any]:
        return {
            "started": self.started.isoformat(timespec="seconds"),
            "mode": self.mode,
            "command": "python -m bench" + (" --quick" if self.mode == "quick" else ""),
            "machine": self.machine,
            "benchmarks": [o.as_json() for o in self.outcomes],
        }


def load(name: str) -> Benchmark:
    benchmark = importlib.import_module(f"bench.{name}").BENCHMARK
    if not isinstance(benchmark, Benchmark) or benchmark.name != name:
        raise TypeError(f"bench.{name}.BENCHMARK is not the Benchmark named {name!r}")
    return benchmark


def select(names: Sequence[str] | None) -> list[Benchmark]:
    """The benchmarks named (all when none are), in ``BENCHMARK_NAMES`` order."""
    unknown = [n for n in names or () if n not in BENCHMARK_NAMES]
    if unknown:
        known = ", ".join(BENCHMARK_NAMES)
        raise KeyError(f"unknown benchmark(s) {', '.join(unknown)}; known: {known}")
    return [load(n) for n in BENCHMARK_NAMES if not names or n in names]


def run_benchmarks(
    names: Sequence[str] | None = None,
    *,
    quick: bool = False,
    profile: bool = False,
    workdir: Path | None = None,
    seed: int = 1,
    logger: Log = stderr_log,
) -> Report:
    """Run the selected benchmarks, each in a fresh scratch directory removed afterwards."""
    chosen = select(names)
    base = Path(tempfile.mkdtemp(prefix="da-bench-", dir=workdir))
    try:
        report = Report(
            mode="quick" if quick else "full",
            started=datetime.now(UTC),
            machine=machine.describe(base),
            outcomes=[],
        )
        for benchmark in chosen:
            scratch = base / benchmark.name
            scratch.mkdir()
            ctx = RunContext(benchmark.name, quick, profile, scratch, seed, logger)
            report.outcomes.append(_run_one(benchmark, ctx))
            shutil.rmtree(scratch, ignore_errors=True)
        report.machine["load_average_end"] = machine.load_average()
        return report
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _run_one(benchmark: Benchmark, ctx: RunContext) -> Outcome:
    ctx.log(f"{benchmark.title} ({'quick' if ctx.quick else 'full'})")
    start = time.perf_counter()
    try:
        result = benchmark.run(ctx)
    except BenchSkipped as skipped:
        ctx.log(f"skipped: {skipped}")
        return Outcome(
            benchmark.name, benchmark.title, "skipped", _since(start), None, str(skipped)
        )
    except Exception as error:
        traceback.print_exc(file=sys.stderr)
        reason = f"{type(error).__name__}: {error}"
        return Outcome(benchmark.name, benchmark.title, "failed", _since(start), None, reason)
    ctx.log(f"done in {_since(start):.1f} s")
    return Outcome(benchmark.name, benchmark.title, "ok", _since(start), result)


def _since(start: float) -> float:
    return time.perf_counter() - start
