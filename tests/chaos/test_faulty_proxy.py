"""The chaos proxy loses, cuts, delays and duplicates exactly what it is told to, between a
real httpx client and a real uvicorn server, and otherwise stays out of the way."""

from __future__ import annotations

import asyncio
import gzip
import json
import random
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.chaos.faulty_proxy import (
    FAULTS,
    FaultPlan,
    FaultyProxy,
    ThreadedProxy,
    parse_script,
    run_in_thread,
)

BIG_TEXT = "E12 on scene, 1200 MARKET ST, working fire\n" * 8000  # ~340 kB, compresses well
HELD = 20_000  # ms: long enough that only release_delayed() ends a hold within the test


# --------------------------------------------------------------------------- the real server


@dataclass
class Upstream:
    """What the server behind the proxy actually received."""

    port: int = 0
    posts: list[str] = field(default_factory=list)
    peers: list[int] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)
    stream_closed: threading.Event = field(default_factory=threading.Event)

    def reset(self) -> None:
        self.posts.clear()
        self.peers.clear()
        self.gate = threading.Event()
        self.stream_closed = threading.Event()


def _app(upstream: Upstream) -> Starlette:
    async def post_order(request: Request) -> Response:
        raw = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        order_id = json.loads(raw)["id"]
        upstream.posts.append(order_id)
        upstream.peers.append(request.client.port if request.client else 0)
        return JSONResponse({"id": order_id, "count": len(upstream.posts)})

    async def big(request: Request) -> Response:
        return PlainTextResponse(BIG_TEXT)

    async def events(request: Request) -> Response:
        gate, closed = upstream.gate, upstream.stream_closed

        async def stream() -> AsyncIterator[str]:
            try:
                yield 'event: changes\ndata: {"seq": 1}\n\n'
                while not gate.is_set():  # the test decides when the next change happens
                    if await request.is_disconnected():
                        return
                    await asyncio.sleep(0.01)
                yield 'event: changes\ndata: {"seq": 2}\n\n'
            finally:
                closed.set()

        return StreamingResponse(stream(), media_type="text/event-stream")

    routes = [
        Route("/orders", post_order, methods=["POST"]),
        Route("/big", big),
        Route("/v1/events", events),
    ]
    return Starlette(routes=routes, middleware=[Middleware(GZipMiddleware, minimum_size=500)])


@pytest.fixture(scope="module")
def server() -> Iterator[Upstream]:
    upstream = Upstream()
    config = uvicorn.Config(
        _app(upstream),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    _wait_for(lambda: uv.started)
    upstream.port = uv.servers[0].sockets[0].getsockname()[1]
    yield upstream
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def upstream(server: Upstream) -> Upstream:
    server.reset()
    return server


@pytest.fixture
def proxy(upstream: Upstream) -> Iterator[ThreadedProxy]:
    with run_in_thread(upstream.port, FaultPlan(delay_ms=HELD)) as running:
        yield running


def _wait_for(condition: Callable[[], object], what: str = "condition") -> None:
    """Liveness bound for background work, not a timing assertion."""
    deadline = time.monotonic() + 10
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.005)


def _client(proxy: ThreadedProxy) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{proxy.port}", timeout=15, trust_env=False)


def _post(client: httpx.Client, order_id: str) -> dict[str, object]:
    response = client.post("/orders", json={"id": order_id})
    response.raise_for_status()
    body: dict[str, object] = response.json()
    return body


def _next_event(lines: Iterator[str]) -> list[str]:
    event: list[str] = []
    for line in lines:
        if not line:
            return event
        event.append(line)
    raise AssertionError(f"stream ended inside an event: {event}")


# --------------------------------------------------------------------------- pass-through


def test_requests_pass_through_on_one_kept_alive_gzip_connection(proxy, upstream):
    with _client(proxy) as client:
        assert [_post(client, f"inc-{n}")["count"] for n in range(3)] == [1, 2, 3]
        big = client.get("/big")
    assert big.headers["content-encoding"] == "gzip"
    assert int(big.headers["content-length"]) < len(BIG_TEXT) // 10
    assert big.text == BIG_TEXT
    assert upstream.posts == ["inc-0", "inc-1", "inc-2"]
    assert len(set(upstream.peers)) == 1  # the server saw one kept-alive connection too
    stats = proxy.stats
    assert stats.connections_accepted == 1
    assert (stats.requests_forwarded, stats.responses_delivered) == (4, 4)
    assert stats.decisions == ("pass",) * 4 and stats.faults == {}


def test_gzipped_and_chunked_request_bodies_arrive_intact(proxy, upstream):
    with _client(proxy) as client:
        zipped = gzip.compress(json.dumps({"id": "zipped"}).encode())
        client.post(
            "/orders", content=zipped, headers={"content-encoding": "gzip"}
        ).raise_for_status()
        chunked = client.post("/orders", content=iter([b'{"id": ', b'"chunked"}']))
        chunked.raise_for_status()
    assert chunked.request.headers["transfer-encoding"] == "chunked"
    assert upstream.posts == ["zipped", "chunked"]


