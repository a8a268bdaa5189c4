"""A device whose storage has no room left, for the specs that need one.

SQLite answers ``SQLITE_FULL`` to a write that needs a page the database may not have, exactly
as on a full disk.  The cap is set on the store's one writer connection at the number of pages
the file holds now (a real full disk cannot be made without privileges the tests lack), and
lifted again when the block ends: space freed.  Unlike a real full disk, a small write that
fits in pages already allocated still succeeds: specs write enough to need a new page.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from mobile_app.store import LocalStore

_NO_CAP = 4_294_967_294  # SQLite's own largest page count


@contextmanager
def full_storage(store: LocalStore) -> Iterator[None]:
    _cap(store, None)
    try:
        yield
    finally:
        if not store.locked:
            _cap(store, _NO_CAP)


def _cap(store: LocalStore, pages: int | None) -> None:
    with store._engines.writer.connect() as connection:  # the pool's one writer connection
        driver = connection.connection.driver_connection
        assert driver is not None
        if pages is None:
            pages = int(driver.execute("PRAGMA page_count").fetchone()[0])
        driver.execute(f"PRAGMA max_page_count={pages}")
