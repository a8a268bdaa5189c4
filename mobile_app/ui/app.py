"""The app's screens wired to the rest of the app: ``build_app(page, services)``.

Flow: enroll (first start) or unlock with the PIN -> a ``Workspace`` -> the shell.  When the
store locks (idle lock, the lock button, a wipe), the shell goes away and the PIN screen
comes back; a call being typed is kept in memory (not on screen) and restored after unlock.

Store changes and sync status changes can arrive from any thread (a merge of pulled
changes): they are handed to the page's event loop, which redraws the screen in view.  A
one-second tick keeps the idle countdown and the "12 min" labels current.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from typing import cast

import flet as ft

from mobile_app.store.listeners import ChangeKind, StoreChange
from mobile_app.sync.status import SyncStatus
from mobile_app.ui.drafts import restored_draft
from mobile_app.ui.ports import AccessPort, Workspace
from mobile_app.ui.viewmodels.access import EnrollForm, wiped_message
from mobile_app.ui.viewmodels.clock import Now
from mobile_app.ui.viewmodels.intake import IntakeForm
from mobile_app.ui.viewmodels.navigation import Tab, role_changed
from mobile_app.ui.views.context import sentence
from mobile_app.ui.views.enroll import EnrollView
from mobile_app.ui.views.shell import Shell
from mobile_app.ui.views.theme import TEXT, apply_theme
from mobile_app.ui.views.unlock import UnlockView
from shared.hlc import system_ms

log = logging.getLogger(__name__)

#: Redraw the screen in view this often even without changes, for "waiting 12 min" labels.
RELABEL_S = 30.0


@dataclass
class AppServices:
    access: AccessPort
    tz: tzinfo | None = None
    """The dispatcher's time zone; None is the device's local time."""
    clock_ms: Callable[[], int] = system_ms
    tick_s: float = 1.0
    """How often the sync bar and idle lock are checked; 0 turns the tick off (tests)."""
    enroll_with: EnrollForm = field(default_factory=EnrollForm)
    """What the enrollment form starts with (the agency's server address, a device name)."""
    enroll_hint: str | None = None
    """A line under the enrollment form's intro (the demo's accounts)."""


def build_app(page: ft.Page, services: AppServices) -> DispatchApp:
    app = DispatchApp(page, services)
    app.start()
    return app


class DispatchApp:
    def __init__(self, page: ft.Page, services: AppServices) -> None:
        self.page = page
        self.services = services
        self.workspace: Workspace | None = None
        self.shell: Shell | None = None
        self._unlisten: Callable[[], None] | None = None
        self._unwatch: Callable[[], None] | None = None
        self._draft: tuple[str, IntakeForm] | None = None
        self._shown_sync: SyncStatus | None = None
        self._since_relabel = 0.0

    def now(self) -> Now:
        return Now(self.services.clock_ms(), self.services.tz)

    def start(self) -> None:
        apply_theme(self.page)
        self.page.title = "Dispatch Anywhere"
        self.page.on_resize = self._resized
        self.show_access()
        if self.services.tick_s > 0:
            self.page.run_task(self._tick_forever)

    # Getting in and out ------------------------------------------------------------------
    def show_access(self, notice: str | None = None) -> None:
        access = self.services.access
        reason = access.wipe_reason()
        screen: EnrollView | UnlockView
        if not access.enrolled():
            screen = EnrollView(
                access,
                self.enter,
                notice=wiped_message(reason) if reason else notice,
                start_with=self.services.enroll_with,
                hint=self.services.enroll_hint,
            )
        else:
            screen = UnlockView(access, self.enter, self._gone, notice=notice)
        self.page.navigation_bar = None
        self.page.controls = [screen.control]

    def _gone(self, reason: str) -> None:
        self.show_access(wiped_message(reason))
        self.page.update()  # called from a handler that already sent an update itself

    async def enter(self, workspace: Workspace) -> None:
        draft = restored = None
        if self._draft is not None and self._draft[0] == workspace.user_id:
            draft = self._draft[1]
        else:  # this app did not see it typed: the device stopped mid-call
            draft = restored = restored_draft(workspace.store)
        self._draft = None
        self.workspace = workspace
        self._unlisten = workspace.store.listen(self._store_changed)
        self._unwatch = workspace.sync.watch(self._sync_changed)
        shell = self._show_shell(workspace, draft, Tab.NEW_CALL if restored else None)
        if restored is not None and Tab.NEW_CALL in shell.nav.tabs:
            self.notify(
                "The call you were typing when this device stopped is back: check it and save."
            )
        self.page.update()

    def _show_shell(
        self, workspace: Workspace, draft: IntakeForm | None, tab: Tab | None = None
    ) -> Shell:
        shell = self.shell = Shell(
            workspace,
            now=self.now,
            notify=self.notify,
            on_locked=self.lock,
            width=self.page.width,
            draft=draft,
        )
        self.page.navigation_bar = shell.nav_bar if shell.nav.tabs else None
        self.page.controls = [shell.control]
        if tab in shell.nav.tabs:
            shell.show(tab)
        shell.refresh()
        return shell

    def _show_status(self, shell: Shell, status: SyncStatus) -> None:
        """Show a new sync status; if the server gave this account another role (IT changed
        it; it arrives with the next token refresh or sign-in), the screens become that
        role's first, keeping a call being typed and the tab in view where the role has it."""
        workspace = self.workspace
        if workspace is not None and status.role is not None and status.role is not workspace.role:
            self.workspace = workspace = replace(workspace, role=status.role)
            shell = self._show_shell(workspace, shell.intake.read(), shell.tab)
            self.notify(role_changed(status.role))
        shell.show_sync(status)

    def lock(self) -> None:
        """Lock now (the lock button, or the store found itself locked mid-action)."""
        workspace = self.workspace
        if workspace is None:
            return
        if not workspace.store.locked:
            workspace.store.lock()  # its LOCKED notice brings the PIN screen back
        else:
            self.page.run_task(self.leave)

    async def leave(self, notice: str | None = "Locked. Enter your PIN to continue.") -> None:
        workspace, shell = self.workspace, self.shell
        if workspace is None:
            return
        self.workspace = self.shell = None
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None
        if shell is not None:
            self._draft = (workspace.user_id, shell.intake.read())
        try:
            await workspace.stop()
        except Exception:  # stopping sync must never keep the data on screen
            log.exception("stopping background work failed")
        self.show_access(notice)
        self.page.update()

    # Changes from the store (any thread) -----------------------------------------------------
    def _store_changed(self, change: StoreChange) -> None:
        if change.kind in (ChangeKind.LOCKED, ChangeKind.WIPED):
            self.page.run_task(self.leave)
        elif change.kind is not ChangeKind.LOCAL:  # local actions redraw in their handler
            self.page.run_task(self._redraw)

    def _sync_changed(self, status: SyncStatus) -> None:
        if status != self._shown_sync:
            self.page.run_task(self._show_sync)

    async def _show_sync(self) -> None:
        workspace, shell = self.workspace, self.shell
        if workspace is None or shell is None:
            return
        status = workspace.sync.status
        if status != self._shown_sync:
            self._shown_sync = status
            self._show_status(shell, status)
            self.page.update()

    async def _redraw(self) -> None:
        if self.shell is not None:
            self.shell.refresh()
            self.page.update()

    # The tick ------------------------------------------------------------------------------
    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self.services.tick_s)
            try:
                self.tick(self.services.tick_s)
            except Exception:  # a failed tick must not stop the next one
                log.exception("UI tick failed")

    def tick(self, elapsed_s: float) -> None:
        workspace, shell = self.workspace, self.shell
        if workspace is None or shell is None:
            return
        shell.keep_draft()
        if workspace.store.check_idle():
            return  # the store locked; its LOCKED notice brings the PIN screen back
        dirty = shell.show_idle(workspace.idle.remaining())
        self._since_relabel += elapsed_s
        status = workspace.sync.status
        if self._since_relabel >= RELABEL_S:
            self._since_relabel = 0.0
            shell.refresh()
            dirty = True
        elif status != self._shown_sync:
            self._show_status(shell, status)
            dirty = True
        self._shown_sync = status
        if dirty:
            self.page.update()

    # Small things --------------------------------------------------------------------------
    def notify(self, message: str) -> None:
        self.page.show_dialog(
            ft.SnackBar(ft.Text(sentence(message), size=TEXT), duration=ft.Duration(seconds=4))
        )
        # show_dialog pushes the snack bar at once, which Flet takes as "this handler updated
        # the page itself" and then skips sending the handler's other changes.  Flet clears
        # the same flag after its own internal updates.
        cast(Callable[[], None], ft.context.reset_update_called)()

    def _resized(self, e: ft.PageResizeEvent) -> None:
        if self.shell is not None:
            self.shell.relayout(e.width)
