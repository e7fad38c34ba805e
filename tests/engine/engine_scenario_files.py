"""Scenario builders for the engine tests (scenariogeneration, the way users write them)."""

from __future__ import annotations

from pathlib import Path

from scenariogeneration import xodr, xosc


def straight_road(path: Path, length: float = 1000.0, lanes: int = 2) -> Path:
    road = xodr.create_road(xodr.Line(length), id=0, left_lanes=lanes, right_lanes=lanes)
    odr = xodr.OpenDrive("straight")
    odr.add_road(road)
    odr.adjust_roads_and_lanes()
    odr.write_xml(str(path))
    return path


def _vehicle(name: str) -> xosc.Vehicle:
    bb = xosc.BoundingBox(2.0, 5.0, 1.8, 2.0, 0, 0.9)
    fa = xosc.Axle(0.5, 0.8, 1.68, 2.98, 0.4)
    ba = xosc.Axle(0.0, 0.8, 1.68, 0, 0.4)
    return xosc.Vehicle(name, xosc.VehicleCategory.car, bb, fa, ba, 69, 10, 10)


def cut_in(directory: Path, *, ego_speed: float = 20.0, target_speed: float = 25.0, trigger_dist: float = 15.0,
           duration: float = 20.0) -> Path:
    """Ego in lane -1 at constant speed; the target overtakes in lane -2 and cuts in ahead."""
    odr = straight_road(directory / "straight.xodr")
    params = xosc.ParameterDeclarations()
    params.add_parameter(xosc.Parameter("TargetSpeed", xosc.ParameterType.double, str(target_speed)))
    entities = xosc.Entities()
    entities.add_scenario_object("Ego", _vehicle("car_white"))
    entities.add_scenario_object("Target", _vehicle("car_red"))
    init = xosc.Init()
    step = xosc.TransitionDynamics(xosc.DynamicsShapes.step, xosc.DynamicsDimension.time, 1)
    init.add_init_action("Ego", xosc.TeleportAction(xosc.LanePosition(50, 0, -1, 0)))
    init.add_init_action("Ego", xosc.AbsoluteSpeedAction(ego_speed, step))
    init.add_init_action("Target", xosc.TeleportAction(xosc.LanePosition(20, 0, -2, 0)))
    init.add_init_action("Target", xosc.AbsoluteSpeedAction("$TargetSpeed", step))
    # the target starts 30 m behind and 5 m/s faster: level at 6 s, ``trigger_dist`` ahead later;
    # TraveledDistance of the target minus the ego's is what "ahead" means on a straight road
    trig = xosc.EntityTrigger("cut_in_trigger", 0, xosc.ConditionEdge.none,
                              xosc.TraveledDistanceCondition(target_speed * (30 + trigger_dist) / (target_speed - ego_speed)),
                              "Target")
    lc = xosc.AbsoluteLaneChangeAction(-1, xosc.TransitionDynamics(xosc.DynamicsShapes.sinusoidal,
                                                                  xosc.DynamicsDimension.time, 3))
    event = xosc.Event("cut_in", xosc.Priority.override)
    event.add_action("lane_change", lc)
    event.add_trigger(trig)
    man = xosc.Maneuver("cut_in_maneuver")
    man.add_event(event)
    mg = xosc.ManeuverGroup("cut_in_group")
    mg.add_actor("Target")
    mg.add_maneuver(man)
    act = xosc.Act("cut_in_act", xosc.ValueTrigger("start", 0, xosc.ConditionEdge.none,
                                                     xosc.SimulationTimeCondition(0, xosc.Rule.greaterThan)))
    act.add_maneuver_group(mg)
    story = xosc.Story("cut_in_story")
    story.add_act(act)
    stop = xosc.ValueTrigger("stop", 0, xosc.ConditionEdge.none,
                             xosc.SimulationTimeCondition(duration, xosc.Rule.greaterThan), "stop")
    sb = xosc.StoryBoard(init, stop)
    sb.add_story(story)
    sce = xosc.Scenario("cut-in", "simplatform", params, entities, sb, xosc.RoadNetwork(odr.name), xosc.Catalog())
    out = directory / "cut_in.xosc"
    sce.write_xml(str(out))
    return out


