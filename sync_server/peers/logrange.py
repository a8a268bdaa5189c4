"""Each site's change log numbers its changes in its own range.

A device keeps one pull cursor, a position in the log of the server it last pulled from.  If
two sites numbered from 1, a cursor from the standby would be read by the primary as a place in
*its* log and the device would silently skip changes.  With site ``n`` numbering above
``n << 56``, a foreign cursor is either below this log (the device pulls all of it: applying
known changes again is a no-op) or beyond its head (``resync_required``: the device loads a
snapshot).  Both are exact.  Sequences only ever move forward, so a site number can be given to
a server that already has changes: new ones simply continue above the base.
"""

from __future__ import annotations

from sqlalchemy import text

from sync_server.context import Context
from sync_server.store import changelog

SITE_SHIFT = 56


def log_base(site_number: int) -> int:
    return site_number << SITE_SHIFT


def ensure_log_base(ctx: Context) -> None:
    """Make the next change seq exceed this site's base (a no-op for site 0 and after)."""
    base = log_base(ctx.settings.site_number)
    if base == 0:
        return
    db = ctx.db
    # The append lock: no change can be numbered while the sequence moves.
    with db.write(append=True) as session:
        if changelog.head(session) >= base:
            return
        if db.is_sqlite:  # AUTOINCREMENT continues above max(rowid, sqlite_sequence.seq)
            table = {"table": changelog.TABLE, "base": base}
            session.execute(text("DELETE FROM sqlite_sequence WHERE name = :table"), table)
            session.execute(
                text("INSERT INTO sqlite_sequence (name, seq) VALUES (:table, :base)"), table
            )
        else:
            session.execute(
                text("SELECT setval(pg_get_serial_sequence(:table, 'seq'), :base)"),
                {"table": changelog.TABLE, "base": base},
            )
