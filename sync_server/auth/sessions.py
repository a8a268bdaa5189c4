"""Logon, enrolment and token refresh, with the CJIS lockout and audit trail.

- A request naming a revoked device is told to wipe before any password is checked: a stolen
  device should erase itself, whoever is holding it.
- Five consecutive failed logons lock the account (``Settings.lockout_*``); unknown usernames
  cost the same hashing time as known ones.  A wrong one-time code counts as a failed logon.
- A user changing their own password proves it with the current one (and the code), and
  ends the account's other sessions; the device asking gets a fresh pair.
- Refresh tokens rotate on every use.  Presenting a rotated token again means a copy exists:
  the whole token family is revoked, except within a short grace period that covers a client
  retrying after a lost response.
"""

from __future__ import annotations

import logging

from sqlmodel import Session, col, delete

from shared.api import (
    EnrollRequest,
    EnrollResponse,
    LoginRequest,
    PasswordChange,
    RefreshRequest,
    Role,
    TokenPair,
)
from shared.commands import new_id
from shared.domain import AuditOutcome
from shared.protocol import ErrorCode
from sync_server.auth import authenticator
from sync_server.auth.principal import Principal, wipe_order
from sync_server.auth.tokens import AccessClaims, new_refresh_token, refresh_token_hash
from sync_server.context import Context
from sync_server.errors import Refused, require_printable
from sync_server.store import audit, devices, users
from sync_server.store.crypto import SealBroken
from sync_server.store.tables import RefreshTokenRow, UserRow

log = logging.getLogger(__name__)

_WRONG = "wrong username or password"
_CODE_NEEDED = "enter the 6-digit code your authenticator app shows for this account"
_CODE_WRONG = "wrong or already used one-time code; enter the code your authenticator app shows now"


def issue_pair(
    ctx: Context, session: Session, user: UserRow, device_id: str, *, family: str | None = None
) -> TokenPair:
    now = ctx.now_ms()
    settings = ctx.settings
    role = Role(user.role)
    access = ctx.tokens.sign(
        AccessClaims(
            user_id=user.username,
            device_id=device_id,
            role=role,
            issued_ms=now,
            expires_ms=now + settings.access_token_seconds * 1000,
        )
    )
    refresh = new_refresh_token()
    session.add(
        RefreshTokenRow(
            token_hash=refresh_token_hash(ctx.keys.refresh_tokens, refresh),
            family=family or new_id("fam"),
            user_id=user.username,
            device_id=device_id,
            created_ms=now,
            expires_ms=now + settings.refresh_token_seconds * 1000,
        )
    )
    return TokenPair(
        access_token=access,
        refresh_token=refresh,
        expires_in=settings.access_token_seconds,
        user_id=user.username,
        role=role,
        server_time_ms=now,
        sites=settings.site_urls,
    )


