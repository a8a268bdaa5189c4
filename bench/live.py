"""Real servers and enrolled devices for the live benchmarks (``sf_replay``, ``push_throughput``).

The servers are ``sync_server.testing.start_server`` processes on loopback; devices enroll
through the real endpoint (``request_enrollment``) and keep encrypted stores with the fast KDF
(the KDF runs at unlock only).  Bytes on the wire are counted by an httpx transport that sits
where the socket is: request heads and bodies as sent, response heads and bodies as received
(still gzip-compressed), event streams included.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.stores import PIN
from mobile_app.store import KdfParams, LocalStore
from mobile_app.sync.enrollment import create_enrolled_store, request_enrollment
from shared import api
from shared.api import EnrollResponse
from shared.protocol import MAX_PULL_LIMIT, Op, PullPage
from sync_server.testing import bearer

PASSWORD = "bench correct horse battery"
#: The database the PostgreSQL tests use (tests/conftest.py), overridable the same way.
POSTGRES_URL = os.environ.get("DA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_problem(url: str = POSTGRES_URL) -> str | None:
    """Why PostgreSQL at ``url`` cannot be used, or None when it answers."""
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("select 1")
    except Exception as error:
        return f"PostgreSQL at {url} is not reachable: {error}"
    return None


# --------------------------------------------------------------------------- bytes on the wire


@dataclass
class WireMeter:
    """HTTP/1.1 bytes both ways (heads + bodies as framed on the socket, TLS not included)."""

    requests: int = 0
    up: int = 0
    down: int = 0

    @property
    def total(self) -> int:
        return self.up + self.down

    def reset(self) -> None:
        self.requests = self.up = self.down = 0


def _head_bytes(start_line: str, headers: httpx.Headers) -> int:
    fields = sum(len(k) + len(v) + 4 for k, v in headers.raw)  # "k: v\r\n"
    return len(start_line) + 2 + fields + 2


class _CountedStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, meter: WireMeter) -> None:
        self._inner = inner
        self._meter = meter

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._meter.down += len(chunk)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


HTTPX_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's default


class CountingTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncHTTPTransport`` that adds every byte it sends or receives to ``meter``."""

    def __init__(
        self,
        meter: WireMeter,
        *,
        inner: httpx.AsyncBaseTransport | None = None,
        limits: httpx.Limits | None = None,
    ) -> None:
        self._inner = inner or httpx.AsyncHTTPTransport(limits=limits or HTTPX_LIMITS)
        self.meter = meter

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        target = request.url.raw_path.decode("ascii")
        self.meter.requests += 1
        self.meter.up += _head_bytes(f"{request.method} {target} HTTP/1.1", request.headers)
        self.meter.up += len(request.content)
        response = await self._inner.handle_async_request(request)
        reason = response.extensions.get("reason_phrase", b"")
        status = f"HTTP/1.1 {response.status_code} {bytes(reason).decode('latin-1')}"
        self.meter.down += _head_bytes(status, response.headers)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_CountedStream(response.stream, self.meter),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


def counting_client(
    meter: WireMeter, *, timeout_s: float, limits: httpx.Limits | None = None
) -> httpx.AsyncClient:
    transport = CountingTransport(meter, limits=limits)
    return httpx.AsyncClient(transport=transport, timeout=timeout_s)


# --------------------------------------------------------------------------- devices


async def enroll(url: str, user: str, name: str, http: httpx.AsyncClient) -> EnrollResponse:
    return await request_enrollment(url, user, PASSWORD, name, http=http)


def enrolled_store(path: Path, enrolled: EnrollResponse, url: str) -> LocalStore:
    return create_enrolled_store(path, PIN, enrolled, url, kdf=KdfParams.fast())


async def server_log(url: str, access_token: str) -> list[Op]:
    """Every op in the server's change log, in log order, as a fresh puller sees it."""
    ops: list[Op] = []
    cursor = 0
    async with httpx.AsyncClient(base_url=url, timeout=60, headers=bearer(access_token)) as http:
        while True:
            reply = await http.get(api.PULL, params={"cursor": cursor, "limit": MAX_PULL_LIMIT})
            reply.raise_for_status()
            page = PullPage.model_validate_json(reply.content)
            ops += [change.op for change in page.changes]
            cursor = page.cursor
            if not page.has_more:
                return ops


def check_exactly_once(log: list[Op], written: Mapping[str, int]) -> None:
    """Each device's ops 1..n are in the log once each, in seq order, and nothing else is."""
    seqs: dict[str, list[int]] = defaultdict(list)
    for op in log:
        seqs[op.device_id].append(op.seq)
    for device, count in written.items():
        got = seqs.pop(device, [])
        if got != list(range(1, count + 1)):
            missing = sorted(set(range(1, count + 1)) - set(got))
            doubled = len(got) - len(set(got))
            raise AssertionError(
                f"{device}: wrote ops 1..{count}; the server holds {len(got)} "
                f"({len(missing)} missing, e.g. {missing[:3]}; {doubled} doubled)"
            )
    if seqs:
        raise AssertionError(f"the server holds ops from unexpected devices: {sorted(seqs)}")
