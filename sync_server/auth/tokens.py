"""Access and refresh tokens.

Access tokens are short-lived, self-contained and HMAC-SHA256 signed: ``v1.<claims>.<mac>``
(base64url).  The server still checks the device and user on every request, so a revocation
takes effect at once, not when the token expires.

Refresh tokens are opaque random strings; the server keeps only a keyed hash, and every use
rotates them (see ``auth.sessions``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from shared.api import Role

_PREFIX = "v1"


class BadToken(ValueError):
    """Not a token this server issued, altered, or expired."""


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    device_id: str
    role: Role
    issued_ms: int
    expires_ms: int


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class AccessTokens:
    """Signs and verifies access tokens with one key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, message: bytes) -> bytes:
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def sign(self, claims: AccessClaims) -> str:
        body = json.dumps(
            {
                "sub": claims.user_id,
                "dev": claims.device_id,
                "role": claims.role.value,
                "iat": claims.issued_ms,
                "exp": claims.expires_ms,
            },
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
        head = f"{_PREFIX}.{_b64(body)}"
        return f"{head}.{_b64(self._mac(head.encode()))}"

    def verify(self, token: str, now_ms: int) -> AccessClaims:
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _PREFIX:
            raise BadToken("not an access token")
        head = f"{parts[0]}.{parts[1]}"
        try:
            mac = _unb64(parts[2])
            data = json.loads(_unb64(parts[1]))
        except (binascii.Error, ValueError):
            raise BadToken("not an access token") from None
        if not hmac.compare_digest(mac, self._mac(head.encode())):
            raise BadToken("the access token signature does not match")
        try:
            claims = AccessClaims(
                user_id=str(data["sub"]),
                device_id=str(data["dev"]),
                role=Role(data["role"]),
                issued_ms=int(data["iat"]),
                expires_ms=int(data["exp"]),
            )
        except (KeyError, TypeError, ValueError):
            raise BadToken("the access token claims are malformed") from None
        if claims.expires_ms <= now_ms:
            raise BadToken("the access token has expired; refresh it")
        return claims


def new_refresh_token() -> str:
    return "rt1_" + secrets.token_urlsafe(32)


def refresh_token_hash(key: bytes, token: str) -> str:
    """What the server stores instead of the token: a stolen table cannot be replayed."""
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()
