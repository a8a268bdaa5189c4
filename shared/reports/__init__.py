"""Supervisor reports over the merged CAD record: NFPA 1225 intervals, as tables and plots."""

from shared.reports.nfpa1225 import (
    PROCESSING_GOAL,
    PROCESSING_TARGET_S,
    IncidentTimes,
    IntervalStats,
    ProcessingReport,
    ResponseReport,
    Window,
    incident_times,
    percentile,
    processing_by_type,
    processing_report,
    response_report,
)
from shared.reports.render import (
    format_time,
    plot_processing,
    render_processing,
    render_response,
    text_table,
)

__all__ = [
    "PROCESSING_GOAL",
    "PROCESSING_TARGET_S",
    "IncidentTimes",
    "IntervalStats",
    "ProcessingReport",
    "ResponseReport",
    "Window",
    "format_time",
    "incident_times",
    "percentile",
    "plot_processing",
    "processing_by_type",
    "processing_report",
    "render_processing",
    "render_response",
    "response_report",
    "text_table",
]
