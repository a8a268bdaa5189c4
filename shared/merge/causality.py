"""Who knew what: exact "happened-before" between two ops on one entity.

Each op carries ``ctx`` (per device, the highest seq of that device's ops on this entity that
its author had seen).  Servers accept a device's ops only in seq order, so knowledge is always a
prefix per device, and ``ctx`` answers "did the author of A see B" exactly.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from shared.domain import Author
from shared.protocol import Op


class OpRef(BaseModel):
    """The parts of an op that merge rules and history need to keep."""

    model_config = ConfigDict(frozen=True)

    op: str
    device: str
    seq: int
    hlc: str
    user: str
    ctx: dict[str, int] = {}

    @classmethod
    def of(cls, op: Op) -> OpRef:
        return cls(
            op=op.op_id,
            device=op.device_id,
            seq=op.seq,
            hlc=op.hlc,
            user=op.user_id,
            ctx=dict(op.ctx),
        )

    @property
    def stamp(self) -> tuple[str, str, int]:
        """Last-writer-wins order: HLC, then device id, then seq (a total order)."""
        return (self.hlc, self.device, self.seq)

    @property
    def wall_ms(self) -> int:
        return int(self.hlc.split("-", 1)[0])

    def knows(self, other: OpRef) -> bool:
        """Whether this op's author had seen ``other`` when writing it."""
        if other.device == self.device:
            return other.seq < self.seq
        return self.ctx.get(other.device, 0) >= other.seq

    def concurrent_with(self, other: OpRef) -> bool:
        return self.op != other.op and not self.knows(other) and not other.knows(self)

    def author(self) -> Author:
        return Author(op_id=self.op, user_id=self.user, device_id=self.device, hlc=self.hlc)


class Write(BaseModel):
    """One value written to one field by one op."""

    field: str
    value: Any
    by: OpRef


def pair_id(prefix: str, a: OpRef, b: OpRef) -> str:
    """A conflict id that is the same whichever side a replica saw first."""
    first, second = sorted((a.op, b.op))
    return f"{prefix}:{first}|{second}"
