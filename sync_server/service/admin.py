"""Administration (admins only): users, devices, revocation, the audit log.

Every change is audited in the same transaction as the change itself.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from shared.api import NewUser, PasswordReset, Role
from shared.domain import AuditOutcome
from shared.protocol import ErrorCode
from sync_server.auth import authenticator
from sync_server.context import Context
from sync_server.errors import Refused, require_printable
from sync_server.messages import AuditEntry, DeviceOut, UserOut
from sync_server.store import audit, devices, users
from sync_server.store.tables import AuditRow, DeviceRow, UserRow


def user_out(row: UserRow, now_ms: int) -> UserOut:
    return UserOut(
        username=row.username,
        role=Role(row.role),
        display_name=row.display_name,
        active=row.active,
        locked=row.locked_until_ms > now_ms,
        authenticator=row.totp is not None,
    )


def device_out(row: DeviceRow) -> DeviceOut:
    return DeviceOut(
        device_id=row.device_id,
        user_id=row.user_id,
        name=row.name,
        last_seq=row.last_seq,
        acked_seq=row.acked_seq,
        revoked=row.revoked,
        created_ms=row.created_ms,
        last_seen_ms=row.last_seen_ms,
    )


def _audit_done(
    session: Session,
    event_type: str,
    detail: str,
    *,
    component: str,
    now_ms: int,
    by: str | None,
    device_id: str | None,
) -> None:
    """Audit a privileged action in the transaction making it: who, from where, what, when."""
    audit.record(
        session,
        component=component,
        event_type=event_type,
        outcome=AuditOutcome.SUCCESS,
        now_ms=now_ms,
        user_id=by,
        device_id=device_id,
        detail=detail,
    )


def audit_entry(row: AuditRow) -> AuditEntry:
    assert row.id is not None
    return AuditEntry.model_validate(row, from_attributes=True)


def create_user(
    ctx: Context, new: NewUser, *, by: str | None, device_id: str | None, component: str = "admin"
) -> UserOut:
    require_printable(new.display_name, "display_name")
    now = ctx.now_ms()
    password_hash = ctx.hasher.hash(new.password)
    try:
        with ctx.db.write() as session:
            if users.get(session, new.username) is not None:
                raise Refused(
                    ErrorCode.INVALID, f"user {new.username!r} already exists", status=409
                )
            row = users.add(
                session,
                new.username,
                new.role,
                password_hash,
                display_name=new.display_name,
                now_ms=now,
            )
            detail = f"created {new.username!r} as {new.role.value}"
            _audit_done(
                session,
                "user.create",
                detail,
                component=component,
                now_ms=now,
                by=by,
                device_id=device_id,
            )
            return user_out(row, now)
    except IntegrityError:  # created concurrently by another request
        raise Refused(
            ErrorCode.INVALID, f"user {new.username!r} already exists", status=409
        ) from None


def list_users(ctx: Context) -> list[UserOut]:
    now = ctx.now_ms()
    with ctx.db.read() as session:
        return [user_out(row, now) for row in users.all_users(session)]


def _change_user(
    ctx: Context,
    username: str,
    event_type: str,
    change: Callable[[Session, UserRow, int], str],
    *,
    by: str | None,
    device_id: str | None,
    component: str,
) -> UserOut:
    """Every change to an account: found (or 404), changed, and audited in one transaction.
    ``change`` returns the audit detail."""
    now = ctx.now_ms()
    with ctx.db.write() as session:
        row = users.get(session, username)
        if row is None:
            raise Refused(ErrorCode.NOT_FOUND, f"no user {username!r}")
        detail = change(session, row, now)
        _audit_done(
            session,
            event_type,
            detail,
            component=component,
            now_ms=now,
            by=by,
            device_id=device_id,
        )
        return user_out(row, now)


def _not_own_account(by: str | None, username: str, what: str) -> None:
    """An administrator never locks themselves out (nobody would be left to undo it)."""
    if by is not None and by == username:
        raise Refused(ErrorCode.INVALID, f"an administrator cannot {what}")


def unlock_user(
    ctx: Context, username: str, *, by: str | None, device_id: str | None, component: str = "admin"
) -> UserOut:
    def unlock(session: Session, row: UserRow, now_ms: int) -> str:
        users.clear_failures(session, row)
        return f"unlocked {username!r}"

    return _change_user(
        ctx, username, "user.unlock", unlock, by=by, device_id=device_id, component=component
    )


def set_role(
    ctx: Context,
    username: str,
    role: Role,
    *,
    by: str | None,
    device_id: str | None,
    component: str = "admin",
) -> UserOut:
    """Give an account another role (a dispatcher made supervisor, say).  It applies at the
    account's next request (roles are read per request, not trusted from the token); the app
    shows the new role's screens from its next sign-in.  Replicates to every site, where the
    latest change wins."""
    _not_own_account(by, username, "change their own role")

    def change(session: Session, row: UserRow, now_ms: int) -> str:
        before = row.role
        if before != role.value:
            users.set_role(session, row, role, now_ms=now_ms)
        return f"{username!r}: {before} -> {role.value}"

    return _change_user(
        ctx, username, "user.role", change, by=by, device_id=device_id, component=component
    )


def disable_user(
    ctx: Context, username: str, *, by: str | None, device_id: str | None, component: str = "admin"
) -> UserOut:
    """Withdraw an account for good (someone who left the agency): from now on it cannot sign
    in, refresh a session or sync, from any device, at any site (a deactivation replicates and
    is never undone by a peer, so none is offered here either).  Its devices keep their data
    until revoked: what they had not sent yet can still be read off them."""
    _not_own_account(by, username, "disable their own account")

    def disable(session: Session, row: UserRow, now_ms: int) -> str:
        if row.active:
            users.deactivate(session, row)
        return f"disabled {username!r}"

    return _change_user(
        ctx, username, "user.disable", disable, by=by, device_id=device_id, component=component
    )


def reset_password(
    ctx: Context,
    username: str,
    password: str,
    *,
    by: str | None,
    device_id: str | None,
    component: str = "admin",
) -> UserOut:
    """Give an account a new password (forgotten, or possibly seen by someone else): the old
    one stops working, a lockout is lifted, and every session of the account ends, at this
    site at once and at the others when they hear of it; its tablets ask for the new
    password, keeping their work meanwhile.  Between sites the latest reset wins."""
    password_hash = ctx.hasher.hash(PasswordReset(password=password).password)  # length rule

    def reset(session: Session, row: UserRow, now_ms: int) -> str:
        users.reset_password(session, row, password_hash, now_ms=now_ms)
        ended = users.end_sessions(session, row, now_ms=now_ms)
        return f"new password for {username!r}; {ended} open session(s) ended"

    return _change_user(
        ctx, username, "user.password", reset, by=by, device_id=device_id, component=component
    )


def set_up_authenticator(
    ctx: Context, username: str, *, by: str | None, device_id: str | None, component: str = "cli"
) -> authenticator.Setup:
    """Give an account a new authenticator secret, for its holder to add to their app; from
    then on every sign-in and enrollment of that account also needs the app's code.  Run it
    again for a lost or replaced phone: the old app's codes stop working.  Every session of
    the account ends, as at a password reset: one opened with the password alone, or with the
    lost phone's codes, does not carry on for hours.  Replicates to every site, where the
    latest set-up wins and ends the sessions there too."""
    made: list[authenticator.Setup] = []

    def set_up(session: Session, row: UserRow, now_ms: int) -> str:
        made.append(authenticator.set_up(ctx.sealer, session, row, now_ms=now_ms))
        ended = users.end_sessions(session, row, now_ms=now_ms)
        return f"new authenticator app for {username!r}; {ended} open session(s) ended"

    _change_user(ctx, username, "user.mfa", set_up, by=by, device_id=device_id, component=component)
    return made[0]


def enroll_device(
    ctx: Context, username: str, name: str, *, device_id: str, component: str = "cli"
) -> DeviceOut:
    """Pre-enrol a device for a user (the device then logs on with this id)."""
    require_printable(name, "device name")
    now = ctx.now_ms()
    with ctx.db.write() as session:
        if users.get(session, username) is None:
            raise Refused(ErrorCode.NOT_FOUND, f"no user {username!r}")
        row = devices.add(session, device_id, username, name, now_ms=now)
        devices.record_logon(session, device_id, username, now_ms=now)
        _audit_done(
            session,
            "device.enroll",
            f"enrolled {name!r} by an administrator",
            component=component,
            now_ms=now,
            by=username,
            device_id=device_id,
        )
        return device_out(row)


def list_devices(ctx: Context) -> list[DeviceOut]:
    with ctx.db.read() as session:
        return [device_out(row) for row in devices.all_devices(session)]


def revoke_device(
    ctx: Context, device_id: str, *, by: str | None, by_device: str | None, component: str = "admin"
) -> DeviceOut:
    now = ctx.now_ms()
    with ctx.db.write() as session:
        row = devices.get(session, device_id)
        if row is None:
            raise Refused(ErrorCode.NOT_FOUND, f"no device {device_id!r}")
        if not row.revoked:
            devices.revoke(session, row, now_ms=now)
        _audit_done(
            session,
            "device.revoke",
            f"revoked by {by or 'console'} from {by_device or 'console'}",
            component=component,
            now_ms=now,
            by=by,
            device_id=device_id,
        )
        return device_out(row)


def audit_log(
    ctx: Context,
    *,
    after_id: int,
    limit: int,
    event_type: str | None = None,
    user_id: str | None = None,
) -> list[AuditEntry]:
    with ctx.db.read() as session:
        rows = audit.entries(
            session, after_id=after_id, limit=limit, event_type=event_type, user_id=user_id
        )
        return [audit_entry(row) for row in rows]
