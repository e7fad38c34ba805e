"""How the engine plays structures found in external OpenSCENARIO files (session 11: CARLA ScenarioRunner's
examples, esmini's and others').  Each test writes its own small road and scenario in the shape that mattered.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

from simplatform.engine.run import RunConfig, play_to, run_scenario

sys.path.insert(0, str(Path(__file__).parent))
import engine_scenario_files as roads  # noqa: E402

VEH = ('<Vehicle name="vehicle.tesla.model3" vehicleCategory="car"><BoundingBox><Center x="1.5" y="0" z="0.9"/>'
       '<Dimensions width="2.1" length="4.5" height="1.8"/></BoundingBox><Performance maxSpeed="69.444" '
       'maxAcceleration="200" maxDeceleration="10.0"/><Axles><FrontAxle maxSteering="0.5" wheelDiameter="0.6" '
       'trackWidth="1.8" positionX="3.1" positionZ="0.3"/><RearAxle maxSteering="0" wheelDiameter="0.6" '
       'trackWidth="1.8" positionX="0" positionZ="0.3"/></Axles><Properties><Property name="type" '
       'value="simulation"/></Properties></Vehicle>')


def scenario(tmp: Path, *, init: str, story: str = "", stop: str = "<StopTrigger/>", minor: int = 0) -> Path:
    """hero and adversary on a straight two-lane road (road 0, 1000 m), written as CARLA's examples are."""
    road = roads.straight_road(tmp / "road.xodr", length=1000.0, lanes=2)
    path = tmp / "s.xosc"
    path.write_text(f'''<?xml version="1.0"?>
<OpenSCENARIO><FileHeader revMajor="1" revMinor="{minor}" date="2020-03-20T12:00:00" description="CARLA:t" author=""/>
<ParameterDeclarations/><CatalogLocations/><RoadNetwork><LogicFile filepath="{road}"/><SceneGraphFile filepath=""/>
</RoadNetwork><Entities><ScenarioObject name="hero">{VEH}</ScenarioObject>
<ScenarioObject name="adversary">{VEH}</ScenarioObject></Entities>
<Storyboard><Init><Actions>{init}</Actions></Init>{story}{stop}</Storyboard></OpenSCENARIO>''')
    return path


def place(entity: str, s: float, lane: int = -1, speed: float = 0.0) -> str:
    return (f'<Private entityRef="{entity}"><PrivateAction><TeleportAction><Position><LanePosition roadId="0" '
            f'laneId="{lane}" s="{s}" offset="0"/></Position></TeleportAction></PrivateAction><PrivateAction>'
            '<LongitudinalAction><SpeedAction><SpeedActionDynamics dynamicsShape="step" value="0" '
            f'dynamicsDimension="time"/><SpeedActionTarget><AbsoluteTargetSpeed value="{speed}"/></SpeedActionTarget>'
            '</SpeedAction></LongitudinalAction></PrivateAction></Private>')


def time_condition(name: str, value: float, edge: str = "rising") -> str:
    return (f'<Condition name="{name}" delay="0" conditionEdge="{edge}"><ByValueCondition><SimulationTimeCondition '
            f'value="{value}" rule="greaterThan"/></ByValueCondition></Condition>')


def story(groups: str, start: float = 1.0) -> str:
    return (f'<Story name="MyStory"><Act name="Behavior">{groups}<StartTrigger><ConditionGroup>'
            f'{time_condition("OverallStartCondition", start)}</ConditionGroup></StartTrigger></Act></Story>')


def event(name: str, action: str, start: float) -> str:
    return (f'<Event name="{name}" priority="overwrite"><Action name="{name}">{action}</Action><StartTrigger>'
            f'<ConditionGroup>{time_condition("c_" + name, start)}</ConditionGroup></StartTrigger></Event>')


def group(events: str, actor: str = "adversary") -> str:
    maneuver = f'<Maneuver name="m">{events}</Maneuver>' if events else ""
    return (f'<ManeuverGroup name="g" maximumExecutionCount="1"><Actors selectTriggeringEntities="false">'
            f'<EntityRef entityRef="{actor}"/></Actors>{maneuver}</ManeuverGroup>')


