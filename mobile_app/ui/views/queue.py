"""The incident queue screen (renders ``viewmodels.queue.QueueView``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import flet as ft

from mobile_app.ui.viewmodels.labels import PRIORITIES, priority_label
from mobile_app.ui.viewmodels.queue import QueueFilter, QueueRow, QueueScope, build_queue
from mobile_app.ui.views.context import ViewContext
from mobile_app.ui.views.theme import (
    DANGER,
    GAP,
    MUTED,
    SMALL,
    TEXT,
    TOUCH,
    card,
    flag,
    priority_badge,
    tag,
)
from shared.domain import Incident, Unit

_ALL = "all"


class QueueView:
    def __init__(self, ctx: ViewContext, on_open: Callable[[str], None]) -> None:
        self.ctx = ctx
        self.on_open = on_open
        self.filter = QueueFilter()
        self._read: tuple[list[Incident], list[Unit], bool] | None = None
        self.search = ft.TextField(
            label="Search type, address, caller",
            prefix_icon=ft.Icons.SEARCH,
            text_size=TEXT + 1,
            on_change=self._searched,
        )
        self.scopes = {
            scope: ft.Chip(
                label=ft.Text(scope.label, size=TEXT),
                selected=scope is self.filter.scope,
                on_select=self._scoped(scope),
                height=TOUCH,
            )
            for scope in QueueScope
        }
        self.types = ft.Dropdown(
            label="Type",
            value=_ALL,
            options=[ft.DropdownOption(key=_ALL, text="All types")],
            on_select=self._typed,
            expand=True,
            text_size=TEXT,
        )
        self.priorities = ft.Dropdown(
            label="Priority",
            value=_ALL,
            options=[
                ft.DropdownOption(key=_ALL, text="All"),
                *(ft.DropdownOption(key=str(p), text=priority_label(p)) for p in PRIORITIES),
            ],
            on_select=self._prioritised,
            width=170,
            text_size=TEXT,
        )
        self.summary = ft.Text("", size=SMALL, color=MUTED)
        self.rows = ft.ListView(spacing=8, expand=True, padding=ft.Padding.only(bottom=GAP))
        self.control = ft.Column(
            [
                tag("queue-search", self.search),
                ft.Row(
                    [tag(f"scope-{s.value}", c) for s, c in self.scopes.items()],
                    scroll=ft.ScrollMode.AUTO,
                    spacing=6,
                ),
                ft.Row([tag("filter-type", self.types), tag("filter-priority", self.priorities)]),
                tag("queue-summary", self.summary),
                self.rows,
            ],
            spacing=8,
            expand=True,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )

    # Events ------------------------------------------------------------------------------
    def _searched(self, _: Any) -> None:
        self.ctx.touch()
        self.filter = replace(self.filter, search=self.search.value or "")
        self.ctx.redraw(self._filtered)

    def _scoped(self, scope: QueueScope) -> Callable[[Any], None]:
        def choose(_: Any) -> None:
            self.ctx.touch()
            self.filter = replace(self.filter, scope=scope)
            self.ctx.redraw(self._filtered)

        return choose

    def _typed(self, _: Any) -> None:
        self.ctx.touch()
        value = self.types.value
        self.filter = replace(self.filter, incident_type=None if value in (None, _ALL) else value)
        self.ctx.redraw(self._filtered)

    def _prioritised(self, _: Any) -> None:
        self.ctx.touch()
        value = self.priorities.value
        self.filter = replace(
            self.filter, priority=None if value in (None, _ALL) else int(str(value))
        )
        self.ctx.redraw(self._filtered)

    # Drawing -----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the store again (its data changed) and redraw."""
        store = self.ctx.store
        self._read = (
            store.incidents(open_only=not self.filter.scope.needs_closed),
            store.units(),
            self.filter.scope.needs_closed,
        )
        self._draw()

    def _filtered(self) -> None:
        """Redraw for a new filter; the store is read again only if the filter needs data
        that was not read (closed incidents), so typing a search decrypts nothing."""
        if self._read is None or self._read[2] != self.filter.scope.needs_closed:
            self.refresh()
        else:
            self._draw()

    def _draw(self) -> None:
        assert self._read is not None
        incidents, units, _ = self._read
        view = build_queue(incidents, units, self.filter, self.ctx.now())
        for scope, chip in self.scopes.items():
            chip.selected = scope is self.filter.scope
        self.types.options = [
            ft.DropdownOption(key=_ALL, text="All types"),
            *(ft.DropdownOption(key=code, text=label) for code, label in view.type_options),
        ]
        self.summary.value = view.summary
        if view.rows:
            self.rows.controls = [self._row(row) for row in view.rows]
        else:
            self.rows.controls = [
                tag("queue-empty", ft.Text(view.empty_message, size=TEXT, color=MUTED))
            ]

    def _row(self, row: QueueRow) -> ft.Control:
        flags: list[ft.Control] = []
        if row.late:
            flags.append(flag("LATE ENTRY"))
        if row.conflict:
            flags.append(flag("CONFLICT", DANGER))
        return tag(
            f"queue-row-{row.incident_id}",
            card(
                ft.Row(
                    [
                        priority_badge(row.priority),
                        ft.Text(
                            row.type_label,
                            size=TEXT,
                            weight=ft.FontWeight.BOLD,
                            expand=True,
                            max_lines=2,
                        ),
                        *flags,
                    ],
                    vertical_alignment=ft.CrossAxisAlignment.START,
                ),
                ft.Text(row.place, size=TEXT + 1),
                ft.Text(f"{row.status_label} · {row.units_line}", size=SMALL),
                ft.Text(
                    f"Received {row.received}"
                    + (
                        # A call no unit has reached is waiting; one with units is just open.
                        f" · {'waiting' if row.pending else 'open'} {row.waiting}"
                        if row.waiting
                        else ""
                    ),
                    size=SMALL,
                    color=MUTED,
                ),
                on_click=lambda _: self.on_open(row.incident_id),
            ),
        )
