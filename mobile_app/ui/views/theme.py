"""Night-shift look: dark by default, big type, big touch targets, colour only as a second cue.

Every size here is chosen for a phone held at arm's length in a dark vehicle or a backup
room: text at least 16 px, anything tappable at least 48 px high (Material's minimum).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from mobile_app.ui.viewmodels.sync_bar import Tone

TOUCH = 48
BIG_TOUCH = 56
TEXT = 17
SMALL = 15
TITLE = 22
GAP = 12

Handler = Callable[[Any], Any]

PRIORITY_COLORS = {
    1: ft.Colors.RED_700,
    2: ft.Colors.DEEP_ORANGE_700,
    3: ft.Colors.AMBER_800,
    4: ft.Colors.BLUE_GREY_600,
    5: ft.Colors.GREY_700,
}
TONE_COLORS = {
    Tone.OK: ft.Colors.GREEN_900,
    Tone.BUSY: ft.Colors.BLUE_900,
    Tone.WARN: ft.Colors.BROWN_800,
    Tone.ERROR: ft.Colors.RED_900,
}
FLAG = ft.Colors.AMBER_300
DANGER = ft.Colors.RED_300
MUTED = ft.Colors.GREY_400


def apply_theme(page: ft.Page) -> None:
    # Sizes are set on each control: a TextTheme that sets only sizes makes Flutter lose the
    # dark theme's text colour (dark grey on black), so none is configured here.
    theme = ft.Theme(
        color_scheme_seed=ft.Colors.INDIGO, visual_density=ft.VisualDensity.COMFORTABLE
    )
    page.theme_mode = ft.ThemeMode.DARK
    page.dark_theme = theme
    page.theme = theme
    page.padding = 0


def tag(identifier: str, control: ft.Control) -> ft.Semantics:
    """A stable handle for tests and assistive tech that does not change what is shown.

    The wrapper takes over the control's ``expand``: inside a Row or Column only a direct
    child may expand.  Hide the wrapper, never the control in it (Flutter refuses a
    semantics node with nothing visible inside).
    """
    return ft.Semantics(identifier=identifier, content=control, expand=control.expand or None)


def cell(control: ft.Control, *, xs: int, md: int) -> ft.Control:
    """``control`` in a ResponsiveRow: ``xs`` of 12 columns on a phone, ``md`` on a tablet."""
    control.col = {"xs": xs, "md": md}
    return control


def button(
    label: str,
    on_click: Handler,
    *,
    identifier: str,
    icon: ft.IconData | None = None,
    primary: bool = False,
    danger: bool = False,
    expand: bool = False,
) -> ft.Semantics:
    """A button at least ``BIG_TOUCH`` high; ``primary`` for the one thing to do next."""
    style = ft.ButtonStyle(
        padding=ft.Padding.symmetric(horizontal=18, vertical=14),
        text_style=ft.TextStyle(size=TEXT, weight=ft.FontWeight.W_600),
    )
    control: ft.Control
    if primary or danger:
        control = ft.FilledButton(
            label,
            icon=icon,
            on_click=on_click,
            height=BIG_TOUCH,
            style=style,
            bgcolor=ft.Colors.RED_800 if danger else None,
            expand=expand or None,
        )
    else:
        control = ft.OutlinedButton(
            label,
            icon=icon,
            on_click=on_click,
            height=BIG_TOUCH,
            style=style,
            expand=expand or None,
        )
    return tag(identifier, control)


def heading(value: str) -> ft.Text:
    return ft.Text(value, size=TITLE, weight=ft.FontWeight.BOLD)


def field(label: str, *, identifier: str, **kw: Any) -> tuple[ft.TextField, ft.Semantics]:
    """A text field with readable text and its tagged wrapper (lay out the wrapper)."""
    control = ft.TextField(label=label, text_size=TEXT + 1, **kw)
    return control, tag(identifier, control)


def priority_badge(priority: int | None, label: str | None = None) -> ft.Container:
    return ft.Container(
        content=ft.Text(
            label or (f"P{priority}" if priority else "P?"),
            size=TEXT,
            weight=ft.FontWeight.BOLD,
            color=ft.Colors.WHITE,
        ),
        bgcolor=PRIORITY_COLORS.get(priority or 0, ft.Colors.GREY_800),
        padding=ft.Padding.symmetric(horizontal=10, vertical=6),
        border_radius=ft.BorderRadius.all(6),
    )


def flag(value: str, color: str = FLAG) -> ft.Container:
    """A short warning chip ("LATE ENTRY", "CONFLICT"): words, not just colour."""
    return ft.Container(
        content=ft.Text(value, size=SMALL - 1, weight=ft.FontWeight.BOLD, color=ft.Colors.BLACK),
        bgcolor=color,
        padding=ft.Padding.symmetric(horizontal=8, vertical=3),
        border_radius=ft.BorderRadius.all(4),
    )


def card(*controls: ft.Control, on_click: Handler | None = None) -> ft.Container:
    return ft.Container(
        content=ft.Column(list(controls), spacing=6),
        padding=ft.Padding.all(GAP),
        border_radius=ft.BorderRadius.all(10),
        bgcolor=ft.Colors.with_opacity(0.06, ft.Colors.WHITE),
        on_click=on_click,
        ink=on_click is not None,
    )
