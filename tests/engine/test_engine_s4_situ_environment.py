"""The engine's snapshots share one copy of the environment mapping while it holds
(``EnvironmentState.snapshot_values``, issue #7): the same values as ``values(time)`` at every
time, a new copy when an EnvironmentAction changes it or an animated time of day advances, and
``values`` still a private copy for every other caller."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

from simplatform.engine.environment import EnvironmentState


def _env(animated: bool | None = None, fog: float | None = None, friction: float | None = None):
    tod = None if animated is None else SimpleNamespace(date_time=datetime(2026, 6, 1, 12, 0, 0), animation=animated)
    weather = None if fog is None else SimpleNamespace(fog=SimpleNamespace(visual_range=fog))
    rc = None if friction is None else SimpleNamespace(friction_scale_factor=friction)
    return SimpleNamespace(time_of_day=tod, weather=weather, road_condition=rc)


def test_static_environment_is_one_copy_until_an_action_changes_it():
    state = EnvironmentState()
    state.apply(_env(animated=False, fog=500.0), 0.0)
    first = state.snapshot_values(0.0)
    assert first == state.values(0.0) and first is not state.values(0.0)
    for k in range(1, 5):
        got = state.snapshot_values(k * 0.01)
        assert got is first and got == state.values(k * 0.01)
    own = state.values(0.05)
    own["fog_visual_range_m"] = 1.0   # a caller's own copy: the snapshots' is untouched
    assert state.snapshot_values(0.05)["fog_visual_range_m"] == 500.0
    state.apply(_env(friction=0.4), 0.06)
    changed = state.snapshot_values(0.06)
    assert changed is not first and changed == state.values(0.06) and changed["road_friction"] == 0.4
    assert first["road_friction"] == 1.0   # an earlier snapshot keeps what it saw
    assert state.snapshot_values(0.07) is changed


def test_animated_time_of_day_gets_a_copy_per_time():
    state = EnvironmentState()
    state.apply(_env(animated=True), 0.0)
    seen = []
    for k in range(4):
        t = k * 0.5
        got = state.snapshot_values(t)
        assert got == state.values(t) and got["time_of_day_s"] == 12 * 3600.0 + t
        assert state.snapshot_values(t) is got   # asked twice at one time: one copy
        seen.append(got)
    assert len({id(d) for d in seen}) == 4 and seen[0]["time_of_day"] != seen[1]["time_of_day"]


def test_values_first_then_snapshot_values_and_no_environment():
    state = EnvironmentState()
    assert state.snapshot_values(0.0) == state.values(0.0) == EnvironmentState().values(0.0)
    other = EnvironmentState()
    a = other.values(1.0)
    b = other.snapshot_values(1.0)
    assert a == b and a is not b and other.snapshot_values(2.0) is b
