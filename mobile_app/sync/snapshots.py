"""Reading the server's snapshot pages (``shared.api.SnapshotPage``), and one entity's whole
state (``shared.api.ENTITY``), straight into the merged states a store adopts.

The shared message carries each state as plain JSON (the server does not depend on how a
device reads it); parsing a page into those dicts and then validating each dict again cost as
much as storing the state.  Here the page is validated once, from the bytes, each entity
typed by its ``entity`` tag.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, TypeAdapter

from shared.merge import IncidentState, UnitState
from shared.merge.replica import EntityState


class _Incident(BaseModel):
    entity: Literal["incident"]
    entity_id: str
    state: IncidentState


class _Unit(BaseModel):
    entity: Literal["unit"]
    entity_id: str
    state: UnitState


class StatesPage(BaseModel):
    """A ``SnapshotPage`` as the device reads it."""

    cursor: int
    entities: list[Annotated[_Incident | _Unit, Field(discriminator="entity")]]
    next_after: str | None

    @property
    def states(self) -> list[EntityState]:
        return [entity.state for entity in self.entities]


def read_page(data: bytes) -> StatesPage:
    """Validate a snapshot page's JSON; ``pydantic.ValidationError`` if it is not one."""
    return StatesPage.model_validate_json(data)


_ONE: TypeAdapter[_Incident | _Unit] = TypeAdapter(
    Annotated[_Incident | _Unit, Field(discriminator="entity")]
)


def read_entity(data: bytes) -> EntityState:
    """Validate one entity's whole state (``shared.api.ENTITY``); ``ValidationError`` if not."""
    return _ONE.validate_json(data).state
