"""When to sync: at once after a local write or a live announcement, periodically while
online, and after an exponential backoff with jitter after a failure (at most 30 s while the
server cannot be reached, see ``backoff``).

APScheduler owns the timing; a dirty flag makes sure a trigger that arrives while a round is
running is never lost (the round simply goes again).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from mobile_app.store.errors import StoreError
from mobile_app.sync.backoff import Backoff
from mobile_app.sync.client import SyncClient
from mobile_app.sync.errors import (
    DeviceRevoked,
    Offline,
    PushRefused,
    SignInRequired,
    SyncBroken,
    SyncFailed,
    refused_words,
)
from mobile_app.sync.status import Connectivity, SyncStatus

log = logging.getLogger(__name__)
_JOB = "sync"
DAY_MS = 86_400_000
PURGE_EVERY_S = 3600.0


class SyncScheduler:
    def __init__(
        self,
        client: SyncClient,
        *,
        periodic_s: float = 30.0,
        backoff: Backoff | None = None,
        on_status: Callable[[SyncStatus], None] | None = None,
        live: bool = True,
        keep_closed_days: float | None = None,
    ) -> None:
        self.client = client
        self.keep_closed_ms = None if keep_closed_days is None else keep_closed_days * DAY_MS
        """Closed incidents leave the device this long after their last change (None: kept);
        checked after a round that reached the server, at most every ``PURGE_EVERY_S``."""
        self._purged_at: float | None = None
        self.store = client.store
        self.periodic_s = periodic_s
        self.backoff = backoff or Backoff()
        self.live = live
        self._on_status = on_status
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._dirty = False
        self._running = False
        self._stopped = False
        self._signed_out = False
        """The server wants the person's password (``sign_in``) before another round."""
        self._online = asyncio.Event()
        self._unlisten: Callable[[], None] | None = None
        self._live_task: asyncio.Task[None] | None = None
        self.status = SyncStatus(pending_ops=self._pending(), role=client.tokens.role)
        client.progress_listeners.append(self._progress)

    # Lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        self._scheduler.start()
        self._unlisten = self.store.listen(self._on_store_change)
        self.trigger()
        if self.live:
            self._live_task = asyncio.create_task(self._follow_live())

    async def stop(self) -> None:
        self._stopped = True
        if self._unlisten is not None:
            self._unlisten()
        if self._live_task is not None:
            self._live_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._live_task
        self._scheduler.shutdown(wait=False)

    def trigger(self) -> None:
        """Sync as soon as possible (a local write, a live announcement, a reconnect)."""
        self._dirty = True
        if not self._running and not self._stopped and not self._signed_out:
            self._schedule(0.0)

    async def sign_in(self, password: str, otp: str | None = None) -> None:
        """Sign in again after the server ended this device's sign-in, and sync at once.

        Raises what ``SyncClient.sign_in`` raises; the schedule stays paused until it works."""
        try:
            tokens = await self.client.sign_in(password, otp)
        except DeviceRevoked as revoked:  # the store is wiped: nothing left to sync
            self._failed(revoked)
            raise
        self._signed_out = False
        self.backoff.reset()
        self._publish(connectivity=Connectivity.OFFLINE, problem=None, role=tokens.role)
        self.trigger()

    async def change_password(self, current: str, new: str, otp: str | None = None) -> None:
        """Change the account's own password (``SyncClient.change_password``).  A device
        whose sign-in has ended is told so, and the bar asks for a sign-in first."""
        try:
            await self.client.change_password(current, new, otp)
        except (SignInRequired, DeviceRevoked) as failure:
            self._failed(failure)
            raise

    # The loop ------------------------------------------------------------------------------
    async def run_round(self) -> None:
        if self._running or self._stopped or self._signed_out:
            return
        self._running = True
        try:
            while not self._stopped:
                self._dirty = False
                self._publish(connectivity=Connectivity.SYNCING, problem=None, next_retry_ms=None)
                try:
                    await self.client.sync_once()
                except SyncFailed as failure:
                    self._failed(failure)
                    return
                except asyncio.CancelledError:
                    # ``stop`` (the tablet locking, the app closing) cancels a round in flight.
                    # Nothing is lost: the outbox goes at the next round.  Said quietly, since
                    # APScheduler would log the cancellation as a job error for IT to chase.
                    if not self._stopped:
                        raise
                    log.info("sync round stopped; %d changes wait for the next", self._pending())
                    return
                except Exception as unexpected:
                    # Left to APScheduler, the bar would say "Syncing" for ever and no retry
                    # would be scheduled until the next local write.
                    log.exception("sync round failed unexpectedly")
                    self._failed(SyncBroken(unexpected))
                    return
                self.backoff.reset()
                self._online.set()
                await self._let_go_of_closed()
                self._publish(
                    connectivity=Connectivity.ONLINE,
                    last_sync_ms=int(time.time() * 1000),
                    problem=refused_words(self.client.take_refused()),
                    to_pull=None,
                    role=self.client.tokens.role,  # a refresh may have brought a new one
                )
                if not self._dirty:
                    break
            self._schedule(self.periodic_s)
        finally:
            self._running = False

    async def _let_go_of_closed(self) -> None:
        """Apply the retention rule (``store.retention``) once the server has everything this
        device sent; a store that cannot do it now (locked, full) tries again next hour."""
        now = time.monotonic()
        due = self._purged_at is None or now - self._purged_at >= PURGE_EVERY_S
        if self.keep_closed_ms is None or not due:
            return
        self._purged_at = now
        before = int(time.time() * 1000 - self.keep_closed_ms)
        try:
            gone = await asyncio.to_thread(self.store.purge_closed, older_than_ms=before)
        except StoreError as failed:
            log.warning("closed incidents not let go this time: %s", failed)
            return
        if gone:
            log.info("%d closed incident(s) left this device under the retention rule", len(gone))

    def _failed(self, failure: SyncFailed) -> None:
        if isinstance(failure, PushRefused):
            # A refused push came with a full pull: the server is there, so follow its
            # announcements; the next one (the call the push named, arriving from the desk that
            # took it) retries at once instead of after the backoff.
            self._online.set()
        else:
            self._online.clear()
        if isinstance(failure, SignInRequired):
            # Paused, not stopped: the person's password (``sign_in``) resumes it.
            self._signed_out = True
            self._publish(connectivity=Connectivity.SIGNED_OUT, problem=failure.words)
            return
        if not failure.retry:
            self._publish(connectivity=Connectivity.LOCKED_OUT, problem=failure.words)
            self._stopped = True
            return
        unreachable = isinstance(failure, Offline)
        delay = self.backoff.next_delay(unreachable=unreachable)
        kind = Connectivity.OFFLINE if unreachable else Connectivity.ONLINE
        log.info("sync failed (%s); retrying in %.1f s", type(failure).__name__, delay)
        self._publish(
            connectivity=kind,
            problem=failure.words,
            next_retry_ms=int((time.time() + delay) * 1000),
        )
        self._schedule(delay)

    def _schedule(self, delay_s: float) -> None:
        when = datetime.now(UTC) + timedelta(seconds=delay_s)
        self._scheduler.add_job(
            self.run_round,
            "date",
            run_date=when,
            id=_JOB,
            replace_existing=True,
            misfire_grace_time=None,
            # A round schedules the next one just before it ends; with APScheduler's default of
            # one instance, a retry due at once would find this round still "running" and be
            # dropped, leaving no job at all.  ``run_round`` itself never runs twice at once.
            max_instances=2,
        )

    async def _follow_live(self) -> None:
        """While online, listen to the server's announcements; each one triggers a pull."""
        pause = Backoff(base_s=1.0, cap_s=60.0, rng=self.backoff.rng)
        while not self._stopped:
            await self._online.wait()
            try:
                async for seq in self.client.announcements():
                    pause.reset()
                    if seq > self.store.cursor:
                        self.trigger()
            except SyncFailed as failure:
                log.info("live stream ended: %s", failure)
            await asyncio.sleep(pause.next_delay())

    # Status --------------------------------------------------------------------------------
    def _on_store_change(self, change: Any) -> None:
        kind = getattr(change, "kind", None)
        if str(getattr(kind, "value", kind)) == "local":
            self.trigger()
        self._publish()

    def _progress(self, pulled: int, more: bool) -> None:
        self._publish(pulled=pulled, to_pull=None if not more else pulled + 1)

    def _pending(self) -> int:
        try:
            return self.store.pending_count()
        except Exception:  # a locked store has no count to show
            return 0

    def _publish(self, **changes: Any) -> None:
        self.status = dataclasses.replace(self.status, pending_ops=self._pending(), **changes)
        if self._on_status is not None:
            self._on_status(self.status)
