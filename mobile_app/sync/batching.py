"""Pulled pages gathered into one merge while a device catches up.

A page holds at most ``MAX_PULL_LIMIT`` changes, and the changes of a busy hour are spread over
every open incident and unit: merged page by page, each entity is loaded, merged, sealed and
written again for nearly every page.  Gathered into one batch of up to ``MERGE_BATCH`` changes,
it is done once per batch.  Live updates (a page with nothing more behind it) merge at once.

The pages of a batch are in memory only: the next pull continues from the batch's cursor, and
the store's cursor moves when the batch is merged.  An app killed mid-batch pulls those pages
again; merging is idempotent, so nothing is lost or applied twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.protocol import Change, PullPage

MERGE_BATCH = 10_000
"""At most this many pulled changes are held before they are merged: about 31 MB of decoded ops
(3.5 MB of JSON) at the benchmark's mix.  Measured side by side (``python -m bench``): a day's
100k changes sync in 17 s in batches of 10k, 28 s in batches of 2k, and a dispatcher's write
during the merge stays under the same bound; the merge runs off the write gate either way."""


@dataclass
class PullBatch:
    """Pages pulled but not yet merged, in the order the server sent them."""

    limit: int = MERGE_BATCH
    changes: list[Change] = field(default_factory=list)
    last: PullPage | None = None

    @property
    def cursor(self) -> int | None:
        """Where the next pull continues from while pages are held (None: the store's)."""
        return None if self.last is None else self.last.cursor

    def add(self, page: PullPage) -> bool:
        """Hold ``page``; True when the batch should be merged now (full, or caught up)."""
        self.changes += page.changes
        self.last = page
        return not page.has_more or len(self.changes) >= self.limit

    def take(self) -> PullPage | None:
        """Everything held, as one page to merge (None if nothing is held); empties the batch."""
        if self.last is None:
            return None
        page = self.last.model_copy(update={"changes": self.changes})
        self.changes, self.last = [], None
        return page
