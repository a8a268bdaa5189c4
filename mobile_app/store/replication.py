"""What the sync client needs: the outbox, acknowledgements, merging pulled pages, clocks.

- Outbox = this device's ops above ``acked_seq``, read from the op log in seq order.  They stay
  in the log after acknowledgement: the log is what damaged entity rows are rebuilt from.
- A pulled page is merged off the write gate (each touched entity loaded, merged and sealed
  once), then committed in short transactions behind any waiting local action; the cursor
  commits with the last one.  A crash mid-page re-pulls the page, and merging it again is a
  no-op for the ops already in.
- Clock: every pulled stamp is observed (HLC receive rule), each transaction's latest one
  standing for the rest (the clock ends past all of them either way).  A stamp too far ahead
  triggers one re-measurement of the offset from the page's server time; if it is still too far
  ahead the op is merged anyway (the server accepted and ordered it, dropping it would lose
  data) but its time is not adopted, while the others' times still are.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, Self, TypeVar

from mobile_app.store.codec import CorruptEntity, kind_of
from mobile_app.store.core import MERGE_BUDGET_S, StoreCore
from mobile_app.store.errors import ServerAhead
from mobile_app.store.listeners import ChangeKind, StoreChange
from mobile_app.store.repository import (
    RESYNC_NEEDED,
    EntityKey,
    Repository,
    SealedRow,
    Tx,
    delete_meta,
    get_meta,
    set_meta,
)
from mobile_app.store.retention import (
    forget_purged,
    mark_refetch,
    purged_among,
    refetch_needed,
)
from shared.hlc import MAX_COUNTER, ZERO, ClockSkewError, Hlc, HybridClock
from shared.merge import apply_op, new_state
from shared.merge.replica import EntityState
from shared.protocol import MAX_BATCH, Change, Op, PullPage

log = logging.getLogger(__name__)

_SECRET = "secret:"


@dataclass(frozen=True)
class MergeResult:
    """What one pulled page did: ops new to this device, ops it already had, the cursor."""

    applied: int
    duplicates: int
    cursor: int
    chunks: int
    refused: tuple[str, ...] = ()
    """Why the server refused ops of this device's own that the page named (now undone here)."""


@dataclass(frozen=True)
class SnapshotProgress:
    """How far a snapshot load got: the cursor its first page named (where pulling resumes
    once every page is in) and the ``after`` of its next page (None: every page is in)."""

    cursor: int
    next_after: str | None


_SNAPSHOT_CURSOR = "snapshot_cursor"
_SNAPSHOT_NEXT = "snapshot_next_after"

_DAMAGED = b""
"""Stands for an entity row that could not be read when its merge was prepared."""


@dataclass
class _EntityMerge:
    """One entity's share of a pulled batch: its changes, the row they were merged onto (as
    stored then), and the result sealed ready to store."""

    key: EntityKey
    changes: list[Change]
    loaded_from: bytes | None
    row: SealedRow | None = None
    op_rows: list[dict[str, Any]] = field(default_factory=list)
    new: int = 0

    def merged(self, repo: Repository, state: EntityState | None) -> _EntityMerge:
        """The changes merged onto ``state`` (None: a new entity) and sealed."""
        state = state or new_state(self.changes[0].op)
        new = sum(apply_op(state, change.op) for change in self.changes)
        return _EntityMerge(
            self.key,
            self.changes,
            self.loaded_from,
            row=repo.entity_row(state) if new else None,  # nothing new: the row stays
            # The log rows do not depend on the state: sealed once, even when merged again.
            op_rows=self.op_rows or repo.op_rows([(c.op, c.seq) for c in self.changes]),
            new=new,
        )

    @property
    def size(self) -> int:
        """Rows of work it stands for in a transaction's budget: one per change."""
        return len(self.changes)

    def again(self, repo: Repository, s: Tx) -> _EntityMerge:
        """The same changes merged onto what is stored now."""
        return self.merged(repo, repo.load_for_write(s, *self.key))


