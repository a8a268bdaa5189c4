"""Live updates: server-sent events announcing that the change log advanced.

``event: changes`` with ``data: {"seq": <latest>}`` on connect and whenever the log advances
(pushes to this process, or to any process on the same PostgreSQL database), and a comment
line every ``heartbeat_seconds`` so proxies keep the stream open.  The stream ends when the
access token expires or the device is revoked; the client reconnects with a fresh token.
The event only says "pull now": data always travels through the authenticated pull.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from shared import api
from sync_server.api.deps import Ctx, SyncCaller
from sync_server.api.errors import responses
from sync_server.auth.principal import Principal
from sync_server.context import Context
from sync_server.store import changelog, devices

router = APIRouter(tags=["sync"])


def _event(seq: int) -> str:
    return f"event: changes\ndata: {json.dumps({'seq': seq})}\n\n"


def _head(ctx: Context) -> int:
    with ctx.db.read() as session:
        return changelog.head(session)


def _still_allowed(ctx: Context, principal: Principal) -> bool:
    with ctx.db.read() as session:
        device = devices.get(session, principal.device_id)
        return device is not None and not device.revoked


async def _stream(ctx: Context, principal: Principal) -> AsyncIterator[str]:
    with ctx.notifier.subscribe() as queue:
        latest = await run_in_threadpool(_head, ctx)
        yield "retry: 3000\n" + _event(latest)
        while ctx.now_ms() < principal.token_expires_ms:
            try:
                seq = await asyncio.wait_for(queue.get(), ctx.settings.heartbeat_seconds)
            except TimeoutError:
                if not await run_in_threadpool(_still_allowed, ctx, principal):
                    return
                yield ": keep-alive\n\n"
                continue
            if seq > latest:
                latest = seq
                yield _event(seq)


@router.get(
    api.EVENTS,
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **responses(401, 403, 410)},
)
def events(ctx: Ctx, caller: SyncCaller) -> StreamingResponse:
    """Server-sent events: ``changes`` whenever there is something new to pull."""
    return StreamingResponse(
        _stream(ctx, caller),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
