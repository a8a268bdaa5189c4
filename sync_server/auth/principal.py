"""Who is calling: the bearer token checked against the current user and device rows.

The token's signature and expiry come first; then the device must still be enrolled and not
revoked (a revoked device is told to wipe, and that order is audited) and the user active,
with the account's sessions not ended since the token was issued (a password change or a new
authenticator app, here or taken from a peer).
The role is read from the user row, so a role change applies at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.api import Role
from shared.domain import AuditOutcome
from shared.protocol import ErrorCode
from sync_server.auth.tokens import BadToken
from sync_server.context import Context
from sync_server.errors import Refused
from sync_server.store import audit, devices, users


@dataclass(frozen=True)
class Principal:
    user_id: str
    device_id: str
    role: Role
    token_expires_ms: int


def wipe_order(ctx: Context, device_id: str, user_id: str | None, component: str) -> Refused:
    """Audit that a revoked device was told to wipe itself, and the refusal that tells it."""
    audit.record_now(
        ctx.db,
        component=component,
        event_type="device.wipe_ordered",
        outcome=AuditOutcome.FAILURE,
        now_ms=ctx.now_ms(),
        user_id=user_id,
        device_id=device_id,
        detail="revoked device made contact and was told to wipe",
    )
    return Refused(
        ErrorCode.DEVICE_REVOKED,
        "this device has been revoked: erase all local data now",
        wipe=True,
    )


def authenticate(ctx: Context, authorization: str | None) -> Principal:
    if not authorization:
        raise Refused(ErrorCode.UNAUTHORIZED, "missing Authorization: Bearer <access token>")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Refused(ErrorCode.UNAUTHORIZED, "use Authorization: Bearer <access token>")
    try:
        claims = ctx.tokens.verify(token.strip(), ctx.now_ms())
    except BadToken as bad:
        raise Refused(ErrorCode.UNAUTHORIZED, str(bad)) from None
    with ctx.db.read() as session:
        device = devices.get(session, claims.device_id)
        user = users.get(session, claims.user_id)
        revoked = device is not None and device.revoked
        role = Role(user.role) if user is not None else None
        active = user is not None and user.active
        ended = user is not None and user.sessions_ended_ms > claims.issued_ms
        new_app = user is not None and user.totp_changed_ms > user.password_changed_ms
    if revoked:
        raise wipe_order(ctx, claims.device_id, claims.user_id, "auth")
    if device is None or role is None or not active:
        raise Refused(ErrorCode.UNAUTHORIZED, "this session's user or device no longer exists")
    if ended and new_app:
        raise Refused(
            ErrorCode.UNAUTHORIZED,
            "a new authenticator app was set up for this account: sign in again with its code",
        )
    if ended:
        raise Refused(
            ErrorCode.UNAUTHORIZED, "the password was changed: sign in again with the new one"
        )
    return Principal(claims.user_id, claims.device_id, role, claims.expires_ms)
