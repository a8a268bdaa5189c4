"""Telling the sync server's answers from whatever else answers on a bad network.

A hotspot or hotel Wi-Fi that wants its own sign-in first answers every request itself: a
redirect to its page, or the page itself with 200.  The server always answers in JSON (errors
included), so anything else below 500 did not come from it; read as a refusal, it told a
dispatcher "the server refused a change: HTTP 302".
"""

from __future__ import annotations

import httpx

from mobile_app.sync.errors import NotTheServer

_JSON = "application/json"


def from_the_server(reply: httpx.Response) -> httpx.Response:
    """``reply`` if the server could have sent it; ``NotTheServer`` otherwise (5xx pass:
    a proxy in front of the server answers those in its own format)."""
    if reply.status_code >= 500:
        return reply
    kind = reply.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if reply.is_redirect or kind != _JSON:
        raise NotTheServer(f"HTTP {reply.status_code} ({kind or 'no content type'})")
    return reply
