"""A new standby site is seeded from a backup of the primary (what the servers' own messages
advise when a peer is too far behind to catch up from the log): it starts with every call the
copy holds, numbers its own changes in its own range, and the two sites converge."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from shared.api import Role
from sync_server.peers.logrange import log_base
from sync_server.store import changelog
from sync_server.testing import sqlite_url
from tests.chaos.faulty_proxy import run_in_thread
from tests.continuity import views
from tests.continuity.conftest import Site
from tests.server.client import Device
from tests.sync.conftest import PASSWORD


def test_a_standby_seeded_from_a_backup_of_the_primary_converges_with_it(tmp_path: Path):
    with ExitStack() as stack:
        primary = Site("primary", 0, sqlite_url(tmp_path / "primary.db"), tmp_path / "p")
        stack.callback(primary.stop)
        primary.start()
        primary.server.add_user("alice", PASSWORD, Role.DISPATCHER)
        desk = Device(primary.server, "alice")
        before = desk.create_incident(address="1200 Mission St")
        desk.push()
        seed = tmp_path / "standby.db"
        assert primary.server.cli("backup", str(seed)).returncode == 0

        standby = Site("standby", 1, sqlite_url(seed), tmp_path / "s")
        to_primary = stack.enter_context(run_in_thread(primary.port))
        to_standby = stack.enter_context(run_in_thread(standby.port))
        sites_list = f"{primary.url},{standby.url}"
        primary.settings = {"site_urls": sites_list, "peers": f"http://127.0.0.1:{to_standby.port}"}
        standby.settings = {"site_urls": sites_list, "peers": f"http://127.0.0.1:{to_primary.port}"}
        for site in (primary, standby):
            site.settings |= {"peer_sync_seconds": 0.3, "peer_backoff_max_seconds": 1.0}
        primary.stop()
        primary.start()
        stack.callback(standby.stop)
        standby.start()

        after = desk.create_incident(address="Hwy 101 N at Cesar Chavez")
        desk.push()
        desk.close()
        backup_desk = Device(standby.server, "alice")  # a desk working at the backup site
        there = backup_desk.create_incident(address="9 Harbor Rd")
        backup_desk.push()
        backup_desk.close()
        views.wait_until(
            lambda: views.snapshot(standby) == views.snapshot(primary), "the sites to converge"
        )
        incidents = views.snapshot(primary)["incidents"]
        assert isinstance(incidents, dict) and {before, after, there} <= set(incidents)
        with standby.context().db.read() as session:
            assert changelog.head(session) > log_base(1), "its own changes in its own range"
