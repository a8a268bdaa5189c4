"""Pure rules for an incoming batch, checked before anything is stored.

A device's ops are accepted strictly in seq order: those at or below the device's applied seq
are duplicates (a retried or replayed batch), the rest must continue it without a gap.  The
order rule is what makes an op's causal context exact (``shared.merge.causality``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shared.api import Role
from shared.hlc import ClockSkewError, Hlc, HybridClock
from shared.protocol import ErrorCode, IncidentResolve, Op, UnitResolve, UnitStatusChange
from sync_server.errors import Refused


def split_batch(last_seq: int, ops: Sequence[Op]) -> tuple[list[Op], int]:
    """The ops still to apply, and how many were already applied."""
    fresh = [op for op in ops if op.seq > last_seq]
    expected = last_seq + 1
    for op in fresh:
        if op.seq != expected:
            raise Refused(
                ErrorCode.SEQ_GAP,
                f"op {op.op_id} arrived but this device's next op is seq {expected}; "
                f"send ops {expected}..{op.seq - 1} first",
                expected_seq=expected,
            )
        expected += 1
    return fresh, len(ops) - len(fresh)


def check_clocks(ops: Sequence[Op], now_ms: int, max_offset_ms: int) -> None:
    """Refuse a stamp too far ahead of the server clock; the client gets the server time."""
    clock = HybridClock(lambda: now_ms, max_offset_ms=max_offset_ms)
    for op in ops:
        try:
            clock.check(Hlc.decode(op.hlc))
        except ClockSkewError as skew:
            raise Refused(
                ErrorCode.CLOCK_AHEAD,
                f"op {op.op_id}: {skew}; correct the device clock with server_time_ms",
                server_time_ms=now_ms,
            ) from None


def referenced_incidents(op: Op) -> tuple[str, ...]:
    """Other entities an op names, which must exist for the op to make sense."""
    body = op.body
    if isinstance(body, UnitStatusChange) and body.incident_id is not None:
        return (body.incident_id,)
    if isinstance(body, UnitResolve):
        return (body.keep_incident_id,)
    return ()


def is_resolution(op: Op) -> bool:
    return isinstance(op.body, IncidentResolve | UnitResolve)


def check_authors(ops: Sequence[Op], authors: set[str]) -> None:
    """Ops may only name users who logged on from the device.  The whole batch is refused: a
    standby that has not yet heard of a logon at the other site accepts it a moment later."""
    for op in ops:
        if op.user_id not in authors:
            raise Refused(
                ErrorCode.FORBIDDEN,
                f"op {op.op_id} names user {op.user_id!r}, who has never logged on from "
                f"device {op.device_id}",
            )


def refusals(ops: Sequence[Op], roles: Mapping[str, Role]) -> dict[str, str]:
    """Ops this server will never merge, by op id, with the reason: only supervisors resolve.

    A resolution made by someone who is no longer a supervisor (demoted while their tablet was
    offline) is not an error in the batch: it is logged as refused, so the device's later ops
    go on being accepted behind it, and the device learns of it and undoes it."""
    return {
        op.op_id: f"op {op.op_id} resolves a conflict, but {op.user_id!r} is not a supervisor"
        for op in ops
        if is_resolution(op) and roles.get(op.user_id) is not Role.SUPERVISOR
    }
