"""Users, devices and logons replicated between sites, merged so every site converges.

Merge rules (pure, the same whichever side applies them):

- a user or device unknown here is added; a device's enrolment is its earliest copy;
- a revocation, or a deactivation, on either side wins (it is never undone by a peer);
- a role is the one an administrator set last (``role_changed_ms``, ties broken by the role);
- so is the password an administrator reset last (``password_changed_ms``);
- so is the authenticator app (``totp_changed_ms``): a phone replaced at one site is replaced
  at every site, and a code is asked for wherever the account signs in; of that app's codes,
  the newest used at either site counts as used at both (a code works once, anywhere);
- taking a newer reset or app ends the account's sessions at this site too, from the moment
  this site hears of it on its own clock (``sessions_ended_ms``, never replicated: a peer's
  clock an hour ahead must not shut the account out here for an hour);
- otherwise two copies of one account differ only if it was created at both sites during a
  split, or one site re-hashed the password at a new cost: the earlier-created copy's display
  name and password hash win (ties broken by the name, and by the hash), so both sites pick
  the same ones (every kept hash checks the password).

A device's applied seq, pull cursor and logon failure counters are per server: never merged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from sqlmodel import Session, col, select

from shared.domain import AuditOutcome
from sync_server.auth import authenticator, totp
from sync_server.peers.messages import PeerDevice, PeerDirectory, PeerLogon, PeerUser
from sync_server.store import audit, devices, users
from sync_server.store.crypto import SealBroken, Sealer
from sync_server.store.tables import DeviceRow, DeviceUserRow, UserRow

log = logging.getLogger(__name__)


def merged_user(local: PeerUser | None, peer: PeerUser) -> PeerUser:
    if local is None:
        return peer
    winner = min(local, peer, key=lambda u: (u.created_ms, u.display_name))
    password = min(local, peer, key=_password_order)
    latest_role = max(local, peer, key=lambda u: (u.role_changed_ms, u.role))
    latest_app = max(local, peer, key=lambda u: (u.totp_changed_ms, u.totp_secret or ""))
    app = (latest_app.totp_changed_ms, latest_app.totp_secret)
    same_app = [u for u in (local, peer) if (u.totp_changed_ms, u.totp_secret) == app]
    return winner.model_copy(
        update={
            "active": local.active and peer.active,
            "password_hash": password.password_hash,
            "password_changed_ms": password.password_changed_ms,
            "role": latest_role.role,
            "role_changed_ms": latest_role.role_changed_ms,
            "totp_secret": latest_app.totp_secret,
            "totp_changed_ms": latest_app.totp_changed_ms,
            "totp_last_step": max(u.totp_last_step for u in same_app),
        }
    )


def _password_order(user: PeerUser) -> tuple[int, int, str]:
    """The latest reset first; never reset, the earliest-created copy's; then the hash."""
    never_reset = user.password_changed_ms == 0
    return (-user.password_changed_ms, user.created_ms if never_reset else 0, user.password_hash)


def merged_device(local: PeerDevice | None, peer: PeerDevice) -> PeerDevice:
    if local is None:
        return peer
    revoked_at = [t for t in (local.revoked_ms, peer.revoked_ms) if t is not None]
    # Its enrolment is the earliest copy (a site that registered it at a sign-in, not having
    # heard of it yet, holds a later one), ties broken by the rest: the same at every site.
    first = min(local, peer, key=lambda d: (d.created_ms, d.user_id, d.name))
    return first.model_copy(
        update={
            "revoked": local.revoked or peer.revoked,
            "revoked_ms": min(revoked_at) if revoked_at else None,
        }
    )


# Rows <-> messages -------------------------------------------------------------------------
def user_of(row: UserRow, sealer: Sealer) -> PeerUser:
    secret = authenticator.secret_of(sealer, row)
    return PeerUser.model_validate(row, from_attributes=True).model_copy(
        update={"totp_secret": None if secret is None else totp.secret_text(secret)}
    )


def device_of(row: DeviceRow) -> PeerDevice:
    return PeerDevice.model_validate(row, from_attributes=True)


def _readable_users(session: Session, sealer: Sealer) -> Iterator[PeerUser]:
    """Every account, except one whose authenticator secret does not open here: a peer that
    learnt it without its second factor would let it sign in with a password alone."""
    for row in users.all_users(session):
        try:
            yield user_of(row, sealer)
        except SealBroken:
            log.error(
                "account %r left out of the directory: its authenticator is damaged", row.username
            )


def read_directory(
    session: Session, sealer: Sealer, server_id: str, site_number: int
) -> PeerDirectory:
    logons = session.exec(select(DeviceUserRow).order_by(col(DeviceUserRow.device_id))).all()
    return PeerDirectory(
        server_id=server_id,
        site_number=site_number,
        users=list(_readable_users(session, sealer)),
        devices=[device_of(row) for row in devices.all_devices(session)],
        logons=[PeerLogon.model_validate(row, from_attributes=True) for row in logons],
    )


