"""Only another site's server may read the peer endpoints (they hand out every incident and
every password hash); every refusal is audited; a misconfigured site refuses to start."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from shared.api import Role
from sync_server.peers.auth import peer_headers
from sync_server.peers.messages import CHANGES, DIRECTORY
from sync_server.settings import Settings, SettingsError
from sync_server.store.tables import AuditRow
from sync_server.testing import LiveServer, bearer, sqlite_url, start_server
from tests.continuity.conftest import PEER_SECRET
from tests.sync.conftest import PASSWORD


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("site")
    with start_server(
        sqlite_url(workdir / "site.db"),
        workdir=workdir,
        server_id="primary",
        peer_secret=PEER_SECRET,
    ) as live:
        live.add_user("ivan", PASSWORD, Role.ADMIN)
        live.add_user("sam", PASSWORD, Role.SUPERVISOR)
        yield live


def _denials(site: LiveServer) -> list[str]:
    with site.context().db.read() as session:
        rows = session.exec(select(AuditRow).where(AuditRow.event_type == "peer.denied")).all()
    return [row.detail for row in rows]


def test_the_standby_with_the_shared_secret_reads_the_directory_and_the_log(site: LiveServer):
    with site.client(headers=peer_headers(PEER_SECRET, "standby")) as http:
        directory = http.get(DIRECTORY)
        page = http.get(CHANGES, params={"cursor": 0, "limit": 10})
    assert directory.status_code == 200, directory.text
    assert directory.json()["server_id"] == "primary"
    assert {u["username"] for u in directory.json()["users"]} >= {"ivan", "sam"}
    assert page.status_code == 200, page.text


@pytest.mark.parametrize(
    ("headers", "status", "words"),
    [
        ({}, 401, "missing or wrong peer credential"),
        (peer_headers("x" * 40, "standby"), 401, "missing or wrong peer credential"),
        (peer_headers(PEER_SECRET, ""), 422, "must name the calling server"),
        (peer_headers(PEER_SECRET, "primary"), 422, "cannot be its own peer"),
    ],
    ids=["no-credential", "wrong-secret", "no-peer-id", "itself"],
)
def test_a_caller_without_the_right_credential_is_refused_and_audited(
    site: LiveServer, headers: dict[str, str], status: int, words: str
):
    before = len(_denials(site))
    with site.client(headers=headers) as http:
        for path in (DIRECTORY, CHANGES):
            reply = http.get(path)
            assert reply.status_code == status, reply.text
            assert words in reply.text
            assert "password_hash" not in reply.text
    assert len(_denials(site)) == before + 2


@pytest.mark.parametrize("user", ["ivan", "sam"])
def test_no_user_token_opens_the_peer_endpoints_whatever_the_role(site: LiveServer, user: str):
    tokens = site.enroll(user, PASSWORD, f"{user}'s tablet").tokens
    with site.client(headers=bearer(tokens.access_token)) as http:
        reply = http.get(DIRECTORY)
    assert reply.status_code == 403, reply.text
    assert "a user's token cannot be used" in reply.text
    assert "password_hash" not in reply.text


def test_a_server_without_a_peer_secret_serves_no_peer(tmp_path: Path):
    with (
        start_server(sqlite_url(tmp_path / "lone.db"), workdir=tmp_path) as lone,
        lone.client(headers=peer_headers(PEER_SECRET, "standby")) as http,
    ):
        reply = http.get(DIRECTORY)
    assert reply.status_code == 403
    assert "not configured" in reply.text


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"DA_PEERS": "http://127.0.0.1:9"}, "needs DA_PEER_SECRET"),
        ({"DA_PEER_SECRET": "short"}, "at least 32 characters"),
        (
            {"DA_PEERS": "http://standby.example.org", "DA_PEER_SECRET": PEER_SECRET},
            "in clear",
        ),
        ({"DA_PEERS": "ftp://standby", "DA_PEER_SECRET": PEER_SECRET}, "not a server address"),
        ({"DA_SITE_NUMBER": "16"}, "DA_SITE_NUMBER"),
    ],
    ids=["peers-without-secret", "short-secret", "clear-text-link", "not-http", "site-number"],
)
def test_a_misconfigured_site_is_refused_at_start_with_the_reason(
    env: dict[str, str], words: str, tmp_path: Path
):
    base = {"DA_DATABASE_URL": sqlite_url(tmp_path / "x.db"), "DA_KEY_FILE": str(tmp_path / "k")}
    with pytest.raises(SettingsError, match=words.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env({**base, **env})
