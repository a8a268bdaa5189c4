"""The sync bar at the top of every screen (renders ``viewmodels.sync_bar.SyncBar``), with
the password field when the server wants a sign-in again, and the key button that opens the
panel to change one's own password."""

from __future__ import annotations

import flet as ft

from mobile_app.ui.viewmodels.sync_bar import SyncBar, Tone
from mobile_app.ui.views.sign_in import SignInRow
from mobile_app.ui.views.theme import SMALL, TEXT, TONE_COLORS, TOUCH, Handler, tag

_ICONS = {
    Tone.OK: ft.Icons.CLOUD_DONE,
    Tone.BUSY: ft.Icons.CLOUD_SYNC,
    Tone.WARN: ft.Icons.CLOUD_OFF,
    Tone.ERROR: ft.Icons.ERROR,
}


def _bar_button(identifier: str, icon: ft.IconData, tooltip: str, on_click: Handler) -> ft.Control:
    """A white icon button, a full touch target, on the bar's colour."""
    return tag(
        identifier,
        ft.IconButton(
            icon,
            tooltip=tooltip,
            on_click=on_click,
            icon_color=ft.Colors.WHITE,
            width=TOUCH,
            height=TOUCH,
        ),
    )


class SyncBarView:
    def __init__(
        self, on_sync_now: Handler, on_lock: Handler, on_password: Handler, sign_in: SignInRow
    ) -> None:
        self.sign_in = sign_in
        self.icon = ft.Icon(ft.Icons.CLOUD_OFF, color=ft.Colors.WHITE, size=26)
        self.headline = ft.Text("", size=TEXT, weight=ft.FontWeight.BOLD, color=ft.Colors.WHITE)
        self.pending = ft.Text("", size=TEXT, color=ft.Colors.WHITE)
        self.last_sync = ft.Text("", size=SMALL, color=ft.Colors.with_opacity(0.8, ft.Colors.WHITE))
        self.problem = ft.Text("", size=SMALL, color=ft.Colors.WHITE)
        self.problem_line = tag("sync-problem", self.problem)
        self.problem_line.visible = False
        self.progress = ft.ProgressBar(visible=False, color=ft.Colors.WHITE)
        self.box = ft.Container(
            content=ft.Column(
                [
                    ft.Row(
                        [
                            self.icon,
                            ft.Column(
                                [
                                    ft.Row(
                                        [
                                            tag("sync-headline", self.headline),
                                            tag("sync-pending", self.pending),
                                        ],
                                        wrap=True,
                                        spacing=10,
                                    ),
                                    tag("sync-last", self.last_sync),
                                ],
                                spacing=2,
                                expand=True,
                            ),
                            _bar_button("sync-now", ft.Icons.SYNC, "Sync now", on_sync_now),
                            _bar_button(
                                "password-open", ft.Icons.KEY, "Change password", on_password
                            ),
                            _bar_button("lock", ft.Icons.LOCK, "Lock", on_lock),
                        ],
                        vertical_alignment=ft.CrossAxisAlignment.CENTER,
                    ),
                    self.problem_line,
                    sign_in.control,
                    self.progress,
                ],
                spacing=4,
            ),
            padding=ft.Padding.symmetric(horizontal=12, vertical=8),
            bgcolor=TONE_COLORS[Tone.WARN],
        )
        self.control = tag("sync-bar", self.box)

    def show(self, bar: SyncBar) -> None:
        self.box.bgcolor = TONE_COLORS[bar.tone]
        self.icon.icon = _ICONS[bar.tone]
        self.headline.value = bar.headline
        self.pending.value = bar.pending
        self.last_sync.value = bar.last_sync + (f" · {bar.retry}" if bar.retry else "")
        self.problem.value = bar.problem or ""
        self.problem_line.visible = bar.problem is not None
        self.sign_in.show(bar.sign_in)
        self.progress.visible = bar.busy
        self.progress.value = bar.progress
