"""The sync bar on top of every screen: online or not, what is waiting, when it last synced.

A dispatcher working through an outage needs two answers at a glance: "is my work safe?"
(yes, it is on this device: say so) and "has it reached the others?" (the pending count and
the last sync time).  Problems are the sync client's sentences, never codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mobile_app.sync.status import Connectivity, SyncStatus
from mobile_app.ui.viewmodels.clock import Now, duration


class Tone(StrEnum):
    """How the bar is coloured: fine, working, degraded but safe, needs a person."""

    OK = "ok"
    BUSY = "busy"
    WARN = "warn"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class SyncBar:
    headline: str
    pending: str
    last_sync: str
    tone: Tone
    progress: float | None
    """0..1 while pulling a known amount; None otherwise (see ``busy``)."""
    busy: bool
    problem: str | None
    retry: str | None
    sign_in: bool = False
    """Ask for the password here: the server ended this device's sign-in."""

    @property
    def line(self) -> str:
        """The whole state in one line, for a phone's narrow bar."""
        return " · ".join(p for p in (self.headline, self.pending, self.last_sync) if p)


_HEADLINE = {
    Connectivity.ONLINE: "Online",
    Connectivity.SYNCING: "Syncing",
    Connectivity.OFFLINE: "Offline",
    Connectivity.SIGNED_OUT: "Signed out",
    Connectivity.LOCKED_OUT: "Withdrawn by the agency",
}


_DEFAULT_PROBLEM = {
    Connectivity.OFFLINE: (
        "Working offline. Your work is saved on this device and will be sent when the "
        "connection returns."
    ),
    Connectivity.SIGNED_OUT: (
        "Enter your password to send your work; until then it is kept on this device."
    ),
    Connectivity.LOCKED_OUT: "This device can no longer sync. Ask your IT team.",
}


def build_sync_bar(status: SyncStatus, now: Now) -> SyncBar:
    state = status.connectivity
    tone = {
        Connectivity.ONLINE: Tone.OK,
        Connectivity.SYNCING: Tone.BUSY,
        Connectivity.OFFLINE: Tone.WARN,
        Connectivity.SIGNED_OUT: Tone.ERROR,
        Connectivity.LOCKED_OUT: Tone.ERROR,
    }[state]
    if state is Connectivity.ONLINE and status.problem:
        tone = Tone.WARN
    return SyncBar(
        headline=_HEADLINE[state],
        pending=pending_words(status.pending_ops),
        last_sync=(
            f"last sync {now.clock(status.last_sync_ms)} ({now.ago(status.last_sync_ms)})"
            if status.last_sync_ms is not None
            else "never synced"
        ),
        tone=tone,
        progress=_progress(status),
        busy=state is Connectivity.SYNCING,
        problem=status.problem or _DEFAULT_PROBLEM.get(state),
        retry=_retry(status, now),
        sign_in=state is Connectivity.SIGNED_OUT,
    )


def pending_words(count: int) -> str:
    if count <= 0:
        return "all changes sent"
    if count == 1:
        return "1 change waiting to send"
    return f"{count} changes waiting to send"


def _progress(status: SyncStatus) -> float | None:
    if status.connectivity is not Connectivity.SYNCING or not status.to_pull:
        return None
    return min(1.0, max(0.0, status.pulled / status.to_pull))


def _retry(status: SyncStatus, now: Now) -> str | None:
    if status.next_retry_ms is None or status.connectivity is not Connectivity.OFFLINE:
        return None
    wait = status.next_retry_ms - now.ms
    return "trying again now" if wait <= 0 else f"next try in {duration(wait)}"
