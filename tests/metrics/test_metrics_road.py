"""Road-model metrics on the fake straight road (see metrics_testkit)."""

from __future__ import annotations

import math

import pytest
from metrics_testkit import SPEED_LIMIT, entity, run

from metrics import MetricSuite, ScenarioContext
from simplatform.world import LaneLocation


def test_car_crossing_a_lane_line_gives_the_crossing_time(road):
    # Centred in lane -1 (t = -1.75), 2 m wide, drifting left at 0.5 m/s: its left edge (t = -0.75 + 0.5 t)
    # reaches the centre line t = 0 at t = 1.5 s.  Sampled every 0.07 s, the interpolation recovers 1.5.
    ev = run(MetricSuite(ScenarioContext(road=road)),
             lambda t: [entity("ego", 10 + 10 * t, -1.75 + 0.5 * t, speed=10, vy=0.5, ego=True)], t_end=3.5, dt=0.07)
    ld = ev.metrics["lane_departure"]
    assert ld.scalars["lane_departures"] == 1
    assert ld.events[0].time == pytest.approx(1.5, abs=1e-9)
    # Straddles until the right edge (t = -2.75 + 0.5 t) crosses 0: t = 5.5 s > end → still departed at 3.5 s
    assert ld.scalars["lane_departure_time"] == pytest.approx(3.5 - 1.54, abs=0.08)


def test_lane_change_ends_the_departure_with_its_duration(road):
    # Moving from lane -2 (t=-5.25) to lane -1 at 1 m/s lateral: right edge... left edge crosses t=-3.5 at
    # t = 0.75 s, right edge clears it at t = 2.75 s → one departure of 2 s.
    ev = run(MetricSuite(ScenarioContext(road=road)),
             lambda t: [entity("ego", 10 + 10 * t, -5.25 + min(t, 3.5), speed=10, vy=1.0, ego=True)], t_end=4.0)
    ld = ev.metrics["lane_departure"]
    assert ld.scalars["lane_departures"] == 1
    assert ld.events[0].time == pytest.approx(0.75, abs=1e-6)
    assert ld.events[0].value == pytest.approx(2.0, abs=0.011)


def test_driving_onto_the_sidewalk_and_off_the_road(road):
    # Drifting right from lane -2 at 2 m/s: right edge hits the sidewalk (t=-7) at t = 0.375 s;
    # the reference point is on the sidewalk from t = 0.875 s and off the road (t < -9) from t = 1.875 s.
    ev = run(MetricSuite(ScenarioContext(road=road)),
             lambda t: [entity("ego", 10 + 10 * t, -5.25 - 2 * t, speed=10, vy=-2.0, ego=True)], t_end=2.5)
    off = ev.metrics["off_road"]
    assert off.scalars["onsidewalk_events"] == 1
    assert off.worst_time["onsidewalk_events"] == pytest.approx(0.38, abs=0.006)
    assert off.scalars["offroad_events"] == 1
    assert off.worst_time["offroad_events"] == pytest.approx(0.88, abs=0.006)
    assert off.scalars["offroad_time"] == pytest.approx(2.5 - 0.88, abs=0.02)


def test_wrong_way_driving_in_the_oncoming_lane(road):
    # Ego in lane +1 (traffic toward -x) heading +x for 2 s: 2 s and 20 m against traffic.
    ev = run(MetricSuite(ScenarioContext(road=road)),
             lambda t: [entity("ego", 10 + 10 * t, 1.75, speed=10, ego=True)], t_end=2.0)
    ww = ev.metrics["wrong_way"].scalars
    assert ww["wrong_way_events"] == 1
    assert ww["wrong_way_time"] == pytest.approx(2.0)
    assert ww["wrong_way_distance"] == pytest.approx(20.0)
    ok = run(MetricSuite(ScenarioContext(road=road)),
             lambda t: [entity("ego", 100 - 10 * t, 1.75, heading=math.pi, speed=10, ego=True)], t_end=1.0)
    assert ok.metrics["wrong_way"].scalars["wrong_way_events"] == 0


def test_speed_limit_violation_from_the_lane_speed_record(road):
    # 50 km/h limit; the ego accelerates from 12 m/s at 1 m/s² for 4 s: above 13.89 m/s from t = 1.89 s.
    ev = run(MetricSuite(ScenarioContext(road=road)),
             lambda t: [entity("ego", 10 + 12 * t + 0.5 * t * t, -1.75, speed=12 + t, ax=1.0, ego=True)], t_end=4.0)
    sl = ev.metrics["speed_limit"]
    assert sl.scalars["speed_limit_violations"] == 1
    assert sl.scalars["speed_limit_violation_max"] == pytest.approx(16 - SPEED_LIMIT)
    assert sl.worst_time["speed_limit_violation_max"] == pytest.approx(4.0)
    assert sl.scalars["speed_limit_violation_time"] == pytest.approx(4 - (SPEED_LIMIT - 12), abs=0.011)


def test_lane_centre_deviation_from_the_road_and_from_the_snapshot(road):
    ev = run(MetricSuite(ScenarioContext(road=road)),
             lambda t: [entity("ego", 10 + 10 * t, -1.75 + 0.3 * math.sin(t), speed=10, ego=True)], t_end=math.pi, dt=0.01)
    lc = ev.metrics["lane_centre"].scalars
    assert lc["lane_center_deviation_max"] == pytest.approx(0.3, abs=1e-4)
    assert lc["lane_center_deviation_mean"] == pytest.approx(0.3 * 2 / math.pi, abs=2e-3)
    # Without a road the backend's LaneLocation.t is used.
    ev2 = run(MetricSuite(ScenarioContext()),
              lambda t: [entity("ego", 10 * t, 0, speed=10, ego=True, lane=LaneLocation("1", -1, 10 * t, -0.4))], t_end=1.0)
    assert ev2.metrics["lane_centre"].scalars["lane_center_deviation_max"] == pytest.approx(0.4)


def test_end_of_road_when_the_ego_leaves_its_starting_road(road):
    ev = run(MetricSuite(ScenarioContext(road=road)),
             lambda t: [entity("ego", 490 + 10 * t, -1.75, speed=10, ego=True)], t_end=2.0)
    off = ev.metrics["off_road"]
    assert off.scalars["end_of_road"] == 1.0
    assert off.worst_time["end_of_road"] == pytest.approx(1.0)


def test_road_metrics_are_not_built_without_a_road_and_say_why():
    ev = run(MetricSuite(ScenarioContext()), lambda t: [entity("ego", 0, 0, ego=True)], t_end=0.0)
    assert "lane_departure" not in ev.metrics
    assert ev.unavailable["lane_departure"] == "the scenario context has no road"
