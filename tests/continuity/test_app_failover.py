"""The app on a tablet enrolled at the primary site carries on at the standby when the primary's
center is lost, and goes back when only the primary is left: the sites' addresses come with
every sign-in, nobody types one during an evacuation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from mobile_app.device import DeviceAccess, DeviceSettings
from mobile_app.store import KdfParams, LocalStore
from mobile_app.ui.ports import Workspace
from mobile_app.ui.viewmodels.access import Enrollment
from shared.protocol import IncidentFields
from tests.continuity import views
from tests.continuity.conftest import Sites, add_staff
from tests.sync.conftest import PASSWORD, PIN, run


async def _until(
    workspace: Workspace, condition: Callable[[], bool], what: str, timeout_s: float = 30.0
) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"no {what}: {workspace.sync.status}"
        await asyncio.sleep(0.05)


def _server(workspace: Workspace) -> str:
    scheduler = workspace.sync.scheduler  # type: ignore[attr-defined]
    return str(scheduler.client.server)


def test_the_tablet_follows_the_agency_to_the_standby_site_and_back(
    sites: Sites, tmp_path: Path
) -> None:
    primary, standby = sites.primary, sites.standby
    add_staff(sites)
    access = DeviceAccess(
        DeviceSettings(
            data_dir=tmp_path / "tablet",
            kdf=KdfParams.fast(),
            live=False,
            periodic_s=0.5,
            retry_base_s=0.1,
            retry_cap_s=0.5,
            timeout_s=3.0,
        )
    )

    async def shift() -> set[views.OpId]:
        workspace = await access.enroll(
            Enrollment(primary.url, "alice", PASSWORD, "Alice's tablet", PIN)
        )
        store = workspace.store
        assert isinstance(store, LocalStore)  # the real encrypted store behind the app
        try:
            fire = store.create_incident(IncidentFields(incident_type="FSTRU", address="1 A St"), 1)
            await _until(workspace, lambda: store.pending_count() == 0, "call at the primary")
            assert _server(workspace) == primary.url
            views.wait_until(
                lambda: set(views.logged(primary)) <= set(views.logged(standby)),
                "the standby to follow the primary",
            )

            primary.kill()  # the center is evacuated
            store.add_note(fire.entity_id, "command moved to the standby site")
            await _until(workspace, lambda: store.pending_count() == 0, "note at the standby")
            assert _server(workspace) == standby.url

            standby.kill()  # then the standby is lost and the primary is back
            primary.start()
            store.add_note(fire.entity_id, "back at the primary")
            await _until(workspace, lambda: store.pending_count() == 0, "note at the primary")
            assert _server(workspace) == primary.url
            notes = {n.text for n in store.incident(fire.entity_id).notes}
            assert {"command moved to the standby site", "back at the primary"} <= notes
            return {(store.device_id, seq) for seq in range(1, store.acked_seq + 1)}
        finally:
            await workspace.stop()
            store.lock()

    written = run(shift())
    # The primary never saw the standby's copy of the note: the tablet re-sent it from its log.
    assert len(written) == 3  # the call and two notes
    assert written <= set(views.logged(primary))
