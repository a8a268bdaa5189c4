"""The supervisor's NFPA 1225 screen (renders ``viewmodels.reports.ReportsScreen``): the share
of calls dispatched within 60 s, a table of interval medians and 90th percentiles, and a bar
chart of processing times drawn with plain Flet containers (no plotting library on a phone).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from mobile_app.ui.viewmodels.reports import (
    DEFAULT_RANGE,
    Bar,
    ReportRange,
    ReportsScreen,
    TableRow,
    build_reports,
)
from mobile_app.ui.views.context import ViewContext
from mobile_app.ui.views.theme import (
    DANGER,
    FLAG,
    GAP,
    MUTED,
    SMALL,
    TEXT,
    TOUCH,
    card,
    heading,
    tag,
)

#: Bar colours: within the target, and beyond it (the label says which, too).
WITHIN = ft.Colors.GREEN_400
BEYOND = ft.Colors.DEEP_ORANGE_400
_COLUMNS = (("Interval", 5), ("Count", 2), ("p50", 2), ("p90", 2))


class ReportsView:
    def __init__(self, ctx: ViewContext) -> None:
        self.ctx = ctx
        self.range = DEFAULT_RANGE
        self.ranges = {
            choice: ft.Chip(
                label=ft.Text(choice.label, size=TEXT),
                selected=choice is self.range,
                on_select=self._chosen(choice),
                height=TOUCH,
            )
            for choice in ReportRange
        }
        self.period = ft.Text("", size=SMALL, color=MUTED)
        self.body = ft.ListView(spacing=GAP, expand=True, padding=ft.Padding.only(bottom=GAP))
        self.control = ft.Column(
            [
                heading("Reports"),
                ft.Row(
                    [tag(f"report-range-{r.value}", c) for r, c in self.ranges.items()],
                    scroll=ft.ScrollMode.AUTO,
                    spacing=6,
                ),
                tag("report-period", self.period),
                self.body,
            ],
            spacing=GAP,
            expand=True,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )

    def refresh(self) -> None:
        store = self.ctx.store
        screen = build_reports(
            store.incidents(open_only=False),
            store.units(),
            self.range,
            self.ctx.now(),
            self.ctx.role,
        )
        self._show(screen)

    def _show(self, screen: ReportsScreen) -> None:
        for choice in screen.ranges:
            self.ranges[choice.range].selected = choice.selected
        self.period.value = screen.period
        if screen.empty_message is not None:
            self.body.controls = [
                tag("report-empty", ft.Text(screen.empty_message, size=TEXT, color=MUTED))
            ]
            return
        self.body.controls = [
            card(
                tag(
                    "report-share",
                    ft.Text(screen.share, size=TEXT + 6, weight=ft.FontWeight.BOLD),
                ),
                tag(
                    "report-verdict",
                    ft.Text(
                        screen.verdict,
                        size=TEXT,
                        color=DANGER if screen.meets_goal is False else None,
                    ),
                ),
                tag("report-calls", ft.Text(screen.calls, size=SMALL, color=MUTED)),
            ),
            *(
                tag(f"report-warning-{n}", ft.Text(w, size=SMALL, color=FLAG))
                for n, w in enumerate(screen.warnings)
            ),
            card(
                ft.Text("Intervals", size=TEXT + 2, weight=ft.FontWeight.BOLD),
                self._line([name for name, _ in _COLUMNS], header=True),
                *(tag(f"report-row-{r.key}", self._table_row(r)) for r in screen.rows),
            ),
            card(
                ft.Text("Processing times", size=TEXT + 2, weight=ft.FontWeight.BOLD),
                ft.Text(screen.bars_caption, size=SMALL, color=MUTED),
                *(tag(f"report-bar-{n}", self._bar(b)) for n, b in enumerate(screen.bars)),
            ),
        ]

    # Drawing -----------------------------------------------------------------------------
    @staticmethod
    def _line(cells: list[str], *, header: bool = False) -> ft.Row:
        texts: list[ft.Control] = [
            ft.Text(
                cell,
                size=SMALL if header else TEXT,
                color=MUTED if header else None,
                weight=ft.FontWeight.BOLD if header else None,
                text_align=ft.TextAlign.LEFT if n == 0 else ft.TextAlign.RIGHT,
                expand=weight,
            )
            for n, (cell, (_, weight)) in enumerate(zip(cells, _COLUMNS, strict=True))
        ]
        return ft.Row(texts, spacing=8)

    def _table_row(self, row: TableRow) -> ft.Control:
        return ft.Container(
            ft.Column(
                [
                    self._line([row.label, row.count, row.p50, row.p90]),
                    ft.Text(row.meaning, size=SMALL, color=MUTED),
                ],
                spacing=0,
            ),
            padding=ft.Padding.symmetric(vertical=6),
            border=ft.Border.only(top=ft.BorderSide(1, ft.Colors.GREY_800)),
        )

    @staticmethod
    def _bar(bar: Bar) -> ft.Control:
        share = round(bar.fraction * 100)
        track: list[ft.Control] = [
            ft.Container(
                bgcolor=BEYOND if bar.over_target else WITHIN,
                height=22,
                border_radius=ft.BorderRadius.all(3),
                expand=share or None,
                width=None if share else 0,
            )
        ]
        if share < 100:
            track.append(ft.Container(expand=100 - share))
        return ft.Row(
            [
                ft.Text(bar.label, size=SMALL, width=84),
                ft.Row(track, spacing=0, expand=True),
                ft.Text(str(bar.count), size=TEXT, width=40, text_align=ft.TextAlign.RIGHT),
            ],
            spacing=8,
            height=TOUCH - 16,
        )

    # Actions -----------------------------------------------------------------------------
    def _chosen(self, choice: ReportRange) -> Callable[[Any], None]:
        def choose(_: Any) -> None:
            self.ctx.touch()
            self.range = choice
            self.ctx.redraw(self.refresh)

        return choose
