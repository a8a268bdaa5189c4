"""Everything a request, a job or a CLI command needs, built once from the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from shared.hlc import system_ms
from sync_server.auth.passwords import PasswordHasher
from sync_server.auth.tokens import AccessTokens
from sync_server.keys import ServerKeys, load_keys
from sync_server.notify import Notifier
from sync_server.settings import Settings
from sync_server.store.crypto import Sealer
from sync_server.store.db import Database
from sync_server.store.keycheck import check_key


@dataclass
class Context:
    settings: Settings
    db: Database
    keys: ServerKeys
    sealer: Sealer
    tokens: AccessTokens
    hasher: PasswordHasher
    notifier: Notifier = field(default_factory=Notifier)
    now_ms: Callable[[], int] = system_ms

    @classmethod
    def open(cls, settings: Settings, *, keys: ServerKeys | None = None) -> Context:
        keys = keys or load_keys(settings)
        return cls(
            settings=settings,
            db=Database(settings.database_url),
            keys=keys,
            sealer=Sealer(keys.records),
            tokens=AccessTokens(keys.access_tokens),
            hasher=PasswordHasher(settings.kdf_memory_kib, settings.kdf_iterations),
        )

    def prepare(self) -> None:
        """Ready the database for this server (at every start, and before any CLI command):
        missing tables and columns added, and this server's key checked against the data
        already sealed there (``keycheck``), so a wrong key refuses to start."""
        self.db.create_all()
        check_key(self.db, self.sealer)

    def close(self) -> None:
        self.db.dispose()
