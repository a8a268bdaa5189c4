"""A supervisor's NFPA 1225 report from the server console: ``python -m sync_server report``.

Calls are taken on a dispatcher's tablet whose clock the test sets to the day being reported,
pushed to a real server as ops, and reported on from the console in the agency's time zone.
1 November 2026 is the day Los Angeles leaves daylight saving time: that local day is 25 hours.
"""

from __future__ import annotations

import re
import struct
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from shared.hlc import HybridClock
from shared.lifecycle import UnitStatus
from sync_server.service.reports import EVENT, BadRange, parse_range
from sync_server.store import audit
from sync_server.testing import LiveServer
from tests.server.client import Device

LA = ZoneInfo("America/Los_Angeles")


def local_ms(text: str) -> int:
    """A Los Angeles wall-clock time (``fold=1``: the second pass through 01:00-02:00)."""
    moment = datetime.fromisoformat(text).replace(tzinfo=LA, fold=1)
    return round(moment.timestamp() * 1000)


class Dispatcher:
    """A dispatcher's tablet with a clock set to the moment the test says."""

    def __init__(self, server: LiveServer) -> None:
        self.device = Device.new(server)
        self.now = 0
        clock = HybridClock(lambda: self.now)
        self.device.clock = self.device.commands.clock = clock

    def call(self, at: str, kind: str) -> str:
        self.now = local_ms(at)
        return self.device.create_incident(incident_type=kind)

    def unit(self, name: str) -> str:
        return self.device.create_unit(name)

    def move(self, unit_id: str, status: UnitStatus, incident_id: str, after_s: int) -> None:
        self.now += after_s * 1000
        state = self.device.replica.units[unit_id]
        op = self.device.commands.set_unit_status(state, status, incident_id=incident_id)
        self.device.act(op)

    def run(self, unit_id: str, incident_id: str, dispatch: int, turnout=None, travel=None):
        """Dispatch ``dispatch`` s after the call; en route and on scene as many s later."""
        self.move(unit_id, UnitStatus.DISPATCHED, incident_id, dispatch)
        if turnout is not None:
            self.move(unit_id, UnitStatus.ENROUTE, incident_id, turnout)
        if travel is not None:
            self.move(unit_id, UnitStatus.ONSCENE, incident_id, travel)


def cells(output: str, label: str) -> list[str]:
    """The cells of the table row starting with ``label`` (columns are 2+ spaces apart)."""
    rows = [line for line in output.splitlines() if line.startswith(label)]
    assert len(rows) == 1, f"expected one {label!r} row in:\n{output}"
    return re.split(r"\s{2,}", rows[0].strip())


@pytest.fixture(scope="module")
def november_first(server: LiveServer) -> LiveServer:
    """Five calls around 1 November 2026 (Los Angeles), three of them on that day."""
    desk = Dispatcher(server)
    units = {name: desk.unit(name) for name in ("E1", "E2", "M1", "M2", "E3")}
    # The evening before: not in the day's report.
    late = desk.call("2026-10-31T23:30", "FSTRU")
    desk.run(units["E3"], late, dispatch=200)
    # The day: processing 45, 75 and 30 s; turnout 60 and 90 s; travel 300 and 420 s.
    fire = desk.call("2026-11-01T09:00", "FSTRU")
    desk.run(units["E1"], fire, dispatch=45, turnout=60, travel=300)
    medical = desk.call("2026-11-01T13:00", "ALS")
    desk.run(units["M1"], medical, dispatch=75, turnout=90, travel=420)
    night = desk.call("2026-11-01T23:30", "FSTRU")  # 07:30 UTC on the 2nd, standard time
    desk.run(units["E2"], night, dispatch=30)
    # Just after midnight: the next day.
    next_day = desk.call("2026-11-02T00:30", "ALS")
    desk.run(units["M2"], next_day, dispatch=10)
    desk.device.push()
    desk.device.close()
    return server


def report(server: LiveServer, *extra: str):
    return server.cli(
        "report",
        "--from",
        "2026-11-01T00:00",
        "--to",
        "2026-11-02T00:00",
        "--tz",
        "America/Los_Angeles",
        *extra,
    )


def test_the_days_processing_times_against_the_sixty_second_target(november_first):
    result = report(november_first)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Incidents received 2026-11-01 00:00 to 2026-11-02 00:00 America/Los_Angeles" in out
    assert "Target: 90 % within 60 s -> DOES NOT MEET (66.7 %)" in out
    # Calls, dispatched, <= 60 s, p50, p90 (45 s + 80 % of the way to 75 s), no unit, excluded
    assert cells(out, "All") == ["All", "3", "3", "66.7 %", "0:45", "1:09", "0", "0"]


