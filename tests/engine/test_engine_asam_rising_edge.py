"""A condition already true at its first evaluation is no rising edge (goes with rising_edge_first_evaluation.patch).

ASAM's CutIn.xosc: A2 starts 100 m behind the Ego in the next lane, faster, and changes lanes on a rising
edge of "distance to the Ego greater than 20 m" -- true at t = 0 (100 m behind); the cut-in is meant for
when A2 has passed and is 20 m ahead.  Each test writes its own road and scenario.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from engine_esmini_cases import place, two_car_scenario  # noqa: E402
from engine_story import Trace  # noqa: E402

from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402


def _cut_in(rule: str) -> str:
    return ('<ManeuverGroup maximumExecutionCount="1" name="g"><Actors selectTriggeringEntities="false">'
            '<EntityRef entityRef="Other"/></Actors><Maneuver name="m"><Event name="cut" priority="overwrite">'
            '<Action name="a"><PrivateAction><LateralAction><LaneChangeAction><LaneChangeActionDynamics '
            'dynamicsShape="sinusoidal" value="2" dynamicsDimension="time"/><LaneChangeTarget><RelativeTargetLane '
            'entityRef="Ego" value="0"/></LaneChangeTarget></LaneChangeAction></LateralAction></PrivateAction>'
            '</Action><StartTrigger><ConditionGroup><Condition name="c" delay="0" conditionEdge="rising">'
            '<ByEntityCondition><TriggeringEntities triggeringEntitiesRule="any"><EntityRef entityRef="Other"/>'
            '</TriggeringEntities><EntityCondition><RelativeDistanceCondition entityRef="Ego" '
            f'relativeDistanceType="longitudinal" value="20" freespace="false" rule="{rule}"/></EntityCondition>'
            '</ByEntityCondition></Condition></ConditionGroup></StartTrigger></Event></Maneuver></ManeuverGroup>')


def test_a_condition_true_from_the_start_waits_for_a_false_to_true_change(tmp_path):
    # Other 100 m behind in lane -2 at 30 m/s, Ego in lane -1 at 20 m/s: distance > 20 m from t = 0,
    # below 20 m from 8 s, above again (Other 20 m ahead) from 12 s
    init = f'<Private entityRef="Ego">{place(-1, 200, 20)}</Private><Private entityRef="Other">{place(-2, 100, 30)}</Private>'
    trace = Trace()
    run_scenario(two_car_scenario(tmp_path, init, _cut_in("greaterThan"), lanes=2, duration=16.0),
                 RunConfig(on_step=trace))
    lanes = [lane for _, lane, _, _ in trace.lane_of("Other")]
    times = trace.time()
    first_change = next(t for t, lane in zip(times, lanes) if lane == -1)
    assert 12.0 < first_change < 14.5  # was ~1 s: the change started at t = 0, 100 m behind


def _event(name: str, speed: float, condition: str) -> str:
    return (f'<Event name="{name}" priority="parallel"><Action name="{name}a"><PrivateAction><LongitudinalAction>'
            '<SpeedAction><SpeedActionDynamics dynamicsShape="step" dynamicsDimension="time" value="0"/>'
            f'<SpeedActionTarget><AbsoluteTargetSpeed value="{speed}"/></SpeedActionTarget></SpeedAction>'
            f'</LongitudinalAction></PrivateAction></Action><StartTrigger><ConditionGroup>{condition}</ConditionGroup>'
            '</StartTrigger></Event>')


def test_a_rising_edge_on_a_transition_in_the_step_its_trigger_is_armed_fires(tmp_path):
    # event A ends in the first step (a step speed change); B waits for A's endTransition with a rising edge.
    # The transition reads true for that step and the next, so B's first evaluation is already true: it must
    # still fire (its memory starts false: the transition cannot have happened before B was armed)
    a = _event("A", 15.0, '<Condition name="ca" delay="0" conditionEdge="none"><ByValueCondition>'
                          '<SimulationTimeCondition value="-1" rule="greaterThan"/></ByValueCondition></Condition>')
    b = _event("B", 5.0, '<Condition name="cb" delay="0" conditionEdge="rising"><ByValueCondition>'
                         '<StoryboardElementStateCondition storyboardElementType="event" storyboardElementRef="A" '
                         'state="endTransition"/></ByValueCondition></Condition>')
    story = ('<ManeuverGroup maximumExecutionCount="1" name="g"><Actors selectTriggeringEntities="false">'
             f'<EntityRef entityRef="Other"/></Actors><Maneuver name="m">{a}{b}</Maneuver></ManeuverGroup>')
    init = f'<Private entityRef="Ego">{place(-1, 200, 20)}</Private><Private entityRef="Other">{place(-2, 100, 30)}</Private>'
    speeds = []
    run_scenario(two_car_scenario(tmp_path, init, story, lanes=2, duration=1.0),
                 RunConfig(on_step=lambda e: speeds.append(float(e.table.speed[e.table.index["Other"]]))))
    assert speeds[-1] == 5.0        # was 15: B never fired
