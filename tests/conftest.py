"""Shared fixtures: real PostgreSQL when present, loud about it when it is not."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

POSTGRES_URL = os.environ.get("DA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("DA_REQUIRE_POSTGRES") == "1"


def _postgres_problem() -> str | None:
    try:
        import psycopg
    except ImportError as missing:  # pragma: no cover - the dev extra installs it
        return f"psycopg is not installed ({missing})"
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as conn:
            conn.execute("select 1")
    except Exception as error:
        return f"PostgreSQL at {POSTGRES_URL} is not reachable: {error}"
    return None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The test database URL; skips (or fails under CI's DA_REQUIRE_POSTGRES=1) without it."""
    problem = _postgres_problem()
    if problem is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"DA_REQUIRE_POSTGRES=1 but {problem}")
        pytest.skip(problem)
    yield POSTGRES_URL
