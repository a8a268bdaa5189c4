"""The generated NENA EIDO registries (shared/codes.py) hold what dispatchers expect."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from shared import codes
from shared.codes import (
    DISPOSITIONS,
    INCIDENT_STATUSES,
    INCIDENT_TYPES,
    PRIMARY_UNIT_STATUSES,
    RESOURCE_TYPES,
    SECONDARY_UNIT_STATUSES,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
CODES_PY = REPO_ROOT / "shared" / "codes.py"
GENERATOR = REPO_ROOT / "build" / "gen_codes.py"
STANDARD = REPO_ROOT.parent / "shared" / "data" / "eido-standard-nena-sta-021.txt"

REGISTRIES: dict[str, dict[str, str]] = {
    "INCIDENT_TYPES": INCIDENT_TYPES,
    "INCIDENT_STATUSES": INCIDENT_STATUSES,
    "DISPOSITIONS": DISPOSITIONS,
    "PRIMARY_UNIT_STATUSES": PRIMARY_UNIT_STATUSES,
    "SECONDARY_UNIT_STATUSES": SECONDARY_UNIT_STATUSES,
    "RESOURCE_TYPES": RESOURCE_TYPES,
}


def test_incident_types_dispatchers_know() -> None:
    assert INCIDENT_TYPES["FSTRU"] == "Includes Sheds, Attached Garages, House Fires"
    assert INCIDENT_TYPES["FVEH"].startswith("Fire Vehicle, Includes Small or Medium")
    assert INCIDENT_TYPES["MVA"].startswith("Motor Vehicle Accident, No Injury")
    assert INCIDENT_TYPES["MVAINJY"].startswith("Motor Vehicle Accident With Injury")
    assert INCIDENT_TYPES["MVCP"] == "Motor Vehicle Collision on Private Property"
    assert INCIDENT_TYPES["SICK"] == "Sick Person Non-Specific, General Illness, Flu"
    assert INCIDENT_TYPES["ALS"] == "Advanced Life Support Incident"
    assert INCIDENT_TYPES["ALRF"] == "Generic Fire Alarm"
    assert INCIDENT_TYPES["ALRU"] == "Alarm Unknown"
    assert INCIDENT_TYPES["911H"] == "9-1-1 Hang Up"
    assert INCIDENT_TYPES["ACTSHOOT"] == "Active Shooter"
    assert INCIDENT_TYPES["HAZMAT"].startswith("Hazardous Materials Incident")
    # EIDO's own addition comes first, the APCO 2.103.2 codes follow alphabetically.
    assert next(iter(INCIDENT_TYPES)) == "NONEMERG"
    assert list(INCIDENT_TYPES)[-1] == "XTRICATE"
    assert len(INCIDENT_TYPES) == 245


def test_incident_statuses_exactly_as_in_standard() -> None:
    assert list(INCIDENT_STATUSES) == [
        "Active",
        "Cancelled",
        "Closed",
        "FireUnderControl",
        "NewLocation",
        "ReOpened",
        "ResourcesAssigned",
        "ResourcesEnroute",
        "ResourcesOnscene",
        "StructureCleared",
    ]
    assert INCIDENT_STATUSES["Active"] == "The Incident is active."
    assert INCIDENT_STATUSES["NewLocation"] == "The Incident\u2019s location has changed."


def test_dispositions_are_apco_two_digit_codes_without_reserved() -> None:
    assert list(DISPOSITIONS) == [f"{n:02d}" for n in range(1, 46)]
    assert DISPOSITIONS["01"] == "Report Taken"
    assert DISPOSITIONS["22"] == "Cancelled - Duplicate Call"
    assert DISPOSITIONS["45"] == "Patient Treated, Transported by EMS"
    assert "RESERVED" not in DISPOSITIONS.values()


def test_unit_statuses() -> None:
    assert list(PRIMARY_UNIT_STATUSES) == ["Available", "ConditionallyAvailable", "NotAvailable"]
    expected_secondary = {
        "Assigned",
        "Dispatched",
        "EnRoute",
        "Arrived",
        "OnScene",
        "Transporting",
        "Hospital",
        "Cleared",
        "InService",
        "OutofService",
        "AssignmentCancelled",
        "Staging",
    }
    assert expected_secondary <= SECONDARY_UNIT_STATUSES.keys()
    assert len(SECONDARY_UNIT_STATUSES) == 41


def test_resource_types() -> None:
    assert RESOURCE_TYPES["GroundALSAmbulance"] == "Ambulance, Advance Life Support (Ground)"
    assert RESOURCE_TYPES["GroundBLSAmbulance"] == "Ambulance, Basic Life Support (Ground)"
    assert RESOURCE_TYPES["FireBoat"] == "Fire Boat"
    assert len(RESOURCE_TYPES) == 102


@pytest.mark.parametrize("name", list(REGISTRIES))
def test_no_empty_or_untidy_entries(name: str) -> None:
    registry = REGISTRIES[name]
    assert registry
    for code, description in registry.items():
        assert code and code == code.strip() and " " not in code, (name, code)
        assert description and description == description.strip(), (name, code)
        assert "  " not in description and "\u00a0" not in description, (name, code)


def _dict_literals() -> dict[str, ast.Dict]:
    tree = ast.parse(CODES_PY.read_text(encoding="utf-8"))
    found: dict[str, ast.Dict] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            assert isinstance(node.value, ast.Dict)
            found[node.target.id] = node.value
    return found


def test_no_duplicate_codes_in_the_literals() -> None:
    # A repeated key in a dict literal silently overwrites, so check the source itself.
    literals = _dict_literals()
    assert set(literals) == set(REGISTRIES)
    for name, literal in literals.items():
        keys = [ast.literal_eval(key) for key in literal.keys if key is not None]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        assert not duplicates, (name, duplicates)
        assert len(keys) == len(REGISTRIES[name])


def test_module_is_pure_literals() -> None:
    # Mobile packaging rule: the runtime never reads data files; the module only imports Final.
    tree = ast.parse(CODES_PY.read_text(encoding="utf-8"))
    imports = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    assert [ast.unparse(node) for node in imports] == ["from typing import Final"]
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    doc = codes.__doc__ or ""
    assert "build/gen_codes.py" in doc and "NENA-STA-021" in doc and "DO NOT EDIT BY HAND" in doc


@pytest.mark.skipif(
    not STANDARD.is_file(),
    reason=f"NENA-STA-021 standard text not available at {STANDARD}",
)
def test_generator_reproduces_codes_py_byte_for_byte(tmp_path: Path) -> None:
    output = tmp_path / "codes.py"
    result = subprocess.run(
        [sys.executable, str(GENERATOR), str(STANDARD), "--output", str(output)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert output.read_bytes() == CODES_PY.read_bytes(), (
        "shared/codes.py is stale or hand-edited; re-run python build/gen_codes.py"
    )
