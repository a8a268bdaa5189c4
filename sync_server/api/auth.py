"""Enrolment, logon and token refresh (no bearer token needed), and changing one's own
password (signed in, any role)."""

from __future__ import annotations

from fastapi import APIRouter

from shared import api
from sync_server.api.deps import Ctx, SignedIn
from sync_server.api.errors import responses
from sync_server.auth import sessions

router = APIRouter(tags=["auth"])


@router.post(api.ENROLL, response_model=api.EnrollResponse, responses=responses(401, 422))
def enroll(request: api.EnrollRequest, ctx: Ctx) -> api.EnrollResponse:
    """Enroll a new device for the signed-in user; returns its id and a first token pair."""
    return sessions.enroll(ctx, request)


@router.post(api.LOGIN, response_model=api.TokenPair, responses=responses(401, 410, 422))
def login(request: api.LoginRequest, ctx: Ctx) -> api.TokenPair:
    """Log on from an enrolled device; five failures in a row lock the account."""
    return sessions.login(ctx, request)


@router.post(api.REFRESH, response_model=api.TokenPair, responses=responses(401, 410, 422))
def refresh(request: api.RefreshRequest, ctx: Ctx) -> api.TokenPair:
    """Trade a refresh token for a new pair; the old refresh token stops working."""
    return sessions.refresh(ctx, request)


@router.post(api.PASSWORD, response_model=api.TokenPair, responses=responses(401, 410, 422))
def change_password(request: api.PasswordChange, ctx: Ctx, principal: SignedIn) -> api.TokenPair:
    """Change one's own password; every other session of the account ends, and this device
    gets a fresh pair."""
    return sessions.change_password(ctx, principal, request)
