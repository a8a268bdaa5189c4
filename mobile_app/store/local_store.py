"""The device's encrypted local store: the one API the sync client and the UI build on.

``LocalStore.create`` / ``LocalStore.unlock`` open it; the instance then offers
- actions (``actions``): each one op committed with its effect and its outbox entry in ONE
  SQLite transaction, so the UI sees it at once and a crash loses or duplicates nothing;
- reads (``queries``): shared.domain read models, decrypted on demand;
- sync support (``replication``): outbox, acks, chunked merges of pulled pages, clocks;
- lock / wipe / change_pin / idle lock / listeners / repair (``core``).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from pydantic import TypeAdapter
from sqlmodel import Session

from mobile_app.store.actions import StoreActions
from mobile_app.store.core import DEFAULT_CHUNK
from mobile_app.store.db import open_engines
from mobile_app.store.errors import StoreNotFound
from mobile_app.store.files import StorePaths, shred_store
from mobile_app.store.idle import IdleLock
from mobile_app.store.kdf import KdfParams
from mobile_app.store.queries import StoreQueries
from mobile_app.store.replication import StoreReplication
from mobile_app.store.repository import set_meta
from mobile_app.store.retention import StoreRetention
from mobile_app.store.schema import SCHEMA_VERSION, DeviceTable
from mobile_app.store.vault import MAX_PIN_ATTEMPTS, create_vault, failed_attempts, unlock_vault
from shared.hlc import system_ms
from shared.protocol import DeviceId, UserId

StorePath = str | os.PathLike[str]


_DRAFT = "intake_draft"


class LocalStore(StoreActions, StoreQueries, StoreReplication, StoreRetention):
    """An unlocked store.  Build it with ``create`` or ``unlock``, never directly."""

    def keep_draft(self, text: str | None) -> None:
        """Keep the call being typed, sealed like any record, so a device that dies mid-call
        gives it back at the next unlock (None: nothing is being typed)."""
        self.set_secret(_DRAFT, text)

    def draft(self) -> str | None:
        """The call that was being typed, if any (``keep_draft``)."""
        return self.secret(_DRAFT)

    @classmethod
    def create(
        cls,
        path: StorePath,
        pin: str,
        device_id: str,
        user_id: str,
        *,
        server_url: str = "",
        kdf: KdfParams | None = None,
        idle: IdleLock | None = None,
        physical_ms: Callable[[], int] = system_ms,
        chunk_size: int = DEFAULT_CHUNK,
    ) -> LocalStore:
        """A new store for an enrolled device; ``kdf`` defaults to ``KdfParams.strong()``."""
        TypeAdapter(DeviceId).validate_python(device_id)
        TypeAdapter(UserId).validate_python(user_id)
        paths = StorePaths.of(path)
        data_key = create_vault(paths, pin, kdf or KdfParams.strong())
        try:
            engines = open_engines(paths.db)
            DeviceTable.metadata.create_all(engines.writer)
            with Session(engines.writer) as s, s.begin():
                set_meta(
                    s,
                    schema=SCHEMA_VERSION,
                    device_id=device_id,
                    user_id=user_id,
                    server_url=server_url,
                    next_seq=1,
                    acked_seq=0,
                    cursor=0,
                    hlc_last="",
                    clock_offset_ms=0,
                    created_ms=physical_ms(),
                )
            engines.dispose()
        except BaseException:
            shred_store(paths, "creation failed")
            paths.tombstone.unlink(missing_ok=True)
            raise
        return cls(paths, data_key, idle=idle, physical_ms=physical_ms, chunk_size=chunk_size)

    @classmethod
    def unlock(
        cls,
        path: StorePath,
        pin: str,
        *,
        idle: IdleLock | None = None,
        physical_ms: Callable[[], int] = system_ms,
        chunk_size: int = DEFAULT_CHUNK,
        max_attempts: int = MAX_PIN_ATTEMPTS,
    ) -> LocalStore:
        """Open with the PIN; raises WrongPin (attempts left) or StoreWiped (on the last)."""
        paths = StorePaths.of(path)
        data_key = unlock_vault(paths, pin, max_attempts)
        if not paths.db.exists():
            raise StoreNotFound(f"the database {paths.db} is missing")
        return cls(paths, data_key, idle=idle, physical_ms=physical_ms, chunk_size=chunk_size)

    @staticmethod
    def exists(path: StorePath) -> bool:
        return StorePaths.of(path).keys.exists()

    @staticmethod
    def wipe_reason(path: StorePath) -> str | None:
        """Why the store at ``path`` was wiped (for the enrolment screen), or None."""
        return StorePaths.of(path).wipe_reason()

    @staticmethod
    def failed_pin_attempts(path: StorePath) -> int:
        return failed_attempts(StorePaths.of(path))

    @staticmethod
    def destroy(path: StorePath, reason: str) -> None:
        """Crypto-shred a store that is not open (e.g. a wipe order received while locked)."""
        shred_store(StorePaths.of(path), reason)