def transitions(result, kind: str) -> list[tuple[float, str]]:
    return [(round(e.time, 2), e.kind.split(".")[1]) for e in result.events if e.kind.startswith(kind + ".")]


# --- CARLA's criteria_* conditions -----------------------------------------------------------------------------
CRITERIA = ''.join(
    f'<Condition name="criteria_{test}" delay="0" conditionEdge="rising"><ByValueCondition><ParameterCondition '
    f'parameterRef="{ref}" value="{value}" rule="lessThan"/></ByValueCondition></Condition>'
    for test, ref, value in (("RunningStopTest", "", ""), ("CollisionTest", "", ""),
                             ("DrivenDistanceTest", "distance_success", "100")))


def test_carla_criteria_in_the_stop_trigger_are_not_evaluated_and_stop_nothing(tmp_path):
    """CARLA ScenarioRunner (FollowLeadingVehicle, LaneChangeSimple, CyclistCrossing, Slalom...) ends its storyboard
    with criteria_* conditions naming undeclared parameters; before, the run stopped at once with
    "unknown parameter ''".  They are left out (noted), and a stop trigger of nothing else is no stop trigger:
    the run ends when the story does."""
    path = scenario(tmp_path, init=place("hero", 50) + place("adversary", 100, speed=5.0),
                    story=story(group(event("brake", '<PrivateAction><LongitudinalAction><SpeedAction>'
                                              '<SpeedActionDynamics dynamicsShape="step" value="0" dynamicsDimension='
                                              '"time"/><SpeedActionTarget><AbsoluteTargetSpeed value="0"/>'
                                              '</SpeedActionTarget></SpeedAction></LongitudinalAction></PrivateAction>',
                                              2.0))),
                    stop=f"<StopTrigger><ConditionGroup>{CRITERIA}</ConditionGroup></StopTrigger>")
    result = run_scenario(path, RunConfig(max_time=30.0))
    assert result.end_reason == "storyboard_complete"
    assert transitions(result, "Story") == [(0.0, "startTransition"), (2.01, "endTransition")]
    notes = [e for e in result.events if e.kind == "CarlaCriterion"]
    assert len(notes) == 1 and notes[0].detail.startswith("not applied")
    assert "RunningStopTest" in notes[0].detail and "DrivenDistanceTest" in notes[0].detail


def test_a_criteria_condition_beside_a_real_one_leaves_the_real_one(tmp_path):
    stop = f'<StopTrigger><ConditionGroup>{CRITERIA}</ConditionGroup><ConditionGroup>{time_condition("end", 3.0)}' \
           '</ConditionGroup></StopTrigger>'
    path = scenario(tmp_path, init=place("hero", 50) + place("adversary", 100, speed=5.0),
                    story=story(group(event("noop", "", 100.0))), stop=stop)
    result = run_scenario(path, RunConfig(max_time=30.0))
    assert result.end_reason == "stop_trigger" and result.sim_time == pytest.approx(3.02, abs=1e-9)


def test_a_criteria_named_condition_in_a_start_trigger_is_an_ordinary_condition(tmp_path):
    start = ('<Condition name="criteria_Custom" delay="0" conditionEdge="none"><ByValueCondition><ParameterCondition '
             'parameterRef="Limit" value="5" rule="lessThan"/></ByValueCondition></Condition>')
    brake = event("brake", "", 100.0).replace(time_condition("c_brake", 100.0), start)
    path = scenario(tmp_path, init=place("hero", 50), story=story(group(brake)))
    path.write_text(path.read_text().replace(
        "<ParameterDeclarations/>", '<ParameterDeclarations><ParameterDeclaration name="Limit" '
        'parameterType="double" value="1"/></ParameterDeclarations>'))
    result = run_scenario(path, RunConfig(max_time=30.0))
    assert transitions(result, "Event") == [(1.01, "startTransition"), (1.01, "endTransition")]
    assert not [e for e in result.events if e.kind == "CarlaCriterion"]