def _check_credentials(
    ctx: Context, username: str, password: str, otp: str | None, device_id: str | None
) -> UserRow:
    """Verify the password, then the one-time code, counting failures of either toward the
    lockout; audits every failure."""
    now = ctx.now_ms()
    with ctx.db.read() as session:
        user = users.get(session, username)
    if user is not None and user.locked_until_ms > now:
        minutes = max(1, (user.locked_until_ms - now + 59_999) // 60_000)
        _audit_failure(ctx, username, device_id, "account locked")
        raise Refused(
            ErrorCode.UNAUTHORIZED,
            f"account locked after repeated failed logons; try again in {minutes} min "
            "or ask an administrator to unlock it",
        )
    if user is None:
        ctx.hasher.burn(password)
        raise _failed(ctx, None, username, device_id, "unknown username", _WRONG)
    if not (user.active and ctx.hasher.verify(password, user.password_hash)):
        raise _failed(ctx, user, username, device_id, _WRONG, _WRONG)
    _check_second_factor(ctx, user, otp, device_id)
    return user


def _check_second_factor(
    ctx: Context, user: UserRow, otp: str | None, device_id: str | None
) -> None:
    """CJIS 5.6.2.2: remote access takes a second factor.  An account with an authenticator
    app must give its current code; with ``require_mfa``, an account without one cannot sign
    in until an administrator sets one up.  Only a wrong code counts toward the lockout (a
    forgotten one is a person's slip, not a guess)."""
    if user.totp is None:
        if ctx.settings.require_mfa:
            _audit_failure(ctx, user.username, device_id, "no authenticator app set up")
            raise Refused(
                ErrorCode.UNAUTHORIZED,
                "this server requires a one-time code at sign-in and no authenticator app "
                "is set up for this account; ask an administrator to set one up",
            )
        return
    if otp is None:
        _audit_failure(ctx, user.username, device_id, "one-time code missing")
        raise Refused(ErrorCode.UNAUTHORIZED, _CODE_NEEDED)
    try:
        accepted = authenticator.accepts(ctx, user, otp)
    except SealBroken:
        log.error("the authenticator secret of %r does not open with this key", user.username)
        _audit_failure(ctx, user.username, device_id, "authenticator secret damaged")
        raise Refused(
            ErrorCode.UNAUTHORIZED,
            "this account's authenticator app cannot be checked here; ask an administrator "
            "to set it up again",
        ) from None
    if not accepted:
        raise _failed(
            ctx, user, user.username, device_id, "wrong or reused one-time code", _CODE_WRONG
        )


def _audit_failure(ctx: Context, username: str, device_id: str | None, detail: str) -> None:
    audit.record_now(
        ctx.db,
        component="auth",
        event_type="logon",
        outcome=AuditOutcome.FAILURE,
        now_ms=ctx.now_ms(),
        user_id=username,
        device_id=device_id,
        detail=detail,
    )


def _failed(
    ctx: Context,
    user: UserRow | None,
    username: str,
    device_id: str | None,
    detail: str,
    words: str,
) -> Refused:
    """Count a failed logon toward the lockout (known accounts), audit it, and say why."""
    now = ctx.now_ms()
    locked = False
    with ctx.db.write() as session:
        if user is not None:
            _, locked = users.record_failure(
                session,
                username,
                now_ms=now,
                threshold=ctx.settings.lockout_attempts,
                lock_ms=ctx.settings.lockout_seconds * 1000,
            )
        audit.record(
            session,
            component="auth",
            event_type="logon",
            outcome=AuditOutcome.FAILURE,
            now_ms=now,
            user_id=username,
            device_id=device_id,
            detail=detail,
        )
        if locked:
            audit.record(
                session,
                component="auth",
                event_type="account.lockout",
                outcome=AuditOutcome.FAILURE,
                now_ms=now,
                user_id=username,
                device_id=device_id,
                detail=f"locked after {ctx.settings.lockout_attempts} consecutive failures",
            )
    if locked:
        return Refused(
            ErrorCode.UNAUTHORIZED,
            f"{words}; the account is now locked after {ctx.settings.lockout_attempts} "
            "failed logons",
        )
    return Refused(ErrorCode.UNAUTHORIZED, words)


def _upgraded_hash(ctx: Context, user: UserRow, password: str) -> str | None:
    """A hash at today's cost if the stored one is older; computed outside any transaction."""
    return ctx.hasher.hash(password) if ctx.hasher.needs_rehash(user.password_hash) else None


def _signed_on(session: Session, user: UserRow, upgraded_hash: str | None) -> None:
    fresh = users.get(session, user.username)
    if fresh is not None:
        users.clear_failures(session, fresh)
        if upgraded_hash is not None:
            users.set_password_hash(session, fresh, upgraded_hash)


def login(ctx: Context, request: LoginRequest) -> TokenPair:
    with ctx.db.read() as session:
        device = devices.get(session, request.device_id)
    if device is not None and device.revoked:
        raise wipe_order(ctx, request.device_id, request.username, "auth")
    user = _check_credentials(
        ctx, request.username, request.password, request.otp, request.device_id
    )
    upgraded = _upgraded_hash(ctx, user, request.password)
    now = ctx.now_ms()
    with ctx.db.write() as session:
        _signed_on(session, user, upgraded)
        if device is None and devices.get(session, request.device_id) is None:
            _register_unknown_device(session, request.device_id, user.username, now_ms=now)
        devices.record_logon(session, request.device_id, user.username, now_ms=now)
        pair = issue_pair(ctx, session, user, request.device_id)
        audit.record(
            session,
            component="auth",
            event_type="logon",
            outcome=AuditOutcome.SUCCESS,
            now_ms=now,
            user_id=user.username,
            device_id=request.device_id,
        )
    return pair


def _register_unknown_device(
    session: Session, device_id: str, username: str, *, now_ms: int
) -> None:
    """A device signing in that this server does not know, though it was enrolled somewhere:
    a server restored from a backup older than its enrolment, or a standby the primary had not
    copied it to yet.  Its unsent work, and what the restored server lost, exist only on it;
    telling it to enroll again would cost them.  The sign-in proved what enrolling proves (the
    password, and the code where the account has an authenticator), so the id is registered
    to the account, audited; a revocation made elsewhere still reaches it."""
    devices.add(session, device_id, username, "registered at sign-in", now_ms=now_ms)
    audit.record(
        session,
        component="auth",
        event_type="device.enroll",
        outcome=AuditOutcome.SUCCESS,
        now_ms=now_ms,
        user_id=username,
        device_id=device_id,
        detail="unknown here (a restored server, or not yet copied from its site); "
        "registered at sign-in",
    )


def enroll(ctx: Context, request: EnrollRequest) -> EnrollResponse:
    require_printable(request.device_name, "device_name")
    user = _check_credentials(ctx, request.username, request.password, request.otp, None)
    upgraded = _upgraded_hash(ctx, user, request.password)
    now = ctx.now_ms()
    device_id = new_id("dev")
    with ctx.db.write() as session:
        _signed_on(session, user, upgraded)
        devices.add(session, device_id, user.username, request.device_name, now_ms=now)
        devices.record_logon(session, device_id, user.username, now_ms=now)
        pair = issue_pair(ctx, session, user, device_id)
        audit.record(
            session,
            component="auth",
            event_type="device.enroll",
            outcome=AuditOutcome.SUCCESS,
            now_ms=now,
            user_id=user.username,
            device_id=device_id,
            detail=f"enrolled {request.device_name!r}",
        )
    return EnrollResponse(device_id=device_id, tokens=pair)


def change_password(ctx: Context, principal: Principal, request: PasswordChange) -> TokenPair:
    """The signed-in user changes their own password (they think someone saw it, or they
    were given one by IT).  Like a reset it ends every session of the account, at this site
    and at the others when they hear, but the device asking carries on: it gets a fresh
    pair.  Between sites the latest change or reset wins."""
    if request.new_password == request.current_password:
        raise Refused(ErrorCode.INVALID, "the new password must differ from the current one")
    user = _check_credentials(
        ctx, principal.user_id, request.current_password, request.otp, principal.device_id
    )
    password_hash = ctx.hasher.hash(request.new_password)
    now = ctx.now_ms()
    with ctx.db.write() as session:
        row = users.get(session, user.username)
        if row is None or not row.active:
            raise Refused(ErrorCode.UNAUTHORIZED, "this account is disabled")
        users.reset_password(session, row, password_hash, now_ms=now)
        ended = users.end_sessions(session, row, now_ms=now)
        pair = issue_pair(ctx, session, row, principal.device_id)
        audit.record(
            session,
            component="auth",
            event_type="user.password",
            outcome=AuditOutcome.SUCCESS,
            now_ms=now,
            user_id=row.username,
            device_id=principal.device_id,
            detail=f"{row.username!r} changed their own password; {ended} open session(s) "
            "ended, this device's renewed",
        )
    return pair


def refresh(ctx: Context, request: RefreshRequest) -> TokenPair:
    now = ctx.now_ms()
    grace_ms = int(ctx.settings.refresh_reuse_grace_seconds * 1000)
    token_hash = refresh_token_hash(ctx.keys.refresh_tokens, request.refresh_token)
    refusal: Refused | None = None
    pair: TokenPair | None = None
    revoked_device: tuple[str, str] | None = None
    with ctx.db.write() as session:
        row = session.get(RefreshTokenRow, token_hash)
        device = devices.get(session, row.device_id) if row is not None else None
        user = users.get(session, row.user_id) if row is not None else None
        if row is None or row.expires_ms <= now:
            refusal = Refused(ErrorCode.UNAUTHORIZED, "refresh token unknown or expired; log on")
        elif device is None or device.revoked:
            revoked_device = (row.device_id, row.user_id)
        elif row.replaced_ms is not None and now - row.replaced_ms >= grace_ms:
            session.execute(
                delete(RefreshTokenRow).where(col(RefreshTokenRow.family) == row.family)
            )
            audit.record(
                session,
                component="auth",
                event_type="token.reuse",
                outcome=AuditOutcome.FAILURE,
                now_ms=now,
                user_id=row.user_id,
                device_id=row.device_id,
                detail="a rotated refresh token was presented again; session revoked",
            )
            refusal = Refused(
                ErrorCode.UNAUTHORIZED, "refresh token already used; session revoked, log on"
            )
        elif user is None or not user.active:
            refusal = Refused(ErrorCode.UNAUTHORIZED, "this account is disabled")
        else:
            row.replaced_ms = row.replaced_ms or now
            session.add(row)
            pair = issue_pair(ctx, session, user, row.device_id, family=row.family)
    if revoked_device is not None:
        raise wipe_order(ctx, revoked_device[0], revoked_device[1], "auth")
    if refusal is not None:
        raise refusal
    assert pair is not None
    return pair
