"""The engine plays constructs of esmini's example scenarios the way esmini does, or says why it cannot.

Each test writes its own small road and scenario; the cases come from esmini's cut-in.xosc
(time headway to an entity still behind), acc-test.xosc (an esmini built-in controller,
a lane change into the oncoming lane, which runs since session 10) and cut-in_sumo.xosc (a SUMO co-simulation).
"""

from __future__ import annotations

import sys
from pathlib import Path

import math

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_esmini_cases import place as _place, two_car_scenario  # noqa: E402
from engine_story import Trace  # noqa: E402

from simplatform.control import Control  # noqa: E402
from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402
from simplatform.errors import ScenarioError  # noqa: E402

def _two_cars(ego: tuple[int, float, float], other: tuple[int, float, float], ego_extra: str = "") -> str:
    """Init of Ego and Other: (lane, s, speed) each; ``ego_extra`` adds private actions to the Ego."""
    return (f'<Private entityRef="Ego">{_place(*ego)}{ego_extra}</Private>'
            f'<Private entityRef="Other">{_place(*other)}</Private>')


def _event(name: str, action: str, condition: str, actor: str = "Ego") -> str:
    return (f'<ManeuverGroup maximumExecutionCount="1" name="g_{name}"><Actors selectTriggeringEntities="false">'
            f'<EntityRef entityRef="{actor}"/></Actors><Maneuver name="m_{name}"><Event name="{name}" '
            f'priority="overwrite"><Action name="a_{name}">{action}</Action><StartTrigger><ConditionGroup>'
            f'<Condition name="c_{name}" delay="0" conditionEdge="rising">{condition}</Condition></ConditionGroup>'
            '</StartTrigger></Event></Maneuver></ManeuverGroup>')


LANE_CHANGE_LEFT = ('<PrivateAction><LateralAction><LaneChangeAction><LaneChangeActionDynamics '
                    'dynamicsShape="sinusoidal" value="2" dynamicsDimension="time"/><LaneChangeTarget>'
                    '<RelativeTargetLane entityRef="Ego" value="1"/></LaneChangeTarget></LaneChangeAction>'
                    '</LateralAction></PrivateAction>')
AT_1S = '<ByValueCondition><SimulationTimeCondition value="1" rule="greaterThan"/></ByValueCondition>'
MARK = '<PrivateAction><VisibilityAction graphics="true" traffic="true" sensors="true"/></PrivateAction>'


def _scenario(tmp: Path, init: str, events: str, *, lanes: int = 2, ego_controller: str = "",
              duration: float = 10.0) -> Path:
    return two_car_scenario(tmp, init, events, lanes=lanes, ego_controller=ego_controller, duration=duration)


def _start(result, name: str) -> float | None:
    times = [e.time for e in result.events if e.kind == "Event.startTransition" and e.detail == name]
    return times[0] if times else None


def test_time_headway_to_an_entity_behind_is_undefined_not_infinite(tmp_path):
    """Other starts 25 m behind Ego, 10 m/s faster: headway > 0.4 s once it is 0.4 s x 20 m/s = 8 m ahead,
    at (25 + 8) / 10 = 3.3 s; before, with Other behind, there is no headway and the condition is false."""
    cond = ('<ByEntityCondition><TriggeringEntities triggeringEntitiesRule="any"><EntityRef entityRef="Ego"/>'
            '</TriggeringEntities><EntityCondition><TimeHeadwayCondition entityRef="Other" value="0.4" '
            'freespace="false" coordinateSystem="road" relativeDistanceType="longitudinal" rule="greaterThan"/>'
            '</EntityCondition></ByEntityCondition>')
    init = _two_cars((-1, 50, 20), (-2, 25, 30))
    result = run_scenario(_scenario(tmp_path, init, _event("probe", MARK, cond)), RunConfig())
    assert _start(result, "probe") == pytest.approx(3.3, abs=0.011)


ACC = ('<ObjectController><Controller name="ACCController"><Properties><Property name="timeGap" value="1.0"/>'
       '</Properties></Controller></ObjectController>')
