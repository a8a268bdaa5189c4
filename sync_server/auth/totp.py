"""Time-based one-time codes (RFC 6238: SHA-1, 6 digits, 30 s), as every authenticator app
shows them.  Pure: the caller supplies the time and keeps track of the codes already used.

A code is accepted one step either side of the server's clock, so a phone whose clock is a
few seconds off, or a code typed as it turns over, still works; an hour-off phone does not.
"""

from __future__ import annotations

import base64
import hmac
import os

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

STEP_SECONDS = 30
DIGITS = 6
SECRET_BYTES = 20  # 160 bits, RFC 4226's recommended length
#: Steps either side of the server's clock a code may come from.
DRIFT_STEPS = 1


def new_secret() -> bytes:
    return os.urandom(SECRET_BYTES)


def _totp(secret: bytes) -> TOTP:
    return TOTP(secret, DIGITS, SHA1(), STEP_SECONDS, enforce_key_length=False)


def secret_text(secret: bytes) -> str:
    """The secret as people type it into an authenticator app (base32, no padding)."""
    return base64.b32encode(secret).decode().rstrip("=")


def secret_from_text(text: str) -> bytes:
    padded = text.upper() + "=" * (-len(text) % 8)
    return base64.b32decode(padded)


def setup_uri(secret: bytes, account: str, issuer: str) -> str:
    """The ``otpauth://`` link an authenticator app reads (from a QR code or pasted)."""
    return _totp(secret).get_provisioning_uri(account, issuer)


def step_at(now_ms: int) -> int:
    return now_ms // 1000 // STEP_SECONDS


def code_at(secret: bytes, step: int) -> str:
    """The code an authenticator shows during ``step`` (what tests type, too)."""
    return _totp(secret).generate(step * STEP_SECONDS).decode()


def matching_step(secret: bytes, code: str, now_ms: int) -> int | None:
    """The time step ``code`` belongs to, within the drift allowed, or None.

    Every candidate is compared, in constant time, so timing tells nothing about the code."""
    now = step_at(now_ms)
    found = None
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_at(secret, step).encode(), code.encode()):
            found = step
    return found
