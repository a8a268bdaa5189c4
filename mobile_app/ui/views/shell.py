"""An unlocked session's frame: the sync bar on top, the idle warning, the screens, the tabs.

On a phone the incident detail replaces the queue (with a way back); on a tablet they sit
side by side.  Only the screen in view is redrawn, and each screen redraws when shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from mobile_app.sync.status import SyncStatus
from mobile_app.ui.drafts import DraftKeeper
from mobile_app.ui.ports import Workspace
from mobile_app.ui.viewmodels.access import idle_warning
from mobile_app.ui.viewmodels.clock import Now
from mobile_app.ui.viewmodels.intake import IntakeForm
from mobile_app.ui.viewmodels.navigation import Tab, navigation_for, two_panes
from mobile_app.ui.viewmodels.sync_bar import build_sync_bar
from mobile_app.ui.views.conflicts import ConflictsView
from mobile_app.ui.views.context import ViewContext
from mobile_app.ui.views.detail import DetailView
from mobile_app.ui.views.intake import IntakeView
from mobile_app.ui.views.password import PasswordPanel
from mobile_app.ui.views.queue import QueueView
from mobile_app.ui.views.reports import ReportsView
from mobile_app.ui.views.sign_in import SignInRow
from mobile_app.ui.views.sync_bar import SyncBarView
from mobile_app.ui.views.theme import GAP, TEXT, tag
from mobile_app.ui.views.units import UnitsView

_ICONS = {
    Tab.QUEUE: ft.Icons.LIST_ALT,
    Tab.NEW_CALL: ft.Icons.ADD_IC_CALL,
    Tab.UNITS: ft.Icons.LOCAL_SHIPPING,
    Tab.CONFLICTS: ft.Icons.CALL_SPLIT,
    Tab.REPORTS: ft.Icons.BAR_CHART,
}


class Shell:
    def __init__(
        self,
        workspace: Workspace,
        *,
        now: Callable[[], Now],
        notify: Callable[[str], None],
        on_locked: Callable[[], None],
        width: float | None,
        draft: IntakeForm | None = None,
    ) -> None:
        self.workspace = workspace
        self.now = now
        self.width = width
        self.nav = navigation_for(workspace.role)
        self.ctx = ViewContext(
            store=workspace.store,
            role=workspace.role,
            now=now,
            notify=notify,
            changed=self.refresh,
            locked=on_locked,
        )
        self.tab = self.nav.tabs[0] if self.nav.tabs else Tab.QUEUE
        self.detail_open = False
        self.password = PasswordPanel(workspace.sync.change_password, self.ctx.touch, notify)
        self.sync_bar = SyncBarView(
            on_sync_now=self._sync_now,
            on_lock=lambda _: on_locked(),
            on_password=self.password.toggle,
            sign_in=SignInRow(workspace.user_id, workspace.sync.sign_in, self.ctx.touch),
        )
        self.idle = ft.Text("", size=TEXT, color=ft.Colors.BLACK)
        self.idle_box = ft.Container(
            content=self.idle,
            bgcolor=ft.Colors.AMBER_300,
            padding=ft.Padding.all(GAP),
            on_click=lambda _: self.ctx.touch(),
        )
        self.idle_banner = tag("idle-warning", self.idle_box)
        self.idle_banner.visible = False
        self.queue = QueueView(self.ctx, on_open=self.open_incident)
        self.detail = DetailView(self.ctx, on_back=self.close_incident)
        self.intake = IntakeView(self.ctx, on_saved=self._saved)
        if draft is not None:
            self.intake.load(draft)
        self.drafts = DraftKeeper(workspace.store)
        self.units = UnitsView(self.ctx)
        self.conflicts = ConflictsView(self.ctx) if Tab.CONFLICTS in self.nav.tabs else None
        self.reports = ReportsView(self.ctx) if Tab.REPORTS in self.nav.tabs else None
        self.queue_pane = ft.Container(self.queue.control, expand=2)
        self.detail_pane = ft.Container(self.detail.control, expand=3)
        self.screens: dict[Tab, ft.Control] = {
            Tab.QUEUE: ft.Row(
                [self.queue_pane, self.detail_pane],
                expand=True,
                spacing=GAP * 2,
                vertical_alignment=ft.CrossAxisAlignment.START,
            ),
            Tab.NEW_CALL: self.intake.control,
            Tab.UNITS: self.units.control,
        }
        if self.conflicts is not None:
            self.screens[Tab.CONFLICTS] = self.conflicts.control
        if self.reports is not None:
            self.screens[Tab.REPORTS] = self.reports.control
        self.nav_bar = ft.NavigationBar(
            destinations=[
                ft.NavigationBarDestination(icon=_ICONS[t], label=t.label) for t in self.nav.tabs
            ],
            on_change=self._nav,
        )
        body: list[ft.Control] = list(self.screens.values())
        if self.nav.message:
            body = [ft.Text(self.nav.message, size=TEXT)]
        self.control = ft.SafeArea(
            ft.Column(
                [
                    self.sync_bar.control,
                    self.idle_banner,
                    self.password.control,
                    ft.Container(
                        content=ft.Column(body, expand=True),
                        padding=ft.Padding.only(left=GAP, right=GAP, top=GAP),
                        expand=True,
                    ),
                ],
                spacing=0,
                expand=True,
            ),
            expand=True,
        )
        self.relayout(width)

    # Navigation --------------------------------------------------------------------------
    def _nav(self, e: Any) -> None:
        self.ctx.touch()
        index = self.nav_bar.selected_index
        self.show(self.nav.tabs[index])

    def show(self, tab: Tab) -> None:
        self.tab = tab
        self.nav_bar.selected_index = self.nav.tabs.index(tab) if tab in self.nav.tabs else 0
        self.relayout(self.width)
        self.refresh()

    def open_incident(self, incident_id: str) -> None:
        self.ctx.touch()
        self.detail_open = True
        self.detail.show(incident_id)
        self.relayout(self.width)

    def close_incident(self) -> None:
        self.detail_open = False
        self.relayout(self.width)
        self.refresh()

    def keep_draft(self) -> None:
        """Keep the call being typed in the store (the app's tick)."""
        self.drafts.keep(self.intake.read())

    def _saved(self, incident_id: str) -> None:
        self.drafts.keep(IntakeForm())  # at once: a restored draft must not be saved twice
        self.show(Tab.QUEUE)
        if two_panes(self.width):
            self.open_incident(incident_id)

    def relayout(self, width: float | None) -> None:
        self.width = width
        for tab, screen in self.screens.items():
            screen.visible = tab is self.tab
        both = two_panes(width)
        self.queue_pane.visible = both or not self.detail_open
        self.detail_pane.visible = both or self.detail_open
        self.detail.back.visible = not both

    # Drawing -----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw the screen in view from the store (after any change, local or merged)."""
        self.ctx.redraw(self._draw)

    def _draw(self) -> None:
        if self.nav.message:
            return
        if self.tab is Tab.QUEUE:
            if self.queue_pane.visible:
                self.queue.refresh()
            if self.detail_pane.visible:
                self.detail.refresh()
        elif self.tab is Tab.UNITS:
            self.units.refresh()
        elif self.tab is Tab.REPORTS and self.reports is not None:
            self.reports.refresh()
        if self.conflicts is not None:
            self.conflicts.refresh()  # also keeps the tab's badge count current
            index = self.nav.tabs.index(Tab.CONFLICTS)
            count = self.conflicts.count
            self.nav_bar.destinations[index].badge = str(count) if count else None
        self.show_sync(self.workspace.sync.status)

    def show_sync(self, status: SyncStatus) -> None:
        self.sync_bar.show(build_sync_bar(status, self.now()))

    def show_idle(self, remaining_s: float) -> bool:
        """Update the idle countdown; True when something changed on screen."""
        warning = idle_warning(remaining_s)
        before = (self.idle_banner.visible, self.idle.value)
        self.idle.value = warning or ""
        self.idle_banner.visible = warning is not None
        return before != (self.idle_banner.visible, self.idle.value)

    def _sync_now(self, _: Any) -> None:
        self.ctx.touch()
        self.workspace.sync.trigger()