def driver_controller(name: str = "IDM", **props: str) -> xosc.Controller:
    p = xosc.Properties()
    for k, v in props.items():
        p.add_property(k, str(v))
    return xosc.Controller(name, p)


def idm_follow(directory: Path, *, lead_speed: float = 15.0, desired: float = 30.0, gap0: float = 80.0,
               duration: float = 60.0) -> Path:
    """A lead at constant speed on the default controller; an IDM follower (ObjectController) behind it."""
    odr = straight_road(directory / "straight.xodr", length=2000.0)
    entities = xosc.Entities()
    entities.add_scenario_object("Lead", _vehicle("lead"))
    entities.add_scenario_object("Follower", _vehicle("follower"),
                                 controller=driver_controller("IDM", model="idm", desiredSpeed=desired))
    init = xosc.Init()
    step = xosc.TransitionDynamics(xosc.DynamicsShapes.step, xosc.DynamicsDimension.time, 1)
    init.add_init_action("Lead", xosc.TeleportAction(xosc.LanePosition(20 + gap0 + 5.0, 0, -1, 0)))
    init.add_init_action("Lead", xosc.AbsoluteSpeedAction(lead_speed, step))
    init.add_init_action("Follower", xosc.TeleportAction(xosc.LanePosition(20, 0, -1, 0)))
    init.add_init_action("Follower", xosc.AbsoluteSpeedAction(lead_speed, step))
    sb = xosc.StoryBoard(init, xosc.ValueTrigger("stop", 0, xosc.ConditionEdge.none,
                                                 xosc.SimulationTimeCondition(duration, xosc.Rule.greaterThan), "stop"))
    sce = xosc.Scenario("idm", "simplatform", xosc.ParameterDeclarations(), entities, sb, xosc.RoadNetwork(odr.name),
                        xosc.Catalog())
    out = directory / "idm_follow.xosc"
    sce.write_xml(str(out))
    return out


def swarm(directory: Path, *, number: int = 8, duration: float = 10.0) -> Path:
    """The ego drives at 20 m/s; a swarm of IDM/MOBIL traffic keeps ``number`` vehicles around it."""
    odr = straight_road(directory / "straight.xodr", length=3000.0)
    entities = xosc.Entities()
    entities.add_scenario_object("Ego", _vehicle("ego"))
    init = xosc.Init()
    step = xosc.TransitionDynamics(xosc.DynamicsShapes.step, xosc.DynamicsDimension.time, 1)
    init.add_init_action("Ego", xosc.TeleportAction(xosc.LanePosition(500, 0, -1, 0)))
    init.add_init_action("Ego", xosc.AbsoluteSpeedAction(20.0, step))
    td = xosc.TrafficDefinition("mix")
    td.add_vehicle(xosc.VehicleCategory.car, 0.8)
    td.add_vehicle(xosc.VehicleCategory.truck, 0.2)
    td.add_controller(driver_controller("TrafficDriver", model="idm_mobil", style="normal"), 1.0)
    init.add_global_action(xosc.TrafficSwarmAction(200, 40, 30, 0, number, "Ego", td,
                                                   velocity=xosc.Range(15, 25), name="swarm"))
    sb = xosc.StoryBoard(init, xosc.ValueTrigger("stop", 0, xosc.ConditionEdge.none,
                                                 xosc.SimulationTimeCondition(duration, xosc.Rule.greaterThan), "stop"))
    sce = xosc.Scenario("swarm", "simplatform", xosc.ParameterDeclarations(), entities, sb,
                        xosc.RoadNetwork(odr.name), xosc.Catalog(), osc_minor_version=2)
    out = directory / "swarm.xosc"
    sce.write_xml(str(out))
    return out
