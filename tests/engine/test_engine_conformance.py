"""Conformance: each condition fires when the analytic motion says it must (±1 step).

The world: on a straight 2000 m road, the Ego starts at x = 50 m at 10 m/s and
accelerates at 2 m/s² (linear SpeedAction by rate) from t = 0, so
x(t) = 50 + 10t + t² and v(t) = 10 + 2t; a static Other stands at x = 500 m in
the same lane.  Each case adds one event whose start trigger is the condition
under test; the time of the event's start is compared with the solution.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import engine_scenario_files as scenarios  # noqa: E402

from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402

STEP = 0.01


def _t_at_x(x: float) -> float:
    """Time when the Ego's rear axle is at x (x = 50 + 10t + t²)."""
    return -5.0 + math.sqrt(25.0 + (x - 50.0))


VEH = ('<Vehicle name="car" vehicleCategory="car"><BoundingBox><Center x="2.0" y="0" z="0.9"/>'
       '<Dimensions width="1.8" length="5.0" height="1.8"/></BoundingBox>'
       '<Performance maxSpeed="69" maxAcceleration="10" maxDeceleration="10"/><Axles>'
       '<FrontAxle maxSteering="0.5" wheelDiameter="0.8" trackWidth="1.68" positionX="2.98" positionZ="0.4"/>'
       '<RearAxle maxSteering="0" wheelDiameter="0.8" trackWidth="1.68" positionX="0" positionZ="0.4"/></Axles></Vehicle>')


def _lane(s: float, lane: int = -1) -> str:
    return f'<Position><LanePosition roadId="0" laneId="{lane}" s="{s}" offset="0"/></Position>'


def _speed(target: float, shape: str = "step", dim: str = "time", value: float = 0.0) -> str:
    return (f'<PrivateAction><LongitudinalAction><SpeedAction><SpeedActionDynamics dynamicsShape="{shape}" '
            f'value="{value}" dynamicsDimension="{dim}"/><SpeedActionTarget><AbsoluteTargetSpeed value="{target}"/>'
            '</SpeedActionTarget></SpeedAction></LongitudinalAction></PrivateAction>')


def _by_entity(cond: str, who: str = "Ego") -> str:
    return (f'<ByEntityCondition><TriggeringEntities triggeringEntitiesRule="any"><EntityRef entityRef="{who}"/>'
            f'</TriggeringEntities><EntityCondition>{cond}</EntityCondition></ByEntityCondition>')


def _event(name: str, condition: str, action: str, actor: str = "Ego") -> str:
    return (f'<ManeuverGroup maximumExecutionCount="1" name="g_{name}"><Actors selectTriggeringEntities="false">'
            f'<EntityRef entityRef="{actor}"/></Actors><Maneuver name="m_{name}"><Event name="{name}" priority="parallel">'
            f'<Action name="a_{name}">{action}</Action><StartTrigger><ConditionGroup>'
            f'<Condition name="c_{name}" delay="0" conditionEdge="none">{condition}</Condition>'
            '</ConditionGroup></StartTrigger></Event></Maneuver></ManeuverGroup>')


MARK = '<PrivateAction><VisibilityAction graphics="true" traffic="true" sensors="true"/></PrivateAction>'


