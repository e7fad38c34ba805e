"""SpeedProfileAction followingMode (OpenSCENARIO 1.2): ``position`` is the profile exactly, ``follow``
tracks it within the DynamicConstraints (acceleration, deceleration, their rates, maxSpeed).

Road: straight along +x; the ego starts at 10 m/s; the action starts at t = 1 s.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scenariogeneration import xosc

sys.path.insert(0, str(Path(__file__).parent))
import engine_scenario_files as scenarios  # noqa: E402
from engine_story import Trace, at_time, event, place, write  # noqa: E402

from simplatform.engine.actions_longitudinal import SpeedTracker  # noqa: E402
from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402

DT = 0.01


def _speeds(tmp_path, name: str, profile, duration: float):
    road = scenarios.straight_road(tmp_path / "straight.xodr", length=1000.0)
    init = xosc.Init()
    place(init, "Ego", xosc.LanePosition(20.0, 0, -1, 0), 10.0)
    path = write(tmp_path, name, road, {"Ego": scenarios._vehicle("ego")}, init,
                 [("Ego", event("p", {"p": profile}, at_time("t1", 1.0)))], duration)
    trace = Trace()
    result = run_scenario(path, RunConfig(on_step=trace, dt=DT))
    ends = [e.time for e in result.events if e.kind == "Event.endTransition" and e.detail == "p"]
    return trace.time(), trace.of("Ego")[:, 3], ends


def test_follow_mode_keeps_the_maximum_acceleration_that_position_mode_ignores(tmp_path):
    """10 → 20 m/s demanded in 1 s (10 m/s²): position mode does it, follow mode at 2 m/s² takes 5 s."""
    dc = xosc.DynamicsConstraints(max_acceleration=2.0, max_deceleration=4.0)
    position = xosc.SpeedProfileAction([20.0], xosc.FollowingMode.position, times=[1.0], dynamics_constraint=dc)
    t, v, _ = _speeds(tmp_path, "pos", position, 8.0)
    assert v[np.searchsorted(t, 2.0 - 1e-9)] == pytest.approx(20.0, abs=1e-9)
    follow = xosc.SpeedProfileAction([20.0], xosc.FollowingMode.follow, times=[1.0], dynamics_constraint=dc)
    t, v, ends = _speeds(tmp_path, "fol", follow, 8.0)
    acc = np.diff(v) / DT
    assert acc.max() <= 2.0 + 1e-9
    for when, speed in ((2.0, 12.0), (4.0, 16.0), (6.0, 20.0), (7.5, 20.0)):
        assert v[np.searchsorted(t, when - 1e-9)] == pytest.approx(speed, abs=0.021), when
    assert ends and ends[0] == pytest.approx(6.0, abs=2 * DT)


def test_follow_mode_limits_jerk_and_lands_on_the_target_without_overshoot(tmp_path):
    dc = xosc.DynamicsConstraints(max_acceleration=3.0, max_deceleration=6.0, max_acceleration_rate=2.0,
                                  max_deceleration_rate=4.0)
    follow = xosc.SpeedProfileAction([18.0, 12.0], xosc.FollowingMode.follow, dynamics_constraint=dc)
    t, v, ends = _speeds(tmp_path, "jerk", follow, 14.0)
    run = t >= 1.0
    acc = np.diff(v[run]) / DT
    jerk = np.diff(acc) / DT
    landing = np.isin(v[run][2:], (18.0, 12.0))  # the step that lands on an entry's speed exactly
    assert jerk[~landing].max() <= 2.0 + 1e-6 and jerk[~landing].min() >= -4.0 - 1e-6  # the rates
    assert jerk[landing].max() <= 1.5 * 2.0 and jerk[landing].min() >= -1.5 * 4.0  # within a step's rounding
    assert acc.max() <= 3.0 + 1e-9 and acc.min() >= -6.0 - 1e-9
    assert v.max() <= 18.0 + 1e-9  # no overshoot of the first entry
    assert v[-1] == pytest.approx(12.0, abs=1e-9) and ends
    # a jerk-limited ramp from rest takes a/rate to reach full acceleration: slower than the step at 3 m/s²
    assert v[np.searchsorted(t, 2.0 - 1e-9)] < 10.0 + 3.0 * 1.0 - 0.5


def test_follow_mode_caps_the_speed_at_max_speed(tmp_path):
    dc = xosc.DynamicsConstraints(max_acceleration=5.0, max_deceleration=5.0, max_speed=15.0)
    follow = xosc.SpeedProfileAction([25.0], xosc.FollowingMode.follow, times=[2.0], dynamics_constraint=dc)
    _, v, _ = _speeds(tmp_path, "cap", follow, 6.0)
    assert v.max() == pytest.approx(15.0, abs=1e-9)


def test_tracker_settles_exactly_on_a_constant_reference():
    tracker = SpeedTracker(max_acc=2.0, max_dec=4.0, acc_rate=1.0, dec_rate=1.0)
    v, settled, steps = 10.0, False, 0
    while not settled and steps < 10_000:
        v, settled = tracker.step(v, 13.0, DT)
        steps += 1
    assert settled and v == 13.0
    # minimum time of a jerk-limited 3 m/s change at 1 m/s³ without reaching 2 m/s²: 2·sqrt(3/1) s
    assert steps * DT == pytest.approx(2 * np.sqrt(3.0), abs=0.1)
