"""A server must hold the key its database's data was sealed with, or refuse to start.

Several server processes share one PostgreSQL database, and a standby site may be pointed at a
copy of it.  One started with another key (a mistyped ``DA_SECRET_KEY``, the key file of
another install) would answer every pull with a 500 on data it cannot open, and seal new ops
that the other processes cannot open either: an outage, and data readable by no one.  So the
first server records a value sealed under its key, and every start opens it.  A database from
before this check has the check added once the key has opened its newest sealed record.
"""

from __future__ import annotations

import base64

from sqlalchemy import make_url
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from sync_server.settings import SettingsError
from sync_server.store import changelog, entities
from sync_server.store.crypto import SealBroken, Sealer
from sync_server.store.db import Database
from sync_server.store.tables import ChangeRow, EntityRow, MetaRow

KEY_CHECK = "key_check"
_TABLE = "da_meta"
_PLAIN = b"dispatch-anywhere/key-check/v1"

_WRONG_KEY = (
    "the server key does not open the data already in {url}: every server sharing a database "
    "needs the same DA_SECRET_KEY or key file ({why})"
)


def check_key(db: Database, sealer: Sealer) -> None:
    """Refuse (``SettingsError``) a key that does not open this database's data."""
    where = make_url(db.url).render_as_string(hide_password=True)
    for _ in range(2):  # a second try reads the check a server starting alongside just wrote
        with db.read() as session:
            row = session.get(MetaRow, KEY_CHECK)
            if row is None:
                _open_newest(session, sealer, where)
        if row is not None:
            _open_check(sealer, row.value, where)
            return
        try:
            with db.write() as session:
                sealed = sealer.seal(_TABLE, KEY_CHECK, _PLAIN)
                session.add(MetaRow(key=KEY_CHECK, value=base64.b64encode(sealed).decode()))
            return
        except IntegrityError:
            continue
    raise SettingsError(f"could not record the key check in {where}")  # pragma: no cover


def _open_check(sealer: Sealer, stored: str, url: str) -> None:
    try:
        opened = sealer.open(_TABLE, KEY_CHECK, base64.b64decode(stored))
    except (SealBroken, ValueError):
        raise SettingsError(_WRONG_KEY.format(url=url, why="the key check fails")) from None
    if opened != _PLAIN:
        raise SettingsError(_WRONG_KEY.format(url=url, why="the key check holds another value"))


def _open_newest(session: Session, sealer: Sealer, url: str) -> None:
    """A database sealed before the check existed: its newest op (or, compacted away, one
    merged state) must open under this key."""
    change = session.exec(select(ChangeRow).order_by(col(ChangeRow.seq).desc()).limit(1)).first()
    try:
        if change is not None:
            op_id = f"{change.device_id}:{change.device_seq}"
            sealer.open(changelog.TABLE, op_id, change.payload)
            return
        entity = session.exec(select(EntityRow).limit(1)).first()
        if entity is not None:
            entities.decode(sealer, entity)
    except SealBroken:
        raise SettingsError(_WRONG_KEY.format(url=url, why="its newest record fails")) from None
