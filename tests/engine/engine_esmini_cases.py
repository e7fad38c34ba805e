"""Small scenarios in the shape of esmini's examples, for the esmini-parity engine tests.

Two cars (Ego and Other) on a straight road of ``engine_scenario_files``; each test supplies the
init's private actions and the act's maneuver groups.  Shared by ``test_engine_s8_esmini_files``
and ``test_engine_s8b_esmini_controllers``; ``crossing_scenario`` (a walker crossing a one-lane road
on a timed trajectory) by ``test_engine_s10h_trajectory_end`` and ``test_engine_s10p_trajectory_pace``,
``OTHER_STOPS`` by ``test_engine_s10h_init_order`` and ``test_engine_s10h_trajectory_start``.
"""

from __future__ import annotations

import math
from pathlib import Path

import engine_scenario_files as scenarios

VEH = ('<Vehicle name="car" vehicleCategory="car"><BoundingBox><Center x="1.4" y="0" z="0.9"/>'
       '<Dimensions width="1.8" length="4.5" height="1.5"/></BoundingBox>'
       '<Performance maxSpeed="69" maxAcceleration="10" maxDeceleration="10"/><Axles>'
       '<FrontAxle maxSteering="0.5" wheelDiameter="0.8" trackWidth="1.68" positionX="2.98" positionZ="0.4"/>'
       '<RearAxle maxSteering="0" wheelDiameter="0.8" trackWidth="1.68" positionX="0" positionZ="0.4"/></Axles></Vehicle>')

ACROSS = math.pi / 2
"""The heading of an entity crossing the road along x (facing +y)."""

OTHER_STOPS = (
    '<ManeuverGroup maximumExecutionCount="1" name="g"><Actors selectTriggeringEntities="false">'
    '<EntityRef entityRef="Other"/></Actors><Maneuver name="m"><Event name="e" priority="overwrite">'
    '<Action name="a"><PrivateAction><LongitudinalAction><SpeedAction><SpeedActionDynamics dynamicsShape="step" '
    'dynamicsDimension="time" value="0"/><SpeedActionTarget><AbsoluteTargetSpeed value="0"/></SpeedActionTarget>'
    '</SpeedAction></LongitudinalAction></PrivateAction></Action><StartTrigger><ConditionGroup><Condition name="c" '
    'delay="0" conditionEdge="none"><ByValueCondition><SimulationTimeCondition value="1" rule="greaterThan"/>'
    '</ByValueCondition></Condition></ConditionGroup></StartTrigger></Event></Maneuver></ManeuverGroup>')
"""An act's maneuver group: Other steps to speed 0 at t > 1 s."""


def place(lane: int, s: float, speed: float, h: float | None = None) -> str:
    """Teleport to (road 0, ``lane``, ``s``) — with a relative orientation ``h`` when given — and a step
    to ``speed``."""
    orientation = "" if h is None else f'<Orientation type="relative" h="{h}"/>'
    return (f'<PrivateAction><TeleportAction><Position><LanePosition roadId="0" laneId="{lane}" s="{s}" offset="0">'
            f'{orientation}</LanePosition></Position></TeleportAction></PrivateAction><PrivateAction>'
            '<LongitudinalAction><SpeedAction><SpeedActionDynamics dynamicsShape="step" dynamicsDimension="time" '
            f'value="0"/><SpeedActionTarget><AbsoluteTargetSpeed value="{speed}"/></SpeedActionTarget></SpeedAction>'
            '</LongitudinalAction></PrivateAction>')


def two_car_scenario(tmp: Path, init: str, act: str, *, lanes: int = 2, length: float = 1000.0,
                     ego_controller: str = "", duration: float = 10.0) -> Path:
    """``tmp/s.xosc``: Ego (with ``ego_controller``) and Other, ``init``'s private actions, one act of
    ``act``'s maneuver groups started at t > 0, stopped at t > ``duration``."""
    road = scenarios.straight_road(tmp / "road.xodr", length=length, lanes=lanes)
    return two_car_file(tmp, road, init, act, ego_controller=ego_controller, duration=duration)