def scenario(directory: Path, events: str, *, init_extra: str = "", globals_: str = "", params: str = "",
             variables: str = "", duration: float = 20.0, road: str | None = None) -> Path:
    odr = road or str(scenarios.straight_road(directory / "straight.xodr", length=2000.0))
    text = f'''<?xml version="1.0" encoding="UTF-8"?>
<OpenSCENARIO><FileHeader revMajor="1" revMinor="2" date="2024-01-01T00:00:00" description="conformance" author="t"/>
<ParameterDeclarations>{params}</ParameterDeclarations>
<VariableDeclarations>{variables}</VariableDeclarations>
<CatalogLocations/><RoadNetwork><LogicFile filepath="{odr}"/></RoadNetwork>
<Entities><ScenarioObject name="Ego">{VEH}</ScenarioObject><ScenarioObject name="Other">{VEH}</ScenarioObject></Entities>
<Storyboard><Init><Actions>{globals_}
<Private entityRef="Ego"><PrivateAction><TeleportAction>{_lane(50)}</TeleportAction></PrivateAction>{_speed(10)}</Private>
<Private entityRef="Other"><PrivateAction><TeleportAction>{_lane(500)}</TeleportAction></PrivateAction>{_speed(0)}</Private>
{init_extra}</Actions></Init>
<Story name="s"><Act name="act">
{_event("accelerate", '<ByValueCondition><SimulationTimeCondition value="0" rule="greaterOrEqual"/></ByValueCondition>',
        _speed(60, "linear", "rate", 2.0))}
{events}
<StartTrigger><ConditionGroup><Condition name="go" delay="0" conditionEdge="none"><ByValueCondition>
<SimulationTimeCondition value="0" rule="greaterOrEqual"/></ByValueCondition></Condition></ConditionGroup></StartTrigger>
</Act></Story>
<StopTrigger><ConditionGroup><Condition name="end" delay="0" conditionEdge="rising"><ByValueCondition>
<SimulationTimeCondition value="{duration}" rule="greaterThan"/></ByValueCondition></Condition></ConditionGroup></StopTrigger>
</Storyboard></OpenSCENARIO>'''
    path = directory / "conformance.xosc"
    path.write_text(text)
    return path


def start_time(result, event: str) -> float:
    times = [e.time for e in result.events if e.kind == "Event.startTransition" and e.detail == event]
    assert times, f"event {event} never started"
    return times[0]


THW_X = 50.0  # solved below: (500 - x) / v = 10 s
_t_thw = next(k * STEP for k in range(2500) if (500 - (50 + 10 * k * STEP + (k * STEP) ** 2)) / (10 + 2 * k * STEP) < 10)

CONDITIONS = {
    "SimulationTime": ('<ByValueCondition><SimulationTimeCondition value="4" rule="greaterOrEqual"/></ByValueCondition>', 4.0),
    "Speed": (_by_entity('<SpeedCondition value="16" rule="greaterThan"/>'), 3.0),
    "Acceleration": (_by_entity('<AccelerationCondition value="1.5" rule="greaterThan"/>'), STEP),
    "TraveledDistance": (_by_entity('<TraveledDistanceCondition value="100"/>'), _t_at_x(150)),
    "ReachPosition": (_by_entity('<ReachPositionCondition tolerance="2"><Position><WorldPosition x="150" y="-1.5"/>'
                                 '</Position></ReachPositionCondition>'), _t_at_x(148)),
    "Distance": (_by_entity('<DistanceCondition value="100" freespace="false" rule="lessThan" '
                            'relativeDistanceType="euclidianDistance" coordinateSystem="entity"><Position>'
                            '<WorldPosition x="400" y="-1.5"/></Position></DistanceCondition>'), _t_at_x(300)),
    "RelativeDistance": (_by_entity('<RelativeDistanceCondition entityRef="Other" value="200" freespace="false" '
                                    'rule="lessThan" relativeDistanceType="longitudinal" coordinateSystem="entity"/>'),
                         _t_at_x(300)),
    "RelativeDistanceFreespace": (_by_entity('<RelativeDistanceCondition entityRef="Other" value="200" freespace="true" '
                                             'rule="lessThan" relativeDistanceType="longitudinal" '
                                             'coordinateSystem="entity"/>'), _t_at_x(295)),
    "RelativeDistanceRoad": (_by_entity('<RelativeDistanceCondition entityRef="Other" value="200" freespace="false" '
                                        'rule="lessThan" relativeDistanceType="longitudinal" coordinateSystem="road"/>'),
                             _t_at_x(300)),
    "TimeHeadway": (_by_entity('<TimeHeadwayCondition entityRef="Other" value="10" freespace="false" rule="lessThan" '
                               'coordinateSystem="entity" relativeDistanceType="longitudinal"/>'), _t_thw),
    "TimeToCollision": (_by_entity('<TimeToCollisionCondition value="10" freespace="false" rule="lessThan" '
                                   'coordinateSystem="entity" relativeDistanceType="longitudinal">'
                                   '<TimeToCollisionConditionTarget><EntityRef entityRef="Other"/>'
                                   '</TimeToCollisionConditionTarget></TimeToCollisionCondition>'), _t_thw),
    "RelativeSpeed": (_by_entity('<RelativeSpeedCondition entityRef="Other" value="16" rule="greaterThan"/>'), 3.0),
    "StandStill": (_by_entity('<StandStillCondition duration="1.5"/>', who="Other"), 1.5),
    "Collision": (_by_entity('<CollisionCondition><EntityRef entityRef="Other"/></CollisionCondition>'), _t_at_x(495)),
    "CollisionByType": (_by_entity('<CollisionCondition><ByType type="vehicle"/></CollisionCondition>'), _t_at_x(495)),
    "Angle": (_by_entity('<AngleCondition angleType="heading" angle="0" angleTolerance="0.01" '
                         'coordinateSystem="entity"/>'), 0.0),
}