ACTIVATE = '<PrivateAction><ActivateControllerAction longitudinal="true" lateral="false"/></PrivateAction>'


def test_activating_an_esmini_builtin_controller_is_a_clear_error(tmp_path):
    init = _two_cars((-1, 50, 20), (-1, 150, 10), ACTIVATE)
    path = _scenario(tmp_path, init, _event("idle", MARK, AT_1S), ego_controller=ACC)
    with pytest.raises(ScenarioError, match="esmini's built-in ACCController") as err:
        run_scenario(path, RunConfig())
    assert (Path(err.value.location.file).name, err.value.location.element) == ("s.xosc", "Controller")


def test_an_assigned_but_inactive_esmini_controller_and_an_external_one_run(tmp_path):
    external = ACC.replace("ACCController", "ExternalController")
    init = _two_cars((-1, 50, 20), (-1, 150, 10), ACTIVATE)
    assert run_scenario(_scenario(tmp_path, init, _event("idle", MARK, AT_1S), ego_controller=external,
                                  duration=2), RunConfig()).end_reason == "stop_trigger"
    init = _two_cars((-1, 50, 20), (-1, 150, 10))
    assert run_scenario(_scenario(tmp_path, init, _event("idle", MARK, AT_1S), ego_controller=ACC, duration=2),
                        RunConfig()).end_reason == "stop_trigger"


def test_a_lane_change_into_the_oncoming_lane_runs_and_keeps_the_car_s_way(tmp_path):
    """acc-test.xosc's move: one lane left from lane -1 of a one-lane-a-side road is lane 1, which runs
    west (refused before session 10); the Ego slides into it and keeps going east, as in esmini."""
    init = _two_cars((-1, 50, 20), (-1, 300, 10))
    trace = Trace()
    run_scenario(_scenario(tmp_path, init, _event("change", LANE_CHANGE_LEFT, AT_1S), lanes=1, duration=4),
                 RunConfig(on_step=trace))
    x, y, heading = trace.of("Ego")[-1][:3]
    assert trace.lane_of("Ego")[-1][:2] == ("0", 1)
    assert y > 0 and x == pytest.approx(50 + 20 * trace.time()[-1], abs=1e-6)
    assert abs(math.remainder(heading, 2 * math.pi)) < 1e-9


def test_a_sumo_controller_is_refused_once_assigned(tmp_path):
    """esmini's cut-in_sumo.xosc assigns a SumoController in an ObjectController, without activating it."""
    sumo = ('<ObjectController><Controller name="SumoController"><Properties>'
            '<File filepath="../sumo_inputs/e6mini.sumocfg"/></Properties></Controller></ObjectController>')
    init = _two_cars((-1, 50, 20), (-1, 150, 10))
    with pytest.raises(ScenarioError, match="external SUMO process") as err:
        run_scenario(_scenario(tmp_path, init, _event("idle", MARK, AT_1S), ego_controller=sumo), RunConfig())
    assert err.value.location.element == "Controller"


class _Coast:
    """A stack that never steers or pedals."""

    def setup(self, rig, route) -> None:
        return None

    def step(self, snapshot):
        return Control()


def test_a_lateral_action_on_the_stack_driven_ego_is_left_to_the_stack(tmp_path):
    """esmini files script their Ego's lane changes; under a stack the Ego is the stack's to steer."""
    init = _two_cars((-2, 50, 10), (-1, 300, 10))
    seen = []
    result = run_scenario(_scenario(tmp_path, init, _event("change", LANE_CHANGE_LEFT, AT_1S), duration=3),
                          RunConfig(stack=_Coast(), on_step=seen.append))
    assert result.end_reason == "stop_trigger"
    notes = [r.detail for r in seen[-1].records if r.kind == "LaneChangeAction"]
    assert notes == ["not applied: driven by the stack under test"]


