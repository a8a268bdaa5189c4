"""Stretching the PIN: Argon2id where this OpenSSL build has it, otherwise scrypt.

The parameters are stored with the wrapped key, so a store created with cheap test parameters
unlocks with them, and production stores keep whatever they were created with.
"""

from __future__ import annotations

import functools
from typing import Literal

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pydantic import BaseModel, ConfigDict, Field

KEY_BYTES = 32


class KdfParams(BaseModel):
    """One KDF configuration; ``strong()`` is the production default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Literal["argon2id", "scrypt"]
    memory_kib: int = Field(default=64 * 1024, ge=8, description="Argon2id memory cost")
    iterations: int = Field(default=3, ge=1, description="Argon2id passes")
    lanes: int = Field(default=1, ge=1, le=16, description="Argon2id parallelism")
    log2_n: int = Field(default=17, ge=1, le=24, description="scrypt cost N = 2**log2_n")
    r: int = Field(default=8, ge=1)
    p: int = Field(default=1, ge=1)

    @classmethod
    def strong(cls) -> KdfParams:
        """Argon2id m=64 MiB t=3 (OWASP's first choice), or scrypt N=2**17 r=8 p=1."""
        if argon2id_available():
            return cls(name="argon2id")
        return cls(name="scrypt")

    @classmethod
    def fast(cls) -> KdfParams:
        """Cheap parameters for tests and benchmarks only: never for a real store."""
        if argon2id_available():
            return cls(name="argon2id", memory_kib=64, iterations=1)
        return cls(name="scrypt", log2_n=4, r=1)

    def derive(self, secret: bytes, salt: bytes) -> bytes:
        if self.name == "argon2id":
            from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

            kdf = Argon2id(
                salt=salt,
                length=KEY_BYTES,
                iterations=self.iterations,
                lanes=self.lanes,
                memory_cost=max(self.memory_kib, 8 * self.lanes),
            )
            return kdf.derive(secret)
        return Scrypt(salt=salt, length=KEY_BYTES, n=2**self.log2_n, r=self.r, p=self.p).derive(
            secret
        )


@functools.cache
def argon2id_available() -> bool:
    """Whether cryptography's OpenSSL build implements Argon2id (OpenSSL >= 3.2)."""
    try:
        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

        Argon2id(salt=b"\x00" * 16, length=KEY_BYTES, iterations=1, lanes=1, memory_cost=8).derive(
            b"probe"
        )
    except (ImportError, UnsupportedAlgorithm):
        return False
    return True
