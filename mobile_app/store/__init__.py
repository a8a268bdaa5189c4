"""The device's encrypted local store (DESIGN.md, "Local encryption" and "Sync model").

For the sync client and the UI, everything goes through ``LocalStore``:

- open: ``LocalStore.create(path, pin, device_id, user_id, server_url=, kdf=, idle=)`` at
  enrolment, ``LocalStore.unlock(path, pin)`` every session (WrongPin.attempts_left /
  StoreWiped); ``lock()``, ``wipe(reason)``, ``LocalStore.destroy(path, reason)`` (while locked),
  ``change_pin(old, new)``, ``check_idle()`` / ``touch()`` for the idle lock, ``listen(cb)``.
- actions (one op + its effect + its outbox entry per transaction; CommandError in words):
  ``create_incident``, ``update_incident``, ``change_priority``, ``set_incident_status``,
  ``add_note``, ``resolve_incident_conflict``, ``upsert_unit``, ``set_unit_status``,
  ``record_late_unit_status``, ``resolve_unit_conflict``.
- reads (shared.domain models): ``incident``, ``incidents(open_only)``, ``find_by_callback``,
  ``unit``, ``units``, ``conflicts(open_only)``, ``snapshot``.
- sync: ``pending_ops(limit)``, ``pending_count``, ``ack(last_seq)``, ``apply_page(page)`` /
  ``apply_pulled(changes, cursor, server_time_ms=)``, ``cursor``, ``reset_cursor``, ``clock``,
  ``observe_server_time``, ``restamp_outbox`` (after clock_ahead), ``secret`` / ``set_secret``
  (refresh token), ``server_url`` / ``set_server_url``.
- repair: ``rebuild(kind, id)`` after a CorruptEntity, ``repair()`` to check every row.
- a write the device's storage refuses (full, failing) raises ``StorageFailed`` in words; it
  was rolled back whole, so it can be tried again.

Modules: ``local_store`` (entry points) over ``core`` (transactions, lock, wipe), ``actions``,
``queries``, ``replication``; ``repository`` (SQL), ``schema``, ``db`` (SQLite settings),
``codec`` / ``crypto`` (sealing), ``vault`` / ``kdf`` / ``files`` (keys and wipe), ``idle``,
``gate``, ``listeners``, ``cache``.
"""

from mobile_app.store.codec import CorruptEntity
from mobile_app.store.core import DEFAULT_CHUNK
from mobile_app.store.errors import (
    CorruptRecord,
    ServerAhead,
    StorageFailed,
    StoreError,
    StoreExists,
    StoreLocked,
    StoreNotFound,
    StoreWiped,
    UnknownEntity,
    WeakPin,
    WrongPin,
)
from mobile_app.store.idle import DEFAULT_IDLE_SECONDS, IdleLock
from mobile_app.store.kdf import KdfParams
from mobile_app.store.listeners import ChangeKind, StoreChange
from mobile_app.store.local_store import LocalStore
from mobile_app.store.replication import MergeResult, SnapshotProgress
from mobile_app.store.vault import MAX_PIN_ATTEMPTS

__all__ = [
    "DEFAULT_CHUNK",
    "DEFAULT_IDLE_SECONDS",
    "MAX_PIN_ATTEMPTS",
    "ChangeKind",
    "CorruptEntity",
    "CorruptRecord",
    "IdleLock",
    "KdfParams",
    "LocalStore",
    "MergeResult",
    "ServerAhead",
    "SnapshotProgress",
    "StorageFailed",
    "StoreChange",
    "StoreError",
    "StoreExists",
    "StoreLocked",
    "StoreNotFound",
    "StoreWiped",
    "UnknownEntity",
    "WeakPin",
    "WrongPin",
]
