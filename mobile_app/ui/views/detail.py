"""One incident (renders ``viewmodels.detail.IncidentDetail``); its actions call the store.

The note field and the disposition picker live across redraws, so a merge arriving from
the server while the dispatcher is typing never wipes what they typed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from mobile_app.store.errors import UnknownEntity
from mobile_app.ui.viewmodels.detail import IncidentDetail, build_detail
from mobile_app.ui.viewmodels.timeline import TimelineEntry
from mobile_app.ui.views.context import ViewContext
from mobile_app.ui.views.theme import (
    DANGER,
    FLAG,
    GAP,
    MUTED,
    SMALL,
    TEXT,
    TOUCH,
    button,
    card,
    flag,
    heading,
    priority_badge,
    tag,
)
from shared.lifecycle import IncidentStatus


class DetailView:
    def __init__(self, ctx: ViewContext, on_back: Callable[[], None]) -> None:
        self.ctx = ctx
        self.incident_id: str | None = None
        self.back = tag(
            "detail-back",
            ft.TextButton(
                "Back to queue",
                icon=ft.Icons.ARROW_BACK,
                on_click=lambda _: on_back(),
                height=TOUCH,
            ),
        )
        self.note = ft.TextField(
            label="Add a note", multiline=True, min_lines=2, max_lines=6, text_size=TEXT + 1
        )
        self.disposition = ft.Dropdown(
            label="Disposition code (to close)",
            options=[],
            editable=True,
            enable_filter=True,
            menu_height=360,
            expand=True,
            text_size=TEXT,
        )
        self.body = ft.Column(
            spacing=GAP,
            scroll=ft.ScrollMode.AUTO,
            expand=True,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        self.control = ft.Column([self.back, self.body], expand=True, spacing=4)

    def show(self, incident_id: str | None) -> None:
        if incident_id != self.incident_id:
            self.note.value = ""
            self.disposition.value = None
        self.incident_id = incident_id
        self.ctx.redraw(self.refresh)

    # Drawing -----------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.incident_id is None:
            self.body.controls = [ft.Text("Pick an incident in the queue.", size=TEXT)]
            return
        try:
            incident = self.ctx.store.incident(self.incident_id)
        except UnknownEntity:
            self.body.controls = [ft.Text("This incident is not on this device.", size=TEXT)]
            return
        detail = build_detail(incident, self.ctx.store.units(), self.ctx.now())
        self.disposition.options = [
            ft.DropdownOption(key=code, text=label) for code, label in detail.disposition_options
        ]
        self.body.controls = [
            *self._header(detail),
            *self._units(detail),
            *self._actions(detail),
            *self._timeline(detail),
        ]

    def _header(self, d: IncidentDetail) -> list[ft.Control]:
        lines: list[ft.Control] = [
            ft.Row(
                [
                    priority_badge(d.priority, d.priority_label),
                    tag("detail-status", _t(d.status_label, bold=True)),
                ],
                wrap=True,
            ),
            tag("detail-title", heading(d.title)),
            _t(d.place, size=TEXT + 2),
        ]
        if d.cross_street:
            lines.append(_t(f"Cross street: {d.cross_street}"))
        if d.coordinates:
            lines.append(_t(f"Coordinates: {d.coordinates}"))
        caller = " · ".join(p for p in (d.caller_name, d.callback_number) if p)
        if caller:
            lines.append(_t(f"Caller: {caller}"))
        lines.append(_t(f"Received {d.received}", color=MUTED))
        if d.late_call:
            lines.append(flag("LATE ENTRY: keyed in after the call"))
        if d.disposition:
            lines.append(tag("detail-disposition", _t(f"Disposition: {d.disposition}", bold=True)))
        if d.conflict_banner:
            lines.append(tag("detail-conflict", _t(d.conflict_banner, color=DANGER)))
        return lines

    def _units(self, d: IncidentDetail) -> list[ft.Control]:
        if not d.units:
            return [_t("No units assigned yet. Assign one from the Units tab.", color=MUTED)]
        rows: list[ft.Control] = [_t("Units", bold=True)]
        for unit in d.units:
            head: list[ft.Control] = [_t(f"{unit.name}: {unit.status_label}", bold=True)]
            if unit.double_booked:
                head.append(flag("DOUBLE-BOOKED", DANGER))
            if unit.late:
                head.append(flag("LATE ENTRY"))
            times = " · ".join(f"{what} {when}" for what, when in unit.times)
            rows.append(
                tag(
                    f"detail-unit-{unit.unit_id}",
                    card(ft.Row(head, wrap=True), _t(times, size=SMALL, color=MUTED)),
                )
            )
        return rows

    def _actions(self, d: IncidentDetail) -> list[ft.Control]:
        out: list[ft.Control] = []
        if d.can_add_note:
            out += [
                tag("detail-note", self.note),
                button(
                    "Add note", self._add_note, identifier="detail-add-note", icon=ft.Icons.NOTE_ADD
                ),
            ]
        if d.priority_choices:
            out.append(_t("Change priority", bold=True))
            out.append(
                ft.Row(
                    [
                        button(f"P{p}", self._priority(p), identifier=f"detail-priority-{p}")
                        for p in d.priority_choices
                    ],
                    wrap=True,
                )
            )
        if d.status_moves:
            out.append(_t("Set status", bold=True))
            out.append(
                ft.Row(
                    [
                        button(
                            m.label,
                            self._status(m.status),
                            identifier=f"detail-status-{m.status.value}",
                        )
                        for m in d.status_moves
                    ],
                    wrap=True,
                )
            )
        if d.can_close:
            out += [
                ft.Row([tag("detail-disposition-pick", self.disposition)]),
                ft.Row(
                    [
                        button(
                            "Close incident", self._close, identifier="detail-close", primary=True
                        ),
                        button(
                            "Cancel incident",
                            self._status(IncidentStatus.CANCELLED),
                            identifier="detail-cancel",
                        ),
                    ],
                    wrap=True,
                ),
            ]
        if d.can_reopen:
            out.append(
                button(
                    "Reopen incident",
                    self._status(IncidentStatus.REOPENED),
                    identifier="detail-reopen",
                )
            )
        return out

    def _timeline(self, d: IncidentDetail) -> list[ft.Control]:
        return [_t("Timeline", bold=True), *(_entry(e) for e in reversed(d.timeline))]

    # Actions -----------------------------------------------------------------------------
    def _add_note(self, _: Any) -> None:
        text = (self.note.value or "").strip()
        incident_id = self.incident_id
        if not text or incident_id is None:
            self.ctx.notify("Type the note first")
            return
        if self.ctx.act(lambda: self.ctx.store.add_note(incident_id, text), "Note added"):
            self.note.value = ""

    def _priority(self, priority: int) -> Callable[[Any], None]:
        def change(_: Any) -> None:
            if self.incident_id is not None:
                incident_id = self.incident_id
                self.ctx.act(
                    lambda: self.ctx.store.change_priority(incident_id, priority),
                    f"Priority set to P{priority}",
                )

        return change

    def _status(self, status: IncidentStatus) -> Callable[[Any], None]:
        def change(_: Any) -> None:
            if self.incident_id is not None:
                incident_id = self.incident_id
                self.ctx.act(lambda: self.ctx.store.set_incident_status(incident_id, status))

        return change

    def _close(self, _: Any) -> None:
        code = self.disposition.value
        incident_id = self.incident_id
        if not code or incident_id is None:
            self.ctx.notify("Choose a disposition code to close the incident")
            return
        self.ctx.act(
            lambda: self.ctx.store.set_incident_status(
                incident_id, IncidentStatus.CLOSED, disposition=code
            ),
            "Incident closed",
        )


def _t(value: str, *, size: int = TEXT, bold: bool = False, color: str | None = None) -> ft.Text:
    return ft.Text(
        value, size=size, color=color, weight=ft.FontWeight.BOLD if bold else None, selectable=True
    )


def _entry(entry: TimelineEntry) -> ft.Control:
    lines: list[ft.Control] = [
        ft.Row(
            [_t(entry.time, bold=True), _t(entry.who, size=SMALL, color=MUTED)],
            spacing=10,
        ),
        _t(entry.text),
    ]
    if entry.flag:
        lines.append(_t(entry.flag.upper(), size=SMALL, color=FLAG, bold=True))
    return ft.Container(
        content=ft.Column(lines, spacing=2),
        padding=ft.Padding.symmetric(vertical=6, horizontal=4),
        border=ft.Border.only(left=ft.BorderSide(3, FLAG if entry.flag else ft.Colors.GREY_700)),
    )
