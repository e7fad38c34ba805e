"""Block evaluation: results do not depend on how the steps are grouped; road and route shortcuts
agree with the exact queries they replace."""

from __future__ import annotations

import math

import numpy as np
import pytest
from metrics_testkit import FakeStraightRoad, entity, run

from metrics import ConflictZone, GoalRegion, MetricSuite, RoutePath, ScenarioContext, StopLine, suite as suite_module
from metrics import road_block
from simplatform.world import EntityKind, LaneLocation


def _busy_scene(t: float):
    """Ego changes lane, brakes, crosses a red line and touches a cone; a pedestrian crosses a zone;
    a car joins the scene at 1 s (new entity set → a block boundary)."""
    x = 10 + 12 * t - (0.5 * 3 * (t - 2) ** 2 if t > 2 else 0.0)
    v = 12 - (3 * (t - 2) if t > 2 else 0.0)
    y = -5.25 + min(max(t - 0.5, 0.0), 3.5)
    states = [entity("ego", x, y, speed=v, vy=1.0 if 0.5 < t < 4.0 else 0.0, ax=-3.0 if t > 2 else 0.0, ego=True),
              entity("lead", 45 + 8 * t, -1.75, speed=8),
              entity("ped", 38, -9 + 2 * t, heading=math.pi / 2, speed=2, length=0.5, width=0.5,
                     kind=EntityKind.PEDESTRIAN, category="pedestrian"),
              entity("cone", 44, -1.2, length=0.4, width=0.4, kind=EntityKind.MISC_OBJECT, category="obstacle")]
    if t >= 1.0:
        states.append(entity("late", 80 - 10 * (t - 1), 1.75, heading=math.pi, speed=10))
    return states, {"signals": {"S": "red" if t > 1.5 else "green"}}


def _context() -> ScenarioContext:
    return ScenarioContext(
        road=FakeStraightRoad(), route=RoutePath.from_points([(0, -1.75), (120, -1.75)]),
        goal=GoalRegion(60, -1.75, 3), stop_lines=(StopLine("L", (40, -7), (40, 0), 0.0, signal_id="S"),),
        conflict_zones=(ConflictZone("Z", ((36, -4), (40, -4), (40, 0), (36, 0))),), acc_set_speed=12.0,
        background=("lead",))


@pytest.mark.parametrize("block_steps", [1, 7])
def test_results_do_not_depend_on_the_block_size(monkeypatch, block_steps):
    reference = run(MetricSuite(_context()), _busy_scene, t_end=5.0)
    monkeypatch.setattr(suite_module, "BLOCK_STEPS", block_steps)
    other = run(MetricSuite(_context()), _busy_scene, t_end=5.0)
    # the scene exercises what carries state from block to block
    assert reference.metrics["collision"].scalars["collisions_all"] >= 1
    assert reference.metrics["lane_departure"].scalars["lane_departures"] == 1
    assert reference.metrics["traffic_control"].scalars["red_light_violations"] == 1
    assert math.isfinite(reference.metrics["post_encroachment"].scalars["pet_min"])
    for name, result in reference.metrics.items():
        again = other.metrics[name]
        assert again.scalars == pytest.approx(result.scalars, rel=1e-12, abs=1e-12), name
        assert [(e.kind, e.entities) for e in again.events] == [(e.kind, e.entities) for e in result.events], name
        assert [e.time for e in again.events] == pytest.approx([e.time for e in result.events], abs=1e-12), name
        assert again.worst_time == pytest.approx(result.worst_time), name


def test_engine_lanes_replace_the_reference_point_query(monkeypatch):
    monkeypatch.setattr(suite_module, "BLOCK_STEPS", 100)   # 201 steps: three blocks
    road = FakeStraightRoad()
    lane = lambda t: LaneLocation("1", -1, 10 + 10 * t, 0.0)  # noqa: E731  (what the engine reports)
    ev = run(MetricSuite(ScenarioContext(road=road)),
             lambda t: [entity("ego", 10 + 10 * t, -1.75, speed=10, ego=True, lane=lane(t))], t_end=2.0)
    assert ev.metrics["lane_departure"].scalars["lane_departures"] == 0
    assert ev.metrics["speed_limit"].scalars["speed_limit_violations"] == 0
    # the fake road has no curvature: the corners are located, once per block of 100 steps, not per step
    assert road.locate_calls == 3