def test_an_esmini_controller_property_decides_over_a_driver_property_name(tmp_path):
    """esmini's catalog entry interactiveDriver says esminiController=InteractiveController and also
    has speedFactor (a driver-model property here): it is esmini's interactive controller."""
    interactive = ('<ObjectController><Controller name="interactiveDriver"><Properties>'
                   '<Property name="esminiController" value="InteractiveController"/>'
                   '<Property name="steeringRate" value="4.0"/><Property name="speedFactor" value="1.0"/>'
                   '</Properties></Controller></ObjectController>')
    init = _two_cars((-1, 50, 20), (-1, 150, 10), ACTIVATE)
    with pytest.raises(ScenarioError, match="esmini's built-in InteractiveController"):
        run_scenario(_scenario(tmp_path, init, _event("idle", MARK, AT_1S), ego_controller=interactive), RunConfig())


_ONCOMING = "".join(f'<Vertex><Position><WorldPosition x="{x}" y="{y}" h="0"/></Position></Vertex>'
                    for x, y in ((70, -1.75), (80, -1.75), (100, 1.75), (120, 1.75)))
_FOLLOW_ONCOMING = ('<PrivateAction><RoutingAction><FollowTrajectoryAction><TrajectoryRef><Trajectory name="t" '
                    f'closed="false"><Shape><Polyline>{_ONCOMING}</Polyline></Shape></Trajectory></TrajectoryRef>'
                    '<TimeReference><None/></TimeReference><TrajectoryFollowingMode followingMode="position"/>'
                    '</FollowTrajectoryAction></RoutingAction></PrivateAction>')


def test_a_trajectory_ending_in_the_oncoming_lane_drives_on_along_its_heading(tmp_path):
    """From lane -1 (centre y = -1.75) across the centre line to y = +1.75 and on heading east (esmini's
    clothoid lane change): lane 1 runs west, but the car faces east, so it keeps going east rather than
    being turned round on the spot by lane following."""
    init = '<Private entityRef="Ego">' + _place(-1, 50, 20) + '</Private><Private entityRef="Other">' + \
        _place(-1, 600, 0) + '</Private>'
    trace = Trace()
    run_scenario(_scenario(tmp_path, init, _event("swerve", _FOLLOW_ONCOMING, AT_1S), lanes=1, duration=6),
                 RunConfig(on_step=trace))
    x, y, heading = trace.of("Ego")[-1][:3]
    assert x > 120 + 20 * 2  # about 4 s of driving east after the trajectory's end
    assert y == pytest.approx(1.75, abs=0.05)
    assert abs(math.remainder(heading, 2 * math.pi)) < 0.01
    assert max(abs(math.remainder(h, 2 * math.pi)) for h in trace.of("Ego")[:, 2]) < 0.6  # never turned round


def test_the_storyboard_stopping_a_head_on_trajectory_leaves_the_heading_as_it_was(tmp_path):
    """The library's head-on targets drive a trajectory against their lane; the storyboard's stop ends
    the action, and the last step used to turn the target round (a yaw of pi in one step)."""
    head_on = "".join(f'<Vertex><Position><WorldPosition x="{x}" y="-1.75" h="3.141592653589793"/></Position>'
                      '</Vertex>' for x in (300, 200, 100))
    follow = ('<PrivateAction><RoutingAction><FollowTrajectoryAction><TrajectoryRef><Trajectory name="t" '
              f'closed="false"><Shape><Polyline>{head_on}</Polyline></Shape></Trajectory></TrajectoryRef>'
              '<TimeReference><None/></TimeReference><TrajectoryFollowingMode followingMode="position"/>'
              '</FollowTrajectoryAction></RoutingAction></PrivateAction>')
    init = '<Private entityRef="Ego">' + _place(-1, 20, 10) + '</Private><Private entityRef="Other">' + \
        _place(-1, 300, 10) + '</Private>'
    trace = Trace()
    run_scenario(_scenario(tmp_path, init, _event("head_on", follow, AT_1S, actor="Other"), lanes=1, duration=3),
                 RunConfig(on_step=trace))
    headings = trace.of("Other")[trace.time() > 1.5, 2]
    assert all(abs(abs(h) - math.pi) < 0.01 for h in headings)   # facing west to the very last step
