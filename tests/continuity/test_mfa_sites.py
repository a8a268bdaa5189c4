"""The second factor holds at every site: an account given an authenticator app at one center
needs its code at the standby too (a standby that took the password alone would be the way
around it; the sessions opened there without a code end when it hears), and a phone replaced
at either site during a split is the one both sites ask for once they reconcile.  A code
works once, whichever site it was typed at."""

from __future__ import annotations

import pytest

from shared.api import PULL, REFRESH
from sync_server.auth import authenticator
from sync_server.store.crypto import SealBroken
from sync_server.store.tables import UserRow
from sync_server.testing import bearer
from tests.authenticator import PhoneApp
from tests.continuity import views
from tests.continuity.conftest import Sites, add_staff
from tests.sync.conftest import PASSWORD


def _replicated(sites: Sites, username: str) -> None:
    views.wait_until(
        lambda: (
            views.authenticator_set_at(sites.standby, username)
            == views.authenticator_set_at(sites.primary, username)
        ),
        f"{username}'s authenticator at both sites",
    )


def test_an_authenticator_set_up_at_the_primary_is_asked_for_at_the_standby(sites: Sites):
    add_staff(sites)
    standby = sites.standby.server
    password_only = standby.enroll("alice", PASSWORD, "alice's tablet at the backup site")
    phone = PhoneApp(sites.primary.server.set_up_authenticator("alice"))
    _replicated(sites, "alice")
    tokens = password_only.tokens
    with standby.client(headers=bearer(tokens.access_token)) as http:
        assert http.get(PULL).status_code == 401, "the session opened without a code ended"
        refresh = http.post(REFRESH, json={"refresh_token": tokens.refresh_token})
        assert refresh.status_code == 401
    with pytest.raises(RuntimeError, match="6-digit code"):
        standby.enroll("alice", PASSWORD, "tablet at the backup site")
    assert standby.enroll("alice", PASSWORD, "tablet at the backup site", otp=phone.code())
    [replicated] = views.audit(sites.standby, "user.mfa")
    assert replicated.detail == "new authenticator app for 'alice', replicated from peer primary"


def test_a_phone_replaced_at_the_standby_during_a_split_is_the_one_both_sites_ask_for(
    sites: Sites,
):
    add_staff(sites)
    old_phone = PhoneApp(sites.primary.server.set_up_authenticator("bob"))
    _replicated(sites, "bob")
    sites.cut()
    new_phone = PhoneApp(sites.standby.server.set_up_authenticator("bob"))
    sites.mend()
    _replicated(sites, "bob")
    primary = sites.primary.server
    with pytest.raises(RuntimeError, match="wrong or already used one-time code"):
        primary.enroll("bob", PASSWORD, "bob's tablet", otp=old_phone.code())
    assert primary.enroll("bob", PASSWORD, "bob's tablet", otp=new_phone.code())


def test_a_code_used_at_one_site_is_refused_at_the_other(sites: Sites):
    add_staff(sites)
    phone = PhoneApp(sites.primary.server.set_up_authenticator("alice"))
    _replicated(sites, "alice")
    code = phone.code()
    assert sites.primary.server.enroll("alice", PASSWORD, "alice's tablet", otp=code)
    views.wait_until(
        lambda: (
            views.code_step_used_at(sites.standby, "alice")
            == views.code_step_used_at(sites.primary, "alice")
        ),
        "the used code to reach the standby",
    )
    with pytest.raises(RuntimeError, match="wrong or already used one-time code"):
        sites.standby.server.enroll("alice", PASSWORD, "a copied code", otp=code)


def test_an_authenticator_damaged_at_one_site_is_repaired_from_the_other(sites: Sites):
    add_staff(sites)
    phone = PhoneApp(sites.primary.server.set_up_authenticator("alice"))
    _replicated(sites, "alice")
    ctx = sites.standby.context()
    with ctx.db.write() as session:
        alice = session.get(UserRow, "alice")
        assert alice is not None
        alice.totp = bytes([1]) + bytes(40)  # a damaged disk page
        session.add(alice)
    standby = sites.standby.server
    views.wait_until(lambda: _opens(sites, "alice"), "the peer's copy to repair it")
    assert standby.enroll("alice", PASSWORD, "tablet at the backup site", otp=phone.code())


def _opens(sites: Sites, username: str) -> bool:
    ctx = sites.standby.context()
    with ctx.db.read() as session:
        row = session.get(UserRow, username)
        assert row is not None
        try:
            return authenticator.secret_of(ctx.sealer, row) is not None
        except SealBroken:
            return False
