"""What can go wrong with the local store, in words a dispatcher or IT person can act on.

No message here ever includes field values: exceptions end up in logs and crash reports, and
the values are caller PII.
"""

from __future__ import annotations

from pydantic import ValidationError


class StoreError(Exception):
    """Base class for every local store failure."""


class StoreNotFound(StoreError):
    """No store exists at this path (never created, or its files were removed)."""


class StoreExists(StoreError):
    """Refusing to create a store over an existing one."""


class StoreLocked(StoreError):
    """The store is locked (idle timeout or explicit lock); unlock it with the PIN again."""


class StoreWiped(StoreError):
    """The store was destroyed (wrong PINs, a wipe order, or a tampered key file)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"this device's data was wiped: {reason}; enrol the device again")


class WrongPin(StoreError):
    """The PIN did not unlock the store; the data is wiped when no attempts are left."""

    def __init__(self, attempts_left: int) -> None:
        self.attempts_left = attempts_left
        plural = "attempt" if attempts_left == 1 else "attempts"
        super().__init__(
            f"wrong PIN: {attempts_left} {plural} left before this device's data is wiped"
        )


class WeakPin(StoreError, ValueError):
    """A new PIN that does not meet the minimum length."""


class CorruptRecord(StoreError):
    """A stored record failed authentication or does not parse.

    Entity rows can be rebuilt from the operation log (``LocalStore.rebuild``); a corrupt
    operation-log row of an op the server already has can be pulled again.
    """

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"stored record {where} is damaged ({reason})")


class UnknownEntity(StoreError, LookupError):
    """No incident or unit with this id on this device."""

    def __init__(self, kind: str, entity_id: str) -> None:
        self.kind = kind
        self.entity_id = entity_id
        super().__init__(f"no {kind} {entity_id} on this device")

    def __str__(self) -> str:  # LookupError would quote the message
        return str(self.args[0])


class ServerAhead(StoreError):
    """The server knows ops from this device that this store never wrote (a restored or
    re-created store under an old device id): syncing on would silently drop new ops."""


class StorageFailed(StoreError):
    """The device's storage refused a write: full, failing, or busy past the timeout.

    The transaction was rolled back whole (nothing half-saved, no seq used), so the same action
    can simply be tried again; the message says what to do, in a dispatcher's words.
    """

    def __init__(self, message: str, *, full: bool) -> None:
        super().__init__(message)
        self.full = full


_FULL = "SQLITE_FULL"


def storage_failure(error: BaseException) -> StorageFailed:
    """What a SQLite error raised by a write means for the person holding the device."""
    name = str(getattr(error, "sqlite_errorname", "") or "")
    if name == _FULL:
        return StorageFailed(
            "this device's storage is full, so this was not saved: free some space on the "
            "device and try again",
            full=True,
        )
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        what = "is busy"
    elif name.startswith("SQLITE_IOERR"):
        what = "could not be written"
    else:
        what = f"refused the write ({name or type(error).__name__})"
    return StorageFailed(
        f"this device's storage {what}, so this was not saved: try again, and tell IT if it "
        "keeps happening",
        full=False,
    )


def describe_invalid(invalid: ValidationError) -> str:
    """Which input is wrong and why, never echoing the (possibly PII) values themselves."""
    parts = []
    for problem in invalid.errors(include_input=False, include_url=False):
        where = ".".join(str(p) for p in problem["loc"] if p not in ("fields", "body"))
        parts.append(f"{where}: {problem['msg']}" if where else problem["msg"])
    return "; ".join(parts)
