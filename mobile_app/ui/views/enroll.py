"""First start on a device: enroll it with the agency's server and choose the PIN."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from mobile_app.ui.ports import AccessError, AccessPort, Workspace
from mobile_app.ui.viewmodels.access import EnrollForm, check_enrollment
from mobile_app.ui.views.theme import DANGER, FLAG, GAP, MUTED, TEXT, button, field, heading, tag

_FIELDS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("server_url", "Server address", {}),
    ("username", "User name", {}),
    ("password", "Password", {"password": True, "can_reveal_password": True}),
    (
        "otp",
        "Authenticator code, if you use one",
        {"keyboard_type": ft.KeyboardType.NUMBER},
    ),
    ("device_name", "Name of this device", {}),
    ("pin", "New PIN for this device", {"password": True, "keyboard_type": ft.KeyboardType.NUMBER}),
    ("pin_again", "PIN again", {"password": True, "keyboard_type": ft.KeyboardType.NUMBER}),
)


class EnrollView:
    def __init__(
        self,
        access: AccessPort,
        on_enrolled: Callable[[Workspace], Awaitable[None]],
        notice: str | None = None,
        *,
        start_with: EnrollForm | None = None,
        hint: str | None = None,
    ) -> None:
        self.access = access
        self.on_enrolled = on_enrolled
        self.fields: dict[str, ft.TextField] = {}
        tagged: list[ft.Control] = []
        start = start_with or EnrollForm()
        for name, label, options in _FIELDS:
            control, wrapper = field(
                label, identifier=f"enroll-{name}", value=getattr(start, name) or None, **options
            )
            wrapper.col = {"xs": 12, "md": 6}
            self.fields[name] = control
            tagged.append(wrapper)
        self.message = ft.Text("", size=TEXT, color=DANGER)
        self.message_line = tag("enroll-message", self.message)
        self.message_line.visible = False
        intro: list[ft.Control] = [
            heading("Enroll this device"),
            ft.Text(
                "Sign in once with your agency account. Your work is then kept on this device, "
                "encrypted, and works without a connection. The PIN unlocks it.",
                size=TEXT,
                color=MUTED,
            ),
        ]
        if hint:
            intro.append(tag("enroll-hint", ft.Text(hint, size=TEXT)))
        if notice:
            intro.append(tag("enroll-notice", ft.Text(notice, size=TEXT, color=FLAG)))
        self.control = ft.SafeArea(
            ft.Container(
                content=ft.Column(
                    [
                        *intro,
                        ft.ResponsiveRow(tagged, spacing=GAP, run_spacing=GAP),
                        button(
                            "Enroll this device",
                            self._enroll,
                            identifier="enroll-submit",
                            primary=True,
                        ),
                        self.message_line,
                    ],
                    spacing=GAP,
                    scroll=ft.ScrollMode.AUTO,
                    horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                ),
                padding=ft.Padding.all(20),
                expand=True,
            ),
            expand=True,
        )

    def read(self) -> EnrollForm:
        return EnrollForm(**{name: control.value or "" for name, control in self.fields.items()})

    async def _enroll(self, _: Any) -> None:
        check = check_enrollment(self.read())
        for name, control in self.fields.items():
            control.error = check.errors.get(name)
        if check.enrollment is None:
            self._say("Check the highlighted fields")
            return
        self._say("Contacting the server…", error=False)
        self.message_line.update()
        try:
            workspace = await self.access.enroll(check.enrollment)
        except AccessError as refused:
            self._say(refused.words)
            self.control.update()  # this handler already sent an update: send the last one too
            return
        await self.on_enrolled(workspace)

    def _say(self, message: str, *, error: bool = True) -> None:
        self.message.value = message
        self.message.color = DANGER if error else MUTED
        self.message_line.visible = True
