"""Drive a Flet 1.0.5 app in-process: a real ``flet`` Session, no browser, no socket.

The app's ``main(page)`` runs against a real ``flet.messaging.session.Session`` whose
connection records what would be sent to the Flutter client.  Events are dispatched the way
the client sends them (``Session.dispatch_event``), including Flet's automatic update after
each handler, so a handler that forgets to push its last change fails here as it would in a
browser.  This relies on Session internals: flet is pinned to 1.0.5 and this module must be
re-checked on upgrade.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import flet as ft
import msgpack
from flet.controls.base_control import BaseControl
from flet.controls.context import _context_page, context
from flet.messaging.connection import Connection
from flet.messaging.protocol import Message, configure_encode_object_for_msgpack
from flet.messaging.session import Session
from flet.pubsub.pubsub_hub import PubSubHub

T = TypeVar("T", bound=BaseControl)
_encode = configure_encode_object_for_msgpack(BaseControl)  # type: ignore[no-untyped-call]


class RecordingConnection(Connection):
    """Keeps every outgoing message.  Each one is msgpack-encoded as the real transport does:
    encoding is what snapshots control state for the next diff (skip it and later updates
    send nothing, and new controls never get an id)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.loop = loop
        self.pubsubhub = PubSubHub(loop=loop)
        self.page_url = "http://test.local/"
        self.messages: list[Message] = []

    def send_message(self, message: Message) -> None:
        msgpack.packb([message.action, message.body], default=_encode)
        self.messages.append(message)


