"""NFPA 1225 reports over the server's merged record, for ``python -m sync_server report``.

The figures themselves come from ``shared.reports`` (the same functions the tests check against
the raw San Francisco export); this module only reads the sealed incident and unit states,
turns a supervisor's "from ... to ... in our time zone" into a ``Window``, and audits the read:
a report is an access to case data (CJIS 5.4.1.1), so every run is logged with its window and
how many incidents it covered, whoever runs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.domain import AuditOutcome, Incident, Unit
from shared.merge import IncidentState, UnitState
from shared.reports import (
    ProcessingReport,
    ResponseReport,
    Window,
    processing_by_type,
    processing_report,
    render_processing,
    render_response,
    response_report,
)
from sync_server.context import Context
from sync_server.store import audit, entities

EVENT = "report.nfpa1225"
#: Entity rows decoded per query while reading the whole record.
PAGE = 500


class BadRange(ValueError):
    """The dates or time zone asked for do not make a report window."""


class EmptyWindow(LookupError):
    """No incident was received in the window: there is nothing to report on."""


@dataclass(frozen=True, slots=True)
class ReportRange:
    """Incidents received from ``start`` (included) to ``end`` (excluded), both zone-aware."""

    start: datetime
    end: datetime
    zone: str

    @property
    def window(self) -> Window:
        return Window.of(_ms(self.start), _ms(self.end))

    def describe(self) -> str:
        """``2026-11-01 00:00 to 2026-11-02 00:00 America/Los_Angeles``."""
        return f"{self.start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M} {self.zone}"


def _ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _zone(name: str | None) -> tuple[tzinfo, str]:
    if name is None or name.upper() == "UTC":
        return UTC, "UTC"
    try:
        return ZoneInfo(name), name
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRange(
            f"unknown time zone {name!r} (use an IANA name such as America/Los_Angeles)"
        ) from None


def _moment(text: str, option: str, zone: tzinfo) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadRange(f"{option} {text!r} is not a date and time like 2026-11-01T00:00") from None
    # A time without an offset is wall-clock time in the report's zone.
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def parse_range(start: str, end: str, zone_name: str | None = None) -> ReportRange:
    """``--from``/``--to`` (ISO 8601; local to ``zone_name`` unless they carry an offset)."""
    zone, label = _zone(zone_name)
    first, last = _moment(start, "--from", zone), _moment(end, "--to", zone)
    if _ms(last) <= _ms(first):
        raise BadRange(
            f"--to ({last:%Y-%m-%d %H:%M}) must be after --from ({first:%Y-%m-%d %H:%M})"
        )
    return ReportRange(first, last, label)


@dataclass(frozen=True, slots=True)
class Nfpa1225Report:
    range: ReportRange
    processing: ProcessingReport
    response: ResponseReport
    by_type: dict[str | None, ProcessingReport] | None = None

    def render(self) -> str:
        return "\n".join(
            [
                f"Incidents received {self.range.describe()}",
                "",
                render_processing(self.processing, self.by_type),
                "",
                render_response(self.response),
            ]
        )


def _pages(ctx: Context) -> Iterator[IncidentState | UnitState]:
    """Every merged state, read in pages within one transaction (one consistent view)."""
    with ctx.db.read() as session:
        after: tuple[str, str] | None = None
        while rows := entities.page(session, after, PAGE):
            for row in rows:
                yield entities.decode(ctx.sealer, row)
            after = (rows[-1].entity, rows[-1].entity_id)


def merged_record(ctx: Context) -> tuple[list[Incident], list[Unit]]:
    """The current view of every incident and unit, as the merge rules make them."""
    incidents: list[Incident] = []
    units: list[Unit] = []
    for state in _pages(ctx):
        if isinstance(state, UnitState):
            units.append(state.view())
        elif entities.exists(state):
            incidents.append(state.view())
    return incidents, units


def nfpa1225(
    ctx: Context,
    report_range: ReportRange,
    *,
    by_type: bool = False,
    requested_by: str,
    component: str = "cli",
) -> Nfpa1225Report:
    """The processing and response report for ``report_range``; audited, even when the window
    turns out to be empty (raises ``EmptyWindow`` then) or the read fails."""
    window = report_range.window
    span = f"incidents received {report_range.describe()}"
    try:
        incidents, units = merged_record(ctx)
        processing = processing_report(incidents, units, window)
        response = response_report(incidents, units, window)
        types = processing_by_type(incidents, units, window) if by_type else None
    except Exception as failed:
        failure = f"{span}: failed ({type(failed).__name__})"
        _audit(ctx, AuditOutcome.FAILURE, failure, requested_by, component)
        raise
    detail = f"{span}: {processing.incidents} incidents"
    _audit(ctx, AuditOutcome.SUCCESS, detail, requested_by, component)
    if processing.incidents == 0:
        raise EmptyWindow(f"no incidents were received {report_range.describe()}")
    return Nfpa1225Report(report_range, processing, response, types)


def _audit(
    ctx: Context, outcome: AuditOutcome, detail: str, requested_by: str, component: str
) -> None:
    audit.record_now(
        ctx.db,
        component=component,
        event_type=EVENT,
        outcome=outcome,
        now_ms=ctx.now_ms(),
        detail=f"NFPA 1225 report by {requested_by}, {detail}",
    )
