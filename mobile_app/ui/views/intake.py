"""Call intake (checks with ``viewmodels.intake``, searches with ``viewmodels.type_search``).

Saving writes the incident to the local store at once, online or not; the form is cleared
only after the store has it, so a refused save loses nothing that was typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import flet as ft

from mobile_app.store.errors import StoreError
from mobile_app.ui.viewmodels.intake import IntakeForm, check_intake, repeat_caller_hint
from mobile_app.ui.viewmodels.labels import PRIORITIES, priority_label
from mobile_app.ui.viewmodels.type_search import search_incident_types, type_option
from mobile_app.ui.views.context import ViewContext
from mobile_app.ui.views.theme import (
    DANGER,
    FLAG,
    GAP,
    MUTED,
    SMALL,
    TEXT,
    button,
    field,
    heading,
    tag,
)

Columns = dict[str | ft.ResponsiveRowBreakpoint, int | float]

_TEXT_FIELDS: tuple[tuple[str, str, Columns], ...] = (
    ("address", "Address", {"xs": 12, "md": 8}),
    ("cross_street", "Cross street", {"xs": 12, "md": 4}),
    ("lat", "Latitude (optional)", {"xs": 6, "md": 3}),
    ("lon", "Longitude (optional)", {"xs": 6, "md": 3}),
    ("caller_name", "Caller name", {"xs": 12, "md": 6}),
    ("callback_number", "Callback number", {"xs": 12, "md": 6}),
)


class IntakeView:
    def __init__(self, ctx: ViewContext, on_saved: Callable[[str], None]) -> None:
        self.ctx = ctx
        self.on_saved = on_saved
        self.form = IntakeForm()
        self.type_search = ft.TextField(
            label="Incident type: code or word",
            prefix_icon=ft.Icons.SEARCH,
            text_size=TEXT + 1,
            on_change=self._type_typed,
        )
        self.type_chosen = ft.Text("", size=TEXT, weight=ft.FontWeight.BOLD)
        self.type_error = ft.Text("", size=SMALL, color=DANGER, visible=False)
        self.type_options = ft.Column(spacing=4)
        self.priority_row = ft.Row(wrap=True, spacing=6)
        self.priority_error = ft.Text("", size=SMALL, color=DANGER, visible=False)
        self.fields: dict[str, ft.TextField] = {}
        wrapped: list[ft.Control] = []
        for name, label, col in _TEXT_FIELDS:
            control, tagged = field(label, identifier=f"intake-{name}", on_change=self._typed)
            tagged.col = col
            self.fields[name] = control
            wrapped.append(tagged)
        self.fields["lat"].keyboard_type = ft.KeyboardType.NUMBER
        self.fields["lon"].keyboard_type = ft.KeyboardType.NUMBER
        self.fields["callback_number"].keyboard_type = ft.KeyboardType.PHONE
        self.fields["callback_number"].on_blur = self._callback_left
        narrative, narrative_tagged = field(
            "Narrative",
            identifier="intake-narrative",
            multiline=True,
            min_lines=3,
            on_change=self._typed,
        )
        self.fields["narrative"] = narrative
        self.repeat = ft.Text("", size=SMALL, color=FLAG)
        self.repeat_line = tag("intake-repeat-caller", self.repeat)
        self.summary = ft.Text("", size=TEXT, color=DANGER)
        self.summary_line = tag("intake-summary", self.summary)
        self.control = ft.Column(
            [
                heading("New call"),
                tag("intake-type-search", self.type_search),
                tag("intake-type-chosen", self.type_chosen),
                self.type_error,
                self.type_options,
                ft.Text("Priority (1 is the most urgent)", size=TEXT),
                self.priority_row,
                self.priority_error,
                ft.ResponsiveRow(wrapped, spacing=GAP, run_spacing=GAP),
                self.repeat_line,
                narrative_tagged,
                self.summary_line,
                ft.Row(
                    [
                        button(
                            "Save call",
                            self._save,
                            identifier="intake-save",
                            primary=True,
                            icon=ft.Icons.SAVE,
                            expand=True,
                        ),
                        button("Clear", self._clear, identifier="intake-clear"),
                    ]
                ),
            ],
            spacing=GAP,
            scroll=ft.ScrollMode.AUTO,
            expand=True,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        self.load(IntakeForm())

    # State -------------------------------------------------------------------------------
    def read(self) -> IntakeForm:
        """What is on the screen now (kept across a lock, so a half-taken call survives)."""

        def value(name: str) -> str:
            return self.fields[name].value or ""

        return replace(
            self.form,
            address=value("address"),
            cross_street=value("cross_street"),
            lat=value("lat"),
            lon=value("lon"),
            caller_name=value("caller_name"),
            callback_number=value("callback_number"),
            narrative=value("narrative"),
        )

    def load(self, form: IntakeForm) -> None:
        self.form = form
        for name, control in self.fields.items():
            control.value = getattr(form, name)
            control.error = None
        self.type_search.value = ""
        self.type_options.controls = []
        self.type_error.visible = self.priority_error.visible = False
        self.summary_line.visible = self.repeat_line.visible = False
        self._show_type()
        self._show_priorities()

    def _started(self) -> None:
        """Typing is activity (idle lock), and the first keystroke is when the call began."""
        self.ctx.touch()
        if self.form.started_ms is None:
            self.form = replace(self.form, started_ms=self.ctx.now().ms)

    # Events ------------------------------------------------------------------------------
    def _typed(self, _: Any) -> None:
        self._started()

    def _type_typed(self, _: Any) -> None:
        self._started()
        options = search_incident_types(self.type_search.value or "")
        # Keep the button of an option still listed: a tap that lands while the next
        # keystroke redraws the list must still reach the option it was aimed at.
        shown = {
            str(c.identifier).removeprefix("type-option-"): c
            for c in self.type_options.controls
            if isinstance(c, ft.Semantics)
        }
        self.type_options.controls = [
            shown.get(o.code)
            or button(o.label, self._choose_type(o.code), identifier=f"type-option-{o.code}")
            for o in options
        ]

    def _choose_type(self, code: str) -> Callable[[Any], None]:
        def choose(_: Any) -> None:
            self._started()
            self.form = replace(self.form, incident_type=code)
            self.type_search.value = ""
            self.type_options.controls = []
            self.type_error.visible = False
            self._show_type()

        return choose

    def _choose_priority(self, priority: int) -> Callable[[Any], None]:
        def choose(_: Any) -> None:
            self._started()
            self.form = replace(self.form, priority=priority)
            self.priority_error.visible = False
            self._show_priorities()

        return choose

    def _callback_left(self, _: Any) -> None:
        number = (self.fields["callback_number"].value or "").strip()
        hint = None
        if number:
            try:
                hint = repeat_caller_hint(self.ctx.store.find_by_callback(number), self.ctx.now())
            except StoreError:  # a hint is a courtesy: never block intake on it
                hint = None
        self.repeat.value = hint or ""
        self.repeat_line.visible = hint is not None

    def _save(self, _: Any) -> None:
        form = self.read()
        check = check_intake(form)
        for name, control in self.fields.items():
            control.error = check.errors.get(name)
        self._error(self.type_error, check.errors.get("incident_type"))
        self._error(self.priority_error, check.errors.get("priority"))
        self.summary.value = check.summary
        self.summary_line.visible = bool(check.summary)
        draft = check.draft
        if draft is None:
            return
        saved: list[str] = []

        def create() -> None:
            op = self.ctx.store.create_incident(
                draft.fields, draft.priority, draft.narrative, received_ms=draft.received_ms
            )
            saved.append(op.entity_id)

        if self.ctx.act(create, f"Call saved: {draft.headline}"):
            self.load(IntakeForm())
            self.on_saved(saved[0])

    def _clear(self, _: Any) -> None:
        self.load(IntakeForm())

    # Drawing -----------------------------------------------------------------------------
    def _show_type(self) -> None:
        option = type_option(self.form.incident_type) if self.form.incident_type else None
        self.type_chosen.value = f"Type: {option.label}" if option else "Type: not chosen yet"
        self.type_chosen.color = None if option else MUTED

    def _show_priorities(self) -> None:
        self.priority_row.controls = [
            button(
                priority_label(p),
                self._choose_priority(p),
                identifier=f"intake-priority-{p}",
                primary=p == self.form.priority,
            )
            for p in PRIORITIES
        ]

    @staticmethod
    def _error(control: ft.Text, message: str | None) -> None:
        control.value = message or ""
        control.visible = message is not None
