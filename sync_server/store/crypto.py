"""AES-256-GCM for what the server stores about incidents (op payloads, entity state).

The associated data names the table and the row key, so a sealed value copied to another row
fails authentication instead of showing one caller's details on another incident.  Only ids,
codes, statuses, sequence numbers and HLC stamps stay in clear columns.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_V1 = 1
NONCE_BYTES = 12
_MIN_SEALED = 1 + NONCE_BYTES + 16


class SealBroken(Exception):
    """A stored value failed authentication: altered, damaged, moved, or another key."""


def _aad(table: str, row: str) -> bytes:
    return b"\x00".join((b"dispatch-anywhere/server", b"v1", table.encode(), row.encode()))


class Sealer:
    """Seals and opens values bound to (table, row)."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, table: str, row: str, plaintext: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return bytes([FORMAT_V1]) + nonce + self._aead.encrypt(nonce, plaintext, _aad(table, row))

    def open(self, table: str, row: str, sealed: bytes) -> bytes:
        if len(sealed) < _MIN_SEALED or sealed[0] != FORMAT_V1:
            raise SealBroken(f"{table}[{row}] is not a sealed value")
        nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, _aad(table, row))
        except InvalidTag:
            raise SealBroken(f"{table}[{row}] failed authentication") from None
