"""Scenarios written with scenariogeneration run and do what they say, checked on the motion.

The road for most cases: a straight 1000 m road along +x with two 3 m lanes per
side (scenariogeneration's default width), so lane -1's centre is y = -1.5 and
lane -2's is y = -4.5, and s = x.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scenariogeneration import xosc

sys.path.insert(0, str(Path(__file__).parent))
import engine_scenario_files as scenarios  # noqa: E402
from engine_story import Trace, at_time, event, pedestrian, place, write  # noqa: E402

from simplatform.engine.run import RunConfig, ScenarioSpec, run_scenario  # noqa: E402
from simplatform.openscenario.distributions import load_distribution  # noqa: E402

DT = 0.01
MAPS = Path(__file__).resolve().parents[2] / "scenarios" / "maps"


def _car(name: str):
    return scenarios._vehicle(name)


def _run(path: Path, **kw) -> Trace:
    trace = Trace()
    run_scenario(path, RunConfig(on_step=trace, **kw))
    return trace


def test_cut_out_ends_in_the_adjacent_lane_on_a_sinusoid(tmp_path):
    """The vehicle ahead of the ego leaves lane -1 for lane -2 from t = 2 s over 4 s (sinusoidal)."""
    road = scenarios.straight_road(tmp_path / "straight.xodr")
    init = xosc.Init()
    place(init, "Ego", xosc.LanePosition(20, 0, -1, 0), 20.0)
    place(init, "CutOut", xosc.LanePosition(50, 0, -1, 0), 20.0)
    lc = xosc.AbsoluteLaneChangeAction(-2, xosc.TransitionDynamics(xosc.DynamicsShapes.sinusoidal,
                                                                  xosc.DynamicsDimension.time, 4.0))
    path = write(tmp_path, "cut_out", road, {"Ego": _car("ego"), "CutOut": _car("c")}, init,
                 [("CutOut", event("cut_out", {"lc": lc}, at_time("t2", 2.0)))], duration=8.0)
    trace = _run(path)
    cut = trace.of("CutOut")
    for t, fraction in ((1.9, 0.0), (4.0, 0.5), (6.01, 1.0), (8.0, 1.0)):
        y = trace.at("CutOut", t)[1]
        assert y == pytest.approx(-1.5 - 3.0 * fraction, abs=0.02), t
    assert trace.lane_of("CutOut")[-1][:2] == ("0", -2) and abs(trace.lane_of("CutOut")[-1][3]) < 0.01
    assert np.all(np.abs(trace.of("Ego")[:, 1] + 1.5) < 1e-9) and trace.lane_of("Ego")[-1][1] == -1
    # lateral speed peaks mid-change at π/2 · Δy / T (sinusoidal shape), so the heading at t = 4 s is
    assert trace.at("CutOut", 4.0)[2] == pytest.approx(-math.atan2(math.pi / 2 * 3.0 / 4.0, 20.0), abs=2e-3)
    assert trace.at("CutOut", 8.0)[0] == pytest.approx(50 + 20 * 8.0, abs=0.05)  # s kept pace with its speed
    assert cut[:, 3].min() == cut[:, 3].max() == 20.0


def test_overtaking_changes_out_and_back_in_at_the_stated_gaps(tmp_path):
    """Ego at 25 m/s, slower car 40 m ahead at 15 m/s.  Out to lane -2 when 20 m behind (t = 2 s),
    back to lane -1 once the first change is complete and the ego is 15 m ahead (t = 5.5 s)."""
    road = scenarios.straight_road(tmp_path / "straight.xodr")
    init = xosc.Init()
    place(init, "Ego", xosc.LanePosition(20, 0, -1, 0), 25.0)
    place(init, "Slow", xosc.LanePosition(60, 0, -1, 0), 15.0)
    dyn = xosc.TransitionDynamics(xosc.DynamicsShapes.sinusoidal, xosc.DynamicsDimension.time, 2.0)
    out_trig = xosc.EntityTrigger("close", 0, xosc.ConditionEdge.none,
                                  xosc.RelativeDistanceCondition(20, xosc.Rule.lessThan, xosc.RelativeDistanceType.longitudinal,
                                                                 "Slow", freespace=False), "Ego")
    back = xosc.ConditionGroup()
    back.add_condition(xosc.EntityTrigger("ahead", 0, xosc.ConditionEdge.none,
                                          xosc.RelativeDistanceCondition(15, xosc.Rule.greaterThan,
                                                                         xosc.RelativeDistanceType.longitudinal,
                                                                         "Slow", freespace=False), "Ego"))
    back.add_condition(xosc.ValueTrigger("out_done", 0, xosc.ConditionEdge.none, xosc.StoryboardElementStateCondition(
        xosc.StoryboardElementType.event, "pull_out", xosc.StoryboardElementState.completeState)))
    path = write(tmp_path, "overtake", road, {"Ego": _car("ego"), "Slow": _car("slow")}, init,
                 [("Ego", event("pull_out", {"out": xosc.AbsoluteLaneChangeAction(-2, dyn)}, out_trig)),
                  ("Ego", event("pull_in", {"in": xosc.AbsoluteLaneChangeAction(-1, dyn)}, back))], duration=9.0)
    result_trace = Trace()
    result = run_scenario(path, RunConfig(on_step=result_trace))
    starts = {e.detail: e.time for e in result.events if e.kind == "Event.startTransition"}
    assert starts["pull_out"] == pytest.approx(2.0, abs=DT + 1e-9)
    assert starts["pull_in"] == pytest.approx(5.5, abs=DT + 1e-9)
    ego = result_trace
    assert ego.at("Ego", 4.05)[1] == pytest.approx(-4.5, abs=0.02)  # fully out after 2 s
    assert ego.at("Ego", 9.0)[1] == pytest.approx(-1.5, abs=0.02) and ego.lane_of("Ego")[-1][1] == -1
    assert ego.at("Ego", 9.0)[0] - ego.at("Slow", 9.0)[0] == pytest.approx((20 + 25 * 9.0) - (60 + 15 * 9.0), abs=0.1)


def test_pedestrian_crosses_the_lane_at_the_stated_time(tmp_path):
    """A pedestrian 9 m right of the road's centre line faces across it and walks at 1.5 m/s from
    t = 2 s: lane -1's centre (y = -1.5) at t = 7 s, the centre line at t = 8 s."""
    road = scenarios.straight_road(tmp_path / "straight.xodr")
    init = xosc.Init()
    place(init, "Ego", xosc.LanePosition(20, 0, -1, 0), 10.0)
    place(init, "Walker", xosc.WorldPosition(100, -9.0, 0, math.pi / 2), 0.0)
    walk = xosc.AbsoluteSpeedAction(1.5, xosc.TransitionDynamics(xosc.DynamicsShapes.step,
                                                                 xosc.DynamicsDimension.time, 0))
    path = write(tmp_path, "crossing", road, {"Ego": _car("ego"), "Walker": pedestrian()}, init,
                 [("Walker", event("walk", {"walk": walk}, at_time("t2", 2.0)))], duration=9.0)
    trace = _run(path)
    for t in (1.0, 2.0, 5.0, 7.0, 8.0, 9.0):
        row = trace.at("Walker", t)
        assert row[0] == pytest.approx(100.0, abs=1e-9)
        assert row[1] == pytest.approx(-9.0 + 1.5 * max(t - 2.0, 0.0), abs=1e-6), t
    lanes = trace.lane_of("Walker")
    k7 = int(round(7.0 / DT)) - 1
    assert lanes[k7][0] == "0" and lanes[k7][1] == -1  # on lane -1 (relocated within 10 steps)
    assert lanes[int(round(1.0 / DT))][0] is None  # off the road before it starts


