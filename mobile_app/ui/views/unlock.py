"""The PIN screen: every session starts here, and the idle lock comes back here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from mobile_app.store.errors import StoreNotFound, StoreWiped, WrongPin
from mobile_app.ui.ports import AccessError, AccessPort, Workspace
from mobile_app.ui.viewmodels.access import unlock_problem, wrong_pin_message
from mobile_app.ui.views.theme import DANGER, GAP, MUTED, TEXT, button, heading, tag


class UnlockView:
    def __init__(
        self,
        access: AccessPort,
        on_unlocked: Callable[[Workspace], Awaitable[None]],
        on_gone: Callable[[str], None],
        notice: str | None = None,
    ) -> None:
        self.access = access
        self.on_unlocked = on_unlocked
        self.on_gone = on_gone
        self.pin = ft.TextField(
            label="PIN",
            password=True,
            can_reveal_password=True,
            keyboard_type=ft.KeyboardType.NUMBER,
            text_size=TEXT + 4,
            autofocus=True,
            on_submit=self._unlock,
            width=320,
        )
        self.message = ft.Text(notice or "", size=TEXT, color=MUTED)
        self.control = ft.SafeArea(
            ft.Container(
                content=ft.Column(
                    [
                        ft.Icon(ft.Icons.LOCK, size=56),
                        heading("Dispatch Anywhere"),
                        ft.Text("Enter your PIN to unlock this device.", size=TEXT),
                        tag("unlock-pin", self.pin),
                        button("Unlock", self._unlock, identifier="unlock-submit", primary=True),
                        tag("unlock-message", self.message),
                    ],
                    horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                    spacing=GAP,
                ),
                padding=ft.Padding.all(24),
                alignment=ft.Alignment.CENTER,
                expand=True,
            ),
            expand=True,
        )

    async def _unlock(self, _: Any) -> None:
        pin = self.pin.value or ""
        problem = unlock_problem(pin)
        if problem:
            self._say(problem)
            return
        self._say("Checking the PIN…", error=False)
        self.message.update()
        try:
            workspace = await self.access.unlock(pin)
        except WrongPin as wrong:
            self.pin.value = ""
            self._say(wrong_pin_message(wrong.attempts_left))
        except StoreWiped as wiped:
            self.on_gone(wiped.reason)
            return
        except StoreNotFound:
            self.on_gone("its data files are missing")
            return
        except AccessError as refused:
            self._say(refused.words)
        else:
            self.pin.value = ""
            await self.on_unlocked(workspace)
            return
        self.control.update()  # this handler already sent an update: send the last one too

    def _say(self, message: str, *, error: bool = True) -> None:
        self.message.value = message
        self.message.color = DANGER if error else MUTED
