"""Per-peer positions, kept in this server's own database (``da_meta``).

- ``peer.cursor.<id>``: how far this server has read peer ``<id>``'s log; written in the same
  transaction as the page's effects, so a crash re-reads at most one page.
- ``peer.ack.<id>``: how far peer ``<id>`` has read this server's log; compaction keeps
  everything above the lowest one, so a peer that was down never finds a hole.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from sync_server.store.tables import MetaRow

CURSOR = "peer.cursor."
ACK = "peer.ack."


def _get(session: Session, key: str) -> int | None:
    row = session.get(MetaRow, key)
    return None if row is None else int(row.value)


def _forward(session: Session, key: str, value: int) -> None:
    row = session.get(MetaRow, key)
    if row is None:
        session.add(MetaRow(key=key, value=str(value)))
    elif int(row.value) < value:
        row.value = str(value)
        session.add(row)


def cursor(session: Session, peer_id: str) -> int:
    return _get(session, CURSOR + peer_id) or 0


def advance_cursor(session: Session, peer_id: str, value: int) -> None:
    """Only ever forward: a slower concurrent run cannot move it back."""
    _forward(session, CURSOR + peer_id, value)


def reset_cursor(session: Session, peer_id: str) -> None:
    """Read the peer's log again from the start (applying it again is a no-op)."""
    row = session.get(MetaRow, CURSOR + peer_id)
    if row is not None:
        row.value = "0"
        session.add(row)


def acknowledge(session: Session, peer_id: str, value: int) -> None:
    _forward(session, ACK + peer_id, value)


def oldest_ack(session: Session) -> int | None:
    """The lowest position any peer that ever read this log still resumes from."""
    rows = session.exec(select(MetaRow.value).where(col(MetaRow.key).startswith(ACK)))
    values = [int(v) for v in rows]
    return min(values) if values else None
