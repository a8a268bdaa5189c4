"""The server's keys: one secret, one independent subkey per purpose (HKDF).

The secret is either ``DA_SECRET_KEY`` (at least 32 characters, e.g. from a secrets manager) or
a random 256-bit key in a 0600 key file that ``python -m sync_server init`` creates.  Losing it
makes the stored incident data unreadable, which is the point of encrypting at rest.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sync_server.settings import Settings, SettingsError

KEY_BYTES = 32
MIN_SECRET_CHARS = 32


def _subkey(master: bytes, purpose: str) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=b"dispatch-anywhere/sync-server",
        info=purpose.encode(),
    )
    return hkdf.derive(master)


@dataclass(frozen=True)
class ServerKeys:
    """Subkeys: sealing records at rest, signing access tokens, hashing refresh tokens."""

    records: bytes
    access_tokens: bytes
    refresh_tokens: bytes

    @classmethod
    def from_master(cls, master: bytes) -> ServerKeys:
        return cls(
            records=_subkey(master, "records/aes-256-gcm/v1"),
            access_tokens=_subkey(master, "access-tokens/hmac-sha256/v1"),
            refresh_tokens=_subkey(master, "refresh-tokens/hmac-sha256/v1"),
        )


def load_keys(settings: Settings) -> ServerKeys:
    """The keys for ``settings``; refuses to start without a usable secret."""
    if settings.secret_key is not None:
        if len(settings.secret_key) < MIN_SECRET_CHARS:
            raise SettingsError(f"DA_SECRET_KEY must be at least {MIN_SECRET_CHARS} characters")
        return ServerKeys.from_master(settings.secret_key.encode())
    path = settings.key_file
    if not path.exists():
        raise SettingsError(
            f"no key file at {path} and no DA_SECRET_KEY: run `python -m sync_server init` first"
        )
    try:
        master = base64.b64decode(path.read_text().strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SettingsError(f"the key file {path} is damaged (not base64)") from None
    if len(master) != KEY_BYTES:
        raise SettingsError(f"the key file {path} does not hold a 256-bit key")
    return ServerKeys.from_master(master)


def create_key_file(path: Path) -> bool:
    """Write a fresh random key readable only by this user; False if one is already there."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = base64.b64encode(os.urandom(KEY_BYTES)).decode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
    return True
