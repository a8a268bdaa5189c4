"""Server configuration, read once from the environment (``DA_*``) or given explicitly.

Everything a deployment may change lives here so the app factory, the CLI and the test helper
build the server from one value.
"""

from __future__ import annotations

import difflib
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from shared.hlc import MAX_CLOCK_OFFSET_MS
from shared.urls import InsecureServer, checked_server_url

DEFAULT_DATABASE_URL = "sqlite:///./var/dispatch.db"
DEFAULT_KEY_FILE = "./var/server.key"
_SERVER_ID = re.compile(r"^[A-Za-z0-9_.-]{1,48}$")
MIN_PEER_SECRET_CHARS = 32
MAX_SITES = 16


class SettingsError(ValueError):
    """A configuration value that cannot work, named so an operator can fix it."""


def _default_server_id() -> str:
    host = re.sub(r"[^A-Za-z0-9_.-]", "-", socket.gethostname())[:40] or "server"
    return host


@dataclass(frozen=True)
class Settings:
    """One server's configuration.  Durations are in seconds unless the name says otherwise."""

    database_url: str = DEFAULT_DATABASE_URL
    #: Secret the server keys are derived from; when unset, ``key_file`` holds a random key.
    secret_key: str | None = field(default=None, repr=False)
    key_file: Path = Path(DEFAULT_KEY_FILE)
    server_id: str = field(default_factory=_default_server_id)
    access_token_seconds: int = 15 * 60
    refresh_token_seconds: int = 12 * 60 * 60
    #: A rotated refresh token presented again within this time is a retry, not a theft.
    refresh_reuse_grace_seconds: float = 30.0
    #: CJIS 5.5.3: lock the account after this many consecutive failed logons.
    lockout_attempts: int = 5
    lockout_seconds: int = 30 * 60
    #: CJIS 5.6.2.2: every sign-in and enrollment also needs a code from the account's
    #: authenticator app (``mfa-setup``); accounts without one cannot sign in.  Accounts
    #: with an authenticator always need the code, whatever this says.
    require_mfa: bool = False
    #: Argon2id cost for new password hashes (stored with each hash).
    kdf_memory_kib: int = 64 * 1024
    kdf_iterations: int = 3
    max_clock_offset_ms: int = MAX_CLOCK_OFFSET_MS
    max_body_bytes: int = 8 * 1024 * 1024
    #: A unit on scene longer than this raises a supervisor alert.
    onscene_alert_minutes: float = 30.0
    jobs_enabled: bool = True
    alert_check_seconds: float = 30.0
    cleanup_seconds: float = 15 * 60.0
    compaction_seconds: float = 6 * 60 * 60.0
    #: Changes younger than this are never compacted, even when every device has them.
    compaction_keep_seconds: float = 30 * 24 * 60 * 60.0
    heartbeat_seconds: float = 15.0
    #: Standby/primary servers at other sites this one replicates with (``sync_server.peers``).
    peers: tuple[str, ...] = ()
    #: Shared by every site's server; only a caller presenting it may read the peer endpoints.
    peer_secret: str | None = field(default=None, repr=False)
    peer_sync_seconds: float = 2.0
    peer_backoff_max_seconds: float = 60.0
    #: Distinct per site among peers: this server's change-log seqs start above
    #: ``site_number << 56``, so a device's cursor from another site is never mistaken.
    site_number: int = 0
    #: Every site's address as devices reach it, in the order a device should try them (the
    #: same list on every site).  Sent with each sign-in, so an enrolled device fails over to
    #: a standby site, and back, without anyone typing an address.
    site_urls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _SERVER_ID.match(self.server_id):
            raise SettingsError(
                f"DA_SERVER_ID {self.server_id!r}: use 1-48 letters, digits, '_', '.', '-'"
            )
        for name in ("access_token_seconds", "refresh_token_seconds", "lockout_attempts"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{name} must be positive")
        if self.kdf_memory_kib < 8 or self.kdf_iterations < 1:
            raise SettingsError("the password KDF needs at least 8 KiB and one pass")
        self._check_peers()

    def _check_peers(self) -> None:
        if self.peer_secret is not None and len(self.peer_secret) < MIN_PEER_SECRET_CHARS:
            raise SettingsError(
                f"DA_PEER_SECRET must be at least {MIN_PEER_SECRET_CHARS} characters"
            )
        if self.peers and self.peer_secret is None:
            raise SettingsError("DA_PEERS needs DA_PEER_SECRET (the same on every site)")
        for name, urls in (("DA_PEERS", self.peers), ("DA_SITE_URLS", self.site_urls)):
            for url in urls:
                try:
                    checked_server_url(url)
                except InsecureServer as insecure:
                    raise SettingsError(f"{name}: {insecure}") from None
        if not 0 <= self.site_number < MAX_SITES:
            raise SettingsError(f"DA_SITE_NUMBER must be between 0 and {MAX_SITES - 1}")
        if self.peer_sync_seconds <= 0 or self.peer_backoff_max_seconds <= 0:
            raise SettingsError("peer sync intervals must be positive")

    @property
    def server_device_id(self) -> str:
        """The device id under which this server authors supervisors' resolutions."""
        return f"server-{self.server_id}"

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``DA_*`` variables; unset ones keep their defaults."""
        source = os.environ if env is None else env
        typos = misspelt(source)
        if typos:
            given, meant = typos[0]
            raise SettingsError(
                f"{given} is not a setting: did you mean {meant}? (a misspelt setting would "
                "be ignored, and the server would run on a default instead)"
            )
        kwargs: dict[str, object] = {}
        for name, kind in _FIELDS.items():
            raw = source.get(f"DA_{name.upper()}")
            if raw is None or raw == "":
                continue
            try:
                kwargs[name] = _parse(kind, raw)
            except ValueError as bad:
                raise SettingsError(f"DA_{name.upper()}={raw!r}: {bad}") from None
        return cls(**kwargs)  # type: ignore[arg-type]


_FIELDS: dict[str, type] = {
    "database_url": str,
    "secret_key": str,
    "key_file": Path,
    "server_id": str,
    "access_token_seconds": int,
    "refresh_token_seconds": int,
    "refresh_reuse_grace_seconds": float,
    "lockout_attempts": int,
    "lockout_seconds": int,
    "require_mfa": bool,
    "kdf_memory_kib": int,
    "kdf_iterations": int,
    "max_clock_offset_ms": int,
    "max_body_bytes": int,
    "onscene_alert_minutes": float,
    "jobs_enabled": bool,
    "alert_check_seconds": float,
    "cleanup_seconds": float,
    "compaction_seconds": float,
    "compaction_keep_seconds": float,
    "heartbeat_seconds": float,
    "peers": tuple,
    "peer_secret": str,
    "peer_sync_seconds": float,
    "peer_backoff_max_seconds": float,
    "site_number": int,
    "site_urls": tuple,
}


def misspelt(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """``DA_*`` names that are not settings but nearly spell one: (given, meant).

    Other tools share the ``DA_`` prefix (the app's ``DA_SERVER_URL``, the console's
    ``DA_NEW_PASSWORD``), so only a near miss is taken for a typo: ``DA_DATABSE_URL`` would
    otherwise leave a process on the default SQLite file beside its peers on PostgreSQL."""
    names = [f"DA_{name.upper()}" for name in _FIELDS]
    found = []
    for given in sorted(env):
        if given.startswith("DA_") and given not in names:
            close = difflib.get_close_matches(given, names, n=1, cutoff=_TYPO_CUTOFF)
            if close:
                found.append((given, close[0]))
    return found


_TYPO_CUTOFF = 0.85


def _parse(kind: type, raw: str) -> object:
    if kind is bool:
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off"}:
            return False
        raise ValueError("expected true or false")
    if kind is Path:
        return Path(raw)
    if kind is tuple:  # a comma-separated list
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return kind(raw)