@dataclass(frozen=True)
class _Adoption:
    """One entity of a snapshot page, worked out and sealed ready to store: the server's state
    as its base, the row it becomes here, and the row that was worked out against (as stored
    then: None if the entity was new here)."""

    key: EntityKey
    loaded_from: bytes | None
    base: dict[str, Any]
    row: SealedRow
    size: ClassVar[int] = 1
    """One state, however big, in a transaction's budget."""

    def again(self, repo: Repository, s: Tx) -> _Adoption:
        """The server's state worked out again onto what the log holds now."""
        return _adoption(repo, s, repo.codec.open_base(*self.key, self.base["state"]))


class _Prepared(Protocol):
    """Work prepared off the write gate against an entity row as it was then."""

    @property
    def key(self) -> EntityKey: ...
    @property
    def loaded_from(self) -> bytes | None: ...
    @property
    def size(self) -> int: ...
    def again(self, repo: Repository, s: Tx) -> Self: ...


_P = TypeVar("_P", bound=_Prepared)


def _adoption(repo: Repository, s: Tx, server_state: EntityState) -> _Adoption:
    """``server_state`` sealed as the base, then with this device's logged ops applied again
    (in place) and sealed as the entity's row."""
    key = (kind_of(server_state), server_state.id)
    loaded_from = repo.sealed(s, *key)
    base = repo.base_row(server_state)  # before the ops change it
    for op in repo.ops_for(s, *key):
        apply_op(server_state, op)
    return _Adoption(key, loaded_from, base, repo.entity_row(server_state))


