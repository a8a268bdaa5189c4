"""The harness itself: the workload it generates, the pages it serves, the numbers it prints."""

from __future__ import annotations

import math

import pytest

from bench.figures import Figure, Target, ratio
from bench.pages import decode_page, encode_pages
from bench.timing import Latency, percentile
from bench.workload import Fleet, replay


def test_percentiles_interpolate_between_ranks() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 0) == 1 and percentile(values, 100) == 100
    assert percentile([7.0], 99) == 7.0
    summary = Latency.of([0.001, 0.002, 0.003])
    assert summary.p50_ms == pytest.approx(2.0) and summary.max_ms == pytest.approx(3.0)


def test_targets_say_whether_a_figure_meets_them() -> None:
    assert Target("<=", 1.5).met(1.5) and not Target("<", 1.5).met(1.5)
    assert Target(">=", 30_000).met(31_000) and not Target(">", 30_000).met(30_000)
    assert Figure("x", 2.0, "x", target=Target("<=", 1.5)).met is False
    assert Figure("x", 2.0, "x").met is None


def test_a_ratio_needs_a_positive_baseline_and_a_figure_a_real_number() -> None:
    assert ratio("enc/plain", 3.0, 2.0, "3 ÷ 2").value == 1.5
    with pytest.raises(ValueError, match="baseline"):
        ratio("enc/plain", 3.0, 0.0, "")
    with pytest.raises(ValueError, match="finite"):
        Figure("broken", math.nan, "ms")


def test_the_fleet_makes_exactly_the_ops_asked_for_in_an_order_a_server_accepts() -> None:
    fleet = Fleet(seed=3, units=20)
    ops = fleet.activity(600)

    assert len(ops) == 600
    last_seq: dict[str, int] = {}
    for op in ops:  # each device's ops arrive in seq order without gaps, as the server demands
        assert op.seq == last_seq.get(op.device_id, 0) + 1
        last_seq[op.device_id] = op.seq
    assert {op.body.kind for op in ops} >= {"incident.create", "unit.status", "note.add"}
    assert replay(ops).snapshot() == fleet.replica.snapshot()


def test_a_fleet_without_new_calls_only_touches_what_exists() -> None:
    fleet = Fleet(seed=4, units=10)
    existing = {op.entity_id for op in fleet.populate(30)}

    later = fleet.activity(300, new_incidents=False, close_rate=0)

    assert {op.entity_id for op in later} <= existing
    assert len(fleet.open) == 30


def test_pages_carry_every_op_once_with_contiguous_cursors() -> None:
    ops = Fleet(seed=5, units=5).activity(1_201)

    pages = [decode_page(data) for data in encode_pages(ops, first_seq=11, server_time_ms=1)]

    assert [len(p.changes) for p in pages] == [500, 500, 201]
    assert [p.has_more for p in pages] == [True, True, False]
    assert [p.cursor for p in pages] == [510, 1010, 1211]
    seqs = [c.seq for p in pages for c in p.changes]
    assert seqs == list(range(11, 1212))
    assert [c.op for p in pages for c in p.changes] == ops
