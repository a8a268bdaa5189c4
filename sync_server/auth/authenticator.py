"""An account's authenticator app (the second factor): setting it up, and checking its codes.

The secret is sealed at rest under the records key and bound to the account, so a sealed
secret copied onto another account does not open.  A code is accepted once: the step it
belongs to is recorded in the same statement that accepts it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from sync_server.auth import totp
from sync_server.context import Context
from sync_server.store import users
from sync_server.store.crypto import Sealer
from sync_server.store.tables import UserRow

ISSUER = "Dispatch Anywhere"
_TABLE = "da_user.totp"


@dataclass(frozen=True)
class Setup:
    """What the account holder adds to their authenticator app (QR link or typed key)."""

    username: str
    key: str
    uri: str


def seal(sealer: Sealer, username: str, secret: bytes) -> bytes:
    return sealer.seal(_TABLE, username, secret)


def secret_of(sealer: Sealer, row: UserRow) -> bytes | None:
    """The account's authenticator secret in clear, or None when it has none."""
    return None if row.totp is None else sealer.open(_TABLE, row.username, row.totp)


def set_up(sealer: Sealer, session: Session, row: UserRow, *, now_ms: int) -> Setup:
    """A fresh secret for the account; an authenticator set up earlier stops working."""
    secret = totp.new_secret()
    users.set_totp(session, row, seal(sealer, row.username, secret), now_ms=now_ms)
    return Setup(
        username=row.username,
        key=totp.secret_text(secret),
        uri=totp.setup_uri(secret, row.username, ISSUER),
    )


def accepts(ctx: Context, user: UserRow, code: str) -> bool:
    """Is ``code`` the account's current code, not used before?  Records it as used."""
    secret = secret_of(ctx.sealer, user)
    if secret is None:
        return False
    step = totp.matching_step(secret, code, ctx.now_ms())
    if step is None:
        return False
    with ctx.db.write() as session:
        return users.use_code_step(session, user.username, step)
