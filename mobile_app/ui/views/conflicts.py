"""The supervisor's conflicts inbox (renders ``viewmodels.conflicts.ConflictsInbox``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from mobile_app.ui.viewmodels.conflicts import ConflictCard, ResolveOption, build_inbox
from mobile_app.ui.views.context import ViewContext
from mobile_app.ui.views.theme import GAP, MUTED, SMALL, TEXT, button, card, heading, tag


class ConflictsView:
    def __init__(self, ctx: ViewContext) -> None:
        self.ctx = ctx
        self.cards = ft.ListView(spacing=GAP, expand=True, padding=ft.Padding.only(bottom=GAP))
        self.control = ft.Column(
            [heading("Conflicts"), self.cards],
            spacing=GAP,
            expand=True,
            horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
        )
        self.count = 0

    def refresh(self) -> None:
        store = self.ctx.store
        inbox = build_inbox(
            store.conflicts(),
            store.incidents(open_only=False),
            store.units(),
            self.ctx.role,
            self.ctx.now(),
        )
        self.count = len(inbox.cards)
        if inbox.cards:
            self.cards.controls = [self._card(i, c) for i, c in enumerate(inbox.cards)]
        else:
            self.cards.controls = [
                tag("conflicts-empty", ft.Text(inbox.empty_message, size=TEXT, color=MUTED))
            ]

    def _card(self, index: int, conflict: ConflictCard) -> ft.Control:
        sides: list[ft.Control] = [
            ft.Container(
                content=ft.Column(
                    [
                        ft.Text(
                            f"{side.who} on {side.device}", size=TEXT, weight=ft.FontWeight.BOLD
                        ),
                        ft.Text(side.what, size=TEXT),
                        ft.Text(side.when, size=SMALL, color=MUTED),
                    ],
                    spacing=2,
                ),
                padding=ft.Padding.all(8),
                border=ft.Border.all(1, ft.Colors.GREY_700),
                border_radius=ft.BorderRadius.all(8),
                col={"xs": 12, "md": 6},
            )
            for side in conflict.sides
        ]
        return tag(
            f"conflict-{index}",
            card(
                ft.Text(conflict.title, size=TEXT + 2, weight=ft.FontWeight.BOLD),
                ft.Text(conflict.subject, size=TEXT),
                ft.Text(conflict.explanation, size=SMALL, color=MUTED),
                ft.ResponsiveRow(sides, spacing=8, run_spacing=8),
                ft.Column(
                    [
                        button(o.label, self._resolve(o), identifier=f"conflict-{index}-option-{n}")
                        for n, o in enumerate(conflict.options)
                    ],
                    spacing=6,
                ),
            ),
        )

    def _resolve(self, option: ResolveOption) -> Callable[[Any], None]:
        store = self.ctx.store

        def resolve() -> object:
            if option.entity == "unit":
                assert option.keep_incident_id is not None
                return store.resolve_unit_conflict(
                    option.entity_id, option.conflict_id, option.keep_incident_id
                )
            return store.resolve_incident_conflict(
                option.entity_id, option.conflict_id, option.action, priority=option.priority
            )

        def click(_: Any) -> None:
            self.ctx.act(resolve, f"Resolved: {option.label}")

        return click
