"""Scenario files for the stack and harness tests, written with scenariogeneration as users write them."""

from __future__ import annotations

from pathlib import Path

from lxml import etree
from scenariogeneration import xodr, xosc


def road_file(path: Path, geometry: list, *, lanes: int = 2, red_light_at: float | None = None) -> Path:
    """A road with ``lanes`` driving lanes each way; optionally a traffic light (id 1, or what scenariogeneration renumbers it to) at s for lanes -1..-n."""
    road = xodr.create_road(geometry, id=0, left_lanes=lanes, right_lanes=lanes)
    if red_light_at is not None:
        road.add_signal(xodr.Signal(s=red_light_at, t=-3.5 * lanes - 0.5, country="DE", Type="1000001", id="1",
                                    name="light", dynamic=xodr.Dynamic.yes,
                                    orientation=xodr.Orientation.positive))
    odr = xodr.OpenDrive(path.stem)
    odr.add_road(road)
    odr.adjust_roads_and_lanes()
    odr.write_xml(str(path))
    return path


def vehicle(name: str) -> xosc.Vehicle:
    bb = xosc.BoundingBox(2.0, 5.0, 1.8, 2.0, 0, 0.9)
    fa = xosc.Axle(0.5, 0.8, 1.68, 2.98, 0.4)
    ba = xosc.Axle(0.0, 0.8, 1.68, 0, 0.4)
    return xosc.Vehicle(name, xosc.VehicleCategory.car, bb, fa, ba, 69, 10, 10)


def scenario(directory: Path, name: str, odr: Path, actors: dict[str, tuple[float, int, float]], *,
             duration: float, events: list[tuple[str, xosc.Event]] = (), controller: xosc.TrafficSignalController | None = None) -> Path:
    """``actors``: name -> (s, lane, speed) on road 0; "Ego" is the ego.  Stops at ``duration`` s."""
    entities = xosc.Entities()
    init = xosc.Init()
    step = xosc.TransitionDynamics(xosc.DynamicsShapes.step, xosc.DynamicsDimension.time, 1)
    for actor, (s, lane, speed) in actors.items():
        entities.add_scenario_object(actor, vehicle(actor.lower()))
        init.add_init_action(actor, xosc.TeleportAction(xosc.LanePosition(s, 0, lane, 0)))
        init.add_init_action(actor, xosc.AbsoluteSpeedAction(speed, step))
    stop = xosc.ValueTrigger("stop", 0, xosc.ConditionEdge.rising,
                             xosc.SimulationTimeCondition(duration, xosc.Rule.greaterThan), "stop")
    sb = xosc.StoryBoard(init, stop)
    if events:
        act = xosc.Act("act", xosc.ValueTrigger("start", 0, xosc.ConditionEdge.none,
                                                 xosc.SimulationTimeCondition(0, xosc.Rule.greaterThan)))
        for actor, event in events:
            man = xosc.Maneuver(f"{event.name}_maneuver")
            man.add_event(event)
            group = xosc.ManeuverGroup(f"{event.name}_group")
            group.add_actor(actor)
            group.add_maneuver(man)
            act.add_maneuver_group(group)
        story = xosc.Story("story")
        story.add_act(act)
        sb.add_story(story)
    network = xosc.RoadNetwork(odr.name)
    if controller is not None:
        network.add_traffic_signal_controller(controller)
    sce = xosc.Scenario(name, "simplatform tests", xosc.ParameterDeclarations(), entities, sb, network,
                        xosc.Catalog())
    out = directory / f"{name}.xosc"
    sce.write_xml(str(out))
    return out


def straight(directory: Path, *, ego_speed: float = 10.0, duration: float = 8.0) -> Path:
    odr = road_file(directory / "straight.xodr", [xodr.Line(600)])
    return scenario(directory, "straight", odr, {"Ego": (20, -1, ego_speed)}, duration=duration)


def curve(directory: Path, *, ego_speed: float = 12.0, duration: float = 14.0) -> Path:
    """A 60 m straight, a left arc of radius 80 m over 120 m, a right arc of radius 100 m, a straight."""
    odr = road_file(directory / "curve.xodr", [xodr.Line(60), xodr.Arc(1 / 80, length=120),
                                              xodr.Arc(-1 / 100, length=100), xodr.Line(200)])
    return scenario(directory, "curve", odr, {"Ego": (10, -1, ego_speed)}, duration=duration)


def stopped_car(directory: Path, *, ego_speed: float = 50 / 3.6, gap: float = 120.0, duration: float = 14.0) -> Path:
    odr = road_file(directory / "straight.xodr", [xodr.Line(600)], lanes=1)
    return scenario(directory, "stopped_car", odr, {"Ego": (20, -1, ego_speed), "Obstacle": (20 + gap, -1, 0.0)},
                    duration=duration)


def red_light(directory: Path, *, ego_speed: float = 50 / 3.6, light_at: float = 120.0, duration: float = 14.0) -> Path:
    odr = road_file(directory / "light.xodr", [xodr.Line(400)], lanes=1, red_light_at=light_at)
    # scenariogeneration keeps the signal ids it has handed out per process and renumbers a repeated "1",
    # so the controller names whatever id the written road carries.
    signal_id = etree.parse(str(odr)).find(".//signal").get("id")
    ctrl = xosc.TrafficSignalController("ctrl")
    phase = xosc.Phase("red", 1000)
    phase.add_signal_state(signal_id, "on;off;off")
    ctrl.add_phase(phase)
    return scenario(directory, "red_light", odr, {"Ego": (20, -1, ego_speed)}, duration=duration, controller=ctrl)


def cut_in(directory: Path, *, ego_speed: float = 20.0, target_speed: float = 10.0, ahead: float = 22.0,
           duration: float = 6.0) -> Path:
    """A slower car in the left lane cuts in close ahead of the ego within 1 s: the time to collision drops low."""
    odr = road_file(directory / "straight.xodr", [xodr.Line(600)])
    lc = xosc.AbsoluteLaneChangeAction(-1, xosc.TransitionDynamics(xosc.DynamicsShapes.sinusoidal,
                                                                  xosc.DynamicsDimension.time, 1.0))
    event = xosc.Event("cut_in", xosc.Priority.override)
    event.add_action("lane_change", lc)
    event.add_trigger(xosc.ValueTrigger("at", 0, xosc.ConditionEdge.rising,
                                        xosc.SimulationTimeCondition(0.3, xosc.Rule.greaterThan)))
    return scenario(directory, "cut_in", odr, {"Ego": (30, -1, ego_speed), "Target": (30 + ahead, -2, target_speed)},
                    duration=duration, events=[("Target", event)])
