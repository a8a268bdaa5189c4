"""The unit board (renders ``viewmodels.units.UnitBoard``): one tap per status change.

Assigning needs an incident, so "Assign" opens the list of open incidents under that unit;
every other move is a single tap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from mobile_app.ui.viewmodels.units import UnitAction, UnitBoard, UnitRow, build_unit_board
from mobile_app.ui.views.context import ViewContext
from mobile_app.ui.views.theme import (
    DANGER,
    GAP,
    MUTED,
    SMALL,
    TEXT,
    button,
    card,
    field,
    flag,
    heading,
    tag,
)
from shared.lifecycle import UnitStatus


class UnitsView:
    def __init__(self, ctx: ViewContext) -> None:
        self.ctx = ctx
        self.picking: str | None = None
        """The unit whose "Assign" list is open."""
        self.new_name, new_name = field("Unit name, e.g. E12", identifier="unit-new-name")
        self.new_station, new_station = field("Station (optional)", identifier="unit-new-station")
        new_name.col = {"xs": 12, "md": 5}
        new_station.col = {"xs": 12, "md": 4}
        save = button("Save unit", self._add, identifier="unit-add", icon=ft.Icons.SAVE)
        save.col = {"xs": 12, "md": 3}
        self.add_form = ft.ResponsiveRow([new_name, new_station, save], spacing=8, run_spacing=8)
        self.add_form.visible = False
        self.summary = ft.Text("", size=SMALL, color=MUTED)
        self.rows = ft.ListView(spacing=8, expand=True, padding=ft.Padding.only(bottom=GAP))
        self.control = ft.Column(
            [
                ft.Row(
                    [
                        ft.Container(heading("Units"), expand=True),
                        button(
                            "Add unit",
                            self._open_form,
                            identifier="unit-add-open",
                            icon=ft.Icons.ADD,
                        ),
                    ]
                ),
                tag("units-summary", self.summary),
                self.add_form,
                self.rows,
            ],
            spacing=GAP,
            expand=True,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )

    def refresh(self) -> None:
        store = self.ctx.store
        board = build_unit_board(store.units(), store.incidents(), self.ctx.now())
        self.summary.value = board.summary
        if board.rows:
            self.rows.controls = [self._row(row, board) for row in board.rows]
        else:
            self.rows.controls = [ft.Text(board.empty_message, size=TEXT, color=MUTED)]

    def _row(self, row: UnitRow, board: UnitBoard) -> ft.Control:
        head: list[ft.Control] = [
            ft.Text(row.name, size=TEXT + 4, weight=ft.FontWeight.BOLD),
            tag(f"unit-{row.unit_id}-status", ft.Text(row.status_label, size=TEXT + 1)),
        ]
        if row.in_status_for:
            head.append(ft.Text(f"for {row.in_status_for}", size=SMALL, color=MUTED))
        if row.double_booked:
            head.append(flag("DOUBLE-BOOKED", DANGER))
        lines: list[ft.Control] = [ft.Row(head, wrap=True, spacing=10)]
        if row.details:
            lines.append(ft.Text(row.details, size=SMALL, color=MUTED))
        if row.double_booked_label:
            lines.append(
                tag(
                    f"unit-{row.unit_id}-double",
                    ft.Text(row.double_booked_label, size=SMALL, color=DANGER),
                )
            )
        elif row.incident_label:
            lines.append(ft.Text(f"On {row.incident_label}", size=SMALL))
        lines.append(
            ft.Row([self._action(row, a) for a in row.actions], wrap=True, spacing=6, run_spacing=6)
        )
        if self.picking == row.unit_id:
            lines.append(self._picker(row, board))
        return tag(f"unit-row-{row.unit_id}", card(*lines))

    def _action(self, row: UnitRow, action: UnitAction) -> ft.Control:
        return button(
            action.label,
            self._pick(row.unit_id)
            if action.needs_incident
            else self._move(row.unit_id, action.status),
            identifier=f"unit-{row.unit_id}-{action.status.value}",
            primary=action is row.actions[0],
        )

    def _picker(self, row: UnitRow, board: UnitBoard) -> ft.Control:
        if not board.assignable:
            return ft.Text("No open incident to assign to.", size=TEXT, color=MUTED)
        choices: list[ft.Control] = [ft.Text(f"Assign {row.name} to:", size=TEXT)]
        choices += [
            button(
                label,
                self._move(row.unit_id, UnitStatus.DISPATCHED, incident_id),
                identifier=f"assign-{row.unit_id}-{incident_id}",
            )
            for incident_id, label in board.assignable
            if incident_id != row.incident_id
        ]
        return ft.Column(choices, spacing=6)

    # Actions -----------------------------------------------------------------------------
    def _pick(self, unit_id: str) -> Callable[[Any], None]:
        def toggle(_: Any) -> None:
            self.ctx.touch()
            self.picking = None if self.picking == unit_id else unit_id
            self.ctx.redraw(self.refresh)

        return toggle

    def _move(
        self, unit_id: str, status: UnitStatus, incident_id: str | None = None
    ) -> Callable[[Any], None]:
        def move(_: Any) -> None:
            self.picking = None
            saved = self.ctx.act(
                lambda: self.ctx.store.set_unit_status(unit_id, status, incident_id=incident_id)
            )
            if not saved:
                self.ctx.redraw(
                    self.refresh
                )  # close the picker; the refusal itself is in the snack bar

        return move

    def _open_form(self, _: Any) -> None:
        self.ctx.touch()
        self.add_form.visible = not self.add_form.visible

    def _add(self, _: Any) -> None:
        name = (self.new_name.value or "").strip()
        station = (self.new_station.value or "").strip() or None
        if not name:
            self.new_name.error = "Name the unit first"
            return
        self.new_name.error = None
        if self.ctx.act(
            lambda: self.ctx.store.upsert_unit(name=name, station=station), f"{name} added"
        ):
            self.new_name.value = self.new_station.value = ""
            self.add_form.visible = False
