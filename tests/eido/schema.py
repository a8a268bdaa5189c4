"""The published EIDO OpenAPI schema as a JSON Schema validator, for checking our exports.

The YAML is NENA's, read from the shared data directory (never bundled into the app).  Two
things in it need handling before a JSON Schema validator can use it, both documented here:
- ``AgentType.agentRoleRegistryText`` has ``minItems: 1,`` (a stray comma makes it the string
  "1,"); it is read as the 1 it obviously means;
- NIEM types (``NIEMComponents/nc.yaml#...``) live in files NENA does not publish with it;
  they are checked only as JSON objects.
Formats are checked (jsonschema skips ``date-time``/``uri`` unless optional packages are
installed, so we check them here, independently of the code under test).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft4Validator, FormatChecker

DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SCHEMA_PATH = DATA_DIR / "eido-openapi.yaml"
ROOT = "EmergencyIncidentDataObjectType"

# RFC 3339 section 5.6 date-time, offset required.
_DATE_TIME = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)"
    r"(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$"
)
# RFC 3986 absolute URI: a scheme, a colon, no whitespace.
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S*$")


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("date-time")(lambda v: not isinstance(v, str) or bool(_DATE_TIME.match(v)))
    checker.checks("uri")(lambda v: not isinstance(v, str) or bool(_URI.match(v)))
    checker.checks("uri-reference")(lambda v: not isinstance(v, str) or " " not in v)
    checker.checks("int32")(lambda v: not isinstance(v, int) or -(2**31) <= v < 2**31)
    return checker


def _repair(node: Any) -> Any:
    if isinstance(node, dict):
        if str(node.get("$ref", "")).startswith("NIEMComponents/"):
            return {"type": "object"}
        fixed = {key: _repair(value) for key, value in node.items()}
        if fixed.get("minItems") == "1,":
            fixed["minItems"] = 1
        return fixed
    if isinstance(node, list):
        return [_repair(value) for value in node]
    return node


def load_spec() -> dict[str, Any]:
    if not SCHEMA_PATH.exists():
        pytest.skip(f"EIDO OpenAPI schema not found at {SCHEMA_PATH} (shared data not mounted)")
    spec: dict[str, Any] = yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))
    return spec


@cache
def eido_validator(component: str = ROOT) -> Draft4Validator:
    """A validator for one schema of the spec; ``$ref`` resolves within its components."""
    spec = _repair(load_spec())
    schema = {"$ref": f"#/components/schemas/{component}", "components": spec["components"]}
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=_format_checker())


def schema_errors(validator: Draft4Validator, document: Any) -> list[str]:
    """Every violation, as ``path: message`` (empty when the document is valid)."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in validator.iter_errors(document)
    ]
