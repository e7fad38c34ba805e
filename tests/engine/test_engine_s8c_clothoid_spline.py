"""esmini example files, batch 3: ClothoidSpline trajectories as lane-change_clothoid_spline_based_trajectory.xosc writes them.

* a spline whose first segment has no PositionStart (optional in the 1.3 XSD) starts at the
  entity's pose -- it was refused ("the first segment needs a PositionStart");
* segment ``timeStart``s with the spline's ``timeEnd`` time the path under a Timing reference --
  they were dropped and the entity kept its own speed.

Each test writes its own straight road and scenario.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_esmini_cases import place, two_car_scenario  # noqa: E402
from engine_story import Trace  # noqa: E402

from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402


def _spline(tmp: Path, segments: str, time_end: str = "", timing: bool = False) -> Trace:
    """Ego (lane -1, s = 30, 10 m/s) follows ``segments`` in position mode from t > 0."""
    time_ref = ('<Timing domainAbsoluteRelative="relative" scale="1" offset="0"/>' if timing else '<None/>')
    act = (
        '<ManeuverGroup maximumExecutionCount="1" name="g"><Actors selectTriggeringEntities="false">'
        '<EntityRef entityRef="Ego"/></Actors><Maneuver name="m"><Event name="e" priority="overwrite">'
        '<Action name="a"><PrivateAction><RoutingAction><FollowTrajectoryAction><Trajectory name="p" closed="false">'
        f'<Shape><ClothoidSpline {time_end}>{segments}</ClothoidSpline></Shape></Trajectory><TimeReference>'
        f'{time_ref}</TimeReference><TrajectoryFollowingMode followingMode="position"/></FollowTrajectoryAction>'
        '</RoutingAction></PrivateAction></Action><StartTrigger><ConditionGroup><Condition name="c" delay="0" '
        'conditionEdge="none"><ByValueCondition><SimulationTimeCondition value="0" rule="greaterThan"/>'
        '</ByValueCondition></Condition></ConditionGroup></StartTrigger></Event></Maneuver></ManeuverGroup>')
    init = (f'<Private entityRef="Ego">{place(-1, 30, 10)}</Private>'
            f'<Private entityRef="Other">{place(-1, 300, 0)}</Private>')
    trace = Trace()
    run_scenario(two_car_scenario(tmp, init, act, lanes=1, length=500.0, duration=4.0), RunConfig(on_step=trace))
    return trace


def test_a_spline_without_a_first_position_start_starts_at_the_entity(tmp_path):
    trace = _spline(tmp_path, '<ClothoidSplineSegment curvatureStart="0" curvatureEnd="0" length="20"/>')
    x0, y0, h0, _, _, _ = trace.at("Ego", 0.01)
    x, y, h, v, _, _ = trace.at("Ego", 1.01)
    assert x - x0 == pytest.approx(10.0, abs=1e-6) and y == pytest.approx(y0) and h == pytest.approx(h0)


def test_segment_time_starts_and_the_time_end_time_the_spline(tmp_path):
    """10 m from 0 s to 1 s, 10 m from 1 s to 3 s: 10 m/s, then 5 m/s."""
    segments = ('<ClothoidSplineSegment curvatureStart="0" curvatureEnd="0" length="10" timeStart="0"/>'
                '<ClothoidSplineSegment curvatureStart="0" curvatureEnd="0" length="10" timeStart="1"/>')
    trace = _spline(tmp_path, segments, time_end='timeEnd="3"', timing=True)
    assert trace.at("Ego", 0.5)[3] == pytest.approx(10.0, rel=1e-6)
    assert trace.at("Ego", 2.0)[3] == pytest.approx(5.0, rel=1e-6)
