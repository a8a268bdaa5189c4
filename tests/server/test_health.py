"""The health check the TLS proxy and the load balancer poll, on SQLite and on PostgreSQL:
200 while the process can read its database, 503 with the reason when it cannot, and 200
again once the database is back, with no restart."""

from __future__ import annotations

from sqlalchemy import text

from shared import api
from sync_server.store.db import Database
from tests.server.conftest import StartServer


def _rename_change_log(url: str, old: str, new: str) -> None:
    """What the health check sees when the database loses a table (a bad restore, an
    operator's mistake): every read of the change log fails."""
    db = Database(url)
    try:
        with db.engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))
    finally:
        db.dispose()


def test_the_health_check_follows_the_database(start: StartServer, fresh_database_url: str):
    live = start(server_id="site-a-1")
    with live.client() as http:
        healthy = http.get(api.HEALTH)
        assert healthy.status_code == 200
        assert api.Health.model_validate_json(healthy.content) == api.Health(
            status="ok", server_id="site-a-1", latest_change=0
        )

        _rename_change_log(fresh_database_url, "da_change", "da_change_away")
        down = http.get(api.HEALTH)
        assert down.status_code == 503
        body = api.Health.model_validate_json(down.content)
        assert body.status == "unavailable" and body.server_id == "site-a-1"
        assert body.detail is not None and body.detail.startswith("the database cannot be read")

        _rename_change_log(fresh_database_url, "da_change_away", "da_change")
        assert http.get(api.HEALTH).status_code == 200
    assert "health check: the database cannot be read" in live.log()
