"""What one server sends another: its directory (users, devices, logons) and log pages."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared import api
from shared.protocol import Change

DIRECTORY = f"{api.PREFIX}/peer/directory"  # GET -> PeerDirectory
CHANGES = f"{api.PREFIX}/peer/changes"  # GET ?cursor=&limit= -> PeerPage


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PeerUser(_Msg):
    """An account as every site must know it; lockout counters stay local to each site."""

    username: str
    role: str
    role_changed_ms: int = 0
    display_name: str
    password_hash: str
    password_changed_ms: int = 0
    active: bool
    created_ms: int
    #: The authenticator secret (base32), opened for the trip: each site seals it under its
    #: own key.  None: the account signs in with its password alone.
    totp_secret: str | None = None
    totp_changed_ms: int = 0
    #: The newest code step used at that site, so a code used at one site is refused at
    #: the others too once they have heard (within a replication interval).
    totp_last_step: int = 0


class PeerDevice(_Msg):
    """An enrolled device; its applied seq and pull cursor are per server and not sent."""

    device_id: str
    user_id: str
    name: str
    created_ms: int
    revoked: bool
    revoked_ms: int | None


class PeerLogon(_Msg):
    """A user has logged on from a device: the only authors that device may push ops for."""

    device_id: str
    user_id: str
    first_ms: int


class PeerDirectory(_Msg):
    server_id: str
    site_number: int
    users: list[PeerUser]
    devices: list[PeerDevice]
    logons: list[PeerLogon]


class PeerPage(_Msg):
    """A page of the peer's change log, with the devices its ops come from."""

    changes: list[Change]
    cursor: int = Field(description="Checkpoint it with the page's effects")
    has_more: bool
    devices: list[PeerDevice]
