"""The metrics on a real OpenDRIVE road built with scenariogeneration and loaded by simplatform.opendrive.

Road "1": 300 m straight along +x, right-hand traffic, 50 km/h (road type
speed record), a traffic light (type 1000001, dynamic) at s = 150 for the
+s direction.  Lanes: +1 driving [0, 3.5], -1 driving [-3.5, 0], -2 driving
[-7, -3.5], -3 sidewalk [-9, -7].
"""

from __future__ import annotations

import math

import pytest
from metrics_testkit import entity, run

opendrive = pytest.importorskip("simplatform.opendrive")
xodr = pytest.importorskip("scenariogeneration.xodr")

from metrics import MetricSuite, RoutePath, ScenarioContext, requirement, stop_lines_from_road  # noqa: E402
from simplatform.results import Verdict  # noqa: E402


@pytest.fixture(scope="module")
def real_road(tmp_path_factory):
    center = xodr.Lane()
    section = xodr.LaneSection(0, center)
    section.add_left_lane(xodr.Lane(xodr.LaneType.driving, a=3.5))
    for lane_type, width in ((xodr.LaneType.driving, 3.5), (xodr.LaneType.driving, 3.5), (xodr.LaneType.sidewalk, 2.0)):
        section.add_right_lane(xodr.Lane(lane_type, a=width))
    lanes = xodr.Lanes()
    lanes.add_lanesection(section)
    plan = xodr.PlanView(0, 0, 0)
    plan.add_geometry(xodr.Line(300))
    road = xodr.Road(1, plan, lanes)
    road.add_type(xodr.RoadType.town, speed=50, speed_unit="km/h")
    road.add_signal(xodr.Signal(s=150, t=-8.0, country="DEU", Type="1000001", id="7",
                                dynamic=xodr.Dynamic.yes, orientation=xodr.Orientation.positive))
    odr = xodr.OpenDrive("metrics-integration")
    odr.add_road(road)
    odr.adjust_roads_and_lanes()
    path = tmp_path_factory.mktemp("xodr") / "straight.xodr"
    odr.write_xml(str(path))
    return opendrive.load_opendrive(path)


def test_lane_departure_time_on_a_real_road(real_road):
    ev = run(MetricSuite(ScenarioContext(road=real_road)),
             lambda t: [entity("ego", 10 + 10 * t, -1.75 + 0.5 * t, speed=10, vy=0.5, ego=True)], t_end=3.0, dt=0.07)
    ld = ev.metrics["lane_departure"]
    assert ld.scalars["lane_departures"] == 1
    assert ld.events[0].time == pytest.approx(1.5, abs=1e-6)


def test_speed_limit_from_the_road_type_record(real_road):
    ev = run(MetricSuite(ScenarioContext(road=real_road)),
             lambda t: [entity("ego", 10 + 16 * t, -1.75, speed=16, ego=True)], t_end=1.0, dt=0.1)
    assert ev.metrics["speed_limit"].scalars["speed_limit_violation_max"] == pytest.approx(16 - 50 / 3.6)


def test_sidewalk_and_wrong_way_on_a_real_road(real_road):
    sidewalk = run(MetricSuite(ScenarioContext(road=real_road)),
                   lambda t: [entity("ego", 10 + 5 * t, -8.0, speed=5, ego=True)], t_end=1.0, dt=0.1)
    assert sidewalk.metrics["off_road"].scalars["onsidewalk_events"] == 1
    assert sidewalk.metrics["off_road"].scalars["offroad_time"] == pytest.approx(1.0)
    wrong = run(MetricSuite(ScenarioContext(road=real_road)),
                lambda t: [entity("ego", 10 + 5 * t, 1.75, speed=5, ego=True)], t_end=1.0, dt=0.1)
    assert wrong.metrics["wrong_way"].scalars["wrong_way_time"] == pytest.approx(1.0)


def test_red_light_at_the_stop_line_derived_from_the_signal(real_road):
    lines = stop_lines_from_road(real_road)
    assert len(lines) == 1 and lines[0].signal_id == "7"
    (x0, y0), (x1, y1) = lines[0].p0, lines[0].p1
    assert x0 == pytest.approx(150) and x1 == pytest.approx(150)
    assert sorted((y0, y1)) == pytest.approx([-7.0, 0.0])
    assert lines[0].direction == pytest.approx(0.0)
    reqs = [requirement("TL-1", "red_light_violations == 0")]
    # front bumper at 132 + 10 t reaches the line at t = 1.8 s
    ev = run(MetricSuite(ScenarioContext(road=real_road, stop_lines=lines), reqs),
             lambda t: ([entity("ego", 130 + 10 * t, -1.75, speed=10, ego=True)], {"signals": {"7": "on;off;off"}}),
             t_end=3.0, dt=0.05)
    assert ev.verdicts[0].verdict is Verdict.FAIL and ev.verdicts[0].time == pytest.approx(1.8)


def test_route_from_the_road_model_and_its_completion(real_road):
    start = opendrive.LanePosition("1", -1, 10.0)
    goal = opendrive.LanePosition("1", -1, 210.0)
    route = RoutePath.from_road_route(real_road, real_road.route(start, goal))
    assert route.length == pytest.approx(200.0, abs=0.5)
    ev = run(MetricSuite(ScenarioContext(road=real_road, route=route)),
             lambda t: [entity("ego", 10 + 10 * t, -1.75, speed=10, ego=True)], t_end=10.0, dt=0.1)
    assert ev.metrics["route_completion"].scalars["route_completion"] == pytest.approx(49.5, abs=0.6)
    assert ev.metrics["outside_route_lanes"].scalars["outside_route_lanes"] == 0.0
    assert math.isclose(ev.scores["leaderboard_driving_score"], ev.metrics["route_completion"].scalars["route_completion"])


def test_suite_derives_stop_lines_from_the_road_signals(real_road):
    ev = run(MetricSuite(ScenarioContext(road=real_road)),
             lambda t: ([entity("ego", 130 + 10 * t, -1.75, speed=10, ego=True)], {"signals": {"7": "red"}}),
             t_end=3.0, dt=0.05)
    assert ev.metrics["traffic_control"].scalars["red_light_violations"] == 1
