"""FollowTrajectoryAction's TrajectoryFollowingMode: ``position`` places the entity on the shape, ``follow`` drives
it along the shape within its dynamic constraints (OpenSCENARIO 1.x FollowingMode; pure pursuit, Coulter 1992).

Given a vehicle at 10 m/s with front-axle maxSteering 0.5 rad on a dry road (friction scale 1: lateral
acceleration ≤ g), a polyline with a 90° left corner at (100, −1.5) is passed through exactly in position
mode; in follow mode the vehicle turns on an arc no tighter than v²/g ≈ 10.2 m, cuts the corner by a bounded
amount and rejoins the second leg.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scenariogeneration import xosc

sys.path.insert(0, str(Path(__file__).parent))
import engine_scenario_files as scenarios  # noqa: E402
from engine_story import Trace, at_time, event, place, write  # noqa: E402

from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402
from simplatform.engine.trajectory import lookahead  # noqa: E402

SPEED = 10.0
CORNER = np.array([100.0, -1.5])
G = 9.81


def _world(x: float, y: float) -> xosc.WorldPosition:
    return xosc.WorldPosition(x, y, 0, 0)


def _run(tmp_path, points, mode, *, times=None, timing=None, friction: float | None = None,
         duration: float = 21.0, speed: float = SPEED, friction_at: tuple[float, float] | None = None) -> Trace:
    road = scenarios.straight_road(tmp_path / "straight.xodr")
    traj = xosc.Trajectory("path", False)
    traj.add_shape(xosc.Polyline(list(times) if times else [], [_world(*p) for p in points]))
    if timing is None:
        action = xosc.FollowTrajectoryAction(traj, mode)
    else:
        action = xosc.FollowTrajectoryAction(traj, mode, timing, 1.0, 0.0)
    init = xosc.Init()
    if friction is not None:
        init.add_global_action(xosc.EnvironmentAction(xosc.Environment(
            "env", roadcondition=xosc.RoadCondition(friction))))
    place(init, "Ego", xosc.LanePosition(50, 0, -1, 0), speed)
    events = [("Ego", event("follow", {"f": action}, at_time("go", 0.0)))]
    if friction_at is not None:
        wet = xosc.EnvironmentAction(xosc.Environment("wet", roadcondition=xosc.RoadCondition(friction_at[1])))
        events.append(("Ego", event("wet", {"w": wet}, at_time("rain", friction_at[0]))))
    path = write(tmp_path, f"follow_{mode.name}", road, {"Ego": scenarios._vehicle("ego")}, init, events, duration)
    trace = Trace()
    run_scenario(path, RunConfig(on_step=trace))
    return trace


def _distance_to_polyline(xy: np.ndarray, points) -> np.ndarray:
    p = np.asarray(points, float)
    best = np.full(len(xy), np.inf)
    for a, b in zip(p[:-1], p[1:]):
        d = b - a
        f = np.clip(((xy - a) @ d) / (d @ d), 0.0, 1.0)
        best = np.minimum(best, np.hypot(*(a + f[:, None] * d - xy).T))
    return best


CORNER_PATH = [(50.0, -1.5), (100.0, -1.5), (100.0, 148.5)]


def test_position_mode_passes_through_the_corner_vertex(tmp_path):
    xy = _run(tmp_path, CORNER_PATH, xosc.FollowingMode.position).of("Ego")[:, :2]
    assert np.hypot(*(xy - CORNER).T).min() == pytest.approx(0.0, abs=1e-6)
    assert _distance_to_polyline(xy[xy[:, 1] < 148.0], CORNER_PATH).max() < 1e-6


def test_follow_mode_cuts_the_corner_by_a_bounded_amount_and_rejoins(tmp_path):
    trace = _run(tmp_path, CORNER_PATH, xosc.FollowingMode.follow)
    rows = trace.of("Ego")
    on_path = rows[:, 1] < 148.0  # after the last vertex the default controller drives on
    xy = rows[on_path, :2]
    look = lookahead(SPEED)
    k = int(np.argmin(np.hypot(*(xy - CORNER).T)))
    cut = float(np.hypot(*(xy[k] - CORNER)))
    assert 1.0 < cut < look
    assert xy[k, 0] < CORNER[0] and xy[k, 1] > CORNER[1]  # inside the corner: it was cut, not overshot
    assert _distance_to_polyline(xy, CORNER_PATH).max() < look  # never farther off than the look-ahead
    leg2 = on_path & (rows[:, 1] > 100.0)
    assert leg2.any()
    assert np.abs(rows[leg2, 0] - CORNER[0]).max() < 0.01  # back on the second leg
    assert rows[leg2, 2] == pytest.approx(math.pi / 2, abs=0.01)
    # at 10 m/s the turn is friction-limited: lateral acceleration v·ψ' reaches, and never exceeds, μ·g
    yaw_rate = np.diff(np.unwrap(rows[:, 2])) / np.diff(trace.time())
    lateral = np.abs(rows[1:, 3] * yaw_rate)
    assert lateral.max() == pytest.approx(G, rel=0.01)


def test_lower_road_friction_widens_the_follow_mode_turn(tmp_path):
    dry = _run(tmp_path, CORNER_PATH, xosc.FollowingMode.follow).of("Ego")[:, :2]
    icy = _run(tmp_path, CORNER_PATH, xosc.FollowingMode.follow, friction=0.3).of("Ego")[:, :2]
    dry, icy = dry[dry[:, 1] < 148.0], icy[icy[:, 1] < 148.0]
    # μ·g = 2.9 m/s²: the tightest arc at 10 m/s is 34 m, far wider than the corner the driver aims at
    assert _distance_to_polyline(icy, CORNER_PATH).max() > _distance_to_polyline(dry, CORNER_PATH).max() + 2.0


def test_an_environment_action_before_the_corner_sets_the_grip_of_the_turn(tmp_path):
    """Friction 0.3 from t = 2 s (the corner is reached at t ≈ 4 s): the same path as on 0.3 from the start."""
    changed = _run(tmp_path, CORNER_PATH, xosc.FollowingMode.follow, friction_at=(2.0, 0.3)).of("Ego")
    icy = _run(tmp_path, CORNER_PATH, xosc.FollowingMode.follow, friction=0.3).of("Ego")
    assert np.array_equal(changed[:, :3], icy[:, :3])


@pytest.mark.parametrize("timed", [False, True])
def test_a_straight_trajectory_gives_the_same_path_in_both_modes(tmp_path, timed):
    points = [(50.0, -1.5), (150.0, -1.5)]
    kw = dict(times=[0.0, 10.0], timing=xosc.ReferenceContext.absolute) if timed else {}
    pos = _run(tmp_path, points, xosc.FollowingMode.position, duration=8.0, **kw).of("Ego")
    fol = _run(tmp_path, points, xosc.FollowingMode.follow, duration=8.0, **kw).of("Ego")
    assert fol[:, :4] == pytest.approx(pos[:, :4], abs=1e-9)


def test_follow_mode_with_timing_keeps_to_the_timed_reference(tmp_path):
    """Vertex times at 10 m/s along the legs: the entity starts at 5 m/s and catches up within its
    Performance (maxAcceleration 10 m/s²), then finishes the corner path when the last vertex is due."""
    trace = _run(tmp_path, CORNER_PATH, xosc.FollowingMode.follow, times=[0.0, 5.0, 20.0],
                 timing=xosc.ReferenceContext.absolute, duration=22.0, speed=5.0)
    rows, t = trace.of("Ego"), trace.time()
    accel = np.diff(rows[:, 3]) / np.diff(t)
    assert accel.max() <= 10.0 + 1e-9
    assert rows[int(np.argmin(np.abs(t - 3.0))), 3] == pytest.approx(10.0, abs=0.3)
    # it overshoots the pace while catching up, eases off after the (shorter) cut corner, and is back on
    # its timed reference on the second leg: the last vertex at its time
    assert rows[int(np.argmin(np.abs(t - 16.0))), 3] == pytest.approx(10.0, abs=0.05)
    assert rows[int(np.argmin(np.abs(t - 20.0))), :2] == pytest.approx([100.0, 148.5], abs=0.1)