def test_the_days_response_intervals_per_unit_and_per_incident(november_first):
    out = report(november_first).stdout
    assert "3 incidents" in out
    turnout = cells(out, "Turnout (dispatched -> en route), per unit")
    assert turnout[1:] == ["2", "1:15", "1:27", "0"]  # 60 and 90 s
    travel = cells(out, "Travel (en route -> on scene), per unit")
    assert travel[1:] == ["2", "6:00", "6:48", "0"]  # 300 and 420 s
    total = cells(out, "Total response (answered -> first on scene)")
    # 405 and 585 s; nobody is on scene yet at the night call
    assert total[1:] == ["2", "8:15", "9:27", "0"]


def test_by_type_splits_the_fires_from_the_medical_calls(november_first):
    out = report(november_first, "--by-type").stdout
    assert cells(out, "FSTRU") == ["FSTRU", "2", "2", "100.0 %", "0:38", "0:44", "0", "0"]
    assert cells(out, "ALS") == ["ALS", "1", "1", "0.0 %", "1:15", "1:15", "0", "0"]
    assert "FSTRU" not in report(november_first).stdout


def test_the_same_day_in_utc_is_a_different_set_of_calls(november_first):
    result = november_first.cli("report", "--from", "2026-11-01T00:00", "--to", "2026-11-02T00:00")
    # UTC midnight to midnight: the evening-before call (06:30 UTC on the 1st, 200 s) and
    # the 09:00 and 13:00 calls, but not the 23:30 PST call (07:30 UTC on the 2nd).
    assert result.returncode == 0, result.stderr
    assert "America/Los_Angeles" not in result.stdout
    assert cells(result.stdout, "All")[:4] == ["All", "3", "3", "33.3 %"]


def test_the_plot_is_written_as_a_png(november_first, tmp_path: Path):
    target = tmp_path / "plots" / "nov-1.png"
    result = report(november_first, "--plot", str(target))
    assert result.returncode == 0, result.stderr
    assert f"plot written to {target}" in result.stdout
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (800, 500)


def test_every_report_run_is_in_the_audit_log(november_first):
    before = _report_audits(november_first)
    assert report(november_first).returncode == 0
    after = _report_audits(november_first)
    assert len(after) == len(before) + 1
    entry = after[-1]
    assert (entry.component, entry.outcome) == ("cli", "success")
    assert "NFPA 1225 report by console user" in entry.detail
    assert "2026-11-01 00:00 to 2026-11-02 00:00 America/Los_Angeles: 3 incidents" in entry.detail


def _report_audits(server: LiveServer):
    with server.context().db.read() as session:
        return audit.entries(session, event_type=EVENT, limit=10_000)


def test_a_window_with_no_calls_says_so_and_is_still_audited(november_first):
    before = len(_report_audits(november_first))
    result = november_first.cli("report", "--from", "2020-01-01", "--to", "2020-01-02")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "no incidents were received 2020-01-01 00:00 to 2020-01-02 00:00 UTC" in result.stderr
    assert len(_report_audits(november_first)) == before + 1


@pytest.mark.parametrize(
    ("start", "end", "zone", "says"),
    [
        ("2026-11-02T00:00", "2026-11-01T00:00", None, "--to (2026-11-01 00:00) must be after"),
        ("2026-11-01T00:00", "2026-11-01T00:00", None, "must be after --from"),
        ("yesterday", "2026-11-01T00:00", None, "--from 'yesterday' is not a date and time"),
        ("2026-11-01", "2026-11-02", "Pacific/Nowhere", "unknown time zone 'Pacific/Nowhere'"),
    ],
)
def test_a_bad_range_is_explained(start, end, zone, says):
    with pytest.raises(BadRange, match=re.escape(says)):
        parse_range(start, end, zone)


def test_a_bad_range_from_the_console_is_refused_before_reading_anything(server: LiveServer):
    result = server.cli("report", "--from", "2026-11-02T00:00", "--to", "2026-11-01T00:00")
    assert result.returncode == 2
    assert "report: --to (2026-11-01 00:00) must be after --from (2026-11-02 00:00)" in (
        result.stderr
    )


def test_times_with_an_offset_keep_it_and_times_without_are_local_to_the_zone():
    utc = ZoneInfo("UTC")
    window = parse_range("2026-11-01T09:00-07:00", "2026-11-01T09:00", "America/Los_Angeles")
    assert window.start == datetime(2026, 11, 1, 16, 0, tzinfo=utc)  # as written
    assert window.end == datetime(2026, 11, 1, 17, 0, tzinfo=utc)  # 09:00 PST, after the change
