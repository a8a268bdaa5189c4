"""Pages gathered while catching up: merged together, in order, and never held past the end."""

from __future__ import annotations

import itertools

from mobile_app.sync.batching import PullBatch
from shared.commands import Commands
from shared.hlc import HybridClock
from shared.protocol import Change, PullPage


def _page(first: int, n: int, *, more: bool) -> PullPage:
    seqs = itertools.count(first)
    commands = Commands("dev-w", "walt", HybridClock(lambda: 1_800_000_000_000), seqs.__next__)
    ops = [commands.upsert_unit(None, unit_id=f"U{first + i}", name="E") for i in range(n)]
    changes = [Change(seq=first + i, op=op) for i, op in enumerate(ops)]
    return PullPage(
        changes=changes, cursor=first + n - 1, has_more=more, server_time_ms=1_000 + first
    )


def test_pages_with_more_behind_them_are_held_and_pulling_continues_from_the_last():
    batch = PullBatch(limit=100)
    assert batch.cursor is None  # nothing held: pull from the store's cursor

    assert batch.add(_page(1, 10, more=True)) is False
    assert batch.add(_page(11, 10, more=True)) is False

    assert batch.cursor == 20


def test_the_batch_is_merged_when_caught_up_or_full_as_one_page_in_server_order():
    caught_up = PullBatch(limit=100)
    caught_up.add(_page(1, 10, more=True))
    assert caught_up.add(_page(11, 5, more=False)) is True
    full = PullBatch(limit=15)
    full.add(_page(1, 10, more=True))
    assert full.add(_page(11, 10, more=True)) is True

    page = caught_up.take()

    assert page is not None
    assert [c.seq for c in page.changes] == list(range(1, 16))
    assert (page.cursor, page.has_more, page.server_time_ms) == (15, False, 1_011)
    assert caught_up.take() is None and caught_up.cursor is None  # emptied
