"""FollowTrajectoryAction: each shape puts the actor where the shape says, at the times the timing says.

Timing follows esmini: trajectory time = scale · (t − t_ref) + offset, t_ref = 0 for the absolute
domain and the action's start for the relative one.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scenariogeneration import xosc
from scipy.special import fresnel

sys.path.insert(0, str(Path(__file__).parent))
import engine_scenario_files as scenarios  # noqa: E402
from engine_story import Trace, at_time, event, place, write  # noqa: E402

from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402


def _follow(tmp_path, shape, *, start: float = 0.0, domain=None, scale=None, offset=None, speed: float = 10.0,
            duration: float = 10.0) -> Trace:
    road = scenarios.straight_road(tmp_path / "straight.xodr")
    traj = xosc.Trajectory("path", False)
    traj.add_shape(shape)
    if domain is None:
        action = xosc.FollowTrajectoryAction(traj, xosc.FollowingMode.position)
    else:
        action = xosc.FollowTrajectoryAction(traj, xosc.FollowingMode.position, domain, scale, offset)
    init = xosc.Init()
    place(init, "Ego", xosc.LanePosition(50, 0, -1, 0), speed)
    path = write(tmp_path, "follow", road, {"Ego": scenarios._vehicle("ego")}, init,
                 [("Ego", event("follow", {"f": action}, at_time("go", start)))], duration)
    trace = Trace()
    run_scenario(path, RunConfig(on_step=trace))
    return trace


def _world(x: float, y: float) -> xosc.WorldPosition:
    return xosc.WorldPosition(x, y, 0, 0)


def test_polyline_vertices_are_reached_at_their_absolute_times(tmp_path):
    line = xosc.Polyline([0.0, 5.0, 8.0], [_world(50, -1.5), _world(100, -1.5), _world(150, -4.5)])
    trace = _follow(tmp_path, line, domain=xosc.ReferenceContext.absolute, scale=1.0, offset=0.0)
    for t, (x, y) in ((2.5, (75.0, -1.5)), (5.0, (100.0, -1.5)), (6.5, (125.0, -3.0)), (8.0, (150.0, -4.5))):
        row = trace.at("Ego", t)
        assert (row[0], row[1]) == (pytest.approx(x, abs=1e-6), pytest.approx(y, abs=1e-6)), t
    assert trace.at("Ego", 3.0)[3] == pytest.approx(10.0)
    assert trace.at("Ego", 7.0)[3] == pytest.approx(math.hypot(50.0, 3.0) / 3.0)
    assert trace.at("Ego", 7.0)[2] == pytest.approx(math.atan2(-3.0, 50.0))
    assert trace.at("Ego", 8.0)[4] == pytest.approx(50.0 + math.hypot(50.0, 3.0), abs=1e-6)  # odometer


def test_relative_timing_scales_and_offsets_trajectory_time(tmp_path):
    """Started at t = 1 with scale 2 and offset 1: trajectory time 5 (x = 100) at t = 1 + (5 − 1)/2 = 3."""
    line = xosc.Polyline([0.0, 5.0, 8.0], [_world(50, -1.5), _world(100, -1.5), _world(150, -4.5)])
    trace = _follow(tmp_path, line, start=1.0, domain=xosc.ReferenceContext.relative, scale=2.0, offset=1.0)
    assert trace.at("Ego", 1.0)[0] == pytest.approx(50.0 + 10.0 * 1.0)  # lane following before the action
    assert trace.at("Ego", 3.0)[0] == pytest.approx(100.0, abs=1e-6)
    assert trace.at("Ego", 4.5)[:2] == pytest.approx([150.0, -4.5], abs=1e-6)  # trajectory time 8


def test_clothoid_at_constant_speed_follows_the_fresnel_integrals(tmp_path):
    """κ0 = 0, κ' = 0.001 1/m², from (50, −1.5) heading east: (x, y) = start + a·(C(s/a), S(s/a)), a = √(π/κ')."""
    kp = 0.001
    clothoid = xosc.Clothoid(0.0, kp, 60.0, _world(50, -1.5))
    trace = _follow(tmp_path, clothoid, speed=10.0)
    a = math.sqrt(math.pi / kp)
    for t in (2.0, 4.0, 6.0):
        s_path = 10.0 * t
        fs, fc = fresnel(s_path / a)
        row = trace.at("Ego", t)
        assert row[0] == pytest.approx(50.0 + a * fc, abs=0.02), t
        assert row[1] == pytest.approx(-1.5 + a * fs, abs=0.02), t
        assert row[2] == pytest.approx(0.5 * kp * s_path ** 2, abs=0.02)  # heading = κ' s² / 2


def test_clothoid_start_and_stop_times_set_the_pace(tmp_path):
    """60 m between startTime 0 and stopTime 3: 20 m/s whatever the entity's own speed."""
    clothoid = xosc.Clothoid(0.0, 0.0, 60.0, _world(50, -1.5), starttime=0.0, stoptime=3.0)
    trace = _follow(tmp_path, clothoid, domain=xosc.ReferenceContext.relative, scale=1.0, offset=0.0, speed=5.0)
    assert trace.at("Ego", 1.5)[0] == pytest.approx(80.0, abs=1e-6)
    assert trace.at("Ego", 1.5)[3] == pytest.approx(20.0)


def test_nurbs_quarter_circle_with_control_point_times(tmp_path):
    """The rational quadratic with weights (1, √2/2, 1) is an exact quarter circle (Piegl & Tiller §7.5);
    control-point times (0, 2, 4) are a coordinate of the curve, so t = 2 s is at 45°."""
    nurbs = xosc.Nurbs(3)
    w = math.sqrt(0.5)
    for (x, y), time, weight in (((50, -1.5), 0.0, 1.0), ((70, -1.5), 2.0, w), ((70, 18.5), 4.0, 1.0)):
        nurbs.add_control_point(xosc.ControlPoint(_world(x, y), time, weight))
    nurbs.add_knots([0, 0, 0, 1, 1, 1])
    trace = _follow(tmp_path, nurbs, domain=xosc.ReferenceContext.absolute, scale=1.0, offset=0.0)
    centre = np.array([50.0, 18.5])
    t = trace.time()
    xy = trace.of("Ego")[(t > 0.0) & (t <= 4.0), :2]
    assert np.hypot(*(xy - centre).T) == pytest.approx(20.0, abs=0.01)
    row = trace.at("Ego", 2.0)
    assert row[:2] == pytest.approx(centre + 20.0 * np.array([math.sin(math.pi / 4), -math.cos(math.pi / 4)]), abs=0.05)
    assert trace.at("Ego", 4.0)[:2] == pytest.approx([70.0, 18.5], abs=0.02)
