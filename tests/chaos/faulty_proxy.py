"""A loopback HTTP/1.1 proxy that loses, cuts, delays and duplicates traffic on purpose.

Why our own: sync must survive the failures a hotspot really produces, above all the
"lost response" (the server committed, the device never heard back).  Generic TCP chaos
tools cut at byte offsets; this proxy parses just enough HTTP/1.1 to fault one
request/response *pair* at a time, so a test can say "the next push commits but its reply
is lost" and check that nothing is lost or applied twice.

Bounded on purpose: it listens on 127.0.0.1 only (port 0, the bound port is reported) and
only ever connects to an upstream on 127.0.0.1.  Upgrades (101) and pipelining are not
supported: such a connection is just closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, TypeVar, get_args

LOOPBACK = "127.0.0.1"
_HEAD_END = b"\r\n\r\n"
_READ_SIZE = 64 * 1024
_STREAM_LIMIT = 1 << 20  # longest request/response head or chunk-size line we accept

Fault = Literal[
    "pass",
    "drop",  # close the client connection; the server never sees the request
    "cut_after_commit",  # the server answers, the client never gets the answer
    "truncate",  # the client gets the head and half the body
    "delay",  # hold the request before the server sees it
    "delay_response",  # hold the response after the server committed
    "duplicate",  # the server gets the request twice; the client one answer
    "reset_sse",  # abort an event stream after its first forwarded chunk
]
FAULTS: tuple[Fault, ...] = get_args(Fault)

T = TypeVar("T")


# --------------------------------------------------------------------------- fault choice


@dataclass(frozen=True)
class FaultPlan:
    """Probabilities of each per-request fault (at most one per request; the rest pass).

    ``sse_reset`` is separate: the chance, per forwarded event-stream chunk, that the stream
    is aborted there.  It draws from its own seeded generator so long-lived streams do not
    shift the request fault sequence: the same seed gives the same sequence of decisions.
    """

    seed: int = 0
    drop: float = 0.0
    cut_after_commit: float = 0.0
    truncate: float = 0.0
    delay: float = 0.0
    delay_response: float = 0.0
    duplicate: float = 0.0
    sse_reset: float = 0.0
    delay_ms: int = 200

    def __post_init__(self) -> None:
        for name, value in (*self._weights(), ("sse_reset", self.sse_reset)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"FaultPlan.{name} must be a probability in [0, 1], got {value}")
        total = sum(value for _, value in self._weights())
        if total > 1.0:
            raise ValueError(f"FaultPlan per-request probabilities sum to {total} > 1")
        if self.delay_ms < 0:
            raise ValueError(f"FaultPlan.delay_ms must be >= 0, got {self.delay_ms}")

    def _weights(self) -> tuple[tuple[Fault, float], ...]:
        return (
            ("drop", self.drop),
            ("cut_after_commit", self.cut_after_commit),
            ("truncate", self.truncate),
            ("delay", self.delay),
            ("delay_response", self.delay_response),
            ("duplicate", self.duplicate),
        )

    def choose(self, rng: random.Random) -> Fault:
        """One uniform draw per request, so a decision never depends on earlier outcomes."""
        draw = rng.random()
        for fault, weight in self._weights():
            if draw < weight:
                return fault
            draw -= weight
        return "pass"


def parse_script(faults: Iterable[str]) -> list[Fault]:
    """Validate scripted fault names up front, so a typo fails the test that wrote it."""
    checked: list[Fault] = []
    for name in faults:
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; expected one of {', '.join(FAULTS)}")
        checked.append(name)
    return checked


@dataclass(frozen=True)
class ProxyStats:
    """What the proxy did.  ``faults`` counts faults actually applied (``partition`` counts
    refused connections); ``decisions`` is every per-request choice, in arrival order."""

    requests_forwarded: int = 0  # requests the upstream was sent (duplicates count twice)
    responses_delivered: int = 0  # complete responses (or finished streams) the client got
    connections_accepted: int = 0
    held: int = 0  # requests or responses being delayed right now
    faults: dict[str, int] = field(default_factory=dict)
    decisions: tuple[Fault, ...] = ()


# --------------------------------------------------------------------------- HTTP/1.1 framing


class HttpFramingError(Exception):
    """The bytes are not HTTP/1.1 we can frame; the proxy closes the connection."""


@dataclass(frozen=True)
class Head:
    """A request or response head: the start line and headers, plus its raw bytes."""

    raw: bytes
    start_line: str
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        values = [value for key, value in self.headers if key.lower() == wanted]
        return ", ".join(values) if values else None

    def has_token(self, name: str, token: str) -> bool:
        value = self.header(name) or ""
        return token in (part.strip().lower() for part in value.split(","))

    @property
    def method(self) -> str:
        return self.start_line.split(" ", 1)[0]

    @property
    def status(self) -> int:
        parts = self.start_line.split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise HttpFramingError(f"bad status line {self.start_line!r}")
        return int(parts[1])

    @property
    def is_event_stream(self) -> bool:
        content_type = (self.header("content-type") or "").lower()
        return content_type.startswith("text/event-stream")


def parse_head(raw: bytes) -> Head:
    lines = raw.decode("latin-1").split("\r\n")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise HttpFramingError(f"bad header line {line!r}")
        headers.append((name.strip(), value.strip()))
    if not lines[0]:
        raise HttpFramingError("empty start line")
    return Head(raw=raw, start_line=lines[0], headers=tuple(headers))


Framing = tuple[Literal["none", "length", "chunked", "close"], int]


def _length_or_chunked(head: Head) -> Framing | None:
    if head.header("transfer-encoding") is not None:
        if not head.has_token("transfer-encoding", "chunked"):
            raise HttpFramingError("transfer-encoding without chunked")
        return ("chunked", 0)
    length = head.header("content-length")
    if length is None:
        return None
    if not length.isdigit():
        raise HttpFramingError(f"bad content-length {length!r}")
    return ("length", int(length))


def request_framing(head: Head) -> Framing:
    return _length_or_chunked(head) or ("none", 0)


def response_framing(request: Head, response: Head) -> Framing:
    """RFC 9112 section 6.3, the cases our clients and uvicorn produce."""
    status = response.status
    if request.method == "HEAD" or status < 200 or status in (204, 304):
        return ("none", 0)
    return _length_or_chunked(response) or ("close", 0)


def keeps_alive(response: Head, framing: Framing) -> bool:
    return framing[0] != "close" and not response.has_token("connection", "close")


async def read_head(reader: asyncio.StreamReader) -> Head | None:
    """The next head, or None when the peer closed cleanly between messages."""
    try:
        raw = await reader.readuntil(_HEAD_END)
    except asyncio.IncompleteReadError as eof:
        if eof.partial.strip():
            raise HttpFramingError("connection closed inside a message head") from eof
        return None
    except asyncio.LimitOverrunError as too_long:
        raise HttpFramingError("message head too long") from too_long
    return parse_head(raw)


async def body_pieces(reader: asyncio.StreamReader, framing: Framing) -> AsyncIterator[bytes]:
    """The raw body bytes as they arrive (chunk framing kept), one chunk per piece."""
    kind, length = framing
    if kind == "length":
        while length > 0:
            piece = await reader.read(min(length, _READ_SIZE))
            if not piece:
                raise HttpFramingError("connection closed inside a body")
            length -= len(piece)
            yield piece
    elif kind == "close":
        while piece := await reader.read(_READ_SIZE):
            yield piece
    elif kind == "chunked":
        async for piece in _chunks(reader):
            yield piece


async def _chunks(reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
    try:
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size_text = size_line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError as bad:
                raise HttpFramingError(f"bad chunk size {size_line!r}") from bad
            if size == 0:
                trailer = b""
                while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
                    trailer += line
                yield size_line + trailer + b"\r\n"
                return
            yield size_line + await reader.readexactly(size + 2)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as broken:
        raise HttpFramingError("connection closed inside a chunked body") from broken


async def read_body(reader: asyncio.StreamReader, framing: Framing) -> bytes:
    return b"".join([piece async for piece in body_pieces(reader, framing)])


# --------------------------------------------------------------------------- the proxy


_Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def _open_upstream(port: int) -> _Stream:
    return await asyncio.open_connection(LOOPBACK, port, limit=_STREAM_LIMIT)


def _close(writer: asyncio.StreamWriter | None, *, reset: bool = False) -> None:
    if writer is None:
        return
    if reset:
        writer.transport.abort()
    else:
        writer.close()


@dataclass(eq=False)
class _Link:
    """One client connection and the upstream keep-alive connection that serves it."""

    client: _Stream
    task: asyncio.Task[None] | None = None  # the carrier, cancelled by partition and stop
    upstream: _Stream | None = None

    def cut(self) -> None:
        self.close(reset=True)
        if self.task is not None:
            self.task.cancel()

    def close(self, *, reset: bool = False) -> None:
        _close(self.client[1], reset=reset)
        _close(self.upstream[1] if self.upstream else None, reset=reset)


class FaultyProxy:
    """The proxy itself; every method runs on its event loop (see ``run_in_thread``)."""

    def __init__(self, upstream_port: int, plan: FaultPlan | None = None) -> None:
        if not 0 < upstream_port < 65536:
            raise ValueError(f"upstream port must be in 1..65535, got {upstream_port}")
        self.upstream_port = upstream_port
        self.plan = plan or FaultPlan()
        self._rng = random.Random(self.plan.seed)
        self._sse_rng = random.Random(f"{self.plan.seed}:sse")
        self._script: deque[Fault] = deque()
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._handlers: set[asyncio.Task[Any]] = set()
        self._held: set[asyncio.Future[None]] = set()
        self._partitioned = False
        self._faults: Counter[str] = Counter()
        self._decisions: list[Fault] = []
        self._forwarded = 0
        self._delivered = 0
        self._accepted = 0

    # ----- lifecycle

    async def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("proxy already started")
        self._server = await asyncio.start_server(self._serve, LOOPBACK, 0, limit=_STREAM_LIMIT)

    async def stop(self) -> None:
        """Close the listener and every connection; safe to call twice."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        carriers = [link.task for link in self._links if link.task is not None]
        for link in list(self._links):
            link.cut()
        await asyncio.gather(*carriers, *self._handlers, return_exceptions=True)
        if server is not None:
            await server.wait_closed()

    async def __aenter__(self) -> FaultyProxy:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("proxy is not running")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    # ----- controls

    def script(self, faults: Iterable[str]) -> None:
        """Queue faults for the next requests, ahead of the plan's random choice."""
        self._script.extend(parse_script(faults))

    def partition(self) -> None:
        """Lose the link: drop every open connection and refuse new ones until ``heal``."""
        self._partitioned = True
        for link in list(self._links):
            link.cut()

    def heal(self) -> None:
        self._partitioned = False

    def release_delayed(self) -> None:
        """End every current delay now, so tests can order events without timing."""
        for held in self._held:
            if not held.done():
                held.set_result(None)

    @property
    def stats(self) -> ProxyStats:
        return ProxyStats(
            requests_forwarded=self._forwarded,
            responses_delivered=self._delivered,
            connections_accepted=self._accepted,
            held=len(self._held),
            faults=dict(self._faults),
            decisions=tuple(self._decisions),
        )

    # ----- per connection

    def _decide(self) -> Fault:
        fault = self._script.popleft() if self._script else self.plan.choose(self._rng)
        self._decisions.append(fault)
        return fault

    async def _hold(self) -> None:
        held: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._held.add(held)
        try:
            await asyncio.wait({held}, timeout=self.plan.delay_ms / 1000)
        finally:
            self._held.discard(held)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """asyncio's handler: it never gets cancelled itself (Python 3.11 would log a spurious
        error), it waits for the carrier task that ``partition`` and ``stop`` may cancel."""
        self._accepted += 1
        if self._partitioned:
            self._faults["partition"] += 1
            writer.transport.abort()
            return
        handler = asyncio.current_task()
        assert handler is not None
        link = _Link(client=(reader, writer))
        carrier = link.task = asyncio.create_task(self._carry(link))
        self._handlers.add(handler)
        self._links.add(link)
        try:
            await asyncio.wait({carrier})
        finally:
            link.close()
            self._links.discard(link)
            self._handlers.discard(handler)

    async def _carry(self, link: _Link) -> None:
        with contextlib.suppress(HttpFramingError, OSError, asyncio.IncompleteReadError):
            while await self._exchange(link):  # a broken peer just ends the connection
                pass

    async def _exchange(self, link: _Link) -> bool:
        """Carry one request/response pair; False when the client connection must end."""
        client_reader, client_writer = link.client
        request = await read_head(client_reader)
        if request is None:
            return False
        message = request.raw + await read_body(client_reader, request_framing(request))
        fault = self._decide()
        if fault == "drop":
            self._faults[fault] += 1
            return False
        if fault == "delay":
            self._faults[fault] += 1
            await self._hold()
        if link.upstream is not None and link.upstream[0].at_eof():
            _close(link.upstream[1])  # the server closed its idle keep-alive connection
            link.upstream = None
        if link.upstream is None:
            link.upstream = await _open_upstream(self.upstream_port)
        up_reader, up_writer = link.upstream
        up_writer.write(message)
        await up_writer.drain()
        self._forwarded += 1
        response = await self._final_head(up_reader, client_writer)
        if response is None:
            return False
        framing = response_framing(request, response)
        if response.is_event_stream:
            return await self._stream(link, fault, response, framing)
        body = await read_body(up_reader, framing)
        if fault == "duplicate":
            self._faults[fault] += 1
            await self._send_duplicate(message)
        if fault == "cut_after_commit":
            self._faults[fault] += 1
            return False
        if fault == "truncate":
            self._faults[fault] += 1
            whole = response.raw + body
            cut = len(response.raw) + len(body) // 2 if body else len(response.raw) // 2
            client_writer.write(whole[:cut])
            await client_writer.drain()
            return False
        if fault == "delay_response":
            self._faults[fault] += 1
            await self._hold()
        client_writer.write(response.raw + body)
        await client_writer.drain()
        self._delivered += 1
        return keeps_alive(response, framing)

    async def _final_head(
        self, up_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> Head | None:
        """Pass interim 1xx heads straight through; return the final response head."""
        while (response := await read_head(up_reader)) is not None:
            if response.status >= 200:
                return response
            if response.status == 101:
                raise HttpFramingError("protocol upgrades are not supported")
            client_writer.write(response.raw)
        return None

    async def _send_duplicate(self, message: bytes) -> None:
        """Replay the request on a fresh connection and discard the answer, like a middlebox."""
        writer: asyncio.StreamWriter | None = None
        try:
            reader, writer = await _open_upstream(self.upstream_port)
            writer.write(message)
            await writer.drain()
            self._forwarded += 1
            request = parse_head(message[: message.index(_HEAD_END) + len(_HEAD_END)])
            response = await read_head(reader)
            if response is not None and not response.is_event_stream:
                await read_body(reader, response_framing(request, response))
        except (HttpFramingError, OSError):
            pass  # the copy is fire-and-forget; its loss is not the client's problem
        finally:
            _close(writer)

    async def _stream(self, link: _Link, fault: Fault, response: Head, framing: Framing) -> bool:
        """Forward an event stream as it arrives, until it ends, is reset, or the client goes."""
        client_reader, client_writer = link.client
        if fault == "cut_after_commit":
            self._faults[fault] += 1
            return False
        if fault == "delay_response":
            self._faults[fault] += 1
            await self._hold()
        client_writer.write(response.raw)
        await client_writer.drain()
        if fault == "truncate":
            self._faults[fault] += 1
            return False
        pump = asyncio.create_task(self._pump(link, fault, framing))
        client_gone = asyncio.create_task(client_reader.read(1))
        try:
            await asyncio.wait({pump, client_gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            pump.cancel()
            client_gone.cancel()
            await asyncio.gather(pump, client_gone, return_exceptions=True)
        if pump.cancelled() or pump.exception() is not None:
            return False
        return pump.result() and keeps_alive(response, framing)

    async def _pump(self, link: _Link, fault: Fault, framing: Framing) -> bool:
        assert link.upstream is not None
        client_writer = link.client[1]
        async for piece in body_pieces(link.upstream[0], framing):
            client_writer.write(piece)
            await client_writer.drain()
            reset = fault == "reset_sse" or self._sse_rng.random() < self.plan.sse_reset
            if reset:
                self._faults["reset_sse"] += 1
                link.close(reset=True)
                return False
        self._delivered += 1
        return True


# --------------------------------------------------------------------------- sync runner


class ThreadedProxy:
    """A ``FaultyProxy`` on its own event-loop thread, for sync tests and subprocess servers.

    Every control call waits until the proxy applied it, so a ``script`` or ``partition``
    is in force for the very next request the test sends.
    """

    def __init__(self, proxy: FaultyProxy, loop: asyncio.AbstractEventLoop) -> None:
        self._proxy = proxy
        self._loop = loop
        self._thread = threading.Thread(target=self._run, name="faulty-proxy", daemon=True)
        self._thread.start()
        self._await(proxy.start())
        self.port = proxy.port
        self._stopped = False

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_forever()
        finally:
            self._loop.close()

    def _await(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    def _call(self, function: Callable[[], T]) -> T:
        async def run() -> T:
            return function()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=30)

    def script(self, faults: Iterable[str]) -> None:
        checked = parse_script(faults)
        self._call(lambda: self._proxy.script(checked))

    def partition(self) -> None:
        self._call(self._proxy.partition)

    def heal(self) -> None:
        self._call(self._proxy.heal)

    def release_delayed(self) -> None:
        self._call(self._proxy.release_delayed)

    @property
    def stats(self) -> ProxyStats:
        return self._call(lambda: self._proxy.stats)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._await(self._proxy.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)

    def __enter__(self) -> ThreadedProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def run_in_thread(upstream_port: int, plan: FaultPlan | None = None) -> ThreadedProxy:
    """Start a proxy to ``127.0.0.1:upstream_port`` on a background thread; ``.stop()`` it."""
    return ThreadedProxy(FaultyProxy(upstream_port, plan), asyncio.new_event_loop())
