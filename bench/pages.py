"""The server's side of a pull, simulated: the global change log cut into encoded pages, and
the merged states cut into snapshot pages.

Pages are encoded before timing starts (that is the server's work); what a benchmark times is
the device's: decoding each page from the bytes that arrived and merging it.
"""

from __future__ import annotations

from collections.abc import Sequence

from mobile_app.store.codec import kind_of
from shared.api import SnapshotPage
from shared.merge.replica import EntityState
from shared.protocol import Change, Op, PullPage
from sync_server.service.snapshot import after_of, page_of

PAGE_SIZE = 500  # the client's default pull limit (SyncRequest.limit)


def encode_page(ops: Sequence[Op], first_seq: int, *, has_more: bool, server_time_ms: int) -> bytes:
    """One ``PullPage`` of ``ops`` numbered from ``first_seq``, as JSON bytes."""
    changes = [Change(seq=first_seq + i, op=op) for i, op in enumerate(ops)]
    cursor = first_seq + len(ops) - 1 if ops else first_seq - 1
    page = PullPage(
        changes=changes, cursor=cursor, has_more=has_more, server_time_ms=server_time_ms
    )
    return page.model_dump_json().encode()


def encode_pages(
    ops: Sequence[Op], *, first_seq: int = 1, size: int = PAGE_SIZE, server_time_ms: int
) -> list[bytes]:
    """Every page a device pulls to catch up on ``ops`` (server seqs from ``first_seq``)."""
    pages = []
    for start in range(0, len(ops), size):
        chunk = ops[start : start + size]
        more = start + size < len(ops)
        pages.append(
            encode_page(chunk, first_seq + start, has_more=more, server_time_ms=server_time_ms)
        )
    return pages


def decode_page(data: bytes) -> PullPage:
    return PullPage.model_validate_json(data)


SNAPSHOT_LIMIT = 500  # the client's snapshot page limit, the server's largest


def snapshot_pages(states: Sequence[EntityState], *, cursor: int) -> list[bytes]:
    """The server's snapshot of ``states`` as the pages a new device loads, cut as the server
    cuts them (at most ``SNAPSHOT_LIMIT`` states, and ``SNAPSHOT_PAGE_BYTES`` of them)."""
    candidates = [(kind_of(state).value, state.id, state) for state in states]
    pages, start = [], 0
    while start < len(candidates):
        entities = page_of(candidates[start : start + SNAPSHOT_LIMIT])
        start += len(entities)
        more = start < len(candidates)
        last = after_of(entities[-1]) if more else None
        page = SnapshotPage(cursor=cursor, entities=entities, next_after=last)
        pages.append(page.model_dump_json().encode())
    return pages
