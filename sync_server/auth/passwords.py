"""Password hashing with Argon2id (memory-hard), encoded in the PHC string format.

Each hash carries its own cost parameters, so raising the cost later only affects new hashes;
``needs_rehash`` tells the logon path when to upgrade a stored one.
"""

from __future__ import annotations

import base64
import os
import re
import threading
from dataclasses import dataclass
from functools import cached_property

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

SALT_BYTES = 16
#: Each hash holds its memory cost in RAM; bound how many run at once.
_SLOTS = threading.BoundedSemaphore(4)
HASH_BYTES = 32
_PHC = re.compile(
    r"^\$argon2id\$v=19\$m=(?P<m>\d{1,8}),t=(?P<t>\d{1,3}),p=(?P<p>\d{1,2})"
    r"\$(?P<salt>[A-Za-z0-9+/]+)\$(?P<hash>[A-Za-z0-9+/]+)$"
)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class PasswordHasher:
    """Argon2id with the given memory (KiB) and passes; one lane."""

    memory_kib: int = 64 * 1024
    iterations: int = 3

    def hash(self, password: str) -> str:
        salt = os.urandom(SALT_BYTES)
        kdf = Argon2id(
            salt=salt,
            length=HASH_BYTES,
            iterations=self.iterations,
            lanes=1,
            memory_cost=self.memory_kib,
        )
        with _SLOTS:
            digest = kdf.derive(password.encode())
        return (
            f"$argon2id$v=19$m={self.memory_kib},t={self.iterations},p=1"
            f"${_b64(salt)}${_b64(digest)}"
        )

    def verify(self, password: str, encoded: str) -> bool:
        """Whether ``password`` matches; a malformed stored hash never matches."""
        found = _PHC.match(encoded)
        if found is None:
            return False
        kdf = Argon2id(
            salt=_unb64(found["salt"]),
            length=len(_unb64(found["hash"])),
            iterations=int(found["t"]),
            lanes=int(found["p"]),
            memory_cost=int(found["m"]),
        )
        try:
            with _SLOTS:
                kdf.verify(password.encode(), _unb64(found["hash"]))
        except InvalidKey:
            return False
        return True

    def needs_rehash(self, encoded: str) -> bool:
        found = _PHC.match(encoded)
        return found is None or (int(found["m"]), int(found["t"])) != (
            self.memory_kib,
            self.iterations,
        )

    @cached_property
    def _decoy(self) -> str:
        return self.hash(os.urandom(16).hex())

    def burn(self, password: str) -> None:
        """Spend the same effort as a real check, so unknown usernames do not answer faster."""
        self.verify(password, self._decoy)
