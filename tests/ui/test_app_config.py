"""The agency's retention period for closed calls on its devices, as IT sets it."""

from __future__ import annotations

import pytest

from mobile_app.device import DEFAULT_KEEP_CLOSED_DAYS
from mobile_app.main import keep_closed_days


@pytest.mark.parametrize(
    ("setting", "days"),
    [("", DEFAULT_KEEP_CLOSED_DAYS), ("14", 14.0), (" 0.5 ", 0.5), ("0", 0.0), ("Forever", None)],
)
def test_the_retention_setting_is_read_as_it_is_written(setting, days):
    assert keep_closed_days(setting) == days


@pytest.mark.parametrize("setting", ["-1", "a month", "nan", "inf days"])
def test_a_retention_setting_that_is_not_a_period_stops_the_app_with_words(setting):
    with pytest.raises(ValueError, match=r"number of days .* or 'forever'"):
        keep_closed_days(setting)
