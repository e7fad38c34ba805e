"""esmini example files, batch 3: trajectories the way bicycle_fall_over.xosc drives them.

Its timed path ends with two vertices at one position (s = 130 at 3.5 s and at 4 s): the cyclist
lies still there.  Position mode ended the action when the path's length was reached (3.5 s) and
handed the entity on at its last pace (5 m/s), so it rode on past the end; a timed path ends at
its last time stamp.

esmini's vehicle catalog gives its bicycle ``<FrontAxle maxSteering="30">`` (degrees, where the
standard's unit is the radian).  Follow mode bounded the path curvature by tan(30)/wheelbase --
a negative number -- and the cyclist turned round every step and rode away from its timed path.
A steering angle at or past pi/2 bounds nothing; the grip limit still does.
Each test writes its own straight road and scenario.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_esmini_cases import place, two_car_scenario  # noqa: E402
from engine_story import Trace  # noqa: E402

from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402
from simplatform.engine.trajectory import FollowLimits  # noqa: E402


def _timed_follow(tmp: Path, max_steering: str, mode: str = "follow",
                  stamps: tuple[tuple[float, float], ...] = ((0, 30), (5, 80))) -> Path:
    """Ego (lane -1, s = 30) follows a timed path along its lane through (time, s) ``stamps``."""
    vertices = "".join(
        f'<Vertex time="{t}"><Position><LanePosition roadId="0" laneId="-1" s="{s}" offset="0"/></Position></Vertex>'
        for t, s in stamps)
    act = (
        '<ManeuverGroup maximumExecutionCount="1" name="g"><Actors selectTriggeringEntities="false">'
        '<EntityRef entityRef="Ego"/></Actors><Maneuver name="m"><Event name="e" priority="overwrite">'
        '<Action name="a"><PrivateAction><RoutingAction><FollowTrajectoryAction><Trajectory name="p" closed="false">'
        f'<Shape><Polyline>{vertices}</Polyline></Shape></Trajectory><TimeReference><Timing '
        'domainAbsoluteRelative="relative" scale="1" offset="0"/></TimeReference><TrajectoryFollowingMode '
        f'followingMode="{mode}"/></FollowTrajectoryAction></RoutingAction></PrivateAction></Action><StartTrigger>'
        '<ConditionGroup><Condition name="c" delay="0" conditionEdge="none"><ByValueCondition><SimulationTimeCondition '
        'value="0" rule="greaterThan"/></ByValueCondition></Condition></ConditionGroup></StartTrigger></Event>'
        '</Maneuver></ManeuverGroup>')
    init = (f'<Private entityRef="Ego">{place(-1, 30, 10)}</Private>'
            f'<Private entityRef="Other">{place(-1, 300, 0)}</Private>')
    path = two_car_scenario(tmp, init, act, lanes=1, length=500.0, duration=6.0)
    path.write_text(path.read_text().replace('FrontAxle maxSteering="0.5"', f'FrontAxle maxSteering="{max_steering}"'))
    return path


@pytest.mark.parametrize("max_steering", ["0.5", "30"])
def test_follow_mode_keeps_to_a_straight_timed_path_whatever_the_max_steering(tmp_path, max_steering):
    trace = Trace()
    run_scenario(_timed_follow(tmp_path, max_steering), RunConfig(on_step=trace))
    ego = trace.of("Ego")
    assert np.all(np.diff(ego[:, 0]) > 0)                       # never turns round
    assert np.max(np.abs(np.sin(ego[:, 2]))) < 0.05
    x, _, _, v, _, _ = trace.at("Ego", 4.0)
    assert abs(v - 10.0) < 0.5 and abs(x - trace.at("Ego", 0.01)[0] - 40.0) < 1.5


def test_a_steering_angle_at_or_past_a_right_angle_bounds_no_curvature():
    limits = dict(wheelbase=2.7, max_speed=30.0, max_acceleration=5.0, max_deceleration=8.0,
                  max_lateral_acceleration=9.81)
    assert FollowLimits(max_steering=30.0, **limits).max_curvature(0.0) == math.inf
    assert FollowLimits(max_steering=30.0, **limits).max_curvature(10.0) == pytest.approx(9.81 / 100)
    assert FollowLimits(max_steering=0.5, **limits).max_curvature(0.0) == pytest.approx(math.tan(0.5) / 2.7)


def test_a_timed_path_s_trailing_hold_keeps_the_entity_at_its_end(tmp_path):
    """s = 30 -> 50 in 2 s, then held at 50 until 3 s: at rest there from 2 s, and after the end."""
    trace = Trace()
    path = _timed_follow(tmp_path, "0.5", mode="position", stamps=((0, 30), (2, 50), (3, 50)))
    run_scenario(path, RunConfig(on_step=trace))
    assert trace.at("Ego", 1.0)[3] == pytest.approx(10.0)           # 20 m in 2 s
    for t in (2.5, 2.99, 3.5, 5.0):                                 # the road starts at x = 0
        x, _, _, v, _, _ = trace.at("Ego", t)
        assert x == pytest.approx(50.0, abs=1e-9) and v == 0.0


def test_a_follow_mode_timed_path_s_trailing_hold_brings_the_entity_to_rest_near_its_end(tmp_path):
    """Follow mode observes the vehicle's limits, so it may overrun the end a little, but it is at
    rest there once the hold is over, and stays so (it was handed on at about 4 m/s)."""
    trace = Trace()
    path = _timed_follow(tmp_path, "0.5", stamps=((0, 30), (2, 50), (3, 50)))
    run_scenario(path, RunConfig(on_step=trace))
    x3 = trace.at("Ego", 3.05)[0]
    assert 50.0 <= x3 <= 55.0 + 0.2                           # 10 m/s braked at 10 m/s²: 5 m
    for t in (3.05, 4.0, 5.5):
        x, _, _, v, _, _ = trace.at("Ego", t)
        assert v == 0.0 and x == pytest.approx(x3, abs=1e-9)
