"""Record-level AES-256-GCM, bound to where the record lives, plus HMAC blind indexes.

The associated data names the format version, table, row and column, so a ciphertext copied to
another row or column (or replayed under an older format) fails authentication instead of
silently showing one caller's details on another incident.

A random 96-bit nonce per encryption is safe for well over 2**32 encryptions under one key
(NIST SP 800-38D); a device re-encrypts a record per write, many orders of magnitude fewer.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from mobile_app.store.errors import CorruptRecord

KEY_BYTES = 32
NONCE_BYTES = 12
FORMAT_V1 = 1


def new_data_key() -> bytes:
    """A fresh random 256-bit data key."""
    return os.urandom(KEY_BYTES)


def subkey(master: bytes, purpose: bytes) -> bytes:
    """One independent key per purpose, so the AEAD and the blind index never share a key."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose).derive(master)


def associated_data(version: int, table: str, row: str, column: str) -> bytes:
    """Where a record lives, NUL-separated (ids never contain NUL)."""
    return f"dispatch-anywhere\x00v{version}\x00{table}\x00{row}\x00{column}".encode()


class RecordCipher:
    """Seals and opens the encrypted columns of the local store."""

    def __init__(self, data_key: bytes) -> None:
        if len(data_key) != KEY_BYTES:
            raise ValueError("the data key must be 256 bits")
        self._aead = AESGCM(subkey(data_key, b"dispatch-anywhere/record-aead/v1"))

    def seal(self, table: str, row: str, column: str, plaintext: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        ad = associated_data(FORMAT_V1, table, row, column)
        return bytes([FORMAT_V1]) + nonce + self._aead.encrypt(nonce, plaintext, ad)

    def open(self, table: str, row: str, column: str, blob: bytes) -> bytes:
        where = f"{table}[{row}].{column}"
        if len(blob) < 1 + NONCE_BYTES + 16:
            raise CorruptRecord(where, "too short to be a sealed record")
        if blob[0] != FORMAT_V1:
            raise CorruptRecord(where, f"unknown record format {blob[0]}")
        nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, sealed, associated_data(blob[0], table, row, column))
        except InvalidTag:
            raise CorruptRecord(
                where, "failed authentication: altered, damaged or moved from another record"
            ) from None


_NOT_DIGIT = re.compile(r"\D")


class BlindIndex:
    """Keyed hashes for the few encrypted fields a dispatcher searches by exact value.

    Without the data key an index value reveals nothing, not even for a small space like phone
    numbers, because the HMAC key derives from the data key.
    """

    def __init__(self, data_key: bytes) -> None:
        self._key = subkey(data_key, b"dispatch-anywhere/blind-index/v1")

    def phone(self, number: str | None) -> str | None:
        """Index of a callback number, ignoring formatting and the North American country
        code: "+1 (415) 555-0100", "415.555.0100" and "14155550100" are one number."""
        digits = _NOT_DIGIT.sub("", number or "")
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        if not digits:
            return None
        mac = hmac.new(self._key, b"phone\x00" + digits.encode(), hashlib.sha256)
        return mac.hexdigest()[:32]
