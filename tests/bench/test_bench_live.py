"""The live benchmarks' parts: the wire meter, the exactly-once check, the SF replay plan.

The benchmarks themselves run end to end (quick mode) in ``test_bench_smoke``; their own
assertions (every op on the server exactly once, every store equal to the merge of the log)
are what fails them.
"""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest

from bench.live import CountingTransport, WireMeter, check_exactly_once
from bench.sf_replay import SF_CSV, busiest_start, owner, plan_window
from shared.commands import Commands
from shared.hlc import HybridClock
from shared.lifecycle import UnitStatus
from shared.protocol import IncidentCreate, IncidentFields, Op, UnitStatusChange, UnitUpsert
from shared.sfdata import load_sf_calls


def test_the_meter_counts_heads_and_bodies_both_ways_as_sent() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"x" * 1000, headers={"Content-Type": "text/plain"})

    meter = WireMeter()
    transport = CountingTransport(meter, inner=httpx.MockTransport(answer))

    async def call() -> bytes:
        async with httpx.AsyncClient(transport=transport) as http:
            reply = await http.post("http://127.0.0.1:9/v1/push", content=b"y" * 300)
            return reply.content

    assert asyncio.run(call()) == b"x" * 1000
    assert meter.requests == 1
    assert 300 + len("POST /v1/push HTTP/1.1\r\n") < meter.up < 300 + 400
    assert 1000 + len("HTTP/1.1 200 \r\n") < meter.down < 1000 + 200
    meter.reset()
    assert meter.total == 0


def _ops(device: str, n: int) -> list[Op]:
    seqs = itertools.count(1)
    commands = Commands(device, "u", HybridClock(lambda: 1_700_000_000_000), lambda: next(seqs))
    fields = IncidentFields(incident_type="SICK", address="1 Main St")
    return [commands.create_incident(fields, 3, incident_id=f"{device}-{i}") for i in range(n)]


def test_exactly_once_refuses_a_missing_a_doubled_or_a_stranger_op() -> None:
    a, b = _ops("dev-a", 3), _ops("dev-b", 2)
    check_exactly_once([a[0], b[0], a[1], b[1], a[2]], {"dev-a": 3, "dev-b": 2})
    with pytest.raises(AssertionError, match="1 missing"):
        check_exactly_once([*a[:2], *b], {"dev-a": 3, "dev-b": 2})
    with pytest.raises(AssertionError, match="1 doubled"):
        check_exactly_once([*a, a[2], *b], {"dev-a": 3, "dev-b": 2})
    with pytest.raises(AssertionError, match="unexpected devices"):
        check_exactly_once([*a, *b], {"dev-a": 3})


@pytest.fixture(scope="module")
def sf_records() -> list:  # type: ignore[type-arg]
    if not SF_CSV.exists():
        pytest.skip(f"SF fire calls export not found at {SF_CSV}")
    return load_sf_calls(SF_CSV)


def test_the_replay_window_is_the_state_before_it_plus_every_op_inside_it(sf_records) -> None:
    start = busiest_start(sf_records, 5)
    end = start + 5 * 60_000
    window = plan_window(sf_records, start, end)

    assert window.steps and window.setup and window.calls > 0
    assert all(start <= step.event_ms < end for step in window.steps)
    assert [s.event_ms for s in window.steps] == sorted(s.event_ms for s in window.steps)
    assert not any(isinstance(step.op.body, UnitUpsert) for step in window.steps)
    units = {op.entity_id for op in window.setup if isinstance(op.body, UnitUpsert)}
    assert {s.op.entity_id for s in window.steps if s.op.entity.value == "unit"} <= units
    # who writes: consoles create calls and dispatch, terminals report the rest
    for step in window.steps:
        index = owner(step.op, consoles=5, devices=20)
        body = step.op.body
        dispatch = isinstance(body, UnitStatusChange) and body.status is UnitStatus.DISPATCHED
        assert (index < 5) == (isinstance(body, IncidentCreate) or dispatch)
