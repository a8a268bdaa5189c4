"""What a site's database holds, read directly, for comparing sites with each other and with
the tablets."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from sqlmodel import select

from shared.merge import IncidentState, Replica, UnitState
from sync_server.store import entities
from sync_server.store.tables import (
    AuditRow,
    ChangeRow,
    ConflictRow,
    DeviceRow,
    DeviceUserRow,
    UserRow,
)
from tests.continuity.conftest import Site

OpId = tuple[str, int]


def snapshot(site: Site) -> dict[str, object]:
    """The server's merged states, in the shape of ``LocalStore.snapshot()``."""
    ctx = site.context()
    replica = Replica()
    with ctx.db.read() as session:
        for row in entities.page(session, None, 1_000_000):
            state = entities.decode(ctx.sealer, row)
            if isinstance(state, UnitState):
                replica.units[state.id] = state
            else:
                assert isinstance(state, IncidentState)
                replica.incidents[state.id] = state
    return replica.snapshot()


def logged(site: Site) -> Counter[OpId]:
    """How many times each op is in the site's change log."""
    ctx = site.context()
    with ctx.db.read() as session:
        rows = session.exec(select(ChangeRow.device_id, ChangeRow.device_seq)).all()
    return Counter((device, seq) for device, seq in rows)


def conflict_index(site: Site) -> set[tuple[str, str, bool]]:
    ctx = site.context()
    with ctx.db.read() as session:
        rows = session.exec(select(ConflictRow)).all()
        return {(row.conflict_id, row.kind, row.open) for row in rows}


def staff(site: Site) -> set[tuple[str, str]]:
    ctx = site.context()
    with ctx.db.read() as session:
        return {(u.username, u.role) for u in session.exec(select(UserRow)).all()}


def authenticator_set_at(site: Site, username: str) -> int | None:
    """When the account's authenticator app was set up, as this site knows it."""
    ctx = site.context()
    with ctx.db.read() as session:
        user = session.get(UserRow, username)
        return None if user is None or user.totp is None else user.totp_changed_ms


def code_step_used_at(site: Site, username: str) -> int:
    """The newest one-time code step this site counts as used for the account."""
    ctx = site.context()
    with ctx.db.read() as session:
        user = session.get(UserRow, username)
        return 0 if user is None else user.totp_last_step


def device(site: Site, device_id: str) -> DeviceRow | None:
    ctx = site.context()
    with ctx.db.read() as session:
        return session.get(DeviceRow, device_id)


def knows_logon(site: Site, device_id: str, user_id: str) -> bool:
    """The site knows this user signed in on this device (it accepts their ops from it)."""
    ctx = site.context()
    with ctx.db.read() as session:
        return session.get(DeviceUserRow, (device_id, user_id)) is not None


def audit(site: Site, event_type: str) -> list[AuditRow]:
    ctx = site.context()
    with ctx.db.read() as session:
        return list(session.exec(select(AuditRow).where(AuditRow.event_type == event_type)))


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 30.0) -> None:
    """Poll ``condition`` (replication runs in the servers' own schedulers)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
