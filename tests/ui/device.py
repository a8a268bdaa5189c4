"""A device for handler tests: a real encrypted store in a temporary directory and a real sync
scheduler whose server is unreachable, so the device is genuinely offline.

Enrollment here creates the store the way enrollment does once the server has answered
(the server half is covered end to end in tests/e2e); the role is the one the server would
have returned.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from pathlib import Path

from mobile_app.store import IdleLock, KdfParams, LocalStore
from mobile_app.sync.backoff import Backoff
from mobile_app.sync.client import SyncClient
from mobile_app.sync.scheduler import SyncScheduler
from mobile_app.ui.ports import Workspace
from mobile_app.ui.viewmodels.access import Enrollment
from shared.api import Role, TokenPair
from shared.protocol import Change, Op

PIN = "4821"
FAST_KDF = KdfParams.fast()


def unreachable_url() -> str:
    """A loopback address nothing listens on: connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class OfflineDevice:
    """Implements ``mobile_app.ui.ports.AccessPort`` over real parts."""

    def __init__(
        self,
        root: Path,
        *,
        role: Role = Role.DISPATCHER,
        user_id: str = "alice",
        device_id: str = "dev-a",
        idle_s: float = 30 * 60,
        idle_clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = root / f"{device_id}.db"
        self.role = role
        self.user_id = user_id
        self.device_id = device_id
        self.idle_s = idle_s
        self.idle_clock = idle_clock
        self.server = unreachable_url()
        self.opened: list[LocalStore] = []

    def provision(self, pin: str = PIN) -> LocalStore:
        """Create the store as an enrolled device has it (for tests that start unlocked)."""
        store = LocalStore.create(
            self.path, pin, self.device_id, self.user_id, server_url=self.server, kdf=FAST_KDF
        )
        self.opened.append(store)
        return store

    # AccessPort --------------------------------------------------------------------------
    def enrolled(self) -> bool:
        return LocalStore.exists(self.path)

    def wipe_reason(self) -> str | None:
        return LocalStore.wipe_reason(self.path)

    async def enroll(self, enrollment: Enrollment) -> Workspace:
        self.user_id = enrollment.username
        self.provision(enrollment.pin).lock()
        return await self.unlock(enrollment.pin)

    async def unlock(self, pin: str) -> Workspace:
        idle = IdleLock(self.idle_s, clock=self.idle_clock)
        store = await asyncio.to_thread(LocalStore.unlock, self.path, pin, idle=idle)
        self.opened.append(store)
        tokens = TokenPair(
            access_token="not-issued",
            refresh_token="not-issued",
            expires_in=900,
            user_id=self.user_id,
            role=self.role,
            server_time_ms=0,
        )
        client = SyncClient(store, [self.server], tokens, timeout_s=2.0)
        scheduler = SyncScheduler(client, backoff=Backoff(base_s=60.0), live=False)
        await scheduler.start()

        async def stop() -> None:
            await scheduler.stop()
            await client.aclose()

        return Workspace(
            store=store, sync=scheduler, user_id=self.user_id, role=self.role, idle=idle, stop=stop
        )

    def close(self) -> None:
        for store in self.opened:
            if not store.locked:
                store.lock()


class ServerLog:
    """The order a sync server hands changes out in, for building merged states in handler
    tests through the store's real replication API (the real server is in tests/e2e)."""

    def __init__(self) -> None:
        self.ops: list[Op] = []

    def push(self, store: LocalStore) -> None:
        pushed = store.pending_ops()
        self.ops.extend(pushed)
        if pushed:
            store.ack(pushed[-1].seq)

    def pull(self, store: LocalStore) -> None:
        start = store.cursor
        changes = [Change(seq=n, op=op) for n, op in enumerate(self.ops[start:], start + 1)]
        store.apply_pulled(changes, len(self.ops))

    def exchange(self, *stores: LocalStore) -> None:
        """Everyone sends, then everyone receives: the connection came back."""
        for store in stores:
            self.push(store)
        for store in stores:
            self.pull(store)
