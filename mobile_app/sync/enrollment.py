"""Enrolling a device and keeping its sign-in: the first and only time a password is typed.

Enrollment asks the server for a device id and tokens, then creates the encrypted store under
the user's PIN; the refresh token and role live inside that store, encrypted like any record.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from mobile_app.store import KdfParams, LocalStore
from mobile_app.sync.errors import Offline, SyncFailed
from mobile_app.sync.replies import from_the_server
from shared import api
from shared.api import EnrollRequest, EnrollResponse, Role, TokenPair
from shared.protocol import ErrorBody
from shared.urls import checked_server_url

TOKENS_SECRET = "tokens"


class EnrollmentRefused(SyncFailed):
    retry = False


async def request_enrollment(
    server_url: str,
    username: str,
    password: str,
    device_name: str,
    *,
    otp: str | None = None,
    http: httpx.AsyncClient | None = None,
) -> EnrollResponse:
    server_url = checked_server_url(server_url)
    body = EnrollRequest(username=username, password=password, device_name=device_name, otp=otp)
    client = http or httpx.AsyncClient(timeout=15.0)
    try:
        reply = await client.post(
            server_url.rstrip("/") + api.ENROLL,
            content=body.model_dump_json(),
            headers={"Content-Type": "application/json"},
        )
    except httpx.TransportError as cut:
        raise Offline(str(cut)) from cut
    finally:
        if http is None:
            await client.aclose()
    from_the_server(reply)
    if reply.status_code != 200:
        try:
            words = ErrorBody.model_validate_json(reply.content).detail
        except ValueError:
            words = f"the server answered {reply.status_code}"
        raise EnrollmentRefused(f"Enrollment refused: {words}")
    return EnrollResponse.model_validate_json(reply.content)


def create_enrolled_store(
    path: Path,
    pin: str,
    enrolled: EnrollResponse,
    server_url: str,
    *,
    kdf: KdfParams | None = None,
) -> LocalStore:
    store = LocalStore.create(
        path, pin, enrolled.device_id, enrolled.tokens.user_id, server_url=server_url, kdf=kdf
    )
    save_tokens(store, enrolled.tokens)
    store.observe_server_time(enrolled.tokens.server_time_ms)
    return store


def save_tokens(store: LocalStore, tokens: TokenPair) -> None:
    store.set_secret(TOKENS_SECRET, tokens.model_dump_json())


def load_tokens(store: LocalStore) -> TokenPair | None:
    stored = store.secret(TOKENS_SECRET)
    return None if stored is None else TokenPair.model_validate_json(stored)


def role_of(store: LocalStore) -> Role | None:
    tokens = load_tokens(store)
    return None if tokens is None else tokens.role
