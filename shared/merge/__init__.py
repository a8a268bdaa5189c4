"""Merge rules as pure functions over per-entity state (DESIGN.md, "Sync model").

Every rule is a function of the *set* of operations an entity has received, never of the order
they arrived in, so any two replicas that saw the same ops hold the same state and raise the
same conflicts.  Applying an op twice is a no-op.
"""

from shared.merge.incidents import IncidentState, apply_incident_op
from shared.merge.replica import Replica, apply_op, new_state
from shared.merge.units import UnitState, apply_unit_op

__all__ = [
    "IncidentState",
    "Replica",
    "UnitState",
    "apply_incident_op",
    "apply_op",
    "apply_unit_op",
    "new_state",
]
