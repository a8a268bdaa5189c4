"""A device for handler tests: the real ``DeviceAccess`` (encrypted store in a temporary
directory, real sync client and scheduler) whose server is unreachable, so the device is
genuinely offline.

``provision`` puts the store on disk as an enrolled device has it, with the sign-in the server
would have returned (its role decides the tabs); enrolling over HTTP against a live server is
specified in test_handlers_enroll.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from mobile_app.device import DeviceAccess, DeviceSettings
from mobile_app.store import KdfParams, LocalStore
from mobile_app.sync.enrollment import save_tokens
from shared.api import Role, TokenPair
from shared.protocol import Change, Op
from sync_server.testing import free_port

PIN = "4821"
FAST_KDF = KdfParams.fast()


def unreachable_url() -> str:
    """A loopback address nothing listens on: connections are refused at once."""
    return f"http://127.0.0.1:{free_port()}"


class OfflineDevice(DeviceAccess):
    """The real access port, on a device whose server never answers."""

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
        super().__init__(
            DeviceSettings(
                data_dir=root / device_id,
                kdf=FAST_KDF,
                idle_s=idle_s,
                idle_clock=idle_clock,
                live=False,
                # Refused connections: do not spin while a test runs.
                retry_base_s=60.0,
                retry_unreachable_cap_s=60.0,
                timeout_s=2.0,
            )
        )
        self.role = role
        self.user_id = user_id
        self.device_id = device_id
        self.server = unreachable_url()
        self.provisioned: list[LocalStore] = []

    def provision(self, pin: str = PIN) -> LocalStore:
        """Create the store as an enrolled device has it (for tests that start unlocked)."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = LocalStore.create(
            self.path, pin, self.device_id, self.user_id, server_url=self.server, kdf=FAST_KDF
        )
        save_tokens(
            store,
            TokenPair(
                access_token="never-valid",
                refresh_token="never-valid",
                expires_in=900,
                user_id=self.user_id,
                role=self.role,
                server_time_ms=0,
            ),
        )
        self.provisioned.append(store)
        return store

    def close(self) -> None:
        for store in self.provisioned:
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