class StoreReplication(StoreCore):
    _row_s = 0.00005
    """Seconds one pulled op took to store in the last merge transaction (entity row and log
    row): how transactions keep to the budget."""
    _adoption_s = 0.0002
    """The same for one adopted snapshot state (base row and entity row)."""

    # State the sync client reads ---------------------------------------------------------
    @property
    def clock(self) -> HybridClock:
        """The store's clock (read it; change it only through the methods below)."""
        return self._clock

    @property
    def cursor(self) -> int:
        """Where the next pull starts (the last fully merged page's cursor)."""
        return int(self._meta()["cursor"])

    @property
    def acked_seq(self) -> int:
        return int(self._meta()["acked_seq"])

    @property
    def server_url(self) -> str:
        return self._meta()["server_url"]

    def set_server_url(self, url: str) -> None:
        with self._write(local=False) as s:
            set_meta(s, server_url=url)

    def secret(self, name: str) -> str | None:
        """A small value kept sealed in the store's meta (the sync client's refresh token, the
        call being typed), decrypted."""
        stored = self._meta().get(f"{_SECRET}{name}")
        return None if stored is None else self._repo_or_raise().codec.open_secret(name, stored)

    def set_secret(self, name: str, value: str | None) -> None:
        """Keep a small value encrypted like any record (None forgets it)."""
        with self._write(local=False) as s:
            if value is None:
                delete_meta(s, f"{_SECRET}{name}")
            else:
                set_meta(s, **{f"{_SECRET}{name}": self._unlocked().codec.seal_secret(name, value)})

    # Push side ---------------------------------------------------------------------------
    def pending_ops(self, limit: int = MAX_BATCH) -> list[Op]:
        """The outbox: this device's ops the server has not acknowledged, in seq order."""
        repo = self._repo_or_raise()
        with self._read() as s:
            acked = int(get_meta(s)["acked_seq"])
            return repo.own_ops(s, self.device_id, acked, limit)

    def pending_count(self) -> int:
        repo = self._repo_or_raise()
        with self._read() as s:
            return repo.count_own(s, self.device_id, int(get_meta(s)["acked_seq"]))

    def ack(self, last_seq: int) -> None:
        """The server has applied this device's ops up to ``last_seq`` (PushResult.last_seq)."""
        with self._write(local=False) as s:
            changed = _record_ack(s, last_seq)
        if changed:
            self._listeners.notify(StoreChange(ChangeKind.ACKED))

    def observe_server_time(self, server_ms: int, round_trip_ms: int = 0) -> None:
        """Re-measure the clock offset against the server (at every sync round trip)."""
        with self._write(local=False) as s:
            self._clock.observe_server_time(server_ms, round_trip_ms)
            set_meta(s, clock_offset_ms=self._clock.offset_ms)

    def restamp_outbox(
        self,
        *,
        server_last_seq: int | None = None,
        server_time_ms: int | None = None,
        round_trip_ms: int = 0,
    ) -> list[Op]:
        """Give unacknowledged ops fresh stamps after the server refused them as clock_ahead.

        No other replica has these ops (the server refused them), so their stamps may change:
        ``server_last_seq`` first acknowledges what the server did accept; the offset is
        re-measured from ``server_time_ms``; the clock's memory of our own bad stamps is rolled
        back to the latest trusted stamp seen from elsewhere; each outbox op keeps its seq, ctx
        and body and gets a new stamp, in seq order; and every entity they touch is re-derived
        from the op log, since the old stamps decided its last-writer-wins races.
        Returns the re-stamped ops, ready to push again.
        """
        with self._write(local=False) as s:
            repo = self._unlocked()
            if server_last_seq is not None:
                _record_ack(s, server_last_seq)
            if server_time_ms is not None:
                self._clock.observe_server_time(server_time_ms, round_trip_ms)
            acked = int(get_meta(s)["acked_seq"])
            outbox = repo.own_ops(s, self.device_id, acked, limit=2**62)
            if outbox:
                trusted = Hlc(self._clock.physical() + self._clock.max_offset_ms, MAX_COUNTER)
                seen = repo.max_seen_hlc(s, self.device_id, acked, trusted.encode())
                self._clock.last = Hlc.decode(seen) if seen else ZERO
                outbox = [
                    op.model_copy(update={"hlc": self._clock.now().encode()}) for op in outbox
                ]
                for op in outbox:
                    repo.replace(s, op)
                for key in {(op.entity, op.entity_id) for op in outbox}:
                    repo.rebuild(s, *key)
            set_meta(s, hlc_last=self._clock.last.encode(), clock_offset_ms=self._clock.offset_ms)
        if outbox:
            touched = frozenset((op.entity, op.entity_id) for op in outbox)
            self._listeners.notify(StoreChange(ChangeKind.RESTAMPED, touched))
        return outbox

    # Pull side ---------------------------------------------------------------------------
    def apply_page(self, page: PullPage) -> MergeResult:
        return self.apply_pulled(page.changes, page.cursor, server_time_ms=page.server_time_ms)

    def apply_pulled(
        self, changes: Sequence[Change], cursor: int, *, server_time_ms: int | None = None
    ) -> MergeResult:
        """Merge pulled changes: worked out off the write gate, committed in short transactions.

        The merge rules and the sealing run first, outside the gate, each touched entity loaded
        once and sealed once however many of the changes are about it; a dispatcher's write is
        never queued behind them.  The commits then take the gate in transactions of at most
        ``MERGE_BUDGET_S``.  An entity written meanwhile (a local action, a rebuild) is merged
        again onto what is now stored, so no write is overwritten.  The cursor commits with the
        last transaction.
        """
        if cursor < 0:
            raise ValueError("a cursor is never negative")
        refused = self._undo_refused(changes)
        merges = self._prepare([c for c in changes if c.refused is None])
        remeasure = [server_time_ms]
        applied = duplicates = checkpoint = chunks = done = 0
        while True:
            with self._write(local=False, durable=False) as s:
                taken, new = self._commit_chunk(s, merges, done, remeasure)
                last = done + len(taken) == len(merges)
                if last:
                    checkpoint = max(cursor, int(get_meta(s)["cursor"]))  # never moves back
                    set_meta(s, cursor=checkpoint)
            done += len(taken)
            chunks += 1
            applied += new
            duplicates += sum(len(m.changes) for m in taken) - new
            touched = frozenset(m.key for m in taken)
            change = StoreChange(ChangeKind.MERGED, touched, cursor=checkpoint if last else None)
            self._listeners.notify(change)
            if last:
                return MergeResult(applied, duplicates, checkpoint, chunks, refused)

    def _undo_refused(self, changes: Sequence[Change]) -> tuple[str, ...]:
        """Ops the server refused for good are merged nowhere: this device's own are marked in
        its log and their entities rebuilt without them (a resolution made by someone who is no
        longer a supervisor: the conflict is open again).  Other devices' are skipped."""
        own = [
            (c.op, c.refused)
            for c in changes
            if c.refused is not None and c.op.device_id == self.device_id
        ]
        if not own:
            return ()
        reasons: list[str] = []
        touched: set[EntityKey] = set()
        with self._write(local=False) as s:
            repo = self._unlocked()
            for op, reason in own:
                if repo.mark_refused(s, op, reason):
                    touched.add((op.entity, op.entity_id))
                    reasons.append(reason)
            for kind, entity_id in sorted(touched):
                repo.rebuild(s, kind, entity_id)
        for reason in reasons:
            log.warning("the server refused a change made here; undone: %s", reason)
        if touched:
            self._listeners.notify(StoreChange(ChangeKind.MERGED, frozenset(touched)))
        return tuple(reasons)

    def refused_ops(self) -> list[tuple[Op, str]]:
        """This device's ops the server refused for good, with why (kept in its log, undone;
        only a device's own refused ops are ever marked)."""
        repo = self._repo_or_raise()
        with self._read() as s:
            return repo.refused(s)

    def _prepare(self, changes: Sequence[Change]) -> list[_EntityMerge]:
        """Merge and seal every touched entity in memory (no gate: reads see a snapshot)."""
        by_entity: dict[EntityKey, list[Change]] = {}
        for change in changes:
            by_entity.setdefault((change.op.entity, change.op.entity_id), []).append(change)
        repo = self._repo_or_raise()
        merges = []
        with self._read() as s:
            for key, mine in by_entity.items():
                sealed = repo.sealed(s, *key)
                try:
                    state = repo.state_of(*key, sealed)
                except CorruptEntity:
                    merges.append(_EntityMerge(key, mine, _DAMAGED))  # rebuilt under the gate
                    continue
                merges.append(_EntityMerge(key, mine, sealed).merged(repo, state))
        return merges

    def _commit_chunk(
        self, s: Tx, merges: Sequence[_EntityMerge], start: int, remeasure: list[int | None]
    ) -> tuple[list[_EntityMerge], int]:
        """Store ``merges[start:]`` until the budget is spent (one entity at least); returns the
        entity merges stored and how many of their changes were new here."""
        repo = self._unlocked()
        taken, ops = self._fill(s, merges[start:], self._row_s)
        self._observe_pulled([c.op for m in taken for c in m.changes], remeasure)
        writing = time.monotonic()
        # Entity rows before the log rows, which reference them.
        repo.save_rows(s, [m.row for m in taken if m.row is not None])
        repo.append_rows(s, [row for m in taken for row in m.op_rows])
        self._row_s = (time.monotonic() - writing) / max(1, ops)
        # A change to an incident that left the device: it has no history here to merge onto.
        mark_refetch(s, purged_among(s, [m.key for m in taken]))
        own = [c.op.seq for m in taken for c in m.changes if c.op.device_id == self.device_id]
        _note_own_ops(s, own)
        set_meta(s, hlc_last=self._clock.last.encode(), clock_offset_ms=self._clock.offset_ms)
        return taken, sum(m.new for m in taken)

    def _fill(self, s: Tx, pending: Sequence[_P], row_s: float) -> tuple[list[_P], int]:
        """The first of ``pending`` one transaction takes: until ``MERGE_BUDGET_S`` is spent,
        the writes still to come counted at ``row_s`` a row, or ``chunk_size`` rows (one
        entity at least).  Any entity written since its work was prepared (a local action, a
        rebuild) is worked out again onto what is stored.  Returns them and their rows."""
        deadline = time.monotonic() + MERGE_BUDGET_S
        repo = self._unlocked()
        taken: list[_P] = []
        rows = 0
        for item in pending:
            full = rows + item.size > self._chunk
            if taken and (full or time.monotonic() + rows * row_s >= deadline):
                break
            if repo.sealed(s, *item.key) != item.loaded_from:
                item = item.again(repo, s)
            taken.append(item)
            rows += item.size
        return taken, rows

    def rewind_ack(self, last_seq: int) -> None:
        """Treat ops after ``last_seq`` as unsent again: the server we now talk to (a standby
        site after failover) never received them.  They are still in the op log, so nothing is
        re-created; they are simply pushed again, and the server's seq check keeps it exact."""
        if last_seq < 0:
            raise ValueError("an acknowledged seq is never negative")
        with self._write(local=False) as s:
            if last_seq < int(get_meta(s)["acked_seq"]):
                set_meta(s, acked_seq=last_seq)
        self._listeners.notify(StoreChange(ChangeKind.ACKED))

    def adopt_snapshot(
        self,
        states: Sequence[EntityState],
        *,
        progress: SnapshotProgress | None = None,
    ) -> None:
        """Take the server's merged states (a new device, or a resync after the change log was
        compacted).

        Every op this device holds for an entity is applied again on top of the server's state:
        ops the server already merged are no-ops, and anything it lacks (this device's unsent
        work above all) is kept.  Entities the snapshot does not mention are left as they are.
        The server's state is also kept as the entity's base: the log no longer holds the
        history it summarises, and a rebuild (damaged row, re-stamped outbox) starts from it.

        As a pulled page is merged, the states are worked out and sealed off the write gate and
        stored in short transactions, so a dispatcher taking a call on a tablet that is still
        loading its snapshot never waits for a whole page; an entity written meanwhile is worked
        out again under the gate.  ``progress`` (where the snapshot started and where its next
        page starts) commits with the page's last transaction, so a cut resumes at the next
        page instead of the first, and a page cut halfway is adopted again whole.
        """
        repo = self._repo_or_raise()
        with self._read() as s:
            adoptions = [_adoption(repo, s, state) for state in states]
        done = 0
        while True:
            with self._write(local=False, durable=False) as s:
                taken = self._commit_adoptions(s, adoptions[done:])
                last = done + len(taken) == len(adoptions)
                if last and progress is not None:
                    set_meta(
                        s,
                        **{
                            _SNAPSHOT_CURSOR: progress.cursor,
                            _SNAPSHOT_NEXT: progress.next_after or "",
                        },
                    )
            done += len(taken)
            keys = frozenset(adoption.key for adoption in taken)
            self._listeners.notify(StoreChange(ChangeKind.MERGED, keys))
            if last:
                return

    def _commit_adoptions(self, s: Tx, adoptions: Sequence[_Adoption]) -> list[_Adoption]:
        """Store ``adoptions`` until the budget is spent (one at least); returns those stored."""
        repo = self._unlocked()
        taken, _ = self._fill(s, adoptions, self._adoption_s)
        writing = time.monotonic()
        repo.save_base_rows(s, [adoption.base for adoption in taken])
        repo.save_rows(s, [adoption.row for adoption in taken])
        self._adoption_s = (time.monotonic() - writing) / max(1, len(taken))
        return taken

    def refetch_needed(self) -> list[EntityKey]:
        """Incidents that left the device (``retention``) and that a pulled change touched
        since: the sync client fetches each whole and hands it to ``adopt_refetched``."""
        self._repo_or_raise()
        with self._read() as s:
            return refetch_needed(s)

    def adopt_refetched(self, key: EntityKey, state: EntityState | None) -> None:
        """The server's whole state of a purged incident that came back (None: the server has
        none, and what was pulled is all there is); an ordinary incident again from here."""
        if state is not None:
            self.adopt_snapshot([state])
        with self._write(local=False) as s:
            forget_purged(s, key)

    @property
    def snapshot_progress(self) -> SnapshotProgress | None:
        """A snapshot load that was cut before ``resume_from``: where to go on."""
        meta = self._meta()
        if _SNAPSHOT_CURSOR not in meta:
            return None
        return SnapshotProgress(int(meta[_SNAPSHOT_CURSOR]), meta.get(_SNAPSHOT_NEXT) or None)

    def resume_from(self, cursor: int) -> None:
        """Pull on from ``cursor`` (the first snapshot page's) once every page is adopted."""
        if cursor < 0:
            raise ValueError("a cursor is never negative")
        with self._write(local=False) as s:
            set_meta(s, cursor=cursor)
            delete_meta(s, _SNAPSHOT_CURSOR)
            delete_meta(s, _SNAPSHOT_NEXT)

    @property
    def resync_needed(self) -> bool:
        """History only the server has was lost here (a damaged snapshot base): pull again."""
        return self._meta().get(RESYNC_NEEDED) == "1"

    def reset_cursor(self) -> None:
        """Pull everything again from the start (the server asked for a resync, or this store
        lost history); a log the server has compacted meanwhile answers with a snapshot."""
        with self._write(local=False) as s:
            set_meta(s, cursor=0)
            delete_meta(s, RESYNC_NEEDED)

    def _observe_pulled(self, ops: Sequence[Op], remeasure: list[int | None]) -> None:
        """Observe the latest stamp (fixed-width stamps sort as text); only if it is too far
        ahead are the ops observed one by one, so every acceptable time is still adopted."""
        if not ops:
            return
        try:
            self._clock.observe(Hlc.decode(max(op.hlc for op in ops)))
        except ClockSkewError:
            for op in ops:
                self._observe_one(op, remeasure)

    def _observe_one(self, op: Op, remeasure: list[int | None]) -> None:
        stamp = Hlc.decode(op.hlc)
        try:
            self._clock.observe(stamp)
            return
        except ClockSkewError as skew:
            ahead_ms = skew.ahead_ms
        server_ms, remeasure[0] = remeasure[0], None  # once per page
        if server_ms is not None:
            self._clock.observe_server_time(server_ms)
            try:
                self._clock.observe(stamp)
                return
            except ClockSkewError as skew:
                ahead_ms = skew.ahead_ms
        log.warning(
            "op %s is stamped %.1f s ahead of this device's corrected clock: merged, "
            "but its time is not adopted",
            op.op_id,
            ahead_ms / 1000,
        )


def _record_ack(s: Tx, last_seq: int) -> bool:
    if last_seq < 0:
        raise ValueError("an acknowledged seq is never negative")
    meta = get_meta(s)
    written = int(meta["next_seq"]) - 1
    if last_seq > written:
        raise ServerAhead(
            f"the server has ops up to seq {last_seq} from this device, which only wrote "
            f"{written}: this store does not match the server's record of the device"
        )
    if last_seq <= int(meta["acked_seq"]):
        return False
    set_meta(s, acked_seq=last_seq)
    return True


def _note_own_ops(s: Tx, seqs: list[int]) -> None:
    """Our own ops coming back in a pull: the server has them (and, seq-ordered, all before)."""
    if not seqs:
        return
    meta = get_meta(s)
    top = max(seqs)
    if top >= int(meta["next_seq"]):
        # A store restored from an older copy: never reuse a seq the server already has.
        set_meta(s, next_seq=top + 1)
    if top > int(meta["acked_seq"]):
        set_meta(s, acked_seq=top)
