"""A hand-written environment with a bad time of day is refused, not silently rendered at noon."""

import pytest

from sensors.environment import _with_engine_aliases
from simplatform.errors import ConfigError


def test_iso_time_of_day_gives_seconds_since_midnight():
    assert _with_engine_aliases({"time_of_day": "2024-06-01T13:30:00"})["time_of_day_s"] == 13.5 * 3600


def test_bad_time_of_day_is_a_config_error():
    with pytest.raises(ConfigError, match="time_of_day"):
        _with_engine_aliases({"time_of_day": "half past one"})
