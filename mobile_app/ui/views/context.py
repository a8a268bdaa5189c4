"""What every screen of an unlocked session shares: the store, the role, the time, and one
way to run a dispatcher's action so that every failure reads the same and nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mobile_app.store.errors import StoreError, StoreLocked
from mobile_app.ui.ports import DataPort
from mobile_app.ui.viewmodels.clock import Now
from shared.api import Role
from shared.commands import CommandError


@dataclass
class ViewContext:
    store: DataPort
    role: Role
    now: Callable[[], Now]
    notify: Callable[[str], None]
    """Tell the dispatcher something briefly (a snack bar)."""
    changed: Callable[[], None]
    """Redraw what is on screen after this device changed something."""
    locked: Callable[[], None]
    """The store locked under us: show the PIN screen."""

    def touch(self) -> None:
        """The dispatcher did something that is not a store action (typing, browsing): it
        still counts as activity for the idle lock."""
        try:
            self.store.touch()
        except StoreLocked:
            self.locked()

    def redraw(self, draw: Callable[[], None]) -> None:
        """Run a redraw that reads the store; a store that locked meanwhile means the PIN
        screen, not a crash."""
        try:
            draw()
        except StoreLocked:
            self.locked()

    def act(self, action: Callable[[], object], done: str | None = None) -> bool:
        """Run one store action; on refusal say why in words and keep the screen as it is.

        Returns whether the action was saved, so a form is cleared only when its data is safe.
        """
        try:
            action()
        except StoreLocked:
            self.locked()
            return False
        except (CommandError, StoreError) as refused:
            self.notify(sentence(str(refused)))
            return False
        if done:
            self.notify(done)
        self.changed()
        return True


def sentence(message: str) -> str:
    """Store and command errors are lower-case clauses; shown alone they need a capital."""
    return message[:1].upper() + message[1:] if message else message
