"""Unit and incident lifecycles: legal moves pass, illegal ones say why."""

from __future__ import annotations

import pytest

from shared.lifecycle import (
    IllegalTransition,
    IncidentStatus,
    UnitStatus,
    incident_transition,
    unit_transition,
)


def test_a_unit_runs_a_call_from_dispatch_to_available():
    status = UnitStatus.AVAILABLE
    for step in ("Dispatched", "EnRoute", "OnScene", "Transporting", "Hospital", "Cleared"):
        status = unit_transition(status, UnitStatus(step))
    assert status is UnitStatus.AVAILABLE


def test_an_available_unit_cannot_be_on_scene_without_being_dispatched():
    with pytest.raises(IllegalTransition, match="cannot go from Available to OnScene"):
        unit_transition(UnitStatus.AVAILABLE, UnitStatus.ONSCENE)


def test_an_out_of_service_unit_must_return_to_service_before_dispatch():
    with pytest.raises(IllegalTransition, match="allowed: Available"):
        unit_transition(UnitStatus.OUT_OF_SERVICE, UnitStatus.DISPATCHED)


def test_a_closed_incident_can_only_be_reopened():
    assert incident_transition(IncidentStatus.CLOSED, IncidentStatus.REOPENED)
    with pytest.raises(IllegalTransition, match="allowed: ReOpened"):
        incident_transition(IncidentStatus.CLOSED, IncidentStatus.RESOURCES_ASSIGNED)


def test_an_incident_moves_freely_while_open():
    assert incident_transition(IncidentStatus.RESOURCES_ONSCENE, IncidentStatus.RESOURCES_ASSIGNED)
    assert incident_transition(IncidentStatus.REOPENED, IncidentStatus.CLOSED)