def test_ttc_along_a_curved_route_follows_the_road():
    # Both on a circle of radius 50 m (centre (0, 50)), the leader 30 m of arc ahead: the bumper gap
    # along the route is 30 − 4 = 26 m, closing at 20 − 10 m/s → TTC 2.6 s.  Along the ego heading
    # the leader is 50 (1 − cos 0.6) = 8.7 m to the side: not in the path.
    R, theta = 50.0, 30.0 / 50.0
    phi = np.linspace(-0.2, 1.5, 1700)
    route = RoutePath.from_points(np.stack([R * np.sin(phi), R - R * np.cos(phi)], axis=1))

    def states(t):
        return [entity("ego", 0.0, 0.0, speed=20, ego=True),
                entity("lead", R * math.sin(theta), R - R * math.cos(theta), heading=theta, speed=10)]
    along_route = run(MetricSuite(ScenarioContext(route=route)), states, t_end=0.0)
    assert along_route.metrics["surrogate_safety"].scalars["ttc_min"] == pytest.approx(2.6, abs=2e-3)
    assert along_route.metrics["surrogate_safety"].worst_entities["ttc_min"] == ("lead",)
    along_heading = run(MetricSuite(ScenarioContext()), states, t_end=0.0)
    assert math.isinf(along_heading.metrics["surrogate_safety"].scalars["ttc_min"])


opendrive = pytest.importorskip("simplatform.opendrive")
xodr = pytest.importorskip("scenariogeneration.xodr")


@pytest.fixture(scope="module")
def curved_road(tmp_path_factory):
    road = xodr.create_road([xodr.Line(20), xodr.Arc(1 / 60, angle=math.pi / 2), xodr.Line(50)], id=1,
                            left_lanes=1, right_lanes=2, lane_width=3.5)
    odr = xodr.OpenDrive("curve")
    odr.add_road(road)
    odr.adjust_roads_and_lanes()
    path = tmp_path_factory.mktemp("xodr") / "curve.xodr"
    odr.write_xml(str(path))
    return opendrive.load_opendrive(path)


def test_lane_frame_corners_agree_with_located_corners_on_a_curve(curved_road, monkeypatch):
    # The ego changes from lane −1 to lane −2 around a 60 m bend; the lane-frame shortcut (corners
    # far from a line) must give the same departure as locating every corner.
    def states(t):
        s, off = 10 + 8 * t, -1.75 - min(max(t - 2.0, 0.0), 3.5)
        pose = curved_road.road_pose("1", s, off)
        heading = pose.heading - 0.06
        return [entity("ego", pose.x, pose.y, heading=heading, speed=8, ego=True)]
    located = []
    locate_many = curved_road.locate_many
    monkeypatch.setattr(curved_road, "locate_many", lambda xy: located.append(len(xy)) or locate_many(xy))
    fast = run(MetricSuite(ScenarioContext(road=curved_road)), states, t_end=8.0, dt=0.05)
    fast_points, located[:] = sum(located), []
    monkeypatch.setattr(road_block, "LATERAL_GUARD", math.inf)
    exact = run(MetricSuite(ScenarioContext(road=curved_road)), states, t_end=8.0, dt=0.05)
    assert fast_points < sum(located) / 2   # only the steps near the lane line were located
    a, b = fast.metrics["lane_departure"], exact.metrics["lane_departure"]
    assert a.scalars["lane_departures"] == b.scalars["lane_departures"] == 1
    assert a.events[0].time == pytest.approx(b.events[0].time, abs=1e-9)
    assert a.scalars["lane_departure_time"] == pytest.approx(b.scalars["lane_departure_time"])
    margin_fast = np.array(a.series["margin"][1], dtype=float)
    margin_exact = np.array(b.series["margin"][1], dtype=float)
    assert np.nanmax(np.abs(margin_fast - margin_exact)) < 0.05


def test_frame_and_block_entry_points_agree_and_frame_metrics_still_run():
    from metrics_testkit import snapshot

    from metrics import Metric
    from metrics.block import StepBlock
    from metrics.frame import StepFrame
    from metrics.safety import SurrogateSafetyMetric
    from simplatform.results import MetricResult

    ctx = ScenarioContext()
    snaps = [snapshot(0.1 * k, k, entity("ego", 2.0 * k, 0, speed=20, ego=True), entity("lead", 50 + k, 0, speed=10))
             for k in range(12)]
    per_frame, previous = SurrogateSafetyMetric(ctx), None
    for snap in snaps:
        previous = StepFrame(snap, previous, ctx)
        per_frame.observe(previous)
    per_block = SurrogateSafetyMetric(ctx)
    per_block.observe_block(StepBlock(snaps[:5], ctx))
    per_block.observe_block(StepBlock(snaps[5:], ctx, previous_time=snaps[4].time))
    assert per_frame.result().scalars == per_block.result().scalars
    assert per_frame.result().scalars["ttc_min"] == pytest.approx((50 + 11 - 22 - 4) / 10)

    class StepCounter(Metric):   # a metric written against observe(frame), not registered
        name = "step_counter"

        def __init__(self, context) -> None:
            super().__init__(context)
            self.dts: list[float] = []

        def observe(self, frame) -> None:
            self.dts.append(frame.dt)

        def result(self) -> MetricResult:
            return MetricResult(self.name, {"steps": float(len(self.dts))})

    counter = StepCounter(ctx)
    counter.observe_block(StepBlock(snaps[:3], ctx))
    counter.observe_block(StepBlock(snaps[3:], ctx, previous_time=snaps[2].time))
    assert counter.dts == pytest.approx([0.0] + [0.1] * 11)
