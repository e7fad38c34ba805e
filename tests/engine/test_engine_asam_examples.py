"""Constructs of the ASAM OpenSCENARIO example files and the UN R157 ALKS templates.

* a zero-rate SpeedAction whose target is the speed the entity already has (the ALKS cut-in's
  ``CutInVehicle_Acceleration_Rate_mps2`` = 0.0; 40/3.6 against 60/3.6 - 20/3.6 differ in the last
  bit) completes at once -- it was refused at load; a zero rate that would have to change the
  speed stops the run with an error naming the element;
* an entity placed turned from its lane (the ALKS crossing pedestrian, h = 1.57 rad) keeps its
  heading while it stands -- it was snapped to the lane's heading one step after Init;
* Init's teleports are started each after those of the entities its position refers to
  (SlowPrecedingVehicle.xosc places the Ego relative to A1, written later).

Each test writes its own straight road and scenario.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from engine_esmini_cases import place, two_car_scenario  # noqa: E402
from engine_story import Trace  # noqa: E402

from simplatform.engine.dynamics import Transition  # noqa: E402
from simplatform.engine.init_order import order_init_privates  # noqa: E402
from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402
from simplatform.errors import ScenarioError  # noqa: E402
from simplatform.openscenario import load_scenario  # noqa: E402


def _speed_event(target: str, rate: str) -> str:
    return ('<ManeuverGroup maximumExecutionCount="1" name="g"><Actors selectTriggeringEntities="false">'
            '<EntityRef entityRef="Other"/></Actors><Maneuver name="m"><Event name="e" priority="overwrite">'
            '<Action name="a"><PrivateAction><LongitudinalAction><SpeedAction>'
            f'<SpeedActionDynamics dynamicsShape="linear" value="{rate}" dynamicsDimension="rate"/>'
            f'<SpeedActionTarget><AbsoluteTargetSpeed value="{target}"/></SpeedActionTarget></SpeedAction>'
            '</LongitudinalAction></PrivateAction></Action><StartTrigger><ConditionGroup><Condition name="c" '
            'delay="0" conditionEdge="none"><ByValueCondition><SimulationTimeCondition value="0.5" '
            'rule="greaterThan"/></ByValueCondition></Condition></ConditionGroup></StartTrigger></Event>'
            '</Maneuver></ManeuverGroup>')


def _relative_init() -> str:
    """Other at Ego's speed minus 20/3.6 (RelativeTargetSpeed delta, as the ALKS cut-in)."""
    return (f'<Private entityRef="Ego">{place(-1, 10, "${60 / 3.6}")}</Private>'
            '<Private entityRef="Other"><PrivateAction><TeleportAction><Position><LanePosition roadId="0" '
            'laneId="-1" s="100" offset="0"/></Position></TeleportAction></PrivateAction><PrivateAction>'
            '<LongitudinalAction><SpeedAction><SpeedActionDynamics dynamicsShape="step" dynamicsDimension="time" '
            'value="0"/><SpeedActionTarget><RelativeTargetSpeed entityRef="Ego" value="${-20 / 3.6}" '
            'speedTargetValueType="delta" continuous="false"/></SpeedActionTarget></SpeedAction>'
            '</LongitudinalAction></PrivateAction></Private>')


def test_a_zero_rate_transition_to_the_value_it_has_ends_at_once():
    start, target = 60 / 3.6 - 20 / 3.6, 40 / 3.6
    assert start != target  # the case: equal up to the last bit
    tr = Transition.create("linear", "rate", 0.0, start, target)
    assert tr.extent == 0.0 and tr.done(0.0) and tr.value_at(0.0) == target
    with pytest.raises(ScenarioError, match="rate must not be 0 where the value has to change .from 11.1111 to 15"):
        Transition.create("linear", "rate", 0.0, start, 15.0)


def test_an_alks_zero_rate_speed_action_runs_and_keeps_the_speed(tmp_path):
    path = two_car_scenario(tmp_path, _relative_init(), _speed_event("${40 / 3.6}", "0.0"), lanes=1,
                            duration=2.0)
    trace = Trace()
    run_scenario(path, RunConfig(on_step=trace))
    assert trace.of("Other")[-1, 3] == pytest.approx(40 / 3.6, abs=1e-9)


def test_a_zero_rate_speed_action_that_must_change_the_speed_is_an_error(tmp_path):
    path = two_car_scenario(tmp_path, _relative_init(), _speed_event("20", "0.0"), lanes=1, duration=2.0)
    with pytest.raises(ScenarioError) as err:
        run_scenario(path, RunConfig())
    assert "rate must not be 0 where the value has to change" in str(err.value)
    assert err.value.location.file == str(path) and err.value.location.line is not None