@dataclass
class DirectoryChanges:
    users: int = 0
    devices: int = 0
    revocations: int = 0
    logons: int = 0

    def __bool__(self) -> bool:
        return bool(self.users or self.devices or self.revocations or self.logons)

    def describe(self) -> str:
        return (
            f"users +{self.users}, devices +{self.devices}, revocations {self.revocations}, "
            f"logons +{self.logons}"
        )


def account_changes(local: PeerUser | None, merged: PeerUser) -> list[tuple[str, str]]:
    """The privileged acts a merge brings to this site, as (event type, detail) for its audit
    log: an account, a role change, a withdrawal, a password reset, an authenticator app set
    up elsewhere."""
    name = merged.username
    if local is None:
        return [("user.create", f"created {name!r} as {merged.role}")]
    found = []
    if merged.role != local.role:
        found.append(("user.role", f"{name!r}: {local.role} -> {merged.role}"))
    if local.active and not merged.active:
        found.append(("user.disable", f"disabled {name!r}"))
    if merged.password_changed_ms > local.password_changed_ms:
        found.append(("user.password", f"new password for {name!r}"))
    if merged.totp_secret != local.totp_secret and merged.totp_secret is not None:
        found.append(("user.mfa", f"new authenticator app for {name!r}"))
    return found


def _ends_sessions(local: PeerUser, merged: PeerUser) -> bool:
    """A password reset or a new authenticator app newer than this site's."""
    newer_password = merged.password_changed_ms > local.password_changed_ms
    return newer_password or merged.totp_changed_ms > local.totp_changed_ms


def _merge_user(
    session: Session,
    sealer: Sealer,
    peer: PeerUser,
    changes: DirectoryChanges,
    *,
    peer_id: str,
    now_ms: int,
) -> None:
    row = users.get(session, peer.username)
    try:
        local = None if row is None else user_of(row, sealer)
    except SealBroken:  # damaged here: the peer's copy, which opens, repairs it
        log.error("the authenticator of %r is damaged here; taking the peer's", peer.username)
        local = PeerUser.model_validate(row, from_attributes=True)
    merged = merged_user(local, peer)
    if merged == local:
        return
    for event_type, detail in account_changes(local, merged):
        audit.record(
            session,
            component="peers",
            event_type=event_type,
            outcome=AuditOutcome.SUCCESS,
            now_ms=now_ms,
            device_id=peer_id,  # who acted is in that site's own audit log
            detail=f"{detail}, replicated from peer {peer_id}",
        )
    if row is None:
        row = UserRow(username=peer.username, role=peer.role, password_hash=peer.password_hash)
        changes.users += 1
    for name, value in merged.model_dump(exclude={"totp_secret", "totp_last_step"}).items():
        setattr(row, name, value)
    if local is not None and _ends_sessions(local, merged):
        # Reset elsewhere: sign in again here too, from now on this site's clock.
        users.end_sessions(session, row, now_ms=now_ms)
    if local is None or merged.totp_secret != local.totp_secret:
        secret = merged.totp_secret
        row.totp = (
            None
            if secret is None
            else authenticator.seal(sealer, row.username, totp.secret_from_text(secret))
        )
        row.totp_last_step = merged.totp_last_step
    session.add(row)
    if local is not None and merged.totp_secret == local.totp_secret:
        session.flush()
        # Only ever forward, in one statement: a code accepted here meanwhile stays used.
        users.use_code_step(session, row.username, merged.totp_last_step)


def merge_devices(
    session: Session,
    peer_devices: list[PeerDevice],
    changes: DirectoryChanges,
    *,
    peer_id: str,
    now_ms: int,
) -> None:
    """Add devices unknown here and take the peer's revocations (audited: a privileged act)."""
    for peer in peer_devices:
        row = devices.get(session, peer.device_id)
        local = None if row is None else device_of(row)
        merged = merged_device(local, peer)
        if merged == local:
            continue
        if row is None:
            row = DeviceRow(device_id=peer.device_id, user_id=peer.user_id, name=peer.name)
            changes.devices += 1
        if merged.revoked and not row.revoked:
            changes.revocations += 1
            audit.record(
                session,
                component="peers",
                event_type="device.revoke",
                outcome=AuditOutcome.SUCCESS,
                now_ms=now_ms,
                device_id=peer.device_id,
                detail=f"revocation replicated from peer {peer_id}",
            )
        for name, value in merged.model_dump().items():
            setattr(row, name, value)
        session.add(row)
        session.flush()


def merge_directory(
    session: Session, sealer: Sealer, directory: PeerDirectory, *, now_ms: int
) -> DirectoryChanges:
    changes = DirectoryChanges()
    for user in directory.users:
        _merge_user(session, sealer, user, changes, peer_id=directory.server_id, now_ms=now_ms)
    session.flush()
    merge_devices(session, directory.devices, changes, peer_id=directory.server_id, now_ms=now_ms)
    for logon in directory.logons:
        if session.get(DeviceUserRow, (logon.device_id, logon.user_id)) is None:
            session.add(DeviceUserRow(**logon.model_dump()))
            changes.logons += 1
    return changes
