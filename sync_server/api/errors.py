"""Every refusal as an ErrorBody: our own, FastAPI's validation errors, Starlette's 404/405,
and request bodies over the size limit (refused before anything is parsed or stored)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.protocol import MAX_BATCH, ErrorBody, ErrorCode
from sync_server.errors import Refused

MAX_REASONS = 5


def error_response(refused: Refused) -> JSONResponse:
    return JSONResponse(
        status_code=refused.status,
        content=refused.body().model_dump(mode="json", exclude_none=True),
    )


def _where(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "request"


def _reason(error: dict[str, Any]) -> str:
    if error.get("type") == "json_invalid":
        cause = (error.get("ctx") or {}).get("error", "")
        return f"malformed JSON: {cause}".rstrip(": ")
    return f"{_where(tuple(error.get('loc', ())))}: {error.get('msg', 'invalid')}"


def validation_refusal(errors: list[dict[str, Any]]) -> Refused:
    for error in errors:
        if error.get("type") == "too_long" and tuple(error.get("loc", ()))[-1:] == ("ops",):
            return Refused(
                ErrorCode.BATCH_TOO_LARGE,
                f"a batch may hold at most {MAX_BATCH} ops; split it and send the rest after",
            )
    reasons = [_reason(e) for e in errors[:MAX_REASONS]]
    if len(errors) > MAX_REASONS:
        reasons.append(f"... and {len(errors) - MAX_REASONS} more")
    return Refused(ErrorCode.INVALID, "; ".join(reasons) or "invalid request")


def install(app: FastAPI) -> None:
    async def on_refused(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Refused)
        return error_response(exc)

    async def on_invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(validation_refusal(list(exc.errors())))

    async def on_http(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            refused = Refused(ErrorCode.NOT_FOUND, "no such path")
        elif exc.status_code == 401:
            refused = Refused(ErrorCode.UNAUTHORIZED, str(exc.detail))
        elif exc.status_code == 400:  # e.g. a body that is not UTF-8: malformed, like bad JSON
            refused = Refused(ErrorCode.INVALID, f"malformed request: {exc.detail}")
        else:
            refused = Refused(ErrorCode.INVALID, str(exc.detail), status=exc.status_code)
        response = error_response(refused)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    app.add_exception_handler(Refused, on_refused)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(HTTPException, on_http)


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI declarations: these routes answer refusals with an ErrorBody."""
    words = {
        401: "Not signed in, or the token is bad or expired",
        403: "The role or device may not do this",
        404: "No such thing",
        409: "Disagrees with the server's state: seq gap, clock ahead, name taken",
        410: "Device revoked (wipe) or resync required",
        413: "Batch too large",
        422: "Invalid content, with the reason",
    }
    return {code: {"model": ErrorBody, "description": words[code]} for code in codes}


def _has_control(text: str) -> bool:
    return any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text)


class RequestGuard:
    """Refuse, before the app sees them: control characters in the path or query (a NUL
    cannot be stored or compared in PostgreSQL text), and bodies over ``max_bytes`` (413)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            _has_control(scope["path"])
            or _has_control(unquote_plus(scope["query_string"].decode("latin-1")))
        ):
            refused = Refused(ErrorCode.INVALID, "control characters in the URL")
            await error_response(refused)(scope, receive, send)
            return
        if scope["type"] != "http" or scope["method"] not in {"POST", "PUT", "PATCH"}:
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # client went away
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        refused = Refused(
            ErrorCode.BATCH_TOO_LARGE,
            f"request body over {self.max_bytes} bytes; send fewer ops per batch",
        )
        await error_response(refused)(scope, receive, send)
