"""The server's side of a pull, simulated: the global change log cut into encoded pages.

Pages are encoded before timing starts (that is the server's work); what a benchmark times is
the device's: decoding each page from the bytes that arrived and merging it.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.protocol import Change, Op, PullPage

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
