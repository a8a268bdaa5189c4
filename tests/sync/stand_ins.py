"""Things that answer on the network instead of a working sync server: real HTTP servers on
loopback that give every request the same answer.

- a hotel or hotspot Wi-Fi that wants its own sign-in first (a redirect to its page, or the
  page itself with 200);
- the TLS proxy in front of a site whose server is down (nginx's 502 page).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Literal

PORTAL_PAGE = b"<html><body><h1>Welcome to Harbor Hotel Wi-Fi</h1>Accept the terms</body></html>"
BAD_GATEWAY_PAGE = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


class StandIn:
    """Answers every GET and POST with ``status``, ``headers`` and ``body``."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        answer = (status, {**headers, "Content-Length": str(len(body))}, body)

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                code, fields, content = answer
                self.send_response(code)
                for name, value in fields.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:  # quiet in test output
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> StandIn:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


def captive_portal(style: Literal["redirect", "page"]) -> StandIn:
    if style == "redirect":
        return StandIn(302, {"Location": "http://portal.harbor-hotel.example/login"})
    return StandIn(200, {"Content-Type": "text/html; charset=utf-8"}, PORTAL_PAGE)


def dead_gateway() -> StandIn:
    """The proxy in front of a site whose sync server is down (or cut off from it)."""
    return StandIn(502, {"Content-Type": "text/html"}, BAD_GATEWAY_PAGE)
