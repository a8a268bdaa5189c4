"""Changing one's own password, from a panel under the sync bar (its key button opens it).

The current password (and the authenticator app's code, for an account that has one) proves
it is the account's holder and not whoever picked up an unlocked tablet.  Every field is
cleared after each attempt, right or wrong; a slip (too short, the two new ones differ) is
named before anything is sent.  On success the account's other devices are signed out by the
server and this one carries on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from mobile_app.ui.ports import AccessError
from mobile_app.ui.viewmodels.access import new_password_problem, one_time_code
from mobile_app.ui.views.theme import GAP, SMALL, TEXT, button, cell, tag
from shared.api import MIN_PASSWORD

ChangePassword = Callable[[str, str, str | None], Awaitable[None]]

DONE = "Password changed. Other devices signed in as you will ask for the new one."


class PasswordPanel:
    def __init__(
        self,
        change: ChangePassword,
        touch: Callable[[], None],
        done: Callable[[str], None],
    ) -> None:
        self._change = change
        self._touch = touch
        self._done = done
        self.current = _secret("Current password")
        self.new = _secret(f"New password ({MIN_PASSWORD} characters or more)")
        self.again = _secret("New password again")
        self.code = ft.TextField(
            label="Authenticator code, if you use one",
            text_size=TEXT,
            keyboard_type=ft.KeyboardType.NUMBER,
        )
        self.message = ft.Text("", size=SMALL, weight=ft.FontWeight.BOLD)
        self.message_line = tag("password-message", self.message)
        self.message_line.visible = False
        fields = [
            (self.current, "password-current"),
            (self.new, "password-new"),
            (self.again, "password-again"),
            (self.code, "password-code"),
        ]
        self.control = tag(
            "password-panel",
            ft.Container(
                padding=ft.Padding.symmetric(horizontal=GAP, vertical=GAP),
                content=ft.Column(
                    [
                        ft.Text("Change your password", size=TEXT, weight=ft.FontWeight.BOLD),
                        # Two fields a line on a tablet, one on a phone.
                        ft.ResponsiveRow(
                            [cell(tag(name, field), xs=12, md=6) for field, name in fields],
                            spacing=8,
                            run_spacing=8,
                        ),
                        self.message_line,
                        ft.Row(
                            [
                                button(
                                    "Change password",
                                    self._submit,
                                    identifier="password-submit",
                                    primary=True,
                                ),
                                button("Cancel", self._cancel, identifier="password-cancel"),
                            ],
                            wrap=True,
                        ),
                    ],
                    spacing=6,
                ),
            ),
        )
        self.control.visible = False

    def toggle(self, _: Any = None) -> None:
        """The bar's key button: open the panel, or close it (forgetting what was typed)."""
        self._touch()
        self.show(not self.control.visible)
        self.control.update()

    def show(self, wanted: bool) -> None:
        self._clear()
        self._say(None)
        self.control.visible = wanted

    def _cancel(self, _: Any) -> None:
        self.show(False)
        self.control.update()

    async def _submit(self, _: Any) -> None:
        self._touch()
        current, new, again = self.current.value or "", self.new.value or "", self.again.value or ""
        otp, otp_problem = one_time_code(self.code.value or "")
        self._clear()
        problem = new_password_problem(current, new, again) or otp_problem
        if problem:
            self._say(problem + ".")
            self.control.update()
            return
        self._say("Changing the password…")
        self.control.update()
        try:
            await self._change(current, new, otp)
        except AccessError as refused:
            self._say(refused.words)
            self.control.update()
            return
        self.show(False)
        self.control.update()
        self._done(DONE)

    def _clear(self) -> None:
        for field in (self.current, self.new, self.again, self.code):
            field.value = ""

    def _say(self, words: str | None) -> None:
        self.message.value = words or ""
        self.message_line.visible = words is not None


def _secret(label: str) -> ft.TextField:
    return ft.TextField(label=label, text_size=TEXT, password=True, can_reveal_password=True)
