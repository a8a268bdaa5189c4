"""NFPA 1225 figures for two real weeks of San Francisco Fire dispatches, replayed through
our CAD (commands, merge, read models), checked against the raw export computed directly."""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np
import pytest

from shared.commands import Commands
from shared.hlc import HybridClock
from shared.merge import Replica
from shared.reports import (
    processing_by_type,
    processing_report,
    render_processing,
    render_response,
    response_report,
)
from shared.sfdata import load_sf_calls, sf_ops
from tests.reports.sf import sf_csv


@pytest.fixture(scope="module")
def replayed():
    records = load_sf_calls(sf_csv())
    seq = itertools.count(1)
    replica = Replica()
    commands = Commands("sf-replay", "replayer", HybridClock(), lambda: next(seq))
    for _ in sf_ops(records, commands, replica=replica):
        pass
    incidents = [s.view() for s in replica.incidents.values()]
    units = [s.view() for s in replica.units.values()]
    return records, incidents, units


def direct_processing_seconds(records) -> list[float]:
    received: dict[str, int] = {}
    first_dispatch: dict[str, int] = defaultdict(lambda: 10**15)
    for r in records:
        received[r.incident_number] = r.received_ms
        first_dispatch[r.incident_number] = min(first_dispatch[r.incident_number], r.dispatch_ms)
    return [(first_dispatch[i] - received[i]) / 1000 for i in received]


def test_every_sf_timestamp_lands_on_the_units_assignment(replayed) -> None:
    records, incidents, units = replayed
    assignments = {(a.unit_id, a.incident_id): a for u in units for a in u.assignments}
    assert len(assignments) == len(records)
    for r in records:
        a = assignments[(f"sf-{r.unit_id}", f"sf-{r.incident_number}")]
        assert (a.dispatched_ms, a.enroute_ms, a.onscene_ms, a.cleared_ms) == (
            r.dispatch_ms,
            r.enroute_ms,
            r.onscene_ms,
            r.available_ms,
        ), r.line
    assert len(incidents) == 5_292
    assert all(i.received_ms is not None and i.incident_type for i in incidents)


def test_sf_processing_time_is_plausible_and_matches_the_raw_export(replayed) -> None:
    records, incidents, units = replayed
    report = processing_report(incidents, units)
    share = report.share_within_target
    assert share is not None and 0 < share < 1
    assert report.stats.p50_s is not None and 10 <= report.stats.p50_s <= 600
    assert report.incidents == report.stats.count == 5_292
    assert report.not_dispatched == 0 and report.stats.excluded == 0
    direct = direct_processing_seconds(records)
    assert share == sum(s <= 60 for s in direct) / len(direct)
    assert report.stats.p50_s == pytest.approx(np.percentile(direct, 50))
    assert report.stats.p90_s == pytest.approx(np.percentile(direct, 90))
    by_type = processing_by_type(incidents, units)
    assert sum(r.incidents for r in by_type.values()) == 5_292
    assert "NFPA 1225 alarm processing" in render_processing(report, by_type)


def test_sf_turnout_and_travel_match_the_raw_export(replayed) -> None:
    records, incidents, units = replayed
    report = response_report(incidents, units)
    turnout = [(r.enroute_ms - r.dispatch_ms) / 1000 for r in records if r.enroute_ms]
    travel = [
        (r.onscene_ms - r.enroute_ms) / 1000 for r in records if r.enroute_ms and r.onscene_ms
    ]
    assert report.turnout.count == len(turnout) and report.travel.count == len(travel)
    assert report.turnout.p50_s == pytest.approx(np.percentile(turnout, 50))
    assert report.turnout.p90_s == pytest.approx(np.percentile(turnout, 90))
    assert report.travel.p50_s == pytest.approx(np.percentile(travel, 50))
    assert report.travel.p90_s == pytest.approx(np.percentile(travel, 90))
    assert 0 < report.turnout.p50_s < report.travel.p50_s < report.total.p50_s  # type: ignore[operator]
    assert "Travel (en route -> on scene), per unit" in render_response(report)
