"""How the engine plays structures found in external OpenSCENARIO files, round 5 (session 11: more of esmini's
EnvironmentSimulator/Unittest scenarios).  Each test writes its own small road and scenario in the shape that
mattered."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

from simplatform.engine.run import RunConfig, run_scenario

sys.path.insert(0, str(Path(__file__).parent))
from test_engine_s11_external import scenario, story, transitions  # noqa: E402


# --- RelativeSpeedCondition@direction (esmini's direction_dimension_trig.xosc) ----------------------------------
def along(entity: str, shape: str, value: float, speed: float, points: list[tuple[float, float]]) -> str:
    """``entity`` following a world-position polyline at a speed reached with ``shape`` over ``value`` s."""
    verts = "".join(f'<Vertex><Position><WorldPosition x="{x}" y="{y}"/></Position></Vertex>' for x, y in points)
    return (f'<Private entityRef="{entity}"><PrivateAction><LongitudinalAction><SpeedAction><SpeedActionDynamics '
            f'dynamicsShape="{shape}" dynamicsDimension="time" value="{value}"/><SpeedActionTarget><AbsoluteTargetSpeed '
            f'value="{speed}"/></SpeedActionTarget></SpeedAction></LongitudinalAction></PrivateAction><PrivateAction>'
            f'<RoutingAction><FollowTrajectoryAction><Trajectory closed="false" name="t_{entity}"><Shape><Polyline>'
            f'{verts}</Polyline></Shape></Trajectory><TimeReference><None/></TimeReference><TrajectoryFollowingMode '
            'followingMode="follow"/></FollowTrajectoryAction></RoutingAction></PrivateAction></Private>')


def relative_speed_event(direction: str, rule: str, value: float) -> str:
    return ('<ManeuverGroup name="g" maximumExecutionCount="1"><Actors selectTriggeringEntities="false"><EntityRef '
            'entityRef="hero"/></Actors><Maneuver name="m"><Event name="go" priority="overwrite"><Action name="go">'
            '<UserDefinedAction><CustomCommandAction type="noop"/></UserDefinedAction></Action><StartTrigger>'
            '<ConditionGroup><Condition name="rel" delay="0" conditionEdge="none"><ByEntityCondition>'
            '<TriggeringEntities triggeringEntitiesRule="any"><EntityRef entityRef="adversary"/></TriggeringEntities>'
            f'<EntityCondition><RelativeSpeedCondition entityRef="hero" rule="{rule}" value="{value}" '
            f'direction="{direction}"/></EntityCondition></ByEntityCondition></Condition></ConditionGroup>'
            '</StartTrigger></Event></Maneuver></ManeuverGroup>')


@pytest.mark.parametrize("direction, rule, value, start", [("longitudinal", "greaterThan", 3.0, 2.15),
                                                          ("lateral", "lessThan", -9.0, 0.0)])
def test_a_directional_relative_speed_is_the_relative_velocity_on_the_triggering_entitys_axes(
        tmp_path, direction, rule, value, start):
    """The adversary drives at right angles to the hero (heading -y, 0 -> 7 m/s over 5 s; the hero at 10 m/s
    along +x).  On the adversary's axes the relative velocity is (v, -10): its longitudinal part passes 3 m/s at
    3/7 * 5 = 2.14 s, its lateral part is -10 from the start.  Before, each car's own speed was projected on its
    own heading: v - 10 longitudinally (never > 3) and 0 laterally (never < -9), so neither event started."""
    init = (along("hero", "step", 0.0, 10.0, [(50.0, -2.0), (400.0, -2.0)])
            + along("adversary", "linear", 5.0, 7.0, [(90.0, 40.0), (90.0, -40.0)]))
    path = scenario(tmp_path, init=init, story=story(relative_speed_event(direction, rule, value), start=0.0),
                    minor=2)
    result = run_scenario(path, RunConfig(dt=0.05, max_time=5.0))
    started = [t for t, kind in transitions(result, "Event") if kind == "startTransition"]
    assert started and started[0] == pytest.approx(start, abs=0.06)


# --- a clothoid's heading is its tangent (esmini's trajectory-continuity.xosc) ----------------------------------
def clothoid(curvature: float, curvature_dot: float, length: float) -> str:
    return ('<PrivateAction><RoutingAction><FollowTrajectoryAction><Trajectory name="c" closed="false"><Shape>'
            f'<Clothoid curvature="{curvature}" curvatureDot="{curvature_dot}" length="{length}"><Position>'
            '<RelativeObjectPosition entityRef="adversary" dx="0" dy="0"><Orientation type="relative"/>'
            '</RelativeObjectPosition></Position></Clothoid></Shape></Trajectory><TimeReference><None/></TimeReference>'
            '<TrajectoryFollowingMode followingMode="position"/></FollowTrajectoryAction></RoutingAction>'
            '</PrivateAction>')


def test_a_clothoid_trajectory_ends_on_its_end_tangent(tmp_path):
    """esmini's first clothoid: curvature 0.000667 rising at 0.017049 /m over 6.4779 m turns the car by
    0.000667 L + 0.017049 L^2 / 2 = 0.3620 rad; the second clothoid starts from the car's pose at the end of the
    first.  Before, the heading was the direction of the chord between the 0.25 m samples: 0.3485 rad at the end
    (half a sample's turn short), and the second clothoid ended 0.07 m beside esmini's."""
    from test_engine_s11_external import event, group, place
    length, k0, dk = 6.4779, 0.0006666666666666666, 0.017049
    path = scenario(tmp_path, init=place("hero", 20) + place("adversary", 100, speed=5.0),
                    story=story(group(event("turn", clothoid(k0, dk, length), 1.0)), start=0.0))
    headings: dict[float, float] = {}

    def seen(engine) -> None:
        snap = engine.snapshot()
        headings[round(snap.time, 2)] = float(snap.heading[snap.names.index("adversary")])

    result = run_scenario(path, RunConfig(dt=0.01, max_time=3.0, on_step=seen))
    end = [t for t, kind in transitions(result, "Action") if kind == "endTransition"][0]
    # the step after the end is decided puts the car on the end point
    assert headings[round(end + 0.01, 2)] == pytest.approx(k0 * length + 0.5 * dk * length ** 2, abs=1e-6)  # before: 0.3485


def test_chained_arc_line_arc_clothoids_end_one_lane_over_as_in_esmini(tmp_path):
    """esmini's resources/xosc/lane-change_clothoid_based_trajectory.xosc: an arc (r 100 m, 15 m), a 5 m line and
    the opposite arc, each started from the car's pose when the one before completes, at 50 km/h.  The lateral
    shift is 2 r (1 - cos 0.15) + 5 sin 0.15 = 2.993 m and the car ends parallel to the road (esmini: y 1.458
    from -1.535, h 0.001 at 4.52 s; here the same to the mm).  Before, each arc ended 0.0075 rad short of its
    tangent and the car ended 2.968 m over, heading -0.0 after a 0.02 rad overshoot."""
    from test_engine_s11_external import group, place

    def chained(name: str, k: float, length: float, trigger: str) -> str:
        return (f'<Event name="{name}" priority="overwrite"><Action name="{name}">{clothoid(k, 0.0, length)}</Action>'
                f'<StartTrigger><ConditionGroup><Condition name="c{name}" delay="0" conditionEdge="none">'
                f'<ByValueCondition>{trigger}</ByValueCondition></Condition></ConditionGroup></StartTrigger></Event>')

    def after(name: str) -> str:
        return (f'<StoryboardElementStateCondition storyboardElementType="event" storyboardElementRef="{name}" '
                'state="completeState"/>')

    events = (chained("arc1", 0.01, 15.0, '<SimulationTimeCondition value="1" rule="greaterThan"/>')
              + chained("line", 0.0, 5.0, after("arc1")) + chained("arc2", -0.01, 15.0, after("line")))
    path = scenario(tmp_path, init=place("hero", 20) + place("adversary", 100, speed=50 / 3.6),
                    story=story(group(events), start=0.0))
    poses: dict[float, tuple[float, float]] = {}

    def seen(engine) -> None:
        snap = engine.snapshot()
        i = snap.names.index("adversary")
        poses[round(snap.time, 2)] = (float(snap.y[i]), float(snap.heading[i]))

    result = run_scenario(path, RunConfig(dt=0.01, max_time=5.0, on_step=seen))
    end = [t for t, kind in transitions(result, "Event") if kind == "endTransition"][-1]
    y0 = poses[min(poses)][0]
    y_end, h_end = poses[round(end + 0.01, 2)]
    assert y_end - y0 == pytest.approx(2 * 100 * (1 - math.cos(0.15)) + 5 * math.sin(0.15), abs=2e-3)  # before: 2.968
    assert abs(h_end) < 2e-3