def test_synchronize_at_a_junction_both_arrive_within_one_step(tmp_path):
    """On the 4-way junction map: the master drives east at 10 m/s on its route straight through;
    the actor, northbound and routed straight too, is synchronised to reach the conflict point
    when the master does (AssignRouteAction picks the straight connecting roads)."""
    from simplatform.engine.run import load_scenario_and_road

    odr = MAPS / "junction_4way.xodr"
    init = xosc.Init()
    place(init, "Master", xosc.LanePosition(30, 0, -1, "1"), 10.0)
    place(init, "Actor", xosc.LanePosition(20, 0, -1, "2"), 5.0)
    for name, (a, b) in {"Master": ("1", "3"), "Actor": ("2", "4")}.items():
        route = xosc.Route(f"{name}_straight")
        route.add_waypoint(xosc.LanePosition(50, 0, -1, a), xosc.RouteStrategy.shortest)
        route.add_waypoint(xosc.LanePosition(20, 0, -1, b), xosc.RouteStrategy.shortest)
        init.add_init_action(name, xosc.AssignRouteAction(route))
    width = 3.5  # checked against the map below
    master_target = xosc.LanePosition(20 + width / 2, 0, -1, "101")
    actor_target = xosc.LanePosition(20 - width / 2, 0, -1, "104")
    sync = xosc.SynchronizeAction("Master", master_target, actor_target, target_tolerance_master=0.5,
                                  final_speed=xosc.AbsoluteSpeed(10.0))
    path = write(tmp_path, "sync", str(odr), {"Master": _car("m"), "Actor": _car("a")}, init,
                 [("Actor", event("sync", {"sync": sync}, at_time("t0", 0.0)))], duration=12.0)
    _, net = load_scenario_and_road(ScenarioSpec(path))
    assert net.lane_width("1", -1, 50.0) == pytest.approx(width)
    conflict = np.array([120 + width / 2, -width / 2])
    trace = _run(path)
    t = trace.time()
    arrivals = {}
    for name in ("Master", "Actor"):
        xy = trace.of(name)[:, :2]
        d = np.hypot(*(xy - conflict).T)
        k = int(np.argmin(d))
        assert d[k] < 0.2, f"{name} missed the conflict point by {d[k]:.2f} m"
        arrivals[name] = t[k]
    assert arrivals["Master"] == pytest.approx((70 + 20 + width / 2) / 10.0, abs=DT + 1e-9)
    assert abs(arrivals["Actor"] - arrivals["Master"]) <= DT + 1e-9
    roads = {lane[0] for lane in trace.lane_of("Actor")}
    assert {"2", "104", "4"} <= roads  # straight through, as routed


