"""A hotel or hotspot Wi-Fi that wants its own sign-in first: a real HTTP server on loopback
that answers every request itself, with a redirect to its page or with the page."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Literal

Style = Literal["redirect", "page"]
PAGE = b"<html><body><h1>Welcome to Harbor Hotel Wi-Fi</h1>Accept the terms</body></html>"


class CaptivePortal:
    def __init__(self, style: Style) -> None:
        style_ = style

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                if style_ == "redirect":
                    self.send_response(302)
                    self.send_header("Location", "http://portal.harbor-hotel.example/login")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(PAGE)))
                self.end_headers()
                self.wfile.write(PAGE)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:  # quiet in test output
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> CaptivePortal:
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
