"""The data key, wrapped by the PIN plus the device secret, and the failed-PIN counter.

- The data key is random; records are encrypted with keys derived from it, so changing the PIN
  re-wraps 32 bytes and never touches a record.
- KEK = HKDF(Argon2id-or-scrypt(PIN, salt) || device secret): the PIN alone, or a copy of the
  database and key file without the device's keystore, is not enough.
- Every attempt counts as failed until it succeeds: the counter is raised and synced to disk
  *before* the slow KDF runs, so killing the app mid-attempt does not buy a free guess.
- The key file is MAC'd with a key derived from the device secret.  A key file that fails its
  MAC (say, a counter reset by hand) is treated as an attack: the store is shredded.  Rolling
  the whole file back to an older copy is not detected here; that needs the keystore's
  hardware-backed counter in production.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel, ConfigDict, ValidationError

from mobile_app.store.crypto import KEY_BYTES, NONCE_BYTES, new_data_key, subkey
from mobile_app.store.errors import StoreExists, StoreNotFound, StoreWiped, WeakPin, WrongPin
from mobile_app.store.files import StorePaths, atomic_write, shred_store
from mobile_app.store.kdf import KdfParams

MAX_PIN_ATTEMPTS = 5
MIN_PIN_LENGTH = 4
MAX_PIN_LENGTH = 256
_WRAP_AD = b"dispatch-anywhere\x00keywrap\x00v1"


class KeyRecord(BaseModel):
    """The JSON kept in ``<db>.keys``: nothing in it helps without the PIN and the device."""

    model_config = ConfigDict(extra="forbid")

    format: Literal[1] = 1
    kdf: KdfParams
    salt: str
    nonce: str
    wrapped_key: str
    failures: int = 0
    mac: str = ""

    def signed(self, device_secret: bytes) -> KeyRecord:
        return self.model_copy(update={"mac": _mac(self, device_secret)})

    def verify(self, device_secret: bytes) -> bool:
        return hmac.compare_digest(self.mac, _mac(self, device_secret))


def create_vault(paths: StorePaths, pin: str, kdf: KdfParams) -> bytes:
    """Create the device secret and a wrapped random data key; returns the data key."""
    _check_pin(pin)
    if paths.keys.exists() or paths.db.exists():
        raise StoreExists(f"a store already exists at {paths.db}")
    paths.tombstone.unlink(missing_ok=True)
    device_secret = os.urandom(KEY_BYTES)
    atomic_write(paths.secret, device_secret)
    data_key = new_data_key()
    _save(paths, _wrap(data_key, pin, device_secret, kdf), device_secret)
    return data_key


def unlock_vault(paths: StorePaths, pin: str, max_attempts: int = MAX_PIN_ATTEMPTS) -> bytes:
    """The data key, or WrongPin (attempts left) / StoreWiped (on the last failure)."""
    record, device_secret = _load(paths)
    record = record.model_copy(update={"failures": record.failures + 1})
    _save(paths, record, device_secret)  # counted before trying: see the module docstring
    try:
        data_key = _unwrap(record, pin, device_secret)
    except InvalidTag:
        if record.failures >= max_attempts:
            shred_store(paths, f"{max_attempts} wrong PINs")
            raise StoreWiped(f"{max_attempts} wrong PINs") from None
        raise WrongPin(max_attempts - record.failures) from None
    _save(paths, record.model_copy(update={"failures": 0}), device_secret)
    return data_key


def rewrap_vault(
    paths: StorePaths,
    old_pin: str,
    new_pin: str,
    kdf: KdfParams | None = None,
    max_attempts: int = MAX_PIN_ATTEMPTS,
) -> None:
    """Change the PIN: the old PIN must unlock (and counts as an attempt), then re-wrap."""
    _check_pin(new_pin)
    data_key = unlock_vault(paths, old_pin, max_attempts)
    record, device_secret = _load(paths)
    _save(paths, _wrap(data_key, new_pin, device_secret, kdf or record.kdf), device_secret)


def failed_attempts(paths: StorePaths) -> int:
    """Failed PIN attempts since the last successful unlock."""
    return _load(paths)[0].failures


def _check_pin(pin: str) -> None:
    if not MIN_PIN_LENGTH <= len(pin) <= MAX_PIN_LENGTH:
        raise WeakPin(f"a PIN needs {MIN_PIN_LENGTH} to {MAX_PIN_LENGTH} characters")


def _kek(pin: str, salt: bytes, device_secret: bytes, kdf: KdfParams) -> bytes:
    normalized = unicodedata.normalize("NFC", pin).encode()
    stretched = kdf.derive(normalized, salt)
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=None,
        info=b"dispatch-anywhere/kek/v1",
    ).derive(stretched + device_secret)


def _wrap(data_key: bytes, pin: str, device_secret: bytes, kdf: KdfParams) -> KeyRecord:
    salt, nonce = os.urandom(16), os.urandom(NONCE_BYTES)
    wrapped = AESGCM(_kek(pin, salt, device_secret, kdf)).encrypt(nonce, data_key, _WRAP_AD)
    return KeyRecord(kdf=kdf, salt=_b64(salt), nonce=_b64(nonce), wrapped_key=_b64(wrapped))


def _unwrap(record: KeyRecord, pin: str, device_secret: bytes) -> bytes:
    kek = _kek(pin, _unb64(record.salt), device_secret, record.kdf)
    return AESGCM(kek).decrypt(_unb64(record.nonce), _unb64(record.wrapped_key), _WRAP_AD)


def _load(paths: StorePaths) -> tuple[KeyRecord, bytes]:
    reason = paths.wipe_reason()
    if reason is not None:
        raise StoreWiped(reason)
    if not paths.keys.exists():
        raise StoreNotFound(f"no store at {paths.db}")
    try:
        device_secret = paths.secret.read_bytes()
    except FileNotFoundError:
        device_secret = b""
    if len(device_secret) != KEY_BYTES:
        shred_store(paths, "the device secret is missing")
        raise StoreWiped("the device secret is missing")
    try:
        record = KeyRecord.model_validate_json(paths.keys.read_bytes())
        genuine = record.verify(device_secret)
    except (ValidationError, ValueError):
        genuine = False
    if not genuine:
        shred_store(paths, "the key file was tampered with")
        raise StoreWiped("the key file was tampered with")
    return record, device_secret


def _save(paths: StorePaths, record: KeyRecord, device_secret: bytes) -> None:
    atomic_write(paths.keys, record.signed(device_secret).model_dump_json().encode())


def _mac(record: KeyRecord, device_secret: bytes) -> str:
    key = subkey(device_secret, b"dispatch-anywhere/keyfile-mac/v1")
    body = record.model_dump_json(exclude={"mac"}).encode()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)
