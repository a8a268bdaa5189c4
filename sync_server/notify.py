"""Announcing new changes to live (SSE) clients, within one process and across processes.

``Notifier`` keeps the highest change seq it has heard of and wakes every subscriber; it may
be fed from any thread (push handlers run in a thread pool).  On PostgreSQL, pushes also
``NOTIFY`` on the schema's channel in their transaction, and ``PostgresListener`` (one thread
per process) feeds what any process commits into the local notifier, so a client connected to
server B hears about a push that went to server A.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)


class Notifier:
    """Latest-seq fan-out: a slow subscriber only ever sees the newest value, never a backlog."""

    def __init__(self) -> None:
        self._latest = 0
        self._subscribers: set[asyncio.Queue[int]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def latest(self) -> int:
        return self._latest

    def bind(self, loop: asyncio.AbstractEventLoop, latest: int) -> None:
        self._loop = loop
        self._latest = max(self._latest, latest)

    def publish(self, seq: int) -> None:
        """Announce that the log reached ``seq``; safe from any thread, a no-op if unbound."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed between check and call
            loop.call_soon_threadsafe(self._fan_out, seq)

    def _fan_out(self, seq: int) -> None:
        if seq <= self._latest:
            return
        self._latest = seq
        for queue in self._subscribers:
            while not queue.empty():
                queue.get_nowait()
            queue.put_nowait(seq)

    @contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[int]]:
        """A queue receiving each new latest seq; must be used on the bound event loop."""
        queue: asyncio.Queue[int] = asyncio.Queue(maxsize=1)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)


class PostgresListener:
    """LISTENs on the change channel in a daemon thread and publishes what it hears.

    After every (re)connection it also publishes the current head, so notifications missed
    while disconnected are made up for.
    """

    def __init__(
        self,
        conninfo: str,
        channel: str,
        publish: Callable[[int], None],
        current_head: Callable[[], int],
        *,
        poll_seconds: float = 0.5,
    ) -> None:
        self._conninfo = conninfo
        self._channel = channel
        self._publish = publish
        self._current_head = current_head
        self._poll = poll_seconds
        self._stop = threading.Event()
        self._listening = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-listen", daemon=True)

    def start(self, *, wait_seconds: float = 10.0) -> None:
        self._thread.start()
        self._listening.wait(wait_seconds)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True) as conn:
                    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
                    self._listening.set()
                    backoff = 0.5
                    self._publish(self._current_head())
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=self._poll):
                            if note.payload.isdigit():
                                self._publish(int(note.payload))
            except Exception:  # keep listening through database restarts
                log.exception("change listener lost its connection; reconnecting")
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