def test_parameter_distribution_variants_each_run_with_their_parameter(tmp_path):
    """A ParameterValueDistribution over TargetSpeed {10, 20, 30}: each concrete scenario runs and
    the target reaches the speed its variant says."""
    road = scenarios.straight_road(tmp_path / "straight.xodr")
    params = xosc.ParameterDeclarations()
    params.add_parameter(xosc.Parameter("TargetSpeed", xosc.ParameterType.double, "15"))
    init = xosc.Init()
    place(init, "Ego", xosc.LanePosition(20, 0, -1, 0), 5.0)
    accel = xosc.AbsoluteSpeedAction("$TargetSpeed", xosc.TransitionDynamics(
        xosc.DynamicsShapes.linear, xosc.DynamicsDimension.rate, 5.0))
    scenario = write(tmp_path, "variant", road, {"Ego": _car("ego")}, init,
                     [("Ego", event("go", {"go": accel}, at_time("t0", 0.0)))], duration=7.0, parameters=params)
    values = xosc.DistributionSet()
    for v in ("10", "20", "30"):
        values.add_value(v)
    dist = xosc.Deterministic()
    dist.add_single_distribution("TargetSpeed", values)
    pvd = xosc.ParameterValueDistribution("speeds", "t", scenario.name, dist, osc_minor_version=2)
    pvd_path = tmp_path / "speeds.xosc"
    pvd.write_xml(str(pvd_path))
    variants = load_distribution(pvd_path)
    assert [float(v.parameters["TargetSpeed"]) for v in variants] == [10.0, 20.0, 30.0]
    for v in variants:
        trace = Trace()
        result = run_scenario(ScenarioSpec(v.scenario_path, dict(v.parameters)), RunConfig(on_step=trace))
        target = float(v.parameters["TargetSpeed"])
        assert float(result.parameters["TargetSpeed"]) == target
        ego = trace.of("Ego")
        assert ego[-1, 3] == pytest.approx(target)
        reach = (target - 5.0) / 5.0
        assert trace.at("Ego", reach / 2)[3] == pytest.approx(5.0 + 5.0 * reach / 2, abs=0.06)
