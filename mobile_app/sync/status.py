"""What the dispatcher is told about sync: always visible, in words, never a stack trace."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.api import Role


class Connectivity(StrEnum):
    ONLINE = "online"
    SYNCING = "syncing"
    OFFLINE = "offline"
    SIGNED_OUT = "signed_out"  # the server wants the person's password again
    LOCKED_OUT = "locked_out"  # withdrawn (revoked): needs IT, not a retry


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """A snapshot published by the sync client after every attempt and every local write."""

    connectivity: Connectivity = Connectivity.OFFLINE
    pending_ops: int = 0
    last_sync_ms: int | None = None
    pulled: int = 0
    to_pull: int | None = None
    next_retry_ms: int | None = None
    problem: str | None = None
    """A sentence for a dispatcher, e.g. "No connection to the server; your work is saved on
    this device and will be sent when the connection returns."."""
    role: Role | None = None
    """The role the server gave at the latest sign-in or token refresh: a role changed by IT
    reaches the screens at the next sync instead of the next unlock."""
