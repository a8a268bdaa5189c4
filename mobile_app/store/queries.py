"""What the UI reads: incidents, the queue, units, conflicts, callback lookups.

Reads are not user activity: a UI refreshing after a background merge must not keep an
unattended device unlocked, so only actions and ``touch()`` defer the idle lock.
Read models are decoded once per version of a row and shared (they are immutable).
"""

from __future__ import annotations

from sqlmodel import col, select

from mobile_app.store.core import StoreCore
from mobile_app.store.schema import EntityRow
from shared.domain import ConflictRecord, Incident, Unit
from shared.protocol import Entity

_ROWS = (EntityRow.kind, EntityRow.entity_id, EntityRow.state)


class StoreQueries(StoreCore):
    def incident(self, incident_id: str) -> Incident:
        """One incident; UnknownEntity if this device has never heard of it."""
        view = self._get(Entity.INCIDENT, incident_id).view
        assert isinstance(view, Incident)
        return view

    def incidents(self, open_only: bool = True) -> list[Incident]:
        """The queue: most urgent first, then the longest waiting."""
        query = select(*_ROWS).where(
            EntityRow.kind == Entity.INCIDENT.value, col(EntityRow.created)
        )
        if open_only:
            query = query.where(col(EntityRow.is_open))
        query = query.order_by(
            col(EntityRow.priority).is_(None),
            col(EntityRow.priority),
            col(EntityRow.received_ms),
            col(EntityRow.entity_id),
        )
        return [d.view for d in self._decoded(query) if isinstance(d.view, Incident)]

    def find_by_callback(self, number: str) -> list[Incident]:
        """Incidents whose current callback number is ``number`` (formatting ignored), newest
        first: a repeat caller is matched to the incident already open for them."""
        index = self._repo_or_raise().codec.callback_index(number)
        if index is None:
            return []
        query = (
            select(*_ROWS)
            .where(EntityRow.callback_index == index)
            .order_by(col(EntityRow.received_ms).desc())
        )
        return [d.view for d in self._decoded(query) if isinstance(d.view, Incident)]

    def unit(self, unit_id: str) -> Unit:
        """One unit; UnknownEntity if this device has never heard of it."""
        view = self._get(Entity.UNIT, unit_id).view
        assert isinstance(view, Unit)
        return view

    def units(self) -> list[Unit]:
        query = (
            select(*_ROWS)
            .where(EntityRow.kind == Entity.UNIT.value)
            .order_by(col(EntityRow.name), col(EntityRow.entity_id))
        )
        return [d.view for d in self._decoded(query) if isinstance(d.view, Unit)]

    def conflicts(self, open_only: bool = True) -> list[ConflictRecord]:
        """Conflict records for the supervisor; resolved ones too with ``open_only=False``."""
        count = EntityRow.open_conflicts if open_only else EntityRow.conflicts
        query = select(*_ROWS).where(col(count) > 0)
        found = [r for d in self._decoded(query) for r in d.conflicts if r.open or not open_only]
        return sorted(found, key=lambda r: r.conflict_id)

    def snapshot(self) -> dict[str, object]:
        """Everything a user could see, in ``shared.merge.Replica.snapshot``'s shape."""
        decoded = self._decoded(select(*_ROWS).order_by(col(EntityRow.entity_id)))
        views = [d.view for d in decoded]
        return {
            "incidents": {v.incident_id: v for v in views if isinstance(v, Incident)},
            "units": {v.unit_id: v for v in views if isinstance(v, Unit)},
            "conflicts": sorted(
                (r for d in decoded for r in d.conflicts), key=lambda r: r.conflict_id
            ),
        }
