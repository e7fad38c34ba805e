"""A small generated suite for the runner tests: lead-vehicle braking on a straight road.

The ego is driven by the scenario at a constant speed (no stack); the lead,
``Gap`` metres ahead, brakes to a stop at ``LeadDecel`` after 1 s.  With
``LeadDecel`` 0 nobody brakes and every requirement holds; with a hard brake
the ego runs into the lead: the collision requirement fails.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from scenariogeneration import xodr, xosc

REQUIREMENTS = {"requirements": [
    {"id": "SAF-1", "text": "No collision", "check": "collisions == 0"},
    {"id": "SAF-2", "text": "Keep a time to collision of at least 1 s", "check": "ttc_min >= 1.0 s"},
]}


def straight_road(path: Path, length: float = 600.0) -> Path:
    road = xodr.create_road(xodr.Line(length), id=0, left_lanes=2, right_lanes=2)
    odr = xodr.OpenDrive("straight")
    odr.add_road(road)
    odr.adjust_roads_and_lanes()
    odr.write_xml(str(path))
    return path


def _vehicle(name: str) -> xosc.Vehicle:
    bb = xosc.BoundingBox(2.0, 4.5, 1.5, 1.4, 0, 0.75)
    fa = xosc.Axle(0.5, 0.8, 1.68, 2.8, 0.4)
    ba = xosc.Axle(0.0, 0.8, 1.68, 0, 0.4)
    return xosc.Vehicle(name, xosc.VehicleCategory.car, bb, fa, ba, 60, 10, 10)


def lead_brake(path: Path, road: str, *, speed: float = 15.0, gap: float = 25.0, decel: float = 0.0,
               duration: float = 4.0) -> Path:
    params = xosc.ParameterDeclarations()
    params.add_parameter(xosc.Parameter("LeadDecel", xosc.ParameterType.double, str(decel)))
    params.add_parameter(xosc.Parameter("Gap", xosc.ParameterType.double, str(gap)))
    entities = xosc.Entities()
    entities.add_scenario_object("Ego", _vehicle("ego"))
    entities.add_scenario_object("Lead", _vehicle("lead"))
    init = xosc.Init()
    step = xosc.TransitionDynamics(xosc.DynamicsShapes.step, xosc.DynamicsDimension.time, 1)
    init.add_init_action("Ego", xosc.TeleportAction(xosc.LanePosition(20, 0, -1, 0)))
    init.add_init_action("Ego", xosc.AbsoluteSpeedAction(speed, step))
    init.add_init_action("Lead", xosc.TeleportAction(xosc.LanePosition(20 + gap, 0, -1, 0)))
    init.add_init_action("Lead", xosc.AbsoluteSpeedAction(speed, step))
    story = xosc.Story("story")
    act = xosc.Act("act", xosc.ValueTrigger("go", 0, xosc.ConditionEdge.none,
                                            xosc.SimulationTimeCondition(0, xosc.Rule.greaterThan)))
    if decel > 0:
        brake = xosc.AbsoluteSpeedAction(0.0, xosc.TransitionDynamics(xosc.DynamicsShapes.linear,
                                                                     xosc.DynamicsDimension.rate, "$LeadDecel"))
        event = xosc.Event("brake", xosc.Priority.override)
        event.add_action("brake", brake)
        event.add_trigger(xosc.ValueTrigger("t1", 0, xosc.ConditionEdge.rising,
                                            xosc.SimulationTimeCondition(1.0, xosc.Rule.greaterThan)))
        man = xosc.Maneuver("m")
        man.add_event(event)
        mg = xosc.ManeuverGroup("g")
        mg.add_actor("Lead")
        mg.add_maneuver(man)
        act.add_maneuver_group(mg)
    else:
        mg = xosc.ManeuverGroup("g")
        mg.add_actor("Lead")
        man = xosc.Maneuver("m")
        event = xosc.Event("cruise", xosc.Priority.override)
        event.add_action("cruise", xosc.AbsoluteSpeedAction(speed, step))
        event.add_trigger(xosc.ValueTrigger("t1", 0, xosc.ConditionEdge.rising,
                                            xosc.SimulationTimeCondition(1.0, xosc.Rule.greaterThan)))
        man.add_event(event)
        mg.add_maneuver(man)
        act.add_maneuver_group(mg)
    story.add_act(act)
    stop = xosc.ValueTrigger("stop", 0, xosc.ConditionEdge.rising,
                             xosc.SimulationTimeCondition(duration, xosc.Rule.greaterThan), "stop")
    sb = xosc.StoryBoard(init, stop)
    sb.add_story(story)
    sce = xosc.Scenario(path.stem, "simplatform tests", params, entities, sb, xosc.RoadNetwork(road), xosc.Catalog())
    sce.write_xml(str(path))
    return path


def make_suite(root: Path, n_brake: int = 3, n_cruise: int = 3, duration: float = 4.0) -> Path:
    """``root/index.yaml`` with families ``brake`` (hard braking: fail) and ``cruise`` (pass)."""
    root.mkdir(parents=True, exist_ok=True)
    straight_road(root / "straight.xodr")
    (root / "requirements").mkdir(exist_ok=True)
    (root / "requirements" / "follow.yaml").write_text(yaml.safe_dump(REQUIREMENTS, sort_keys=False))
    scenarios = []
    for family, n in (("brake", n_brake), ("cruise", n_cruise)):
        (root / family).mkdir(exist_ok=True)
        for k in range(n):
            sid = f"{family}.{k:03d}"
            decel = 8.0 + k if family == "brake" else 0.0
            lead_brake(root / family / f"{sid}.xosc", "../straight.xodr", gap=10.0 + 2 * k, decel=decel,
                       duration=duration)
            scenarios.append({"id": sid, "family": family, "logical": "lead_brake", "source": __name__,
                              "path": f"{family}/{sid}.xosc", "parameters": {"LeadDecel": decel},
                              "tags": ["highway", "day"] + (["braking"] if decel else []),
                              "requirements": "follow", "expected_duration": duration})
    index = root / "index.yaml"
    index.write_text(yaml.safe_dump({"version": 1, "scenarios": scenarios}, sort_keys=False))
    return index
