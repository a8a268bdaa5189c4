"""Where the San Francisco Fire export lives, and a skip that says so when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

SF_CSV = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sf-fire-calls-2020-04.csv"
)

HEADER = (
    "Call Number,Unit ID,Incident Number,Call Type,Call Date,Watch Date,Received DtTm,"
    "Entry DtTm,Dispatch DtTm,Response DtTm,On Scene DtTm,Transport DtTm,Hospital DtTm,"
    "Call Final Disposition,Available DtTm,Address,City,Zipcode of Incident,Battalion,"
    "Station Area,Box,Original Priority,Priority,Final Priority,ALS Unit,Call Type Group,"
    "Number of Alarms,Unit Type,Unit sequence in call dispatch,Fire Prevention District,"
    "Supervisor District,Neighborhooods - Analysis Boundaries,Location,RowID"
)


def sf_csv() -> Path:
    if not SF_CSV.exists():
        pytest.skip(f"SF fire calls export not found at {SF_CSV} (shared data not mounted)")
    return SF_CSV


def csv_lines(*rows: str) -> list[str]:
    """Inline CSV in the SF export's layout, as lines the parser reads."""
    return [HEADER + "\n", *(row + "\n" for row in rows)]