class Harness:
    def __init__(self, session: Session, conn: RecordingConnection) -> None:
        self.session = session
        self.conn = conn
        self.page = session.page

    # Finding controls --------------------------------------------------------------------
    def walk(self, root: Any = None, visible_only: bool = False) -> Iterator[BaseControl]:
        """Every control in the live tree (dialogs included); ``visible_only`` skips hidden
        subtrees, as the client would not draw them."""
        seen: set[int] = set()

        def visit(value: Any) -> Iterator[BaseControl]:
            if value is None or id(value) in seen:
                return
            if isinstance(value, BaseControl):
                seen.add(id(value))
                if visible_only and getattr(value, "visible", True) is False:
                    return
                yield value
            if dataclasses.is_dataclass(value) and not isinstance(value, type):
                for f in dataclasses.fields(value):
                    if f.name.startswith("_") and f.name not in ("_overlay", "_dialogs"):
                        continue
                    yield from visit(getattr(value, f.name, None))
            elif isinstance(value, list | tuple):
                for item in value:
                    yield from visit(item)
            elif isinstance(value, dict):
                for item in value.values():
                    yield from visit(item)

        yield from visit(root if root is not None else self.page)

    def find_all(self, cls: type[T], pred: Callable[[T], bool] = lambda c: True) -> list[T]:
        return [c for c in self.walk(visible_only=True) if isinstance(c, cls) and pred(c)]

    def find(self, cls: type[T], pred: Callable[[T], bool] = lambda c: True) -> T:
        found = self.find_all(cls, pred)
        assert len(found) == 1, f"expected one visible {cls.__name__}, found {len(found)}"
        return found[0]

    def tagged(self, identifier: str) -> Any:
        """The visible control wrapped in ``ft.Semantics(identifier=...)``."""
        wrapper = self.find(ft.Semantics, lambda s: s.identifier == identifier)
        return wrapper.content

    def has(self, identifier: str) -> bool:
        return bool(self.find_all(ft.Semantics, lambda s: s.identifier == identifier))

    def texts(self, root: Any = None) -> list[str]:
        """The words the client would draw (not hidden by an ancestor): Text values and
        button labels."""
        found = []
        for c in self.walk(root, visible_only=True):
            if isinstance(c, ft.Text) and c.value is not None:
                found.append(str(c.value))
            elif isinstance(label := getattr(c, "content", None), str):
                found.append(label)  # a button's label
        return found

    def text_of(self, identifier: str) -> str:
        return " ".join(self.texts(self.find(ft.Semantics, lambda s: s.identifier == identifier)))

    def screen(self) -> str:
        """Everything readable on screen, one string, for "the dispatcher sees X" checks."""
        return "\n".join(self.texts())

    def sent(self) -> str:
        """Everything sent to the client so far: proves a change reached it."""
        return "\n".join(repr(m.body) for m in self.conn.messages)

    def unsent(self) -> list[str]:
        """Controls whose changed properties were never sent (Flet's ``_dirty`` is cleared
        when a patch goes out): a handler that skipped its update leaves them behind."""
        return [
            f"{type(c).__name__}{sorted(c._dirty)}"
            for c in self.walk()
            if getattr(c, "_dirty", None)
        ]

    def crashes(self) -> list[str]:
        return [
            str(getattr(m.body, "message", m.body))
            for m in self.conn.messages
            if getattr(m.action, "name", "") == "SESSION_CRASHED"
        ]

    # Acting like the Flutter client ------------------------------------------------------
    def client_set(self, control: BaseControl, **props: Any) -> None:
        """A property the user changed on the client (typing): patched without dirtying."""
        self.session.apply_patch(control._i, props)

    async def fire(self, control: BaseControl, event: str, data: Any = None) -> None:
        """Dispatch ``on_<event>`` as an incoming client event, then settle background work.
        Handler exceptions are not raised (Flet logs them): check ``crashes()``."""
        await self.session.dispatch_event(control._i, event, data)
        await self.settle()
        stale = self.unsent()
        assert not stale, f"changed on the server but never sent to the client: {stale}"

    async def settle(self) -> None:
        """Let tasks the handler scheduled (``page.run_task``) run to completion."""
        for _ in range(5):
            await asyncio.sleep(0)

    async def until(self, condition: Callable[[], bool], timeout_s: float = 20.0) -> None:
        """Wait for background work (a sync round, a merge) to bring the screen to
        ``condition``; fails with the screen's text if it never does."""
        deadline = time.monotonic() + timeout_s
        while not condition():
            assert time.monotonic() < deadline, f"never happened; the screen:\n{self.screen()}"
            await asyncio.sleep(0.02)
        await self.settle()

    async def tap(self, identifier: str) -> None:
        """Tap the button (or card) tagged ``identifier``."""
        await self.fire(self.tagged(identifier), "click")

    async def type(self, identifier: str, text: str) -> None:
        field = self.tagged(identifier)
        self.client_set(field, value=text)
        await self.fire(field, "change", text)

    async def submit(self, identifier: str) -> None:
        field = self.tagged(identifier)
        await self.fire(field, "submit", field.value)

    async def blur(self, identifier: str) -> None:
        await self.fire(self.tagged(identifier), "blur")

    async def select(self, identifier: str, key: str) -> None:
        control = self.tagged(identifier)
        self.client_set(control, value=key)
        await self.fire(control, "select", key)

    async def chip(self, identifier: str) -> None:
        control = self.tagged(identifier)
        self.client_set(control, selected=True)
        await self.fire(control, "select", "true")

    async def nav(self, label: str) -> None:
        bar = self.page.navigation_bar
        assert isinstance(bar, ft.NavigationBar), "no navigation bar on screen"
        labels = [d.label for d in bar.destinations]
        index = labels.index(label)
        self.client_set(bar, selected_index=index)
        await self.fire(bar, "change", str(index))

    def tabs(self) -> list[str]:
        bar = self.page.navigation_bar
        if not isinstance(bar, ft.NavigationBar) or not bar.visible:
            return []
        return [str(d.label) for d in bar.destinations]


@asynccontextmanager
async def run_app(
    main: Callable[[ft.Page], Any], *, width: int = 412, height: int = 915
) -> AsyncIterator[Harness]:
    """Start a session the way flet's web server does, run ``main``, yield the harness."""
    conn = RecordingConnection(asyncio.get_running_loop())
    session = Session(conn)
    _context_page.set(session.page)
    session.apply_page_patch(
        {"route": "/", "width": width, "height": height, "web": True, "platform": "android"}
    )
    register = session.get_page_patch()  # type: ignore[no-untyped-call]
    msgpack.packb(register, default=_encode)  # as the "register" response is
    context.reset_auto_update()  # type: ignore[no-untyped-call]
    if asyncio.iscoroutinefunction(main):
        await main(session.page)
    else:
        main(session.page)
    await session.after_event(session.page)
    harness = Harness(session, conn)
    try:
        yield harness
    finally:
        for task in asyncio.all_tasks() - {asyncio.current_task()}:
            task.cancel()  # page.run_task() loops
        session.close()  # type: ignore[no-untyped-call]
        await asyncio.sleep(0)
