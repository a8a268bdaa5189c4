"""The FastAPI application factory.

``create_app(settings)`` builds one server: routers, error bodies, gzip, the request guard,
and a lifespan that binds the live notifier, starts the PostgreSQL listener (several server
processes on one database) and the periodic jobs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from shared.protocol import PROTOCOL_VERSION
from sync_server.api import admin, auth, conflicts, errors, events, sync
from sync_server.context import Context
from sync_server.jobs.scheduler import start_jobs
from sync_server.notify import PostgresListener
from sync_server.peers import api as peers
from sync_server.peers.logrange import ensure_log_base
from sync_server.settings import Settings
from sync_server.store import changelog

GZIP_MIN_BYTES = 500


def _head(ctx: Context) -> int:
    with ctx.db.read() as session:
        return changelog.head(session)


def create_app(settings: Settings | None = None, *, ctx: Context | None = None) -> FastAPI:
    """A server for ``settings`` (default: from the ``DA_*`` environment)."""
    ctx = ctx or Context.open(settings or Settings.from_env())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        ctx.prepare()
        ensure_log_base(ctx)
        ctx.notifier.bind(asyncio.get_running_loop(), _head(ctx))
        listener = None
        if not ctx.db.is_sqlite:
            listener = PostgresListener(
                ctx.db.libpq_conninfo(),
                ctx.db.channel,
                ctx.notifier.publish,
                lambda: _head(ctx),
            )
            listener.start()
        scheduler = start_jobs(ctx) if ctx.settings.jobs_enabled else None
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            if listener is not None:
                listener.stop()
            ctx.close()

    app = FastAPI(
        title="Dispatch Anywhere sync server",
        version=f"protocol-{PROTOCOL_VERSION}",
        description=(
            "Offline-first CAD sync: idempotent push, resumable pull, live events. "
            "Every 4xx answer is an ErrorBody with a stable `error` code and a `detail`."
        ),
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    errors.install(app)
    routers = (
        sync.router,
        events.router,
        auth.router,
        conflicts.router,
        admin.router,
        peers.router,
    )
    for router in routers:
        app.include_router(router)
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES)
    app.add_middleware(errors.RequestGuard, max_bytes=ctx.settings.max_body_bytes)
    return app
