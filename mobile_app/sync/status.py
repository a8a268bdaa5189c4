"""What the dispatcher is told about sync: always visible, in words, never a stack trace."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Connectivity(StrEnum):
    ONLINE = "online"
    SYNCING = "syncing"
    OFFLINE = "offline"
    LOCKED_OUT = "locked_out"  # revoked or signed out: needs a person, not a retry


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
