"""Request dependencies: the server context, and the caller checked against a role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from shared.api import Role
from shared.domain import AuditOutcome
from shared.protocol import ErrorCode
from sync_server.auth.principal import Principal, authenticate
from sync_server.context import Context
from sync_server.errors import Refused
from sync_server.store import audit

#: Declares bearer auth in the OpenAPI schema; the header itself is read in ``caller``.
bearer = HTTPBearer(auto_error=False, description="Access token from login/enroll/refresh")

SYNC_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR})


def context(request: Request) -> Context:
    ctx = request.app.state.ctx
    assert isinstance(ctx, Context)
    return ctx


Ctx = Annotated[Context, Depends(context)]


def requires(*roles: Role) -> Callable[..., Principal]:
    """A dependency admitting only callers with one of ``roles``; refusals are audited."""
    allowed = frozenset(roles)

    def caller(
        request: Request,
        ctx: Ctx,
        _scheme: Annotated[object, Depends(bearer)],
    ) -> Principal:
        principal = authenticate(ctx, request.headers.get("authorization"))
        if principal.role not in allowed:
            audit.record_now(
                ctx.db,
                component="api",
                event_type="access.denied",
                outcome=AuditOutcome.FAILURE,
                now_ms=ctx.now_ms(),
                user_id=principal.user_id,
                device_id=principal.device_id,
                detail=f"{principal.role.value} tried {request.method} {request.url.path}",
            )
            names = " or ".join(sorted(r.value for r in allowed))
            raise Refused(
                ErrorCode.FORBIDDEN, f"only a {names} may do this; you are a {principal.role.value}"
            )
        return principal

    return caller


SignedIn = Annotated[Principal, Depends(requires(*Role))]
SyncCaller = Annotated[Principal, Depends(requires(*SYNC_ROLES))]
Supervisor = Annotated[Principal, Depends(requires(Role.SUPERVISOR))]
Admin = Annotated[Principal, Depends(requires(Role.ADMIN))]
