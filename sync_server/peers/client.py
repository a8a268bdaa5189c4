"""HTTP to one peer: its directory and its log pages."""

from __future__ import annotations

from typing import TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from shared.protocol import ErrorBody
from sync_server.peers.auth import peer_headers
from sync_server.peers.messages import CHANGES, DIRECTORY, PeerDirectory, PeerPage

M = TypeVar("M", bound=BaseModel)
TIMEOUT_S = 15.0


class PeerUnreachable(Exception):
    """The peer did not answer (down, cut off, or failing): try again later."""


class PeerRefusal(Exception):
    """The peer answered no, with its reason: someone must act (credential, site, log)."""


class PeerClient:
    def __init__(
        self,
        url: str,
        *,
        secret: str,
        own_id: str,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url,
            headers=peer_headers(secret, own_id),
            timeout=TIMEOUT_S,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def directory(self) -> PeerDirectory:
        return self._get(DIRECTORY, {}, PeerDirectory)

    def changes(self, cursor: int, limit: int) -> PeerPage:
        return self._get(CHANGES, {"cursor": cursor, "limit": limit}, PeerPage)

    def _get(self, path: str, params: dict[str, int], model: type[M]) -> M:
        try:
            reply = self._http.get(path, params=params)
        except (httpx.TransportError, httpx.DecodingError) as cut:
            raise PeerUnreachable(f"{self.url}: {type(cut).__name__}: {cut}") from cut
        if reply.status_code >= 500:
            raise PeerUnreachable(f"{self.url}: HTTP {reply.status_code}")
        if reply.status_code != 200:
            try:
                reason = ErrorBody.model_validate_json(reply.content).detail
            except ValidationError:
                reason = f"HTTP {reply.status_code}"
            raise PeerRefusal(f"{self.url} refused {path}: {reason}")
        try:
            return model.model_validate_json(reply.content)
        except ValidationError as bad:
            raise PeerRefusal(f"{self.url} sent a malformed answer to {path}: {bad}") from None
