"""Handler-test fixtures: the real app on a real Flet session, over a real encrypted store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager
from datetime import UTC
from pathlib import Path
from typing import Any, TypeVar

import pytest

from mobile_app.ui.app import AppServices, DispatchApp, build_app
from shared.api import Role
from tests.ui.device import PIN, OfflineDevice
from tests.ui.flet_harness import Harness, run_app

R = TypeVar("R")


def run(coro: Coroutine[Any, Any, R]) -> R:
    """Each handler test runs on its own event loop (no pytest-asyncio needed)."""
    return asyncio.run(coro)


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


@asynccontextmanager
async def open_app(
    device: OfflineDevice, *, unlock: bool = True, width: int = 412, provision: bool = True
) -> AsyncIterator[Session]:
    """The app as a dispatcher finds it: enrolled (``provision``) and unlocked with the PIN."""
    if provision and not device.enrolled():
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
