"""The supervisor's conflicts inbox: two offline decisions that cannot both stand.

Each card shows both sides (who, on which device, when, what) and one button per way to
settle it.  Resolving is itself an operation that syncs, and the conflict stays open until a
resolution has seen every side (``shared.merge.conflicts``), so this inbox only ever shows
what the merge says is open.  Dispatchers do not get the inbox at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mobile_app.ui.viewmodels.clock import Now
from mobile_app.ui.viewmodels.labels import incident_line, priority_label, who
from mobile_app.ui.viewmodels.queue import urgency
from mobile_app.ui.viewmodels.roster import unit_name
from shared.api import Role
from shared.domain import ConflictKind, ConflictRecord, ConflictSide, Incident, Unit
from shared.hlc import Hlc

_Namer = Callable[[str], str]


def can_resolve(role: Role) -> bool:
    return role is Role.SUPERVISOR


@dataclass(frozen=True, slots=True)
class SideView:
    who: str
    device: str
    when: str
    what: str


@dataclass(frozen=True, slots=True)
class ResolveOption:
    """One way to settle a conflict: exactly the arguments of the store's resolve call."""

    label: str
    entity: str
    entity_id: str
    conflict_id: str
    action: str
    """For incidents "keep", "reopen" or "set_priority"; for units "keep_incident"."""
    priority: int | None = None
    keep_incident_id: str | None = None


@dataclass(frozen=True, slots=True)
class ConflictCard:
    conflict_id: str
    title: str
    subject: str
    explanation: str
    sides: tuple[SideView, ...]
    options: tuple[ResolveOption, ...]


@dataclass(frozen=True, slots=True)
class ConflictsInbox:
    cards: tuple[ConflictCard, ...]
    empty_message: str

    @property
    def badge(self) -> str | None:
        return str(len(self.cards)) if self.cards else None


_EXPLAIN = {
    ConflictKind.UNIT_DOUBLE_BOOKED: (
        "Two dispatchers sent this unit to different incidents while offline. "
        "Choose where it stays; it is cleared from the other."
    ),
    ConflictKind.PRIORITY_DOWNGRADE: (
        "One dispatcher lowered the priority while another raised it, unaware of each other. "
        "The more urgent priority shows until you decide."
    ),
    ConflictKind.EDIT_AFTER_CLOSE: (
        "Someone kept working on this incident without knowing it had been closed. "
        "Keep it closed (their changes stay in the history) or reopen it."
    ),
}


def build_inbox(
    conflicts: Sequence[ConflictRecord],
    incidents: Sequence[Incident],
    units: Sequence[Unit],
    role: Role,
    now: Now,
) -> ConflictsInbox:
    if not can_resolve(role):
        return ConflictsInbox(cards=(), empty_message="Only supervisors resolve conflicts.")
    by_incident = {i.incident_id: i for i in incidents}
    by_unit = {u.unit_id: u for u in units}
    cards = tuple(
        _card(c, by_incident, by_unit, now) for c in sorted(conflicts, key=_oldest_side) if c.open
    )
    return ConflictsInbox(cards=cards, empty_message="No open conflicts. Nothing to decide.")


def _oldest_side(conflict: ConflictRecord) -> tuple[str, str]:
    """Oldest first: the longest-standing disagreement is the one to settle first."""
    return (min((s.by.hlc for s in conflict.sides), default=""), conflict.conflict_id)


def _card(
    conflict: ConflictRecord,
    incidents: dict[str, Incident],
    units: dict[str, Unit],
    now: Now,
) -> ConflictCard:
    def incident_name(incident_id: str) -> str:
        incident = incidents.get(incident_id)
        return incident_line(incident) if incident is not None else f"incident {incident_id}"

    if conflict.entity == "unit":
        unit = units.get(conflict.entity_id)
        subject = f"Unit {unit_name(unit) if unit is not None else conflict.entity_id}"
    else:
        subject = incident_name(conflict.entity_id)
    sides = tuple(_side(s, conflict.kind, incident_name, now) for s in conflict.sides)
    return ConflictCard(
        conflict_id=conflict.conflict_id,
        title=conflict.title,
        subject=subject,
        explanation=_EXPLAIN[conflict.kind],
        sides=sides,
        options=_options(conflict, subject, incident_name, lambda i: urgency(i, incidents)),
    )


def _side(side: ConflictSide, kind: ConflictKind, incident_name: _Namer, now: Now) -> SideView:
    what = side.summary
    if kind is ConflictKind.UNIT_DOUBLE_BOOKED and isinstance(side.value, str):
        what = f"dispatched it to {incident_name(side.value)}"
    return SideView(
        who=who(side.by),
        device=side.by.device_id,
        when=now.when(Hlc.decode(side.by.hlc).wall),
        what=what,
    )


def _options(
    conflict: ConflictRecord,
    subject: str,
    incident_name: _Namer,
    urgency: Callable[[str], tuple[int, int, str]],
) -> tuple[ResolveOption, ...]:
    def option(
        label: str, action: str, *, priority: int | None = None, keep: str | None = None
    ) -> ResolveOption:
        return ResolveOption(
            label=label,
            entity=conflict.entity,
            entity_id=conflict.entity_id,
            conflict_id=conflict.conflict_id,
            action=action,
            priority=priority,
            keep_incident_id=keep,
        )

    if conflict.kind is ConflictKind.UNIT_DOUBLE_BOOKED:
        unit = subject.removeprefix("Unit ")
        targets = sorted({str(s.value) for s in conflict.sides if s.value is not None}, key=urgency)
        return tuple(
            option(f"Keep {unit} on {incident_name(t)}", "keep_incident", keep=t) for t in targets
        )
    if conflict.kind is ConflictKind.PRIORITY_DOWNGRADE:
        offered = sorted({s.value for s in conflict.sides if isinstance(s.value, int)})
        return tuple(
            option(f"Set {priority_label(p)}", "set_priority", priority=p) for p in offered
        )
    return (option("Keep it closed", "keep"), option("Reopen the incident", "reopen"))
