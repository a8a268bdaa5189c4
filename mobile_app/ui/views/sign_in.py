"""Signing in again from the sync bar, when the server has ended this device's sign-in.

The tablet keeps working meanwhile (every action is saved on it); only sending waits for the
password (and, for an account with an authenticator app, its code).  The account is the
device's own, shown and not editable: its outbox is signed by it.  Password and code are
cleared from the fields after every attempt, right or wrong.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from mobile_app.ui.ports import AccessError
from mobile_app.ui.viewmodels.access import one_time_code
from mobile_app.ui.views.theme import SMALL, TEXT, button, cell, tag


class SignInRow:
    def __init__(
        self,
        account: str,
        sign_in: Callable[[str, str | None], Awaitable[None]],
        touch: Callable[[], None],
    ) -> None:
        self._sign_in = sign_in
        self._touch = touch
        self.password = self._field(
            f"Password for {account}", password=True, can_reveal_password=True
        )
        self.code = self._field("Authenticator code", keyboard_type=ft.KeyboardType.NUMBER)
        self.message = ft.Text("", size=SMALL, color=ft.Colors.WHITE, weight=ft.FontWeight.BOLD)
        self.message_line = tag("sign-in-message", self.message)
        self.message_line.visible = False
        self.control = tag(
            "sign-in",
            ft.Column(
                [
                    # One line on a tablet; on a phone the password gets a line of its own.
                    ft.ResponsiveRow(
                        [
                            cell(tag("sign-in-password", self.password), xs=12, md=6),
                            cell(tag("sign-in-code", self.code), xs=7, md=3),
                            cell(
                                button("Sign in", self._submit, identifier="sign-in-submit"),
                                xs=5,
                                md=3,
                            ),
                        ],
                        vertical_alignment=ft.CrossAxisAlignment.CENTER,
                        spacing=8,
                        run_spacing=8,
                    ),
                    self.message_line,
                ],
                spacing=4,
            ),
        )
        self.control.visible = False

    def _field(self, label: str, **options: Any) -> ft.TextField:
        """A field readable on the bar's colour; the keyboard's "done" signs in."""
        return ft.TextField(
            label=label,
            text_size=TEXT,
            filled=True,
            bgcolor=ft.Colors.WHITE,
            color=ft.Colors.BLACK,
            on_submit=self._submit,
            **options,
        )

    def show(self, wanted: bool) -> None:
        """Shown while the bar asks for a sign-in; hiding it forgets what was typed."""
        if not wanted:
            self.password.value = ""
            self.code.value = ""
            self._say(None)
        self.control.visible = wanted

    async def _submit(self, _: Any) -> None:
        self._touch()
        password = self.password.value or ""
        otp, otp_problem = one_time_code(self.code.value or "")
        self.password.value = ""
        self.code.value = ""
        if not password:
            self._say("Enter your password.")
            return
        if otp_problem:
            self._say(otp_problem + ".")
            return
        self._say("Signing in…")
        self.control.update()
        try:
            await self._sign_in(password, otp)
        except AccessError as refused:
            self._say(refused.words)
        else:
            self._say(None)
        self.control.update()  # this handler already sent an update: send the last one too

    def _say(self, words: str | None) -> None:
        self.message.value = words or ""
        self.message_line.visible = words is not None
