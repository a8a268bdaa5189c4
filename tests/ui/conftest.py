"""Handler-test fixtures: the real app on a real Flet session, over a real encrypted store."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from mobile_app.device import DeviceAccess, DeviceSettings, WatchedSync
from mobile_app.ui.app import AppServices, DispatchApp, build_app
from shared.api import Role
from tests.ui.device import FAST_KDF, PIN, OfflineDevice
from tests.ui.flet_harness import Harness, run_app

R = TypeVar("R")


def run(coro: Coroutine[Any, Any, R]) -> R:
    """Each handler test runs on its own event loop (no pytest-asyncio needed)."""
    return asyncio.run(coro)


@pytest.fixture
def tablet(tmp_path: Path) -> DeviceAccess:
    """A device with nothing on it yet, to enroll against a live server."""
    return DeviceAccess(DeviceSettings(data_dir=tmp_path / "tablet", kdf=FAST_KDF, live=False))


@pytest.fixture
def device(tmp_path: Path) -> Iterator[OfflineDevice]:
    made = OfflineDevice(tmp_path)
    yield made
    made.close()


@pytest.fixture
def supervisor_device(tmp_path: Path) -> Iterator[OfflineDevice]:
    made = OfflineDevice(tmp_path, role=Role.SUPERVISOR, user_id="sam", device_id="dev-s")
    yield made
    made.close()


class Session:
    """The harness plus the app object, for tests that need to reach behind the screen."""

    def __init__(self, harness: Harness, app: DispatchApp) -> None:
        self.h = harness
        self.app = app

    @property
    def store(self) -> Any:
        assert self.app.workspace is not None, "the app is locked"
        return self.app.workspace.store

    async def sync_settled(self, timeout_s: float = 20.0, quiet_s: float = 3.0) -> None:
        """Let the sync round a write (or the unlock) started finish, then let the screen
        catch up: against an unreachable server it fails at once and the bar says Offline.

        Returns only when the next try is at least ``quiet_s`` away: the retry delay is drawn
        at random (full jitter), and one starting while the test reads the bar would show
        "Syncing" instead of what the failed round left."""
        assert self.app.workspace is not None, "the app is locked"
        sync = self.app.workspace.sync
        assert isinstance(sync, WatchedSync) and sync.scheduler is not None
        scheduler = sync.scheduler
        deadline = time.monotonic() + timeout_s

        def busy() -> bool:
            """A round is running or due now (the next one after a failure is a backoff
            away; a trigger during a failing round waits for it, as offline it should)."""
            job = scheduler._scheduler.get_job("sync")
            due = job is not None and job.next_run_time <= datetime.now(UTC) + timedelta(
                seconds=quiet_s
            )
            return scheduler._running or due

        while busy():
            assert time.monotonic() < deadline, f"sync still busy: {scheduler.status}"
            await asyncio.sleep(0.01)
        await self.h.settle()


async def fill_enrollment(h: Harness, **values: str) -> None:
    """Type a complete enrollment form; ``values`` replace the defaults by field name."""
    form = {
        "server_url": "http://127.0.0.1:9",
        "username": "alice",
        "password": "correct horse",
        "device_name": "Backup tablet 3",
        "pin": "2468",
        "pin_again": "2468",
        **values,
    }
    for name, value in form.items():
        await h.type(f"enroll-{name}", value)


@asynccontextmanager
async def open_app(
    device: DeviceAccess, *, unlock: bool = True, width: int = 412, provision: bool = True
) -> AsyncIterator[Session]:
    """The app as a dispatcher finds it: enrolled (``provision``, an ``OfflineDevice``) and
    unlocked with the PIN."""
    if provision and not device.enrolled():
        assert isinstance(device, OfflineDevice), "only an offline device is provisioned"
        device.provision().lock()
    apps: list[DispatchApp] = []

    def main(page: Any) -> None:
        apps.append(build_app(page, AppServices(access=device, tz=UTC, tick_s=0)))

    async with run_app(main, width=width) as h:
        session = Session(h, apps[0])
        if unlock:
            await h.type("unlock-pin", PIN)
            await h.tap("unlock-submit")
            assert session.app.workspace is not None, h.screen()
        try:
            yield session
        finally:
            await session.app.leave(None)  # stops sync and stops listening to the store
