"""The machine a run happened on: figures mean little without it.

The load average is recorded at the start and the end because benchmark hosts are often
shared; a high load explains noisy absolute numbers (same-run ratios are far less affected).
"""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
from pathlib import Path
from typing import Any


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def filesystem_of(path: Path) -> str:
    """Filesystem type holding ``path`` (fsync costs differ wildly between ext4 and tmpfs)."""
    try:
        mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return "unknown"
    target = str(path.resolve())
    best, kind = "", "unknown"
    for fields in mounts:
        point = fields[1]
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, fields[2]
    return kind


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        return None


def describe(workdir: Path) -> dict[str, Any]:
    import cryptography
    from cryptography.hazmat.backends.openssl.backend import backend

    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable_cores(),
        "memory_gib": memory_gib(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "cryptography": cryptography.__version__,
        "openssl": backend.openssl_version_text(),
        "workdir_filesystem": filesystem_of(workdir),
        "load_average_start": load_average(),
    }


def one_line(machine: dict[str, Any]) -> str:
    return (
        f"{machine['cpu']}, {machine['cores']} cores ({machine['usable_cores']} usable), "
        f"{machine['memory_gib']} GiB, Python {machine['python']} ({machine['implementation']}), "
        f"SQLite {machine['sqlite']}, cryptography {machine['cryptography']} "
        f"({machine['openssl']}), stores on {machine['workdir_filesystem']}, "
        f"load avg {_load(machine.get('load_average_start'))} -> "
        f"{_load(machine.get('load_average_end'))}"
    )


def _load(values: list[float] | None) -> str:
    return "?" if not values else f"{values[0]:.2f}"
