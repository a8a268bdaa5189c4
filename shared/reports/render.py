"""Reports rendered for people: plain-text tables for a terminal or a printout, and a PNG plot.

matplotlib is imported inside ``plot_processing`` only: the mobile runtime imports this module
for the text tables and never needs the plotting stack.  The plot uses matplotlib's
object-oriented API (no pyplot), so it touches no global figure state and needs no display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from shared.reports.nfpa1225 import IntervalStats, ProcessingReport, ResponseReport, Window


def format_seconds(seconds: float | None) -> str:
    """``75.4`` -> ``"1:15"``; a dash when there is nothing to show."""
    if seconds is None:
        return "-"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_share(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.1f} %"


def text_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, right_from: int = 1
) -> str:
    """Columns padded to their widest cell; those before ``right_from`` left-aligned (labels),
    the rest right-aligned (figures)."""
    widths = [len(h) for h in headers]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"row {row!r} has {len(row)} cells for {len(headers)} columns")
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.ljust(width) if column < right_from else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def format_time(ms: int | None, missing: str = "...") -> str:
    """An epoch-ms moment as people read it in a log or a report (UTC, to the minute)."""
    if ms is None:
        return missing
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def describe_window(window: Window) -> str:
    span = f"{format_time(window.start_ms)} to {format_time(window.end_ms)}"
    if window.start_ms is None and window.end_ms is None:
        span = "all time"
    kinds = "all incident types"
    if window.incident_types is not None:
        kinds = "incident types " + ", ".join(sorted(window.incident_types))
    return f"{span}, {kinds}"


def _processing_row(label: str, report: ProcessingReport) -> list[str]:
    return [
        label,
        str(report.incidents),
        str(report.stats.count),
        format_share(report.share_within_target),
        format_seconds(report.stats.p50_s),
        format_seconds(report.stats.p90_s),
        str(report.not_dispatched),
        str(report.stats.excluded),
    ]


def render_processing(
    report: ProcessingReport, by_type: Mapping[str | None, ProcessingReport] | None = None
) -> str:
    """The NFPA 1225 processing-time summary, optionally broken down by incident type."""
    verdict = {True: "MEETS", False: "DOES NOT MEET", None: "cannot be judged (no dispatches)"}
    headers = [
        "Incident type",
        "Calls",
        "Dispatched",
        f"<= {report.target_s} s",
        "p50",
        "p90",
        "No unit",
        "Excluded",
    ]
    rows = [_processing_row("All", report)]
    for kind, part in (by_type or {}).items():
        rows.append(_processing_row(kind or "(no type)", part))
    return "\n".join(
        [
            "NFPA 1225 alarm processing (call answered -> first unit dispatched)",
            f"Window: {describe_window(report.window)}",
            f"Target: {report.goal * 100:.0f} % within {report.target_s} s -> "
            f"{verdict[report.meets_goal]} ({format_share(report.share_within_target)})",
            "",
            text_table(headers, rows),
        ]
    )


def _stats_row(label: str, stats: IntervalStats) -> list[str]:
    return [
        label,
        str(stats.count),
        format_seconds(stats.p50_s),
        format_seconds(stats.p90_s),
        str(stats.excluded),
    ]


def render_response(report: ResponseReport) -> str:
    rows = [
        _stats_row("Turnout (dispatched -> en route), per unit", report.turnout),
        _stats_row("Travel (en route -> on scene), per unit", report.travel),
        _stats_row("Total response (answered -> first on scene)", report.total),
    ]
    return "\n".join(
        [
            "Response intervals",
            f"Window: {describe_window(report.window)}; {report.incidents} incidents",
            "",
            text_table(["Interval", "Count", "p50", "p90", "Excluded"], rows),
        ]
    )


def plot_processing(report: ProcessingReport, path: str | Path, *, max_s: int = 300) -> Path:
    """Histogram and cumulative share of processing times, with the target line, as a PNG.

    Times beyond ``max_s`` are drawn in the last bin so a few stuck calls do not squash the
    chart; the cumulative curve and the title use every time.
    """
    from matplotlib.figure import Figure

    path = Path(path)
    seconds = [min(s, max_s) for s in report.seconds]
    figure = Figure(figsize=(8, 5), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    axes.hist(seconds, bins=range(0, max_s + 10, 10), color="#4c72b0", label="incidents")
    axes.set_xlabel(f"Processing time, s (answered -> first dispatch; >{max_s} s in last bin)")
    axes.set_ylabel("Incidents")
    axes.axvline(report.target_s, color="#c44e52", linestyle="--", label=f"{report.target_s} s")
    cumulative = axes.twinx()
    n = len(report.seconds)
    cumulative.plot(
        [min(s, max_s) for s in report.seconds],
        [(i + 1) / n for i in range(n)],
        color="#55a868",
        label="cumulative share",
    )
    cumulative.axhline(report.goal, color="#8172b2", linestyle=":", label=f"{report.goal:.0%}")
    cumulative.set_ylim(0, 1.02)
    cumulative.set_ylabel("Cumulative share")
    share = format_share(report.share_within_target)
    axes.set_title(f"NFPA 1225 processing: {share} within {report.target_s} s (n={n})")
    handles, labels = axes.get_legend_handles_labels()
    more_handles, more_labels = cumulative.get_legend_handles_labels()
    figure.legend(handles + more_handles, labels + more_labels, loc="outside lower center", ncols=4)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path
