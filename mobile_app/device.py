"""This device: its encrypted store on disk, its enrollment with the agency's server, and the
sync that runs while it is unlocked.  ``DeviceAccess`` is the real ``AccessPort`` the screens
use to get a ``Workspace``.

- enroll: ask the server for a device id and tokens (the only time a password is typed),
  then create the store under the chosen PIN with the tokens and role sealed inside it;
- unlock: open the store with the PIN, read the sealed tokens (the role comes from there,
  never from the screen) and start the sync client and its scheduler;
- lock / wipe / idle lock: the app calls ``Workspace.stop``, which stops the scheduler and
  closes its HTTP connections before the PIN screen shows.

One device has one screen: unlocking from a second browser tab on the same app process ends
the first session (its store locks and it shows the PIN screen), so two schedulers never
send the same outbox.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from mobile_app.store import DEFAULT_IDLE_SECONDS, IdleLock, KdfParams, LocalStore
from mobile_app.store.errors import StoreExists, WeakPin
from mobile_app.sync.backoff import Backoff
from mobile_app.sync.client import SyncClient
from mobile_app.sync.enrollment import (
    EnrollmentRefused,
    load_tokens,
    request_enrollment,
    save_tokens,
)
from mobile_app.sync.errors import NotTheServer, Offline, SyncFailed
from mobile_app.sync.scheduler import SyncScheduler
from mobile_app.sync.status import SyncStatus
from mobile_app.ui.ports import AccessError, Workspace
from mobile_app.ui.viewmodels.access import Enrollment
from shared.api import EnrollResponse, TokenPair
from shared.urls import InsecureServer

log = logging.getLogger(__name__)

STORE_FILE = "device.db"


DEFAULT_KEEP_CLOSED_DAYS = 30.0
"""Closed calls stay on a device this long after their last change, unless the agency sets
otherwise (``DA_KEEP_CLOSED_DAYS``); supervisors' reports on the device look back 7 days."""


@dataclass(frozen=True)
class DeviceSettings:
    """Where this device keeps its store and how its sessions behave."""

    data_dir: Path
    kdf: KdfParams | None = None
    """How the PIN is stretched for a new store; None is ``KdfParams.strong()``."""
    idle_s: float = DEFAULT_IDLE_SECONDS
    idle_clock: Callable[[], float] = time.monotonic
    live: bool = True
    """Follow the server's live announcements (SSE) while online."""
    periodic_s: float = 30.0
    retry_base_s: float = 1.0
    retry_cap_s: float = 300.0
    """Longest wait after a failure while the server answers with trouble (5xx)."""
    retry_unreachable_cap_s: float = 30.0
    """Longest wait while the server cannot be reached at all (see ``sync.backoff``)."""
    timeout_s: float = 15.0
    keep_closed_days: float | None = DEFAULT_KEEP_CLOSED_DAYS
    """Closed incidents leave the device this many days after their last change, if nothing
    about them is unsent or unresolved (the server keeps them; None keeps them here too)."""

    @property
    def store_path(self) -> Path:
        return self.data_dir / STORE_FILE


class WatchedSync:
    """The scheduler as the screens see it (``SyncPort``): its status, "sync now", and a way
    to hear about every status change at once instead of on the next tick."""

    def __init__(self) -> None:
        self.scheduler: SyncScheduler | None = None
        self._watchers: list[Callable[[SyncStatus], None]] = []

    @property
    def status(self) -> SyncStatus:
        return self.scheduler.status if self.scheduler is not None else SyncStatus()

    def trigger(self) -> None:
        if self.scheduler is not None:
            self.scheduler.trigger()

    def watch(self, watcher: Callable[[SyncStatus], None]) -> Callable[[], None]:
        self._watchers.append(watcher)

        def stop_watching() -> None:
            if watcher in self._watchers:
                self._watchers.remove(watcher)

        return stop_watching

    async def sign_in(self, password: str, otp: str | None = None) -> None:
        if self.scheduler is None:
            raise AccessError("This device is not signed in to a server.")
        try:
            await self.scheduler.sign_in(password, otp)
        except NotTheServer as portal:
            raise AccessError(portal.words) from None
        except Offline:
            raise AccessError(
                "Cannot reach the server to sign in. Your work is kept on this device; try "
                "again when the connection returns."
            ) from None
        except SyncFailed as failed:
            raise AccessError(failed.words) from None

    async def change_password(self, current: str, new: str, otp: str | None = None) -> None:
        if self.scheduler is None:
            raise AccessError("This device is not signed in to a server.")
        try:
            await self.scheduler.change_password(current, new, otp)
        except NotTheServer as portal:
            raise AccessError(portal.words) from None
        except Offline:
            # The request may have gone through with only its answer lost: say both cases.
            raise AccessError(
                "No answer from the server. If the change reached it, this tablet asks for "
                "the new password at its next sync; if not, the old one still works. Your "
                "work is kept on this device."
            ) from None
        except SyncFailed as failed:
            raise AccessError(failed.words) from None

    def publish(self, status: SyncStatus) -> None:
        for watcher in list(self._watchers):
            try:
                watcher(status)
            except Exception:  # a screen that failed to redraw must not stop sync
                log.exception("a sync status watcher failed")