def two_car_file(tmp: Path, road: Path, init: str, act: str, *, ego_controller: str = "", duration: float = 10.0,
                 minor: int = 1) -> Path:
    """``two_car_scenario`` on a given ``road``, written as OpenSCENARIO 1.``minor``."""
    path = tmp / "s.xosc"
    path.write_text(f'''<?xml version="1.0"?>
<OpenSCENARIO><FileHeader revMajor="1" revMinor="{minor}" date="2021-01-01T00:00:00" description="d" author="t"/>
<CatalogLocations/><RoadNetwork><LogicFile filepath="{road}"/></RoadNetwork>
<Entities><ScenarioObject name="Ego">{VEH}{ego_controller}</ScenarioObject>
<ScenarioObject name="Other">{VEH}</ScenarioObject></Entities>
<Storyboard><Init><Actions>{init}</Actions></Init>
<Story name="s"><Act name="act">{act}
<StartTrigger><ConditionGroup><Condition name="go" delay="0" conditionEdge="none"><ByValueCondition>
<SimulationTimeCondition value="0" rule="greaterThan"/></ByValueCondition></Condition></ConditionGroup></StartTrigger>
</Act></Story><StopTrigger><ConditionGroup><Condition name="end" delay="0" conditionEdge="none"><ByValueCondition>
<SimulationTimeCondition value="{duration}" rule="greaterThan"/></ByValueCondition></Condition></ConditionGroup>
</StopTrigger></Storyboard></OpenSCENARIO>''')
    return path


def crossing_scenario(tmp: Path, stamps, *, domain: str = "relative", scale: float = 1.0, start: float = 0.5,
                      duration: float = 5.0) -> Path:
    """Ego in lane -1 at s = 10; Other stands at (100, -2.5) facing across a one-lane road (500 m)
    and, from t > ``start``, follows a timed polyline through (time, y) ``stamps`` at x = 100 in
    position mode (Timing ``domain`` and ``scale``); the run stops at t > ``duration``."""
    vertices = "".join(
        f'<Vertex time="{t}"><Position><WorldPosition x="100" y="{y}" z="0" h="{ACROSS!r}"/></Position></Vertex>'
        for t, y in stamps)
    act = (
        '<ManeuverGroup maximumExecutionCount="1" name="g"><Actors selectTriggeringEntities="false">'
        '<EntityRef entityRef="Other"/></Actors><Maneuver name="m"><Event name="e" priority="overwrite">'
        '<Action name="a"><PrivateAction><RoutingAction><FollowTrajectoryAction><Trajectory name="p" closed="false">'
        f'<Shape><Polyline>{vertices}</Polyline></Shape></Trajectory><TimeReference><Timing '
        f'domainAbsoluteRelative="{domain}" scale="{scale:g}" offset="0"/></TimeReference><TrajectoryFollowingMode '
        'followingMode="position"/></FollowTrajectoryAction></RoutingAction></PrivateAction></Action><StartTrigger>'
        '<ConditionGroup><Condition name="c" delay="0" conditionEdge="none"><ByValueCondition><SimulationTimeCondition '
        f'value="{start}" rule="greaterThan"/></ByValueCondition></Condition></ConditionGroup></StartTrigger></Event>'
        '</Maneuver></ManeuverGroup>')
    init = (f'<Private entityRef="Ego">{place(-1, 10, 0)}</Private><Private entityRef="Other"><PrivateAction>'
            f'<TeleportAction><Position><WorldPosition x="100" y="-2.5" z="0" h="{ACROSS!r}"/></Position>'
            '</TeleportAction></PrivateAction></Private>')
    return two_car_scenario(tmp, init, act, lanes=1, length=500.0, duration=duration)