@pytest.mark.parametrize("name", sorted(CONDITIONS))
def test_condition_fires_at_the_analytic_time(tmp_path, name):
    cond, expected = CONDITIONS[name]
    path = scenario(tmp_path, _event("probe", cond, MARK), duration=18.5)
    result = run_scenario(path, RunConfig())
    assert start_time(result, "probe") == pytest.approx(expected, abs=STEP + 1e-6)


def test_parameter_variable_and_storyboard_state_conditions(tmp_path):
    set_p = ('<GlobalAction><ParameterAction parameterRef="P"><SetAction value="5"/></ParameterAction></GlobalAction>')
    set_v = ('<GlobalAction><VariableAction variableRef="V"><ModifyAction><Rule><AddValue value="2.5"/></Rule>'
             '</ModifyAction></VariableAction></GlobalAction>')
    at2 = '<ByValueCondition><SimulationTimeCondition value="2" rule="greaterOrEqual"/></ByValueCondition>'
    events = (_event("set_p", at2, set_p) + _event("set_v", at2, set_v)
              + _event("on_p", '<ByValueCondition><ParameterCondition parameterRef="P" value="5" rule="equalTo"/>'
                               '</ByValueCondition>', MARK)
              + _event("on_v", '<ByValueCondition><VariableCondition variableRef="V" value="3.5" rule="equalTo"/>'
                               '</ByValueCondition>', MARK)
              + _event("on_state", '<ByValueCondition><StoryboardElementStateCondition storyboardElementType="event" '
                                   'storyboardElementRef="set_p" state="completeState"/></ByValueCondition>', MARK))
    path = scenario(tmp_path, events, params='<ParameterDeclaration name="P" parameterType="double" value="1"/>',
                    variables='<VariableDeclaration name="V" variableType="double" value="1"/>', duration=4)
    result = run_scenario(path, RunConfig())
    assert start_time(result, "set_p") == pytest.approx(2.0, abs=STEP)
    for name in ("on_p", "on_v", "on_state"):
        assert start_time(result, name) == pytest.approx(2.0 + STEP, abs=STEP + 1e-6)
    assert result.parameters["P"] == 5


def test_traffic_signal_and_time_of_day_conditions(tmp_path):
    env = ('<GlobalAction><EnvironmentAction><Environment name="noon"><TimeOfDay animation="true" '
           'dateTime="2024-06-01T12:00:00"/><Weather><Sun azimuth="0" elevation="1" intensity="1000"/>'
           '<Fog visualRange="500"/><Precipitation precipitationType="dry" precipitationIntensity="0"/></Weather>'
           '<RoadCondition frictionScaleFactor="0.8"/></Environment></EnvironmentAction></GlobalAction>')
    red = ('<GlobalAction><InfrastructureAction><TrafficSignalAction><TrafficSignalStateAction name="7" state="red"/>'
           '</TrafficSignalAction></InfrastructureAction></GlobalAction>')
    at3 = '<ByValueCondition><SimulationTimeCondition value="3" rule="greaterOrEqual"/></ByValueCondition>'
    events = (_event("red", at3, red)
              + _event("on_red", '<ByValueCondition><TrafficSignalCondition name="7" state="red"/></ByValueCondition>',
                       MARK)
              + _event("on_tod", '<ByValueCondition><TimeOfDayCondition dateTime="2024-06-01T12:00:05" '
                                 'rule="greaterThan"/></ByValueCondition>', MARK))
    path = scenario(tmp_path, events, globals_=env, duration=8)
    result = run_scenario(path, RunConfig())
    assert start_time(result, "on_red") == pytest.approx(3.0 + STEP, abs=STEP + 1e-6)
    assert start_time(result, "on_tod") == pytest.approx(5.0, abs=STEP + 1e-6)
