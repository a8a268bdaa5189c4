"""Parse the San Francisco Fire Department calls-for-service export into typed records.

One CSV row is one unit dispatched on one call, with the CAD's per-unit timestamps written as
local wall-clock text ("04/07/2020 11:53:08 PM", America/Los_Angeles).  Parsing is strict: a
row we cannot read raises ``SfDataError`` naming the line and column, rather than silently
dropping a dispatch from the workload or the statistics.  Empty timestamps are ``None`` (the
unit never reached that status).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

SF_TIMEZONE = "America/Los_Angeles"
_TIME_FORMAT = "%m/%d/%Y %I:%M:%S %p"

REQUIRED_COLUMNS = (
    "Call Number",
    "Unit ID",
    "Incident Number",
    "Call Type",
    "Received DtTm",
    "Entry DtTm",
    "Dispatch DtTm",
    "Response DtTm",
    "On Scene DtTm",
    "Transport DtTm",
    "Hospital DtTm",
    "Available DtTm",
    "Call Final Disposition",
    "Address",
    "City",
    "Original Priority",
    "Priority",
    "Final Priority",
    "Call Type Group",
    "Unit Type",
    "Location",
)


class SfDataError(ValueError):
    """A row of the SF export that cannot be read, with where and why."""


@dataclass(frozen=True, slots=True)
class SfDispatch:
    """One unit on one SF call; times are epoch ms (UTC), ``None`` when the CAD left it empty."""

    line: int
    call_number: str
    unit_id: str
    incident_number: str
    call_type: str
    call_type_group: str | None
    received_ms: int
    entry_ms: int | None
    dispatch_ms: int | None
    enroute_ms: int | None
    onscene_ms: int | None
    transport_ms: int | None
    hospital_ms: int | None
    available_ms: int | None
    original_priority: str
    priority: str
    final_priority: str
    unit_type: str
    address: str
    city: str | None
    lat: float | None
    lon: float | None
    disposition: str


def parse_local_time(text: str, zone: ZoneInfo) -> int | None:
    """SF wall-clock text to epoch ms; an ambiguous hour at the DST change takes its first
    occurrence (``fold=0``), which is what a CAD clock that jumps back would have shown first."""
    text = text.strip()
    if not text:
        return None
    local = datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=zone)
    return int(local.timestamp() * 1000)


def parse_location(text: str) -> tuple[float, float] | None:
    """``"(37.73, -122.42)"`` to ``(lat, lon)``; empty means not geocoded."""
    text = text.strip()
    if not text:
        return None
    if not (text.startswith("(") and text.endswith(")")):
        raise ValueError(f"expected '(lat, lon)', got {text!r}")
    lat_text, sep, lon_text = text[1:-1].partition(",")
    if not sep:
        raise ValueError(f"expected '(lat, lon)', got {text!r}")
    lat, lon = float(lat_text), float(lon_text)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"coordinates out of range: {text!r}")
    return lat, lon


def _optional(text: str) -> str | None:
    return text.strip() or None


def _row(line: int, row: dict[str, str], zone: ZoneInfo) -> SfDispatch:
    column = ""

    def time(name: str) -> int | None:
        nonlocal column
        column = name
        return parse_local_time(row[name], zone)

    try:
        received = time("Received DtTm")
        if received is None:
            raise ValueError("a call without a received time cannot be replayed")
        times = {
            name: time(name)
            for name in (
                "Entry DtTm",
                "Dispatch DtTm",
                "Response DtTm",
                "On Scene DtTm",
                "Transport DtTm",
                "Hospital DtTm",
                "Available DtTm",
            )
        }
        column = "Location"
        point = parse_location(row["Location"])
        column = ""
        for name in ("Call Number", "Unit ID", "Incident Number", "Call Type", "Priority"):
            if not row[name].strip():
                column = name
                raise ValueError("is empty")
    except ValueError as bad:
        where = f" column {column!r}" if column else ""
        raise SfDataError(f"line {line}{where}: {bad}") from bad
    return SfDispatch(
        line=line,
        call_number=row["Call Number"].strip(),
        unit_id=row["Unit ID"].strip(),
        incident_number=row["Incident Number"].strip(),
        call_type=row["Call Type"].strip(),
        call_type_group=_optional(row["Call Type Group"]),
        received_ms=received,
        entry_ms=times["Entry DtTm"],
        dispatch_ms=times["Dispatch DtTm"],
        enroute_ms=times["Response DtTm"],
        onscene_ms=times["On Scene DtTm"],
        transport_ms=times["Transport DtTm"],
        hospital_ms=times["Hospital DtTm"],
        available_ms=times["Available DtTm"],
        original_priority=row["Original Priority"].strip(),
        priority=row["Priority"].strip(),
        final_priority=row["Final Priority"].strip(),
        unit_type=row["Unit Type"].strip(),
        address=row["Address"].strip(),
        city=_optional(row["City"]),
        lat=point[0] if point else None,
        lon=point[1] if point else None,
        disposition=row["Call Final Disposition"].strip(),
    )


def parse_sf_calls(lines: Iterable[str], *, timezone: str = SF_TIMEZONE) -> Iterator[SfDispatch]:
    """Records from CSV text lines (header first); pure, so tests can feed inline CSV."""
    zone = ZoneInfo(timezone)
    reader = csv.DictReader(lines)
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise SfDataError(f"not an SF fire calls export: missing columns {', '.join(missing)}")
    for row in reader:
        if None in row or any(value is None for value in row.values()):
            raise SfDataError(f"line {reader.line_num}: wrong number of fields")
        yield _row(reader.line_num, row, zone)


def load_sf_calls(path: str | Path) -> list[SfDispatch]:
    """Every record of the export at ``path`` (the caller says where; nothing is bundled)."""
    with Path(path).open(newline="", encoding="utf-8") as handle:
        return list(parse_sf_calls(handle))
