"""Shared fixtures: the hand-written corpus and files generated with scenariogeneration."""

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


def _vehicle(xosc, name):
    bb = xosc.BoundingBox(2, 5, 1.8, 2.0, 0, 0.9)
    front = xosc.Axle(0.5236, 0.8, 1.68, 2.98, 0.4)
    rear = xosc.Axle(0.5236, 0.8, 1.68, 0, 0.4)
    return xosc.Vehicle(name, xosc.VehicleCategory.car, bb, front, rear, 69, 10, 10)


def _build(xosc, folder: Path, minor: int) -> Path:
    """Cut-in, pedestrian crossing, follow-trajectory and synchronize in one scenariogeneration file."""
    params = xosc.ParameterDeclarations()
    params.add_parameter(xosc.Parameter("EgoSpeed", xosc.ParameterType.double, "30"))
    entities = xosc.Entities()
    entities.add_scenario_object("Ego", _vehicle(xosc, "ego"))
    entities.add_scenario_object("Target", _vehicle(xosc, "target"))
    ped = xosc.Pedestrian("walker", 80, xosc.PedestrianCategory.pedestrian, xosc.BoundingBox(0.5, 0.5, 1.8, 0, 0, 0.9),
                         model="walker")
    entities.add_scenario_object("Walker", ped)
    init = xosc.Init()
    step = xosc.TransitionDynamics(xosc.DynamicsShapes.step, xosc.DynamicsDimension.time, 0)
    init.add_init_action("Ego", xosc.AbsoluteSpeedAction("$EgoSpeed", step))
    init.add_init_action("Ego", xosc.TeleportAction(xosc.LanePosition(25, 0, -1, 0)))
    init.add_init_action("Target", xosc.AbsoluteSpeedAction(35, step))
    init.add_init_action("Target", xosc.TeleportAction(xosc.LanePosition(5, 0, -2, 0)))
    init.add_init_action("Walker", xosc.TeleportAction(xosc.WorldPosition(200, -12, 0, 1.57)))

    prio = xosc.Priority.override if minor >= 2 else xosc.Priority.overwrite
    cut = xosc.Event("cut_in", prio)
    cut.add_trigger(xosc.EntityTrigger("close", 0, xosc.ConditionEdge.rising,
                                       xosc.RelativeDistanceCondition(10, xosc.Rule.greaterThan,
                                                                      xosc.RelativeDistanceType.longitudinal, "Ego",
                                                                      freespace=True), "Target"))
    cut.add_action("change", xosc.AbsoluteLaneChangeAction(-1, xosc.TransitionDynamics(
        xosc.DynamicsShapes.sinusoidal, xosc.DynamicsDimension.time, 3)))
    poly = xosc.Polyline([0, 2, 4], [xosc.LanePosition(50, 0, -2, 0), xosc.LanePosition(80, 1, -2, 0),
                                     xosc.LanePosition(110, 0, -2, 0)])
    traj = xosc.Trajectory("swerve", False)
    traj.add_shape(poly)
    follow = xosc.Event("follow", prio)
    follow.add_trigger(xosc.ValueTrigger("t5", 0, xosc.ConditionEdge.rising,
                                         xosc.SimulationTimeCondition(5, xosc.Rule.greaterThan)))
    follow.add_action("follow", xosc.FollowTrajectoryAction(traj, xosc.FollowingMode.position,
                                                            xosc.ReferenceContext.relative, 1, 0))
    man = xosc.Maneuver("target_maneuver")
    man.add_event(cut)
    man.add_event(follow)
    group = xosc.ManeuverGroup("target_group")
    group.add_actor("Target")
    group.add_maneuver(man)

    walk = xosc.Event("walk", prio)
    reach = (xosc.ReachPositionCondition(xosc.WorldPosition(150, -1.75), 5) if minor < 2 else
             xosc.DistanceCondition(5, xosc.Rule.lessThan, xosc.WorldPosition(150, -1.75)))
    walk.add_trigger(xosc.EntityTrigger("near", 0, xosc.ConditionEdge.rising, reach, "Ego"))
    walk.add_action("sync", xosc.SynchronizeAction("Ego", xosc.WorldPosition(200, -1.75),
                                                   xosc.WorldPosition(200, -3), target_tolerance_master=1,
                                                   target_tolerance=1))
    walk_man = xosc.Maneuver("walk")
    walk_man.add_event(walk)
    walk_group = xosc.ManeuverGroup("walker_group")
    walk_group.add_actor("Walker")
    walk_group.add_maneuver(walk_man)

    act = xosc.Act("act", xosc.ValueTrigger("start", 0, xosc.ConditionEdge.rising,
                                            xosc.SimulationTimeCondition(0, xosc.Rule.greaterThan)))
    act.add_maneuver_group(group)
    act.add_maneuver_group(walk_group)
    story = xosc.Story("story")
    story.add_act(act)
    stop = xosc.ValueTrigger("stop", 0, xosc.ConditionEdge.rising,
                             xosc.SimulationTimeCondition(30, xosc.Rule.greaterThan), "stop")
    board = xosc.StoryBoard(init, stop)
    board.add_story(story)
    sce = xosc.Scenario("generated", "simplatform", params, entities=entities, storyboard=board,
                        roadnetwork=xosc.RoadNetwork("straight.xodr"), catalog=xosc.Catalog(),
                        osc_minor_version=minor)
    path = folder / f"generated_1_{minor}.xosc"
    sce.write_xml(str(path))
    return path


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> dict:
    """{'scenarios': {minor: path}, 'distribution': path} written by scenariogeneration 0.16."""
    from scenariogeneration import xodr, xosc

    folder = tmp_path_factory.mktemp("generated")
    road = xodr.create_road([xodr.Line(1000)], id=0, left_lanes=2, right_lanes=2)
    odr = xodr.OpenDrive("straight")
    odr.add_road(road)
    odr.adjust_roads_and_lanes()
    odr.write_xml(str(folder / "straight.xodr"))
    scenarios = {minor: _build(xosc, folder, minor) for minor in (0, 1, 2, 3)}
    det = xosc.Deterministic()
    values = xosc.DistributionSet()
    for v in ("20", "25", "30"):
        values.add_value(v)
    det.add_single_distribution("EgoSpeed", values)
    dist = xosc.ParameterValueDistribution("sweep", "simplatform", scenarios[2].name, det, osc_minor_version=2)
    dist_path = folder / "sweep.xosc"
    dist.write_xml(str(dist_path))
    return {"scenarios": scenarios, "distribution": dist_path}