def test_an_entity_placed_turned_from_its_lane_keeps_its_heading_while_it_stands(tmp_path):
    init = (f'<Private entityRef="Ego">{place(-1, 10, 10)}</Private>'
            f'<Private entityRef="Other">{place(-1, 200, 0, h=1.2)}</Private>')
    trace = Trace()
    act = _speed_event("0", "1")  # Other stays at rest
    run_scenario(two_car_scenario(tmp_path, init, act, lanes=1, duration=1.0), RunConfig(on_step=trace))
    assert trace.of("Other")[:, 2] == pytest.approx(1.2, abs=1e-12)  # was 0 from the first step
    assert trace.of("Ego")[-1, 2] == pytest.approx(0.0, abs=1e-12)


def _init_order_scenario(tmp: Path, other_position: str) -> Path:
    """Ego placed 50 m behind Other, written first; Other placed by ``other_position``."""
    rel = ('<PrivateAction><TeleportAction><Position><RelativeLanePosition entityRef="Other" dLane="0" ds="-50"/>'
           '</Position></TeleportAction></PrivateAction>')
    init = (f'<Private entityRef="Ego">{rel}</Private>'
            f'<Private entityRef="Other"><PrivateAction><TeleportAction><Position>{other_position}</Position>'
            '</TeleportAction></PrivateAction></Private>')
    return two_car_scenario(tmp, init, _speed_event("0", "1"), lanes=1, duration=1.0)


def test_init_teleports_are_ordered_by_what_their_positions_refer_to(tmp_path):
    sc = load_scenario(_init_order_scenario(tmp_path, '<LanePosition roadId="0" laneId="-1" s="200"/>'))
    privates = [(p.entity_ref, a) for p in sc.storyboard.init.actions.privates for a in p.private_actions]
    privates.sort(key=lambda pa: pa[0] != "Ego")  # as written (the loader already puts Other first)
    assert [e for e, _ in privates] == ["Ego", "Other"]
    assert [e for e, _ in order_init_privates(privates)] == ["Other", "Ego"]


def test_init_teleports_that_refer_to_each_other_are_an_error_naming_the_element(tmp_path):
    path = _init_order_scenario(tmp_path, '<RelativeLanePosition entityRef="Ego" dLane="0" ds="50"/>')
    sc = load_scenario(path)
    privates = [(p.entity_ref, a) for p in sc.storyboard.init.actions.privates for a in p.private_actions]
    with pytest.raises(ScenarioError, match="refer to each other in a cycle") as err:
        order_init_privates(privates)
    assert err.value.location.line is not None and err.value.location.file == str(path)


def test_a_trailer_action_is_refused_naming_the_element(tmp_path):
    """ASAM's TrailerConnect.xosc: the engine has no trailer model, so coupling is refused, not ignored."""
    act = ('<ManeuverGroup maximumExecutionCount="1" name="g"><Actors selectTriggeringEntities="false">'
           '<EntityRef entityRef="Ego"/></Actors><Maneuver name="m"><Event name="e" priority="overwrite">'
           '<Action name="a"><PrivateAction><TrailerAction><ConnectTrailerAction trailerRef="Other"/>'
           '</TrailerAction></PrivateAction></Action><StartTrigger><ConditionGroup><Condition name="c" '
           'delay="0" conditionEdge="none"><ByValueCondition><SimulationTimeCondition value="1" '
           'rule="greaterThan"/></ByValueCondition></Condition></ConditionGroup></StartTrigger></Event>'
           '</Maneuver></ManeuverGroup>')
    init = f'<Private entityRef="Ego">{place(-1, 10, 5)}</Private><Private entityRef="Other">{place(-1, 50, 0)}</Private>'
    path = two_car_scenario(tmp_path, init, act, lanes=1, duration=2.0)
    with pytest.raises(ScenarioError, match="TrailerAction: connecting and disconnecting trailers is not modelled") as err:
        run_scenario(path, RunConfig())
    assert err.value.location.file == str(path) and err.value.location.element == "TrailerAction"


def test_a_vehicle_towing_a_trailer_is_refused_naming_the_element(tmp_path):
    init = f'<Private entityRef="Ego">{place(-1, 10, 5)}</Private><Private entityRef="Other">{place(-1, 50, 0)}</Private>'
    path = two_car_scenario(tmp_path, init, _speed_event("0", "1"), lanes=1, duration=1.0)
    text = path.read_text()
    towing = text.replace('</Axles></Vehicle></ScenarioObject>\n<ScenarioObject name="Other">',
                          '</Axles><Trailer><TrailerRef entityRef="Other"/></Trailer></Vehicle></ScenarioObject>\n'
                          '<ScenarioObject name="Other">', 1)
    assert towing != text
    path.write_text(towing)
    with pytest.raises(ScenarioError, match="vehicle 'Ego' tows a trailer") as err:
        run_scenario(path, RunConfig())
    assert err.value.location.element == "Trailer" and err.value.location.line is not None