def test_an_empty_storyboard_stop_trigger_lets_the_run_end_with_its_stories(tmp_path):
    """1.0-1.2 require the Storyboard's StopTrigger; ``<StopTrigger/>`` (CARLA's OscControllerExample,
    ChangingWeather...) says there is none.  Before, such a run went on to the time limit."""
    path = scenario(tmp_path, init=place("hero", 50), story=story(group(event("noop", "", 2.0))))
    result = run_scenario(path, RunConfig(max_time=30.0))
    assert result.end_reason == "storyboard_complete" and result.sim_time < 3.0


# --- a ManeuverGroup without Maneuvers (CARLA's Slalom.xosc) ---------------------------------------------------
def test_a_maneuver_group_without_maneuvers_ends_when_it_starts(tmp_path):
    """XSD: ManeuverGroup's Maneuver has minOccurs 0; it ends when all its maneuvers have -- at once.  Before,
    it stayed running, so its act and story never ended and the run went on to max_time."""
    path = scenario(tmp_path, init=place("hero", 50), story=story(group("", actor="hero"), start=2.0))
    result = run_scenario(path, RunConfig(max_time=30.0))
    assert transitions(result, "ManeuverGroup") == [(2.01, "startTransition"), (2.01, "endTransition")]
    assert transitions(result, "Act") == [(2.01, "startTransition"), (2.01, "endTransition")]
    assert result.end_reason == "storyboard_complete"


# --- an Action without content (CARLA's ChangingWeather.xosc "DummyManeuver") ---------------------------------
def test_an_empty_action_does_nothing_and_ends_at_once(tmp_path):
    path = scenario(tmp_path, init=place("hero", 50) + place("adversary", 100, speed=5.0),
                    story=story(group(event("DummyManeuver", "", 2.0))))
    result = run_scenario(path, RunConfig(max_time=30.0))
    assert transitions(result, "Action") == [(2.01, "startTransition"), (2.01, "endTransition")]
    assert result.end_reason == "storyboard_complete"
    note = [e for e in result.events if e.kind == "EmptyAction"]
    assert len(note) == 1 and note[0].detail.startswith("not applied") and note[0].entities == ("adversary",)


# --- a continuous LaneOffsetAction (CARLA's LaneOffsetActionExample.xosc) -------------------------------------
def lane_offset(target: str, acc: float, shape: str = "linear", continuous: str = "true") -> str:
    return (f'<PrivateAction><LateralAction><LaneOffsetAction continuous="{continuous}"><LaneOffsetActionDynamics '
            f'maxLateralAcc="{acc}" dynamicsShape="{shape}"/><LaneOffsetTarget>{target}</LaneOffsetTarget>'
            '</LaneOffsetAction></LateralAction></PrivateAction>')


def offsets(path: Path, entity: str, until: float) -> dict[float, float]:
    """Time (rounded to the step) -> lane offset of ``entity``, every step of a run to ``until``."""
    out: dict[float, float] = {}

    def seen(engine) -> None:
        snap = engine.snapshot()
        out[round(snap.time, 2)] = snap.lanes[snap.names.index(entity)].t

    run_scenario(path, RunConfig(max_time=until, on_step=seen))
    return out


def test_a_continuous_offset_relative_to_the_actor_itself_moves_once_and_holds(tmp_path):
    """The adversary keeps -2 m from its own offset: re-read each step the target ran away from it (1,438 m off
    its lane after 10 s); it is sampled at the start, and the offset settles on -2 m."""
    own = place("adversary", 100, speed=1.0).replace(
        "</Private>", lane_offset('<RelativeTargetLaneOffset value="-2.0" entityRef="adversary"/>', 1.0) + "</Private>")
    path = scenario(tmp_path, init=place("hero", 50) + own, story=story(group(event("noop", "", 100.0))))
    at = offsets(path, "adversary", 10.0)
    assert at[1.0] == pytest.approx(-0.7071, abs=1e-3)  # linear over 2·√(2/1) s
    assert at[3.0] == pytest.approx(-2.0, abs=1e-9) and at[10.0] == pytest.approx(-2.0, abs=1e-9)


