"""Trajectories the way esmini's pedestrian examples use them (pedestrian.xosc, pedestrian_collision.xosc).

Each test writes its own straight road and scenario.  Two constructs of those files:

* a SpeedAction and a FollowTrajectoryAction without time (TimeReference/None) in one event --
  ASAM OpenSCENARIO 1.3 §6.9: such a trajectory "does not specify the speed along the path", so
  it takes the lateral domain only and the SpeedAction keeps driving the walker along it;
* a follow-mode path that starts behind the walker (its first leg goes the other way round).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import engine_scenario_files as scenarios  # noqa: E402
from engine_story import Trace  # noqa: E402

from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402

WALKER = ('<Pedestrian name="walker" mass="80" model="m" pedestrianCategory="pedestrian"><BoundingBox>'
          '<Center x="0" y="0" z="0.9"/><Dimensions width="0.5" length="0.6" height="1.8"/></BoundingBox>'
          '<Properties/></Pedestrian>')


def _walk(tmp: Path, *, mode: str, x_end: float, timing: bool = False) -> Path:
    """The walker stands at x = 100 facing +x; at t > 0 one event starts a 2 m/s² ramp to 1.5 m/s and a
    two-vertex path from its spot to ``x_end`` (on the road's reference line, y = -1.75)."""
    road = scenarios.straight_road(tmp / "road.xodr", length=300.0, lanes=2)
    t0, t1 = ('time="0" ', f'time="{abs(x_end - 100) / 1.5}" ') if timing else ("", "")
    time_ref = ('<Timing domainAbsoluteRelative="relative" scale="1" offset="0"/>' if timing else "<None/>")
    path = tmp / "walk.xosc"
    path.write_text(f'''<?xml version="1.0"?>
<OpenSCENARIO><FileHeader revMajor="1" revMinor="1" date="2021-01-01T00:00:00" description="d" author="t"/>
<CatalogLocations/><RoadNetwork><LogicFile filepath="{road}"/></RoadNetwork>
<Entities><ScenarioObject name="Walker">{WALKER}</ScenarioObject></Entities>
<Storyboard><Init><Actions><Private entityRef="Walker"><PrivateAction><TeleportAction><Position>
<WorldPosition x="100" y="-1.75" h="0"/></Position></TeleportAction></PrivateAction></Private></Actions></Init>
<Story name="s"><Act name="act"><ManeuverGroup maximumExecutionCount="1" name="g"><Actors selectTriggeringEntities="false">
<EntityRef entityRef="Walker"/></Actors><Maneuver name="m"><Event name="walk" priority="overwrite">
<Action name="speed"><PrivateAction><LongitudinalAction><SpeedAction>
<SpeedActionDynamics dynamicsShape="linear" value="2" dynamicsDimension="rate"/><SpeedActionTarget>
<AbsoluteTargetSpeed value="1.5"/></SpeedActionTarget></SpeedAction></LongitudinalAction></PrivateAction></Action>
<Action name="path"><PrivateAction><RoutingAction><FollowTrajectoryAction><Trajectory name="p" closed="false">
<Shape><Polyline><Vertex {t0}><Position><WorldPosition x="100" y="-1.75"/></Position></Vertex>
<Vertex {t1}><Position><WorldPosition x="{x_end}" y="-1.75"/></Position></Vertex></Polyline></Shape></Trajectory>
<TimeReference>{time_ref}</TimeReference><TrajectoryFollowingMode followingMode="{mode}"/>
</FollowTrajectoryAction></RoutingAction></PrivateAction></Action>
<StartTrigger><ConditionGroup><Condition name="c" delay="0" conditionEdge="none"><ByValueCondition>
<SimulationTimeCondition value="0" rule="greaterThan"/></ByValueCondition></Condition></ConditionGroup></StartTrigger>
</Event></Maneuver></ManeuverGroup>
<StartTrigger><ConditionGroup><Condition name="go" delay="0" conditionEdge="none"><ByValueCondition>
<SimulationTimeCondition value="0" rule="greaterThan"/></ByValueCondition></Condition></ConditionGroup></StartTrigger>
</Act></Story><StopTrigger><ConditionGroup><Condition name="end" delay="0" conditionEdge="rising"><ByValueCondition>
<SimulationTimeCondition value="8" rule="greaterThan"/></ByValueCondition></Condition></ConditionGroup>
</StopTrigger></Storyboard></OpenSCENARIO>''')
    return path


def _trace(path: Path) -> Trace:
    trace = Trace()
    run_scenario(path, RunConfig(on_step=trace))
    return trace


def test_an_untimed_trajectory_leaves_the_speed_to_the_speed_action_beside_it(tmp_path):
    """Ramp 0 -> 1.5 m/s at 2 m/s² (0.75 s, 0.56 m), then 1.5 m/s: at t = 5 s the walker is
    0.5625 + 1.5 x (5 - 0.01 - 0.75) m along the path (the event starts in the first step)."""
    trace = _trace(_walk(tmp_path, mode="position", x_end=130.0))
    x, _, _, v, _, _ = trace.at("Walker", 5.0)
    assert abs(v - 1.5) < 1e-9
    assert abs(x - 100.0 - (0.5625 + 1.5 * (5.0 - 0.01 - 0.75))) < 0.02


def test_a_timed_trajectory_still_sets_the_speed_itself(tmp_path):
    """With Timing the trajectory owns the longitudinal domain: 30 m in 20 s is 1.5 m/s from the start,
    no ramp (the SpeedAction in the same event is replaced by it)."""
    trace = _trace(_walk(tmp_path, mode="position", x_end=130.0, timing=True))
    x, _, _, v, _, _ = trace.at("Walker", 5.0)
    assert abs(v - 1.5) < 1e-6
    assert abs(x - 100.0 - 1.5 * 5.0) < 0.05


def test_a_follow_mode_path_that_starts_behind_the_walker_is_walked_not_walked_away_from(tmp_path):
    """The walker faces +x and its path goes 30 m towards -x: it turns round and walks the path
    (pure pursuit alone steered 2 sin(alpha)/d ~ 0 towards a point straight behind and walked off)."""
    trace = _trace(_walk(tmp_path, mode="follow", x_end=70.0))
    x, y, h, v, _, _ = trace.at("Walker", 8.0)
    assert x < 100.0 - 8.0                       # about 10 m along the path by t = 8 s
    assert abs(y + 1.75) < 0.5                    # on it, not beside it
    assert abs(math.remainder(h - math.pi, math.tau)) < 0.2
    assert abs(v - 1.5) < 1e-9
