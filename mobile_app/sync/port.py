"""What the sync client needs from the local store (``mobile_app.store.LocalStore``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from mobile_app.store import MergeResult, SnapshotProgress
from shared.merge.replica import EntityState
from shared.protocol import Entity, Op, PullPage


class Replicating(Protocol):
    device_id: str

    @property
    def cursor(self) -> int: ...

    @property
    def acked_seq(self) -> int: ...

    @property
    def resync_needed(self) -> bool: ...

    def pending_ops(self, limit: int = ...) -> list[Op]: ...

    def pending_count(self) -> int: ...

    def ack(self, last_seq: int) -> None: ...

    def observe_server_time(self, server_ms: int, round_trip_ms: int = 0) -> None: ...

    def apply_page(self, page: PullPage) -> MergeResult: ...

    def reset_cursor(self) -> None: ...

    def adopt_snapshot(
        self, states: Sequence[EntityState], *, progress: SnapshotProgress | None = None
    ) -> None: ...

    @property
    def snapshot_progress(self) -> SnapshotProgress | None: ...

    def resume_from(self, cursor: int) -> None: ...

    def restamp_outbox(
        self,
        *,
        server_last_seq: int | None = None,
        server_time_ms: int | None = None,
        round_trip_ms: int = 0,
    ) -> list[Op]: ...

    def rewind_ack(self, last_seq: int) -> None: ...

    def refetch_needed(self) -> list[tuple[Entity, str]]: ...

    def purge_closed(self, *, older_than_ms: int) -> list[tuple[Entity, str]]: ...

    def adopt_refetched(self, key: tuple[Entity, str], state: EntityState | None) -> None: ...

    def wipe(self, reason: str = ...) -> None: ...

    def listen(self, listener: Callable[[Any], None]) -> Callable[[], None]: ...
