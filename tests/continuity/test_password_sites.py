"""A password IT resets at one center holds at the other: the old one stops working there
too, and the account's sessions at that site end as soon as it hears (so a tablet working
through the standby asks for the new password instead of carrying on)."""

from __future__ import annotations

import pytest

from shared.api import PULL, REFRESH
from sync_server.testing import bearer
from tests.continuity import views
from tests.continuity.conftest import Sites, add_staff
from tests.sync.conftest import PASSWORD

NEW = "a brand new passphrase"


def test_a_password_reset_at_the_primary_holds_at_the_standby(sites: Sites):
    add_staff(sites)
    standby = sites.standby.server
    at_standby = standby.enroll("bob", PASSWORD, "bob's tablet at the backup site")
    done = sites.primary.server.cli("reset-password", "bob", "--password-stdin", stdin=NEW + "\n")
    assert done.returncode == 0, done.stderr
    views.wait_until(lambda: bool(views.audit(sites.standby, "user.password")), "the reset")

    with pytest.raises(RuntimeError, match="wrong username or password"):
        standby.enroll("bob", PASSWORD, "with the old password")
    assert standby.enroll("bob", NEW, "with the new one")
    tokens = at_standby.tokens
    with standby.client(headers=bearer(tokens.access_token)) as http:
        assert http.get(PULL).status_code == 401, "the session opened before the reset ended"
        refresh = http.post(REFRESH, json={"refresh_token": tokens.refresh_token})
        assert refresh.status_code == 401
    [audited] = views.audit(sites.standby, "user.password")
    assert audited.detail == "new password for 'bob', replicated from peer primary"
