"""Dispatch desks driven from the test itself (no browser): real enrolled devices with
encrypted stores and the real sync client (``tests.sync.conftest``), for setting up what the
tablets in the browser then see.

Playwright's sync API keeps an event loop running in the test's thread, so everything that
runs its own loop (enrolling, a sync round) goes to a worker thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from mobile_app.store import LocalStore
from sync_server.testing import LiveServer
from tests.sync.conftest import Device, enroll_device

T = TypeVar("T")
P = ParamSpec("P")


def beside_the_browser(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(work, *args, **kwargs).result(timeout=120)


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    return beside_the_browser(asyncio.run, coroutine)


class Desk:
    """A dispatcher's device outside the browser; offline except while ``sync`` runs."""

    def __init__(self, live: LiveServer, directory: Path, name: str, user: str) -> None:
        self.device: Device = beside_the_browser(enroll_device, live, directory, name, user)

    @property
    def store(self) -> LocalStore:
        return self.device.store

    def sync(self) -> None:
        beside_the_browser(self.device.sync)

    def close(self) -> None:
        if not self.store.locked:
            self.store.lock()
