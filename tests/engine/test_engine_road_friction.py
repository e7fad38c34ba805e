"""Given a stack braking the ego at full pedal from 100 km/h, the road's grip sets where it stops:
OpenSCENARIO RoadCondition@frictionScaleFactor (also when an EnvironmentAction changes it mid-run) and the
OpenDRIVE lane material's friction under the ego scale its tyres' peak friction."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from lxml import etree
from scenariogeneration import xodr, xosc

from simplatform.control import Control
from simplatform.engine.run import RunConfig, run_scenario
from vehicle_models.analysis import stopping_distance
from vehicle_models.parameters import GRAVITY

V0 = 100 / 3.6
START_S = 20.0


class FullBrake:
    def setup(self, rig, route) -> None:
        return None

    def step(self, snapshot):
        return Control(brake=1.0)


class Trace:
    def __init__(self) -> None:
        self.rows: list[tuple[float, float, float, float]] = []
        self.engine = None

    def __call__(self, engine) -> None:
        self.engine = engine
        i = engine.table.index["Ego"]
        t = engine.table
        self.rows.append((engine.time, float(t.x[i]), float(t.speed[i]), float(t.ax[i])))

    def array(self) -> np.ndarray:
        return np.array(self.rows)

    @property
    def params(self):
        return self.engine.driven.fleet.params.sets[0]


def _road(path: Path, material: tuple[int, float, float] | None = None) -> Path:
    """A straight 1 km road, two lanes each way; ``material`` = (lane id, sOffset, friction) adds an
    OpenDRIVE 1.6 §11.7.2 <material> to that lane."""
    odr = xodr.OpenDrive("straight")
    odr.add_road(xodr.create_road(xodr.Line(1000.0), id=0, left_lanes=2, right_lanes=2))
    odr.adjust_roads_and_lanes()
    odr.write_xml(str(path))
    if material is not None:
        tree = etree.parse(str(path))
        lane_id, s_offset, friction = material
        lane = tree.xpath(f"//laneSection/*/lane[@id='{lane_id}']")[0]
        mat = etree.Element("material", sOffset=str(s_offset), friction=str(friction), surface="ice")
        marks = lane.findall("roadMark")
        (marks[-1].addnext(mat) if marks else lane.append(mat))
        tree.write(str(path))
    return path


def _run(tmp_path: Path, *, friction: float | None = None, change: tuple[float, float] | None = None,
         material: tuple[int, float, float] | None = None, model: str = "dynamic", duration: float = 6.0) -> Trace:
    road = _road(tmp_path / "road.xodr", material)
    bb = xosc.BoundingBox(2.0, 5.0, 1.8, 2.0, 0, 0.9)
    # brakes stronger than the tyres' grip (maxDeceleration 20 m/s²): the stop is friction-limited
    ego = xosc.Vehicle("ego", xosc.VehicleCategory.car, bb, xosc.Axle(0.5, 0.8, 1.68, 2.98, 0.4),
                       xosc.Axle(0.0, 0.8, 1.68, 0, 0.4), 69, 10, 20)
    entities = xosc.Entities()
    entities.add_scenario_object("Ego", ego)
    init = xosc.Init()
    if friction is not None:
        init.add_global_action(xosc.EnvironmentAction(xosc.Environment("env", roadcondition=xosc.RoadCondition(friction))))
    init.add_init_action("Ego", xosc.TeleportAction(xosc.LanePosition(START_S, 0, -1, 0)))
    init.add_init_action("Ego", xosc.AbsoluteSpeedAction(V0, xosc.TransitionDynamics(
        xosc.DynamicsShapes.step, xosc.DynamicsDimension.time, 1)))
    sb = xosc.StoryBoard(init, xosc.ValueTrigger("stop", 0, xosc.ConditionEdge.rising,
                                                 xosc.SimulationTimeCondition(duration, xosc.Rule.greaterThan), "stop"))
    if change is not None:
        t_change, value = change
        ev = xosc.Event("wet", xosc.Priority.parallel)
        ev.add_action("env", xosc.EnvironmentAction(xosc.Environment("env2", roadcondition=xosc.RoadCondition(value))))
        ev.add_trigger(xosc.ValueTrigger("at", 0, xosc.ConditionEdge.rising,
                                         xosc.SimulationTimeCondition(t_change, xosc.Rule.greaterThan)))
        man = xosc.Maneuver("m")
        man.add_event(ev)
        mg = xosc.ManeuverGroup("g")
        mg.add_actor("Ego")
        mg.add_maneuver(man)
        act = xosc.Act("act", xosc.ValueTrigger("go", 0, xosc.ConditionEdge.none,
                                                xosc.SimulationTimeCondition(0, xosc.Rule.greaterOrEqual)))
        act.add_maneuver_group(mg)
        story = xosc.Story("story")
        story.add_act(act)
        sb.add_story(story)
    sce = xosc.Scenario("brake", "t", xosc.ParameterDeclarations(), entities, sb, xosc.RoadNetwork(road.name),
                        xosc.Catalog(), osc_minor_version=2)
    path = tmp_path / "brake.xosc"
    sce.write_xml(str(path))
    trace = Trace()
    run_scenario(path, RunConfig(stack=FullBrake(), on_step=trace, vehicle_model=model, max_time=30.0))
    return trace


def _distance(trace: Trace) -> float:
    a = trace.array()
    stopped = np.nonzero(a[:, 2] <= 1e-3)[0]
    assert len(stopped), "the ego never stopped"
    return float(a[stopped[0], 1] - START_S)


@pytest.mark.parametrize("model", ["dynamic", "kinematic"])
def test_half_the_road_friction_about_doubles_the_braking_distance(tmp_path, model):
    dry = _run(tmp_path, friction=1.0, model=model)
    wet = _run(tmp_path, friction=0.5, model=model)
    d_dry, d_wet = _distance(dry), _distance(wet)
    p = dry.params
    assert d_dry == pytest.approx(stopping_distance(p, V0, friction_scale=1.0), rel=0.015)
    assert d_wet == pytest.approx(stopping_distance(p, V0, friction_scale=0.5), rel=0.015)
    assert d_wet / d_dry == pytest.approx(1.9, abs=0.1)  # drag and the brake lag weigh less on the longer stop


def test_an_environment_action_changes_the_grip_mid_run(tmp_path):
    trace = _run(tmp_path, friction=1.0, change=(1.0, 0.3), model="kinematic", duration=2.5)
    a = trace.array()
    mu = trace.params.tyre.mu_x
    before = a[(a[:, 0] > 0.6) & (a[:, 0] < 0.95), 3]
    after = a[(a[:, 0] > 1.2) & (a[:, 0] < 2.0), 3]
    # deceleration = tyre friction + rolling resistance + drag (~0.4 m/s² at these speeds)
    assert -before.mean() == pytest.approx(mu * GRAVITY, rel=0.06)
    assert -after.mean() == pytest.approx(0.3 * mu * GRAVITY, rel=0.15)
    assert trace.engine.environment["road_friction"] == 0.3


def test_lane_material_friction_under_the_ego_scales_its_tyres(tmp_path):
    """A lane material of 0.5 (against the reference surface of 1.0) under the ego brakes it exactly as a
    frictionScaleFactor of 0.5; the same material on another lane changes nothing."""
    on_lane = _distance(_run(tmp_path, material=(-1, 0.0, 0.5), model="kinematic"))
    by_scenario = _distance(_run(tmp_path, friction=0.5, model="kinematic"))
    elsewhere = _distance(_run(tmp_path, material=(-2, 0.0, 0.5), model="kinematic"))
    dry = _distance(_run(tmp_path, model="kinematic"))
    assert on_lane == by_scenario
    assert elsewhere == dry
    both = _distance(_run(tmp_path, friction=0.5, material=(-1, 0.0, 0.5), model="kinematic", duration=10.0))
    assert both > 1.8 * on_lane  # the scenario's factor multiplies the lane's


def test_lane_material_takes_effect_from_its_s_offset(tmp_path):
    """Ice from s = 40 m: the ego (starting at s = 20 m) brakes hard, then at the road's own grip."""
    trace = _run(tmp_path, material=(-1, 40.0, 0.3), model="kinematic", duration=8.0)
    a = trace.array()
    mu = trace.params.tyre.mu_x
    early = a[(a[:, 1] > 25.0) & (a[:, 1] < 38.0), 3]
    late = a[(a[:, 1] > 45.0) & (a[:, 2] > 1.0), 3]
    assert -early.mean() == pytest.approx(mu * GRAVITY, rel=0.08)
    assert -late.mean() == pytest.approx(0.3 * mu * GRAVITY, rel=0.15)


