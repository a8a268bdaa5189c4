"""Exactly what the screens call on the rest of the app, as protocols.

``DataPort`` is the local store's public API as the UI uses it (``mobile_app.store.LocalStore``
implements it), ``SyncPort`` is the sync scheduler's (``mobile_app.device.WatchedSync``), and
``AccessPort`` is how the app gets an unlocked ``Workspace``: by enrolling the device or by
entering the PIN (``mobile_app.device.DeviceAccess``).  Views depend on these protocols only,
so they run against any real implementation: the handler tests use a real store in a
temporary directory.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from mobile_app.store.idle import IdleLock
from mobile_app.store.listeners import StoreChange
from mobile_app.sync.status import SyncStatus
from mobile_app.ui.viewmodels.access import Enrollment
from shared.api import Role
from shared.domain import ConflictRecord, Incident, Unit
from shared.lifecycle import IncidentStatus, UnitStatus
from shared.protocol import IncidentFields, Op


class DataPort(Protocol):
    """The store calls the screens make; each action raises ``CommandError`` with words."""

    @property
    def locked(self) -> bool: ...

    # Actions (one op each, saved with its effect before they return) ----------------------
    def create_incident(
        self,
        fields: IncidentFields,
        priority: int,
        narrative: str = "",
        *,
        incident_id: str | None = None,
        received_ms: int | None = None,
        late: bool = False,
    ) -> Op: ...

    def change_priority(self, incident_id: str, priority: int) -> Op: ...

    def set_incident_status(
        self,
        incident_id: str,
        status: IncidentStatus,
        *,
        disposition: str | None = None,
        event_ms: int | None = None,
        late: bool = False,
    ) -> Op: ...

    def add_note(
        self, incident_id: str, text: str, *, event_ms: int | None = None, late: bool = False
    ) -> Op: ...

    def upsert_unit(
        self,
        unit_id: str | None = None,
        *,
        name: str | None = None,
        unit_type: str | None = None,
        station: str | None = None,
    ) -> Op: ...

    def set_unit_status(
        self,
        unit_id: str,
        status: UnitStatus,
        *,
        incident_id: str | None = None,
        event_ms: int | None = None,
        late: bool = False,
    ) -> Op: ...

    def resolve_incident_conflict(
        self,
        incident_id: str,
        conflict_id: str,
        action: str,
        *,
        priority: int | None = None,
        comment: str = "",
    ) -> Op: ...

    def resolve_unit_conflict(
        self, unit_id: str, conflict_id: str, keep_incident_id: str, *, comment: str = ""
    ) -> Op: ...

    # Reads ------------------------------------------------------------------------------
    def incidents(self, open_only: bool = True) -> list[Incident]: ...

    def incident(self, incident_id: str) -> Incident: ...

    def find_by_callback(self, number: str) -> list[Incident]: ...

    def units(self) -> list[Unit]: ...

    def conflicts(self, open_only: bool = True) -> list[ConflictRecord]: ...

    # The call being typed, kept sealed so a device that dies mid-call gives it back ----------
    def keep_draft(self, text: str | None) -> None: ...

    def draft(self) -> str | None: ...

    # Session ----------------------------------------------------------------------------
    def listen(self, listener: Callable[[StoreChange], None]) -> Callable[[], None]: ...

    def touch(self) -> None: ...

    def check_idle(self) -> bool: ...

    def lock(self) -> None: ...


class SyncPort(Protocol):
    """The sync scheduler as the sync bar sees it."""

    @property
    def status(self) -> SyncStatus: ...

    def trigger(self) -> None:
        """Sync now (the bar's "Sync now" button)."""
        ...

    def watch(self, watcher: Callable[[SyncStatus], None]) -> Callable[[], None]:
        """Call ``watcher`` on every status change (from the sync's own loop); returns the
        function that stops watching."""
        ...

    async def sign_in(self, password: str, otp: str | None = None) -> None:
        """Sign in again with the account's password, and its authenticator app's code if it
        has one, after the server ended the sign-in (the bar's fields); sync resumes at once.
        Raises ``AccessError`` with words (a wrong password or code, a locked account, no
        connection)."""
        ...

    async def change_password(self, current: str, new: str, otp: str | None = None) -> None:
        """Change the account's own password (the current one, and the app's code if it has
        one, prove it); the account's other sessions end and this device carries on.
        Raises ``AccessError`` with words (a wrong current password, no connection)."""
        ...


async def _nothing() -> None:
    return None


@dataclass
class Workspace:
    """An unlocked session: the store, its sync, who is working, and the idle lock."""

    store: DataPort
    sync: SyncPort
    user_id: str
    role: Role
    idle: IdleLock
    stop: Callable[[], Awaitable[None]] = field(default=_nothing)
    """Stops background work (sync) when the session locks."""


class AccessError(Exception):
    """Enrollment or unlock failed for a reason the person can act on; ``words`` say it."""

    def __init__(self, words: str) -> None:
        super().__init__(words)
        self.words = words


class AccessPort(Protocol):
    """Getting a ``Workspace``: enroll once per device, then unlock with the PIN.

    ``unlock`` raises the store's ``WrongPin`` / ``StoreWiped``; both may raise
    ``AccessError``.
    """

    def enrolled(self) -> bool: ...

    def wipe_reason(self) -> str | None: ...

    async def enroll(self, enrollment: Enrollment) -> Workspace: ...

    async def unlock(self, pin: str) -> Workspace: ...
