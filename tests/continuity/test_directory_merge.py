"""Accounts and devices as two sites merge them: the same result whichever site applies the
merge, a withdrawal made at either site (a disabled account, a revoked tablet) is never
undone by the other, and the latest role and authenticator app hold at both."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sync_server.peers.directory import account_changes, merged_device, merged_user
from sync_server.peers.messages import PeerDevice, PeerUser

_users = st.builds(
    PeerUser,
    username=st.just("alice"),
    role=st.sampled_from(["dispatcher", "supervisor", "admin"]),
    role_changed_ms=st.integers(0, 3),
    display_name=st.sampled_from(["", "Alice", "A. Smith"]),
    password_hash=st.sampled_from(["$argon2id$a", "$argon2id$b"]),
    password_changed_ms=st.integers(0, 3),
    active=st.booleans(),
    created_ms=st.integers(0, 3),
    totp_secret=st.sampled_from([None, "JBSWY3DPEHPK3PXP", "KRSXG5CTMVRXEZLU"]),
    totp_changed_ms=st.integers(0, 3),
    totp_last_step=st.integers(0, 3),
)
_devices = st.builds(
    PeerDevice,
    device_id=st.just("dev-1"),
    user_id=st.just("alice"),
    name=st.sampled_from(["Tablet 3", "registered at sign-in"]),
    created_ms=st.integers(1, 3),
    revoked=st.booleans(),
    revoked_ms=st.one_of(st.none(), st.integers(10, 20)),
)


@given(_users, _users)
def test_both_sites_keep_the_same_account(here: PeerUser, there: PeerUser):
    assert merged_user(here, there) == merged_user(there, here)


@given(_users, _users, _users)
def test_the_order_in_which_sites_hear_of_each_other_does_not_matter(
    a: PeerUser, b: PeerUser, c: PeerUser
):
    assert merged_user(merged_user(a, b), c) == merged_user(a, merged_user(b, c))


@given(_devices, _devices, _devices)
def test_the_order_in_which_sites_hear_of_a_tablet_does_not_matter(
    a: PeerDevice, b: PeerDevice, c: PeerDevice
):
    assert merged_device(merged_device(a, b), c) == merged_device(a, merged_device(b, c))


@given(_users, _users)
def test_an_account_disabled_at_either_site_stays_disabled(here: PeerUser, there: PeerUser):
    merged = merged_user(here, there)
    assert merged.active == (here.active and there.active)
    assert merged_user(merged, there) == merged  # hearing it again changes nothing


@given(_users, _users)
def test_the_role_an_administrator_set_last_is_the_role_at_both_sites(
    here: PeerUser, there: PeerUser
):
    merged = merged_user(here, there)
    later = max(here.role_changed_ms, there.role_changed_ms)
    assert merged.role_changed_ms == later
    assert merged.role in {u.role for u in (here, there) if u.role_changed_ms == later}


@given(_users, _users)
def test_the_password_an_administrator_reset_last_is_the_password_at_both_sites(
    here: PeerUser, there: PeerUser
):
    merged = merged_user(here, there)
    later = max(here.password_changed_ms, there.password_changed_ms)
    assert merged.password_changed_ms == later
    reset = {u.password_hash for u in (here, there) if u.password_changed_ms == later}
    assert merged.password_hash in reset


@given(_users, _users)
def test_the_authenticator_app_set_up_last_is_asked_for_at_both_sites(
    here: PeerUser, there: PeerUser
):
    """A phone replaced at one site must not leave the lost phone's codes working at the other."""
    merged = merged_user(here, there)
    later = max(here.totp_changed_ms, there.totp_changed_ms)
    assert merged.totp_changed_ms == later
    assert merged.totp_secret in {
        u.totp_secret for u in (here, there) if u.totp_changed_ms == later
    }
    assert merged_user(merged, here) == merged_user(merged, there) == merged
    app = (merged.totp_changed_ms, merged.totp_secret)
    same_app = [
        u.totp_last_step for u in (here, there) if (u.totp_changed_ms, u.totp_secret) == app
    ]
    assert merged.totp_last_step == max(same_app), "a code used at either site is used at both"


@given(_devices, _devices)
def test_a_tablet_revoked_at_either_site_stays_revoked_since_the_first_revocation(
    here: PeerDevice, there: PeerDevice
):
    merged = merged_device(here, there)
    assert merged == merged_device(there, here)
    assert merged.revoked == (here.revoked or there.revoked)
    times = [t for t in (here.revoked_ms, there.revoked_ms) if t is not None]
    assert merged.revoked_ms == (min(times) if times else None)
    assert merged.created_ms == min(here.created_ms, there.created_ms), "its first enrolment"


def test_an_account_or_tablet_only_one_site_knows_is_taken_as_it_is():
    user = PeerUser(
        username="bob",
        role="dispatcher",
        display_name="",
        password_hash="$argon2id$x",
        active=True,
        created_ms=5,
    )
    device = PeerDevice(
        device_id="dev-2",
        user_id="bob",
        name="Tablet 4",
        created_ms=5,
        revoked=False,
        revoked_ms=None,
    )
    assert merged_user(None, user) == user
    assert merged_device(None, device) == device


def test_what_a_merge_brings_is_named_for_the_audit_log():
    before = PeerUser(
        username="dana",
        role="dispatcher",
        display_name="",
        password_hash="$argon2id$x",
        active=True,
        created_ms=5,
    )
    after = before.model_copy(
        update={
            "role": "supervisor",
            "active": False,
            "password_changed_ms": 9,
            "totp_secret": "JBSWY3DPEHPK3PXP",
        }
    )
    assert account_changes(None, before) == [("user.create", "created 'dana' as dispatcher")]
    assert account_changes(before, after) == [
        ("user.role", "'dana': dispatcher -> supervisor"),
        ("user.disable", "disabled 'dana'"),
        ("user.password", "new password for 'dana'"),
        ("user.mfa", "new authenticator app for 'dana'"),
    ]
    used_a_code = before.model_copy(update={"totp_last_step": 9})
    assert account_changes(before, used_a_code) == [], "a sign-in is not a privileged act"