# --------------------------------------------------------------------------- per-request faults


def test_a_dropped_request_never_reaches_the_server(proxy, upstream):
    proxy.script(["drop"])
    with _client(proxy) as client:
        with pytest.raises(httpx.TransportError):
            _post(client, "lost")
        assert upstream.posts == []
        assert _post(client, "retried")["count"] == 1
    assert proxy.stats.faults == {"drop": 1}
    assert proxy.stats.requests_forwarded == 1


def test_a_cut_after_commit_loses_the_reply_but_the_server_applied_it(proxy, upstream):
    proxy.script(["cut_after_commit"])
    with _client(proxy) as client:
        with pytest.raises(httpx.TransportError):
            _post(client, "push-1")
        assert upstream.posts == ["push-1"]  # committed, yet the device heard nothing
        assert _post(client, "push-1")["count"] == 2  # so the device's retry is a duplicate
    stats = proxy.stats
    assert stats.faults == {"cut_after_commit": 1}
    assert (stats.requests_forwarded, stats.responses_delivered) == (2, 1)


def test_a_truncated_response_is_an_error_never_a_short_body(proxy, upstream):
    proxy.script(["truncate", "truncate"])
    with _client(proxy) as client:
        with pytest.raises(httpx.TransportError):
            client.get("/big")
        with pytest.raises(httpx.TransportError):
            _post(client, "half-heard")
        assert client.get("/big").text == BIG_TEXT
    assert upstream.posts == ["half-heard"]
    assert proxy.stats.faults == {"truncate": 2}


def test_a_duplicated_request_is_applied_twice_but_answered_once(proxy, upstream):
    proxy.script(["duplicate"])
    with _client(proxy) as client:
        assert _post(client, "twice")["count"] == 1  # the client sees the first answer
    assert upstream.posts == ["twice", "twice"]
    stats = proxy.stats
    assert (stats.requests_forwarded, stats.responses_delivered) == (2, 1)
    assert stats.faults == {"duplicate": 1}


def test_a_delayed_request_reaches_the_server_after_a_later_one(proxy, upstream):
    proxy.script(["delay", "pass"])
    with _client(proxy) as slow, _client(proxy) as fast, ThreadPoolExecutor(1) as pool:
        held: Future[dict[str, object]] = pool.submit(_post, slow, "first-sent")
        _wait_for(lambda: proxy.stats.held == 1, "the proxy to hold the request")
        assert _post(fast, "second-sent")["count"] == 1
        assert upstream.posts == ["second-sent"] and not held.done()
        proxy.release_delayed()
        assert held.result()["count"] == 2
    assert upstream.posts == ["second-sent", "first-sent"]
    assert proxy.stats.faults == {"delay": 1}


def test_a_delayed_response_arrives_only_after_the_server_committed(proxy, upstream):
    proxy.script(["delay_response"])
    with _client(proxy) as client, ThreadPoolExecutor(1) as pool:
        held: Future[dict[str, object]] = pool.submit(_post, client, "slow-ack")
        _wait_for(lambda: proxy.stats.held == 1, "the proxy to hold the response")
        assert upstream.posts == ["slow-ack"] and not held.done()  # committed, not yet heard
        proxy.release_delayed()
        assert held.result() == {"id": "slow-ack", "count": 1}
    assert proxy.stats.faults == {"delay_response": 1}


def test_short_delays_end_by_themselves(upstream):
    with run_in_thread(upstream.port, FaultPlan(delay_ms=10)) as proxy, _client(proxy) as client:
        proxy.script(["delay", "delay_response"])
        assert [_post(client, "a")["count"], _post(client, "b")["count"]] == [1, 2]
        assert proxy.stats.faults == {"delay": 1, "delay_response": 1}


# --------------------------------------------------------------------------- partition and SSE


def test_a_partition_cuts_live_streams_and_refuses_everyone_until_healed(proxy, upstream):
    with _client(proxy) as client, client.stream("GET", "/v1/events") as events:
        lines = events.iter_lines()
        assert _next_event(lines) == ["event: changes", 'data: {"seq": 1}']
        proxy.partition()
        with pytest.raises(httpx.TransportError):
            _next_event(lines)
    with _client(proxy) as client:
        with pytest.raises(httpx.TransportError):
            _post(client, "during-outage")
        assert upstream.posts == []
        proxy.heal()
        assert _post(client, "after-outage")["count"] == 1
    assert proxy.stats.faults == {"partition": 1}
    assert upstream.stream_closed.wait(10)  # the server's stream was released, not leaked


