"""Conformance: the remaining private and global actions move entities as the standard says, to the step.

Road: straight, along +x, two 3 m lanes per side (lane -1 at y = -1.5, lane -2 at y = -4.5), s = x.
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
from engine_story import Trace, at_time, event, place, write  # noqa: E402

from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402

DT = 0.01
MAPS = Path(__file__).resolve().parents[2] / "scenarios" / "maps"


def _run(path: Path, **kw):
    trace = Trace()
    result = run_scenario(path, RunConfig(on_step=trace, **kw))
    return trace, result


def _story(tmp_path, name, events, duration, *, ego=("Ego", 20.0, -1, 10.0), other=None):
    road = scenarios.straight_road(tmp_path / "straight.xodr", length=1000.0)
    init = xosc.Init()
    objects = {}
    for spec in (ego, other):
        if spec is None:
            continue
        n, s, lane, v = spec
        objects[n] = scenarios._vehicle(n.lower())
        place(init, n, xosc.LanePosition(s, 0, lane, 0), v)
    return write(tmp_path, name, road, objects, init, events, duration)


def test_speed_profile_entries_are_reached_at_their_times(tmp_path):
    """From 10 m/s: 20 m/s in 2 s, then 10 m/s in 5 s (linear, followingMode position)."""
    profile = xosc.SpeedProfileAction([20.0, 10.0], xosc.FollowingMode.position, times=[2.0, 5.0])
    path = _story(tmp_path, "profile", [("Ego", event("p", {"p": profile}, at_time("t1", 1.0)))], 9.0)
    trace, result = _run(path)
    for t, v in ((1.0, 10.0), (2.0, 15.0), (3.0, 20.0), (5.5, 15.0), (8.0, 10.0), (9.0, 10.0)):
        assert trace.at("Ego", t)[3] == pytest.approx(v, abs=1e-6), t
    # x is the integral of that speed: 10·9 + (area of the triangle-trapezoid above 10 m/s) = 90 + 10 + 25
    assert trace.at("Ego", 9.0)[0] == pytest.approx(20.0 + 90 + 10 + 25, abs=0.11)
    ends = [e.time for e in result.events if e.kind == "Event.endTransition" and e.detail == "p"]
    assert ends and ends[0] == pytest.approx(8.0, abs=DT + 1e-9)


def test_speed_profile_without_times_uses_the_constraint_rates(tmp_path):
    dc = xosc.DynamicsConstraints(max_acceleration=2.0, max_deceleration=4.0)
    profile = xosc.SpeedProfileAction([16.0, 8.0], xosc.FollowingMode.follow, dynamics_constraint=dc)
    path = _story(tmp_path, "profile_rate", [("Ego", event("p", {"p": profile}, at_time("t0", 0.0)))], 7.0)
    trace, _ = _run(path)
    # 10 → 16 at 2 m/s² (3 s), then 16 → 8 at 4 m/s² (2 s)
    for t, v in ((1.5, 13.0), (3.0, 16.0), (4.0, 12.0), (5.0, 8.0), (6.5, 8.0)):
        assert trace.at("Ego", t)[3] == pytest.approx(v, abs=0.021), t


def test_longitudinal_distance_without_constraints_holds_the_gap_exactly(tmp_path):
    keep = xosc.LongitudinalDistanceAction("Lead", freespace=False, continuous=True, distance=30.0)
    path = _story(tmp_path, "gap", [("Ego", event("keep", {"keep": keep}, at_time("t1", 1.0)))], 6.0,
                  ego=("Ego", 20.0, -1, 10.0), other=("Lead", 100.0, -1, 15.0))
    trace, _ = _run(path)
    t = trace.time()
    gap = trace.of("Lead")[:, 0] - trace.of("Ego")[:, 0]
    assert np.allclose(gap[t > 1.0 + 1.5 * DT], 30.0, atol=1e-6)
    assert trace.at("Ego", 5.0)[3] == pytest.approx(15.0)


def test_longitudinal_distance_with_constraints_converges_within_limits(tmp_path):
    keep = xosc.LongitudinalDistanceAction("Lead", freespace=True, continuous=True, distance=20.0,
                                           max_acceleration=3.0, max_deceleration=6.0, max_speed=40.0)
    path = _story(tmp_path, "gap_dyn", [("Ego", event("keep", {"keep": keep}, at_time("t0", 0.0)))], 30.0,
                  ego=("Ego", 20.0, -1, 10.0), other=("Lead", 100.0, -1, 15.0))
    trace, _ = _run(path)
    v = trace.of("Ego")[:, 3]
    accel = np.diff(v) / DT
    assert accel.max() <= 3.0 + 1e-6 and accel.min() >= -6.0 - 1e-6
    free_gap = trace.at("Lead", 30.0)[0] - trace.at("Ego", 30.0)[0] - 5.0  # bumper to bumper (5 m cars, centre +2)
    assert free_gap == pytest.approx(20.0, abs=0.2)
    assert v[-1] == pytest.approx(15.0, abs=0.05)


def test_lane_offset_sinusoidal_respects_the_lateral_acceleration(tmp_path):
    """1 m to the left at max 0.5 m/s² lateral acceleration: T = π·sqrt(Δ/(2a)) = π s (esmini's rule)."""
    shift = xosc.AbsoluteLaneOffsetAction(1.0, xosc.DynamicsShapes.sinusoidal, maxlatacc=0.5, continuous=False)
    path = _story(tmp_path, "offset", [("Ego", event("o", {"o": shift}, at_time("t1", 1.0)))], 6.0)
    trace, result = _run(path)
    for t, off in ((1.0, 0.0), (1.0 + math.pi / 2, 0.5), (1.0 + math.pi, 1.0), (6.0, 1.0)):
        assert trace.at("Ego", t)[1] == pytest.approx(-1.5 + off, abs=2e-3), t
    y = trace.of("Ego")[:, 1]
    lateral_acc = np.diff(y, 2) / DT ** 2
    assert np.abs(lateral_acc).max() == pytest.approx(0.5, rel=0.03)
    assert trace.lane_of("Ego")[-1][1:] == (-1, pytest.approx(20.0 + 60.0, abs=0.11), pytest.approx(1.0))


def test_lateral_distance_with_a_speed_limit_closes_linearly(tmp_path):
    """Actor in lane -2 (3 m right of the reference) closes to 2 m at 0.5 m/s: 2 s."""
    lat = xosc.LateralDistanceAction("Ref", distance=2.0, freespace=False, continuous=False, max_speed=0.5,
                                     displacement=xosc.LateralDisplacement.rightToReferencedEntity)
    path = _story(tmp_path, "lat", [("Ego", event("l", {"l": lat}, at_time("t1", 1.0)))], 5.0,
                  ego=("Ego", 20.0, -2, 10.0), other=("Ref", 40.0, -1, 10.0))
    trace, _ = _run(path)
    for t, y in ((1.0, -4.5), (2.0, -4.0), (3.0, -3.5), (4.5, -3.5)):
        assert trace.at("Ego", t)[1] == pytest.approx(y, abs=0.006), t


def test_acquire_position_routes_through_the_junction_and_ends_there(tmp_path):
    """From road 1 eastbound to road 4 (north): the route turns left through connecting road 102."""
    init = xosc.Init()
    place(init, "Ego", xosc.LanePosition(80, 0, -1, "1"), 10.0)
    target = xosc.LanePosition(30, 0, -1, "4")
    path = write(tmp_path, "acquire", str(MAPS / "junction_4way.xodr"), {"Ego": scenarios._vehicle("ego")}, init,
                 [("Ego", event("go", {"go": xosc.AcquirePositionAction(target)}, at_time("t0", 0.0)))], 12.0)
    trace, result = _run(path)
    roads = [lane[0] for lane in trace.lane_of("Ego")]
    assert "102" in roads and roads[-1] == "4"
    ends = [e.time for e in result.events if e.kind == "Event.endTransition" and e.detail == "go"]
    assert ends, "AcquirePosition never completed"
    odo = trace.of("Ego")[:, 4]
    k = int(round(ends[0] / DT)) - 1
    # rest of road 1, the turn along lane -1's centre (35.95 m: the 33.2 m reference line turns pi/2 left, the
    # lane centre 1.75 m outside it; session 10, H6: entities travel their speed along their own path), 30 m of road 4
    assert odo[k] == pytest.approx(20.0 + 35.95 + 30.0, abs=1.5)


def test_delete_then_add_entity(tmp_path):
    road = scenarios.straight_road(tmp_path / "straight.xodr")
    init = xosc.Init()
    place(init, "Ego", xosc.LanePosition(20, 0, -1, 0), 10.0)
    place(init, "Other", xosc.LanePosition(100, 0, -1, 0), 5.0)
    events = [("Ego", event("delete", {"d": xosc.DeleteEntityAction("Other")}, at_time("t1", 1.0))),
              ("Ego", event("add", {"a": xosc.AddEntityAction("Other", xosc.LanePosition(300, 0, -2, 0))},
                            at_time("t2", 2.0)))]
    path = write(tmp_path, "add_delete", road, {"Ego": scenarios._vehicle("e"), "Other": scenarios._vehicle("o")},
                 init, events, 4.0)
    from simplatform.engine.run import play_to

    assert "Other" not in play_to(path, 1.5)[0].names
    snap, _ = play_to(path, 3.0)
    other = snap.entity("Other")
    assert other.y == pytest.approx(-4.5) and other.x == pytest.approx(300.0 + 5.0 * 1.0, abs=0.06)
    trace, _ = _run(path)
    active = trace.of("Other")[:, 5]
    t = trace.time()
    assert active[(t > 1.0 + 1.5 * DT) & (t < 2.0)].max() == 0.0 and active[t > 2.0 + 1.5 * DT].min() == 1.0


def test_custom_command_reaches_its_handler_at_the_event_time(tmp_path):
    calls = []
    cmd = xosc.UserDefinedAction(xosc.CustomCommandAction("horn", "duration=0.5"))
    path = _story(tmp_path, "custom", [("Ego", event("honk", {"h": cmd}, at_time("t", 1.5)))], 3.0)
    trace = Trace()
    handler = {"horn": lambda kind, content: calls.append((kind, content, trace.times[-1]))}
    result = run_scenario(path, RunConfig(on_step=trace, custom_handlers=handler))
    assert len(calls) == 1 and calls[0][:2] == ("horn", "duration=0.5")
    assert calls[0][2] == pytest.approx(1.5, abs=DT + 1e-9)
    logged = [e for e in result.events if e.kind == "CustomCommandAction"]
    assert logged and logged[0].detail == "horn: duration=0.5" and logged[0].time == pytest.approx(1.5, abs=DT + 1e-9)


def test_relative_orientation_on_a_lane_is_relative_to_the_reference_line(tmp_path):
    """Lane 1 of right-hand traffic drives towards −s: h = π relative faces that way and drives west;
    without an Orientation the lane's driving direction is taken anyway."""
    road = scenarios.straight_road(tmp_path / "straight.xodr")
    init = xosc.Init()
    place(init, "Against", xosc.LanePosition(500, 0, 1, 0, xosc.Orientation(h=math.pi, reference="relative")), 10.0)
    place(init, "Default", xosc.LanePosition(400, 0, 1, 0), 10.0)
    path = write(tmp_path, "orient", road, {"Against": scenarios._vehicle("a"), "Default": scenarios._vehicle("d")},
                 init, [], 2.0)
    trace, _ = _run(path)
    for name, x0 in (("Against", 500.0), ("Default", 400.0)):
        row = trace.at(name, 2.0)
        assert row[0] == pytest.approx(x0 - 20.0, abs=1e-6) and row[1] == pytest.approx(1.5)
        assert abs(abs(row[2]) - math.pi) < 1e-9


def test_static_positions_are_resolved_once(tmp_path):
    """A DistanceCondition to a WorldPosition asks the road model once, not every step."""
    from simplatform.engine.run import ScenarioSpec, load_scenario_and_road
    from simplatform.engine.engine import ScenarioEngine

    road = scenarios.straight_road(tmp_path / "straight.xodr")
    init = xosc.Init()
    place(init, "Ego", xosc.LanePosition(20, 0, -1, 0), 10.0)
    near = xosc.EntityTrigger("near", 0, xosc.ConditionEdge.none,
                              xosc.DistanceCondition(5.0, xosc.Rule.lessThan, xosc.WorldPosition(60, -1.5),
                                                     freespace=False), "Ego")
    marker = xosc.VisibilityAction(True, True, True)
    path = write(tmp_path, "near", road, {"Ego": scenarios._vehicle("e")}, init,
                 [("Ego", event("near", {"m": marker}, near))], 5.0)
    scenario, net = load_scenario_and_road(ScenarioSpec(path))
    engine = ScenarioEngine(scenario, net)
    calls = []
    original = net.locate
    net.locate = lambda *a, **k: calls.append(a) or original(*a, **k)
    try:
        engine.initialise()
        fired = None
        while engine.step_index < 500 and fired is None:
            engine.step()
            fired = next((e.time for e in engine.storyboard.log if e.element == "near"), None)
    finally:
        net.locate = original
    assert fired == pytest.approx(3.5, abs=DT + 1e-9)  # x + 5 = 60 → x = 55 at t = 3.5
    assert len(calls) <= 1


def test_unknown_backend_is_a_config_error(tmp_path):
    from simplatform.errors import ConfigError

    path = _story(tmp_path, "plain", [], 1.0)
    with pytest.raises(ConfigError, match="native or carla"):
        run_scenario(path, RunConfig(backend="gazebo"))


def test_freespace_distance_to_a_point_is_measured_from_the_bounding_box(tmp_path):
    """The 5 m car's front is 4.5 m ahead of its reference point: 5 m free space to x = 60 at x = 50.5."""
    road = scenarios.straight_road(tmp_path / "straight.xodr")
    init = xosc.Init()
    place(init, "Ego", xosc.LanePosition(20, 0, -1, 0), 10.0)
    near = xosc.EntityTrigger("near", 0, xosc.ConditionEdge.none,
                              xosc.DistanceCondition(5.0, xosc.Rule.lessThan, xosc.WorldPosition(60, -1.5),
                                                     freespace=True), "Ego")
    path = write(tmp_path, "near_free", road, {"Ego": scenarios._vehicle("e")}, init,
                 [("Ego", event("near", {"m": xosc.VisibilityAction(True, True, True)}, near))], 5.0)
    _, result = _run(path)
    starts = [e.time for e in result.events if e.kind == "Event.startTransition" and e.detail == "near"]
    assert starts and starts[0] == pytest.approx(3.05, abs=DT + 1e-9)