def _follower_braking(tmp_path: Path, friction: float | None) -> tuple[np.ndarray, float]:
    """The driver-model follower of ``idm_follow`` under a full-brake override from t = 2 s: (time, speed) rows
    and its tyres' peak friction."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    import engine_scenario_files as scenarios

    path = scenarios.idm_follow(tmp_path, duration=4.0)
    brake = ('<Story name="s"><Act name="a"><ManeuverGroup maximumExecutionCount="1" name="g"><Actors '
             'selectTriggeringEntities="false"><EntityRef entityRef="Follower"/></Actors><Maneuver name="m">'
             '<Event name="brake" priority="parallel"><Action name="b"><PrivateAction><ControllerAction>'
             '<OverrideControllerValueAction><Throttle active="true" value="0"/><Brake active="true" value="1"/>'
             '<Clutch active="false" value="0"/><ParkingBrake active="false" value="0"/>'
             '<SteeringWheel active="false" value="0"/><Gear active="false" number="1"/>'
             '</OverrideControllerValueAction></ControllerAction></PrivateAction></Action><StartTrigger>'
             '<ConditionGroup><Condition name="at2" delay="0" conditionEdge="rising"><ByValueCondition>'
             '<SimulationTimeCondition value="2" rule="greaterOrEqual"/></ByValueCondition></Condition>'
             '</ConditionGroup></StartTrigger></Event></Maneuver></ManeuverGroup><StartTrigger><ConditionGroup>'
             '<Condition name="go" delay="0" conditionEdge="none"><ByValueCondition><SimulationTimeCondition '
             'value="0" rule="greaterOrEqual"/></ByValueCondition></Condition></ConditionGroup></StartTrigger>'
             '</Act></Story>')
    text = path.read_text().replace("<StopTrigger>", brake + "<StopTrigger>", 1)
    if friction is not None:
        env = (f'<GlobalAction><EnvironmentAction><Environment name="wet"><RoadCondition '
               f'frictionScaleFactor="{friction}"/></Environment></EnvironmentAction></GlobalAction>')
        text = re.sub(r"(<Init>\s*<Actions>)", lambda m: m.group(1) + env, text, count=1)
        assert env in text
    path.write_text(text)
    rows, mu = [], []

    def observe(engine) -> None:
        i = engine.table.index["Follower"]
        rows.append((engine.time, float(engine.table.speed[i])))
        if not mu:
            mu.append(engine.model_traffic.fleet.params.sets[0].tyre.mu_x)

    run_scenario(path, RunConfig(on_step=observe, csv=False))
    return np.array(rows), mu[0]


def test_driver_model_traffic_brakes_within_the_road_friction(tmp_path):
    dry, mu = _follower_braking(tmp_path, None)
    wet, _ = _follower_braking(tmp_path, 0.3)

    def decel(rows):
        sel = (rows[:, 0] >= 2.6) & (rows[:, 0] <= 3.4)
        return -np.polyfit(rows[sel, 0], rows[sel, 1], 1)[0]

    # resistances add about 0.3 m/s² at 15 m/s
    assert decel(wet) == pytest.approx(0.3 * mu * GRAVITY + 0.3, abs=0.3)
    assert decel(dry) > 2.0 * decel(wet)
