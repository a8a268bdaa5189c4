"""Schemathesis drives every operation in /openapi.json with generated requests (valid and
deliberately invalid), signed in as a supervisor, or as an admin for the admin routes: whatever
arrives, the server never answers 5xx, and its answers match the schema it publishes."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared.api import EVENTS, PREFIX, Role
from sync_server.testing import LiveServer, bearer
from tests.server.client import Device

EXAMPLES_PER_OPERATION = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def signed_in(server: LiveServer) -> dict[Role, dict[str, str]]:
    return {
        role: bearer(Device.new(server, role).tokens.access_token)
        for role in (Role.SUPERVISOR, Role.ADMIN)
    }


def _fuzz(operation, mode: GenerationMode, base_url: str, headers: dict[str, str]) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def request_is_handled(case) -> None:
        case.call_and_validate(base_url=base_url, headers=headers, timeout=30, checks=CHECKS)

    try:
        request_is_handled()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE  # nothing in this operation can be made invalid


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_makes_the_server_fail(server: LiveServer, signed_in, mode):
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results), "every published operation is well-formed"
    assert len(operations) >= 15
    for operation in operations:
        if operation.path == EVENTS:
            continue  # an endless stream: test_live_events covers it
        role = Role.ADMIN if operation.path.startswith(f"{PREFIX}/admin") else Role.SUPERVISOR
        _fuzz(operation, mode, server.url, signed_in[role])