class DeviceAccess:
    """``mobile_app.ui.ports.AccessPort`` over the real store, enrollment and sync."""

    def __init__(self, settings: DeviceSettings) -> None:
        self.settings = settings
        self._current: tuple[LocalStore, Callable[[], Awaitable[None]]] | None = None

    @property
    def path(self) -> Path:
        return self.settings.store_path

    def enrolled(self) -> bool:
        return LocalStore.exists(self.path)

    def wipe_reason(self) -> str | None:
        return LocalStore.wipe_reason(self.path)

    async def enroll(self, enrollment: Enrollment) -> Workspace:
        enrolled = await _ask_server(enrollment)
        idle = self._idle_lock()
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            store = await asyncio.to_thread(self._create, enrollment, enrolled, idle)
        except StoreExists:
            raise AccessError("This device is already enrolled: enter its PIN.") from None
        except WeakPin as weak:
            raise AccessError(str(weak)) from None
        return await self._open(store, idle)

    async def unlock(self, pin: str) -> Workspace:
        """Raises the store's ``WrongPin`` / ``StoreWiped`` / ``StoreNotFound`` as they are."""
        idle = self._idle_lock()
        store = await asyncio.to_thread(LocalStore.unlock, self.path, pin, idle=idle)
        return await self._open(store, idle)

    # Inside ----------------------------------------------------------------------------------
    def _idle_lock(self) -> IdleLock:
        return IdleLock(self.settings.idle_s, clock=self.settings.idle_clock)

    def _create(
        self, enrollment: Enrollment, enrolled: EnrollResponse, idle: IdleLock
    ) -> LocalStore:
        """``mobile_app.sync.enrollment.create_enrolled_store``, with this session's idle lock."""
        store = LocalStore.create(
            self.path,
            enrollment.pin,
            enrolled.device_id,
            enrolled.tokens.user_id,
            server_url=enrollment.server_url,
            kdf=self.settings.kdf,
            idle=idle,
        )
        save_tokens(store, enrolled.tokens)
        store.observe_server_time(enrolled.tokens.server_time_ms)
        return store

    async def _open(self, store: LocalStore, idle: IdleLock) -> Workspace:
        tokens = load_tokens(store)
        if tokens is None:
            store.lock()
            raise AccessError(
                "This device holds no sign-in for the server. Ask IT to revoke it, then enroll "
                "it again."
            )
        await self._end_current()
        settings = self.settings

        def keep(fresh: TokenPair) -> None:
            save_tokens(store, fresh)  # rotated refresh token: the old one is now spent

        client = SyncClient(
            store, [store.server_url], tokens, timeout_s=settings.timeout_s, on_tokens=keep
        )
        sync = WatchedSync()
        scheduler = SyncScheduler(
            client,
            periodic_s=settings.periodic_s,
            backoff=Backoff(
                base_s=settings.retry_base_s,
                cap_s=settings.retry_cap_s,
                unreachable_cap_s=settings.retry_unreachable_cap_s,
            ),
            on_status=sync.publish,
            live=settings.live,
            keep_closed_days=settings.keep_closed_days,
        )
        sync.scheduler = scheduler
        stopped = False

        async def stop() -> None:
            nonlocal stopped
            if stopped:
                return
            stopped = True
            if self._current is not None and self._current[0] is store:
                self._current = None
            await scheduler.stop()
            await client.aclose()

        self._current = (store, stop)
        await scheduler.start()
        return Workspace(
            store=store, sync=sync, user_id=tokens.user_id, role=tokens.role, idle=idle, stop=stop
        )

    async def _end_current(self) -> None:
        """Another session (a second browser tab) holds the store: stop its sync and lock it,
        which sends that session back to its PIN screen."""
        if self._current is None:
            return
        store, stop = self._current
        self._current = None
        await stop()
        if not store.locked:
            store.lock()


async def _ask_server(enrollment: Enrollment) -> EnrollResponse:
    try:
        return await request_enrollment(
            enrollment.server_url,
            enrollment.username,
            enrollment.password,
            enrollment.device_name,
            otp=enrollment.otp,
        )
    except InsecureServer as insecure:
        raise AccessError(str(insecure)) from None
    except NotTheServer:
        raise AccessError(
            f"This network is answering instead of the server at {enrollment.server_url} (a "
            "Wi-Fi or hotspot sign-in page?). Sign in to the network, then try again."
        ) from None
    except Offline:
        raise AccessError(
            f"Cannot reach the server at {enrollment.server_url}. Check the address and this "
            "device's connection, then try again."
        ) from None
    except EnrollmentRefused as refused:
        raise AccessError(refused.words) from None
    except SyncFailed as failed:
        raise AccessError(failed.words) from None