def test_a_continuous_offset_follows_a_moving_reference_within_max_lateral_acc(tmp_path):
    """The hero steps 2 m to the left at t > 2 s; the adversary, told to keep the hero's offset + 0.5 m with
    maxLateralAcc 1 m/s², follows within that bound and stops on the new target without overshoot (before, it
    jumped the 2 m in one step)."""
    hero = place("hero", 50)
    follower = place("adversary", 100, speed=10.0).replace(
        "</Private>", lane_offset('<RelativeTargetLaneOffset value="0.5" entityRef="hero"/>', 1.0) + "</Private>")
    jump = group(event("step_left", lane_offset('<AbsoluteTargetLaneOffset value="2.0"/>', 1.0, shape="step",
                                                continuous="false"), 2.0) + event("noop", "", 100.0), actor="hero")
    path = scenario(tmp_path, init=hero + follower, story=story(jump, start=0.0))
    at = offsets(path, "adversary", 8.0)
    times = sorted(t for t in at if t >= 2.0)
    values = [at[t] for t in times]
    assert at[2.0] == pytest.approx(0.5, abs=1e-9)
    rates = [(b - a) / 0.01 for a, b in zip(values, values[1:])]
    accels = [(b - a) / 0.01 for a, b in zip(rates, rates[1:])]
    over = [a for a in accels if abs(a) > 1.0 + 1e-6]
    assert len(over) <= 1 and all(abs(a) <= 1.1 for a in over)  # the step landing on the target, < a·dt² short
    assert max(values) <= 2.5 + 1e-9  # no overshoot
    assert values[-1] == pytest.approx(2.5, abs=1e-9)
    moving = [t for t, v in zip(times, values) if v > 0.5 + 1e-9]
    arrived = next(t for t, v in zip(times, values) if abs(v - 2.5) < 1e-9)
    assert moving[0] <= 2.03  # it starts at once (the step after the hero moved)
    assert arrived == pytest.approx(2.0 + 2.0 * math.sqrt(2.0 / 1.0), abs=0.1)  # bang-bang over 2 m at 1 m/s²


# --- SpeedProfileEntry time="0" (esmini's Unittest/xosc/condition_delay.xosc) ---------------------------------
def test_a_speed_profile_entry_with_time_zero_is_reached_at_once(tmp_path):
    """esmini's condition_delay: the profile 50 km/h at time 0, 100 km/h over 4 s, 50 km/h over 4 s puts the car
    above 25 m/s from 3.2 s to 4.8 s, and only its third condition group (speed >= 25 delayed 4 s, and t >= 6)
    fires, at 3.2 + 4 = 7.2 s.  Before, time 0 was read as "no time": the car ramped to 50 km/h at its
    maxAcceleration and the first group fired at 6.0 s."""
    profile = ('<Private entityRef="hero"><PrivateAction><TeleportAction><Position><LanePosition roadId="0" '
               'laneId="-1" s="10" offset="0"/></Position></TeleportAction></PrivateAction><PrivateAction>'
               '<LongitudinalAction><SpeedProfileAction followingMode="position">'
               '<SpeedProfileEntry speed="${50.0/3.6}" time="0.0"/><SpeedProfileEntry speed="${100.0/3.6}" time="4.0"/>'
               '<SpeedProfileEntry speed="${50.0/3.6}" time="4.0"/></SpeedProfileAction></LongitudinalAction>'
               '</PrivateAction></Private>')

    def group_of(k: int, delay: float, edge: str) -> str:
        return (f'<ConditionGroup><Condition name="t{k}" delay="0" conditionEdge="none"><ByValueCondition>'
                '<SimulationTimeCondition value="6.0" rule="greaterOrEqual"/></ByValueCondition></Condition>'
                f'<Condition name="v{k}" delay="{delay}" conditionEdge="{edge}"><ByEntityCondition><TriggeringEntities '
                'triggeringEntitiesRule="any"><EntityRef entityRef="hero"/></TriggeringEntities><EntityCondition>'
                '<SpeedCondition value="25.0" rule="greaterOrEqual"/></EntityCondition></ByEntityCondition>'
                '</Condition></ConditionGroup>')

    trigger = group_of(1, 1.1, "none") + group_of(2, 2.0, "rising") + group_of(3, 4.0, "none")
    change = event("LaneChangeEvent", "", 0.0).replace(
        f'<ConditionGroup>{time_condition("c_LaneChangeEvent", 0.0)}</ConditionGroup>', trigger)
    path = scenario(tmp_path, init=profile, story=story(group(change, actor="hero"), start=0.0),
                    stop=f"<StopTrigger><ConditionGroup>{time_condition('end', 10.0)}</ConditionGroup></StopTrigger>")
    speeds: dict[float, float] = {}
    result = run_scenario(path, RunConfig(max_time=12.0, on_step=lambda e: speeds.__setitem__(
        round(e.time, 2), float(e.table.speed[e.table.index["hero"]]))))
    assert speeds[1.0] == pytest.approx(50 / 3.6 + 1.0 * (50 / 3.6) / 4.0, abs=1e-6)
    assert speeds[4.0] == pytest.approx(100 / 3.6, abs=1e-6)
    fired = [e.time for e in result.events if e.kind == "Event.startTransition"]
    assert len(fired) == 1 and fired[0] == pytest.approx(7.2, abs=0.011)


