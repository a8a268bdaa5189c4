"""Who knew what: exact "happened-before" between two ops on one entity.

Each op carries ``ctx`` (per device, the highest seq of that device's ops on this entity that
its author had seen).  Servers accept a device's ops only in seq order, so knowledge is always a
prefix per device, and ``ctx`` answers "did the author of A see B" exactly.

An entity state keeps what the rules need of each op once, in its ``OpTable``; every record
(field write, note, status, conflict side...) names its op by id.  One op is referenced from
several records, and copying its context into each made a busy incident's stored state grow
with ops x references x devices.  Contexts are stored as seq vectors over the table's devices
(numbered in the order the table first saw them), so a device id is written once per state.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, NamedTuple, Self

from pydantic import BaseModel, Field, model_validator

from shared.domain import Author
from shared.protocol import Op


class OpRef(NamedTuple):
    """The parts of one op that merge rules and history need to keep (a JSON array)."""

    device: str
    seq: int
    hlc: str
    user: str
    ctx: tuple[int, ...] = ()
    """Seqs seen, by the owning table's device numbers (missing trailing ones: 0)."""

    @property
    def op(self) -> str:
        return f"{self.device}:{self.seq}"

    @property
    def stamp(self) -> tuple[str, str, int]:
        """Last-writer-wins order: HLC, then device id, then seq (a total order)."""
        return (self.hlc, self.device, self.seq)

    @property
    def wall_ms(self) -> int:
        return int(self.hlc.split("-", 1)[0])


class OpTable(BaseModel):
    """Every op an entity state refers to, by op id, each stored once."""

    devices: dict[str, int] = Field(default_factory=dict)
    """Device id -> its position in every ``OpRef.ctx`` of this table (0, 1, 2...)."""
    refs: dict[str, OpRef] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if sorted(self.devices.values()) != list(range(len(self.devices))):
            raise ValueError("devices must be numbered 0, 1, 2... without gaps or repeats")
        for op_id, ref in self.refs.items():
            if len(ref.ctx) > len(self.devices):
                raise ValueError(f"{op_id}: context names more devices than the table has")
        return self

    def add(self, op: Op) -> OpRef:
        """Record ``op`` (once: a second add of the same op id returns the first record)."""
        known = self.refs.get(op.op_id)
        if known is not None:
            return known
        devices = self.devices
        for device in (op.device_id, *op.ctx):
            if device not in devices:
                devices[device] = len(devices)
        vector = [0] * len(devices)
        for device, seq in op.ctx.items():
            vector[devices[device]] = seq
        while vector and vector[-1] == 0:
            vector.pop()
        ref = OpRef(op.device_id, op.seq, op.hlc, op.user_id, tuple(vector))
        self.refs[op.op_id] = ref
        return ref

    def __getitem__(self, op_id: str) -> OpRef:
        return self.refs[op_id]

    def stamp(self, op_id: str) -> tuple[str, str, int]:
        return self.refs[op_id].stamp

    def knows(self, a: str, b: str) -> bool:
        """Whether the author of op ``a`` had seen op ``b`` when writing it."""
        first, other = self.refs[a], self.refs[b]
        if other.device == first.device:
            return other.seq < first.seq
        position = self.devices[other.device]
        return position < len(first.ctx) and first.ctx[position] >= other.seq

    def concurrent(self, a: str, b: str) -> bool:
        return a != b and not self.knows(a, b) and not self.knows(b, a)

    def author(self, op_id: str) -> Author:
        ref = self.refs[op_id]
        return _author(op_id, ref.user, ref.device, ref.hlc)


@functools.lru_cache(maxsize=1 << 16)
def _author(op_id: str, user: str, device: str, hlc: str) -> Author:
    """Built once and shared: every view of an entity shows the same authors again."""
    return Author(op_id=op_id, user_id=user, device_id=device, hlc=hlc)


@dataclass(slots=True)
class Write:
    """One value written to one field by one op."""

    field: str
    value: Any
    by: str


def pair_id(prefix: str, a: str, b: str) -> str:
    """A conflict id that is the same whichever side (op id) a replica saw first."""
    first, second = sorted((a, b))
    return f"{prefix}:{first}|{second}"
