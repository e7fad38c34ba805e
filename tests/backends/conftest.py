"""Fixtures of the CARLA backend tests: a fake ``carla`` module and small scenarios."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from scenariogeneration import xodr, xosc

HERE = Path(__file__).parent


@pytest.fixture
def fake_carla(monkeypatch):
    """The fake client (tests/backends/fake_carla.py) as ``carla``, with a server at 127.0.0.1:2000."""
    spec = importlib.util.spec_from_file_location("simplatform_tests_fake_carla", HERE / "fake_carla.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    monkeypatch.setitem(sys.modules, "carla", mod)
    mod.serve("127.0.0.1", 2000)
    return mod


def _vehicle(name: str, category=xosc.VehicleCategory.car) -> xosc.Vehicle:
    bb = xosc.BoundingBox(2.0, 5.0, 1.8, 1.4, 0.0, 0.9)
    fa = xosc.Axle(0.5, 0.8, 1.68, 2.98, 0.4)
    ra = xosc.Axle(0.0, 0.8, 1.68, 0.0, 0.4)
    return xosc.Vehicle(name, category, bb, fa, ra, 69, 10, 10)


@pytest.fixture
def highway(tmp_path) -> Path:
    """A 2 km straight road, two lanes each way; Ego at 20 m/s in lane -1, Lead 40 m ahead at 15 m/s in
    lane -1 changing to lane -2 at 1 s, a pedestrian standing on the shoulder, a barrier."""
    road = xodr.create_road(xodr.Line(2000.0), id=0, left_lanes=2, right_lanes=2)
    odr = xodr.OpenDrive("straight")
    odr.add_road(road)
    odr.adjust_roads_and_lanes()
    odr.write_xml(str(tmp_path / "straight.xodr"))
    entities = xosc.Entities()
    entities.add_scenario_object("Ego", _vehicle("car_white"))
    entities.add_scenario_object("Lead", _vehicle("vehicle.lincoln.mkz_2017"))
    entities.add_scenario_object("Walker", xosc.Pedestrian("walker", 80, xosc.PedestrianCategory.pedestrian,
                                                           xosc.BoundingBox(0.5, 0.5, 1.8, 0.0, 0.0, 0.9)))
    entities.add_scenario_object("Barrier", xosc.MiscObject("barrier", 50, xosc.MiscObjectCategory.barrier,
                                                            xosc.BoundingBox(1.0, 0.4, 1.0, 0.0, 0.0, 0.5)))
    init = xosc.Init()
    step = xosc.TransitionDynamics(xosc.DynamicsShapes.step, xosc.DynamicsDimension.time, 1)
    init.add_init_action("Ego", xosc.TeleportAction(xosc.LanePosition(50, 0, -1, 0)))
    init.add_init_action("Ego", xosc.AbsoluteSpeedAction(20.0, step))
    init.add_init_action("Lead", xosc.TeleportAction(xosc.LanePosition(90, 0, -1, 0)))
    init.add_init_action("Lead", xosc.AbsoluteSpeedAction(15.0, step))
    init.add_init_action("Walker", xosc.TeleportAction(xosc.WorldPosition(300.0, -9.0, 0.0, 1.5708)))
    init.add_init_action("Barrier", xosc.TeleportAction(xosc.WorldPosition(400.0, 9.0, 0.0, 0.0)))
    lc = xosc.AbsoluteLaneChangeAction(-2, xosc.TransitionDynamics(xosc.DynamicsShapes.sinusoidal,
                                                                   xosc.DynamicsDimension.time, 2))
    event = xosc.Event("change", xosc.Priority.override)
    event.add_action("lane_change", lc)
    event.add_trigger(xosc.ValueTrigger("at1s", 0, xosc.ConditionEdge.none,
                                        xosc.SimulationTimeCondition(1.0, xosc.Rule.greaterThan)))
    man = xosc.Maneuver("m")
    man.add_event(event)
    mg = xosc.ManeuverGroup("g")
    mg.add_actor("Lead")
    mg.add_maneuver(man)
    act = xosc.Act("act", xosc.ValueTrigger("start", 0, xosc.ConditionEdge.none,
                                            xosc.SimulationTimeCondition(0, xosc.Rule.greaterThan)))
    act.add_maneuver_group(mg)
    story = xosc.Story("story")
    story.add_act(act)
    sb = xosc.StoryBoard(init, xosc.ValueTrigger("stop", 0, xosc.ConditionEdge.rising,
                                                 xosc.SimulationTimeCondition(30, xosc.Rule.greaterThan), "stop"))
    sb.add_story(story)
    sc = xosc.Scenario("carla_highway", "simplatform", xosc.ParameterDeclarations(), entities, sb,
                       xosc.RoadNetwork("straight.xodr"), xosc.Catalog())
    path = tmp_path / "highway.xosc"
    sc.write_xml(str(path))
    return path