# --- AngleCondition coordinate systems (esmini's Unittest/xosc/angle_condition.xosc, OSC 1.3) -----------------
def angle_event(name: str, attrs: str, action: str = "") -> str:
    return (f'<Event name="{name}" priority="parallel"><Action name="{name}">{action}</Action><StartTrigger>'
            f'<ConditionGroup><Condition name="c_{name}" delay="0" conditionEdge="none"><ByEntityCondition>'
            '<TriggeringEntities triggeringEntitiesRule="any"><EntityRef entityRef="hero"/></TriggeringEntities>'
            f'<EntityCondition><AngleCondition {attrs}/></EntityCondition></ByEntityCondition></Condition>'
            '</ConditionGroup></StartTrigger></Event>')


def test_a_trajectory_relative_angle_needs_a_trajectory_being_followed(tmp_path):
    """Before, coordinateSystem="trajectory" was read as world: the hero, heading 0 along the road, met "heading 0
    relative to its trajectory" at once, before any trajectory had started."""
    follow = ('<PrivateAction><RoutingAction><FollowTrajectoryAction><Trajectory name="p" closed="false"><Shape>'
              '<Polyline><Vertex><Position><RelativeWorldPosition entityRef="hero" dx="0" dy="0"/></Position></Vertex>'
              '<Vertex><Position><RelativeWorldPosition entityRef="hero" dx="20" dy="5"/></Position></Vertex></Polyline>'
              '</Shape></Trajectory><TimeReference><None/></TimeReference><TrajectoryFollowingMode '
              'followingMode="position"/></FollowTrajectoryAction></RoutingAction></PrivateAction>')
    events = (event("follow", follow, 2.0)
              + angle_event("along", 'angle="0" angleTolerance="0.01" angleType="heading" coordinateSystem="trajectory"')
              + angle_event("world", 'angle="0" angleTolerance="0.01" angleType="heading" coordinateSystem="world"'))
    path = scenario(tmp_path, init=place("hero", 50, speed=5.0), story=story(group(events, actor="hero"), start=0.0),
                    stop=f"<StopTrigger><ConditionGroup>{time_condition('end', 4.0)}</ConditionGroup></StopTrigger>")
    result = run_scenario(path, RunConfig(max_time=5.0))
    starts = {e.detail: round(e.time, 2) for e in result.events if e.kind == "Event.startTransition"}
    assert starts["world"] == pytest.approx(0.01)
    assert starts["follow"] == pytest.approx(2.01)
    assert 2.01 <= starts["along"] <= 2.03