def test_an_untimed_path_started_at_a_negative_speed_is_driven_tail_first(tmp_path):
    """esmini issue #389 / ASAM TrailerConnect.xosc: reversing along a trajectory moves the entity along it
    at |v|, facing against the path; it was held at the path's start until max_time."""
    act = ('<ManeuverGroup maximumExecutionCount="1" name="g"><Actors selectTriggeringEntities="false">'
           '<EntityRef entityRef="Ego"/></Actors><Maneuver name="m"><Event name="e" priority="overwrite">'
           '<Action name="back"><PrivateAction><LongitudinalAction><SpeedAction><SpeedActionDynamics '
           'dynamicsShape="step" value="0" dynamicsDimension="time"/><SpeedActionTarget><AbsoluteTargetSpeed '
           'value="-2"/></SpeedActionTarget></SpeedAction></LongitudinalAction></PrivateAction></Action>'
           '<Action name="path"><PrivateAction><RoutingAction><FollowTrajectoryAction><Trajectory name="p" '
           'closed="false"><Shape><Polyline><Vertex><Position><RelativeWorldPosition entityRef="Ego" dx="0" '
           'dy="0"/></Position></Vertex><Vertex><Position><RelativeWorldPosition entityRef="Ego" dx="-40" dy="0"/>'
           '</Position></Vertex></Polyline></Shape></Trajectory><TimeReference><None/></TimeReference>'
           '<TrajectoryFollowingMode followingMode="position"/></FollowTrajectoryAction></RoutingAction>'
           '</PrivateAction></Action><StartTrigger><ConditionGroup><Condition name="c" delay="0" '
           'conditionEdge="none"><ByValueCondition><SimulationTimeCondition value="0" rule="greaterThan"/>'
           '</ByValueCondition></Condition></ConditionGroup></StartTrigger></Event></Maneuver></ManeuverGroup>')
    init = f'<Private entityRef="Ego">{place(-1, 100, 0)}</Private><Private entityRef="Other">{place(-1, 300, 0)}</Private>'
    trace = Trace()
    run_scenario(two_car_scenario(tmp_path, init, act, lanes=1, duration=5.0), RunConfig(on_step=trace))
    ego = trace.of("Ego")
    x0 = ego[0, 0]
    assert ego[-1, 0] == pytest.approx(x0 - 2.0 * (trace.time()[-1] - trace.time()[0]), abs=0.05)
    assert abs(ego[-1, 2]) == pytest.approx(0.0, abs=1e-9)  # still facing +x: tail first


def test_an_entity_placed_relative_to_one_written_later_in_init_is_placed_after_it(tmp_path):
    """SlowPrecedingVehicle.xosc: it stopped with "entity 'A1' is not on a road"."""
    rel = ('<PrivateAction><TeleportAction><Position><RelativeLanePosition entityRef="Other" dLane="0" ds="-50"/>'
           '</Position></TeleportAction></PrivateAction>')
    init = f'<Private entityRef="Ego">{rel}</Private><Private entityRef="Other">{place(-1, 200, 0)}</Private>'
    trace = Trace()
    run_scenario(two_car_scenario(tmp_path, init, _speed_event("0", "1"), lanes=1, duration=1.0),
                 RunConfig(on_step=trace))
    assert trace.lane_of("Ego")[0][2] == pytest.approx(150.0)
    assert trace.lane_of("Other")[0][2] == pytest.approx(200.0)


def test_a_freespace_road_distance_measures_the_boxes_as_they_stand(tmp_path):
    """ALKS 4.2_3 (TimeHeadway, freespace, coordinateSystem road, to a pedestrian standing across the lane):
    the road-coordinate free space took reference points +- half lengths, as if every box were centred on
    its reference point and aligned with the road; the crossing fired 0.1 s late (25.95 s, now 25.86 s)."""
    from simplatform.engine.measure import relative_distance

    init = (f'<Private entityRef="Ego">{place(-1, 10, 0)}</Private>'
            f'<Private entityRef="Other">{place(-1, 60, 0, h=1.2)}</Private>')
    got = []

    def measure(engine):
        if not got:
            t = engine.table
            got.append(relative_distance(engine, t.index["Ego"], t.index["Other"], "longitudinal", True, "road"))

    run_scenario(two_car_scenario(tmp_path, init, _speed_event("0", "1"), lanes=1, duration=0.1),
                 RunConfig(on_step=measure))
    # Ego (box centre 1.4 m ahead of its reference, 4.5 m long): front 3.65 m ahead; Other turned by 1.2 rad:
    # its corners reach back to 1.4 cos 1.2 - (2.25 |cos 1.2| + 0.9 |sin 1.2|) along the road
    back = 1.4 * math.cos(1.2) - (2.25 * abs(math.cos(1.2)) + 0.9 * abs(math.sin(1.2)))
    assert got[0] == pytest.approx(50.0 - 3.65 + back, abs=1e-9)  # 45.20 m; was 50 - 4.5 = 45.5 m
