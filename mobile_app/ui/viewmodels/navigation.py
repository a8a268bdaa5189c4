"""Which screens a person gets, and how the screen reflows from a phone to a tablet."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.api import Role

#: Width from which the queue and an incident's detail sit side by side (Material's
#: "expanded" window class starts at 840 dp).
TABLET_MIN_WIDTH = 840


class Tab(StrEnum):
    QUEUE = "queue"
    NEW_CALL = "new_call"
    UNITS = "units"
    CONFLICTS = "conflicts"
    REPORTS = "reports"

    @property
    def label(self) -> str:
        return {
            Tab.QUEUE: "Queue",
            Tab.NEW_CALL: "New call",
            Tab.UNITS: "Units",
            Tab.CONFLICTS: "Conflicts",
            Tab.REPORTS: "Reports",
        }[self]


@dataclass(frozen=True, slots=True)
class Navigation:
    tabs: tuple[Tab, ...]
    message: str | None = None
    """Why there is nothing to show (an IT account on a dispatch device)."""


def navigation_for(role: Role) -> Navigation:
    if role is Role.SUPERVISOR:
        return Navigation((Tab.QUEUE, Tab.NEW_CALL, Tab.UNITS, Tab.CONFLICTS, Tab.REPORTS))
    if role is Role.DISPATCHER:
        return Navigation((Tab.QUEUE, Tab.NEW_CALL, Tab.UNITS))
    return Navigation(
        (),
        "This is an agency IT account: it manages users and devices from the admin console "
        "and sees no incident data. Sign in on this device as a dispatcher or supervisor.",
    )


def role_changed(role: Role) -> str:
    """Said once when IT gives the signed-in account another role mid-shift."""
    if role is Role.SUPERVISOR:
        return "Your role is now supervisor: Conflicts and Reports are open to you."
    if role is Role.DISPATCHER:
        return "Your role is now dispatcher: Conflicts and Reports are closed to you."
    return "This account is now an agency IT account: it sees no incident data here."


def two_panes(width: float | None) -> bool:
    """Queue and detail side by side on a tablet; one at a time on a phone."""
    return width is not None and width >= TABLET_MIN_WIDTH