def test_pitch_in_lane_coordinates_is_measured_from_the_lane_surface(tmp_path):
    """On a 10 % grade a car driving up its lane has pitch 0 relative to the lane and atan(0.1) from the world
    horizontal; before, the lane frame was ignored for pitch and roll."""
    slope = tmp_path / "slope.xodr"
    slope.write_text('''<?xml version="1.0"?>
<OpenDRIVE><header revMajor="1" revMinor="4" name="slope"/>
<road name="r" length="500" id="0" junction="-1"><link/><planView>
<geometry s="0" x="0" y="0" hdg="0" length="500"><line/></geometry></planView>
<elevationProfile><elevation s="0" a="0" b="0.1" c="0" d="0"/></elevationProfile>
<lanes><laneSection s="0"><center><lane id="0" type="driving" level="false"><link/></lane></center>
<right><lane id="-1" type="driving" level="false"><link/><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane>
</right></laneSection></lanes></road></OpenDRIVE>''')
    events = (angle_event("lane", 'angle="0" angleTolerance="0.01" angleType="pitch" coordinateSystem="lane"')
              + angle_event("never", 'angle="0" angleTolerance="0.01" angleType="pitch" coordinateSystem="world"')
              + event("noop", "", 100.0))
    path = scenario(tmp_path, init=place("hero", 50, speed=5.0), story=story(group(events, actor="hero"), start=0.0),
                    stop=f"<StopTrigger><ConditionGroup>{time_condition('end', 2.0)}</ConditionGroup></StopTrigger>")
    path.write_text(path.read_text().replace(str(tmp_path / "road.xodr"), str(slope)))
    snap, _ = play_to(path, 1.0)
    assert abs(snap.pitch[snap.names.index("hero")]) == pytest.approx(math.atan(0.1), abs=1e-6)
    result = run_scenario(path, RunConfig(max_time=3.0))
    starts = {e.detail: round(e.time, 2) for e in result.events if e.kind == "Event.startTransition"}
    assert starts.get("lane") == pytest.approx(0.01) and "never" not in starts


# --- Init AddEntityAction relative to an entity placed later (CARLA's InitAddEntityAction.xosc) ---------------
def add_entity(entity: str, position: str) -> str:
    return (f'<GlobalAction><EntityAction entityRef="{entity}"><AddEntityAction><Position>{position}</Position>'
            '</AddEntityAction></EntityAction></GlobalAction>')


def test_an_init_add_entity_action_is_placed_after_the_entity_its_position_refers_to(tmp_path):
    """Init has no order (OSC 1.3 7.3.1); an AddEntityAction places its entity as a TeleportAction does.  Before,
    Init's global actions ran before every private one and this file stopped with "entity 'hero' is not on a
    road"."""
    init = (add_entity("adversary", '<RelativeRoadPosition entityRef="hero" ds="120" dt="0"/>')
            + place("hero", 48.58))
    path = scenario(tmp_path, init=init, story=story(group(event("noop", "", 100.0))))
    snap, _ = play_to(path, 0.0)
    x = dict(zip(snap.names, snap.x))
    assert x["adversary"] - x["hero"] == pytest.approx(120.0, abs=1e-9)


def test_add_entity_actions_that_refer_to_each_other_in_a_cycle_are_a_located_error(tmp_path):
    from simplatform.errors import ScenarioError

    init = (add_entity("adversary", '<RelativeRoadPosition entityRef="hero" ds="10" dt="0"/>')
            + add_entity("hero", '<RelativeRoadPosition entityRef="adversary" ds="10" dt="0"/>'))
    path = scenario(tmp_path, init=init, story=story(group(event("noop", "", 100.0))))
    with pytest.raises(ScenarioError) as exc:
        run_scenario(path, RunConfig(max_time=1.0))
    assert "AddEntityAction" in str(exc.value) and "cycle" in str(exc.value)
    assert exc.value.location.line is not None