def test_server_sent_events_are_forwarded_as_they_happen(proxy, upstream):
    with _client(proxy) as client, client.stream("GET", "/v1/events") as events:
        assert "content-encoding" not in events.headers
        lines = events.iter_lines()
        assert _next_event(lines) == ["event: changes", 'data: {"seq": 1}']
        assert not upstream.gate.is_set()  # the server has not even produced event 2 yet
        upstream.gate.set()
        assert _next_event(lines) == ["event: changes", 'data: {"seq": 2}']
        assert list(lines) == []
    assert proxy.stats.responses_delivered == 1


@pytest.mark.parametrize(
    ("plan", "script"),
    [(FaultPlan(), ["reset_sse"]), (FaultPlan(seed=3, sse_reset=1.0), [])],
    ids=["scripted", "random"],
)
def test_an_event_stream_can_be_reset_mid_stream(upstream, plan, script):
    with run_in_thread(upstream.port, plan) as proxy, _client(proxy) as client:
        proxy.script(script)
        with client.stream("GET", "/v1/events") as events:
            lines = events.iter_lines()
            assert _next_event(lines) == ["event: changes", 'data: {"seq": 1}']
            with pytest.raises(httpx.TransportError):
                _next_event(lines)
        assert proxy.stats.faults == {"reset_sse": 1}
        assert proxy.stats.responses_delivered == 0
    assert upstream.stream_closed.wait(10)


# --------------------------------------------------------------------------- seeded plans


CHAOS = FaultPlan(seed=42, drop=0.2, cut_after_commit=0.2, truncate=0.1, duplicate=0.2)


Session = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def _run_session(upstream: Upstream, plan: FaultPlan) -> Session:
    upstream.reset()
    outcomes: list[str] = []
    with run_in_thread(upstream.port, plan) as proxy, _client(proxy) as client:
        for n in range(16):
            try:
                outcomes.append(str(_post(client, f"op-{n}")["count"]))
            except httpx.TransportError:
                outcomes.append("error")
        stats = proxy.stats
    assert len(upstream.posts) == stats.requests_forwarded  # the proxy's books balance
    return stats.decisions, tuple(outcomes), tuple(upstream.posts)


def test_the_same_seed_replays_the_same_faults_and_outcomes(upstream):
    first = _run_session(upstream, CHAOS)
    assert _run_session(upstream, CHAOS) == first
    assert {"drop", "cut_after_commit", "duplicate", "pass"} <= set(first[0])
    other = _run_session(upstream, FaultPlan(**{**CHAOS.__dict__, "seed": 43}))
    assert other[0] != first[0]


chances_of_six = st.lists(st.floats(min_value=0.0, max_value=0.16), min_size=6, max_size=6)


@given(st.integers(), chances_of_six)
def test_a_plan_only_chooses_faults_it_gives_a_chance(seed, chances):
    names = ("drop", "cut_after_commit", "truncate", "delay", "delay_response", "duplicate")
    plan = FaultPlan(seed=seed, **dict(zip(names, chances, strict=True)))
    allowed = {"pass"} | {name for name, chance in zip(names, chances, strict=True) if chance}
    rng = random.Random(seed)
    assert {plan.choose(rng) for _ in range(50)} <= allowed


def test_bad_plans_and_scripts_are_rejected_with_the_reason():
    with pytest.raises(ValueError, match=r"drop must be a probability"):
        FaultPlan(drop=1.5)
    with pytest.raises(ValueError, match=r"sum to 1\.2"):
        FaultPlan(drop=0.6, duplicate=0.6)
    with pytest.raises(ValueError, match=r"unknown fault 'cut'"):
        parse_script(["pass", "cut"])
    with pytest.raises(ValueError, match=r"upstream port"):
        FaultyProxy(0)
    assert parse_script(FAULTS) == list(FAULTS)


# --------------------------------------------------------------------------- async API, stop


def test_the_async_api_serves_the_same_faults(upstream):
    async def session() -> tuple[int, list[str]]:
        async with FaultyProxy(upstream.port) as proxy:
            proxy.script(["cut_after_commit"])
            url = f"http://127.0.0.1:{proxy.port}"
            async with httpx.AsyncClient(base_url=url, trust_env=False) as client:
                with pytest.raises(httpx.TransportError):
                    await client.post("/orders", json={"id": "async-1"})
                retried = await client.post("/orders", json={"id": "async-1"})
            return retried.json()["count"], list(proxy.stats.faults)

    assert asyncio.run(session()) == (2, ["cut_after_commit"])


def test_stop_closes_live_streams_and_the_listener(upstream):
    proxy = run_in_thread(upstream.port)
    with _client(proxy) as client, client.stream("GET", "/v1/events") as events:
        lines = events.iter_lines()
        _next_event(lines)
        proxy.stop()
        with pytest.raises(httpx.TransportError):
            _next_event(lines)
    with _client(proxy) as client, pytest.raises(httpx.ConnectError):
        client.get("/big")
    assert upstream.stream_closed.wait(10)
