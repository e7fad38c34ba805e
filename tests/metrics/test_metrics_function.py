"""Function and comfort metrics on hand-computed runs."""

from __future__ import annotations

import math

import pytest
from metrics_testkit import entity, run

from metrics import GoalRegion, MetricSuite, RoutePath, ScenarioContext, V2XWarning

ROUTE = RoutePath.from_points([(0.0, -1.75), (200.0, -1.75)])


def test_route_completion_is_the_share_of_route_waypoints_passed():
    ev = run(MetricSuite(ScenarioContext(route=ROUTE)), lambda t: [entity("ego", 10 * t, -1.75, speed=10, ego=True)],
             t_end=10.0, dt=0.05)
    # at x = 100 the last 1 m waypoint passed is x = 99 (strictly behind the ego): 99 / 200
    assert ev.metrics["route_completion"].scalars["route_completion"] == pytest.approx(49.5)
    done = run(MetricSuite(ScenarioContext(route=ROUTE)), lambda t: [entity("ego", 10 * t, -1.75, speed=10, ego=True)],
               t_end=19.95, dt=0.05)
    assert done.metrics["route_completion"].scalars["route_completion"] == 100.0


def test_leaving_the_route_by_30_m_is_a_route_deviation():
    ev = run(MetricSuite(ScenarioContext(route=ROUTE)),
             lambda t: [entity("ego", 10 * t, -1.75 - (0 if t < 5 else 40), speed=10, ego=True)], t_end=6.0, dt=0.1)
    rc = ev.metrics["route_completion"]
    assert rc.scalars["route_deviations"] == 1
    assert rc.worst_time["route_deviations"] == pytest.approx(5.0)


def test_outside_route_lanes_is_the_share_of_route_driven_against_traffic(road):
    ev = run(MetricSuite(ScenarioContext(road=road, route=ROUTE)),
             lambda t: [entity("ego", 10 * t, -1.75 if t < 5 else 1.75, speed=10, ego=True)], t_end=10.0, dt=0.05)
    assert ev.metrics["outside_route_lanes"].scalars["outside_route_lanes"] == pytest.approx(50.0, abs=1.5)


def test_minimum_speed_checkpoints_against_the_background_traffic():
    ctx = ScenarioContext(route=ROUTE, background=("bg",))
    ev = run(MetricSuite(ctx), lambda t: [entity("ego", 5 * t, -1.75, speed=5, ego=True),
                                         entity("bg", 5 * t, -5.25, speed=10)], t_end=41.0, dt=0.1)
    ms = ev.metrics["min_speed_route"]
    assert ms.scalars["min_speed_route"] == pytest.approx(50.0)
    assert [e.value for e in ms.events] == [50.0, 50.0, 50.0, 50.0]
    assert ev.leaderboard.infraction_penalty == pytest.approx((1 - 0.3 * 0.5) ** 4)


def test_goal_reached_and_time_to_goal():
    ev = run(MetricSuite(ScenarioContext(goal=GoalRegion(100.0, -1.75, radius=2.0))),
             lambda t: [entity("ego", 10 * t, -1.75, speed=10, ego=True)], t_end=12.0)
    g = ev.metrics["goal"].scalars
    assert g["goal_reached"] == 1.0 and g["time_to_goal"] == pytest.approx(9.8)
    box = GoalRegion.box(95, 105, -3, 0)
    assert box.contains(100, -1) and not box.contains(100, 1)


def test_blocked_time_counts_only_standstill_without_a_reason():
    ctx = ScenarioContext(thresholds={"blocked_max_time": 3.0})
    alone = run(MetricSuite(ctx), lambda t: [entity("ego", 0, 0, speed=0, ego=True)], t_end=5.0, dt=0.1)
    b = alone.metrics["blocked"].scalars
    assert b["blocked_time"] == pytest.approx(5.0) and b["blocked_events"] == 1
    queued = run(MetricSuite(ctx), lambda t: [entity("ego", 0, 0, speed=0, ego=True), entity("lead", 9, 0, speed=0)],
                 t_end=5.0, dt=0.1)
    assert queued.metrics["blocked"].scalars["blocked_time"] == 0.0


def test_acc_set_speed_tracking_and_following_gap():
    free = run(MetricSuite(ScenarioContext(acc_set_speed=20.0)),
               lambda t: [entity("ego", 19 * t, 0, speed=19, ego=True)], t_end=2.0, dt=0.1)
    a = free.metrics["acc"].scalars
    assert a["acc_speed_error_rms"] == pytest.approx(1.0) and a["acc_speed_error_max"] == pytest.approx(1.0)
    follow = run(MetricSuite(ScenarioContext(acc_set_speed=25.0, acc_time_gap=1.8)),
                 lambda t: [entity("ego", 20 * t, 0, speed=20, ego=True), entity("lead", 30 + 20 * t, 0, speed=20)],
                 t_end=2.0, dt=0.1)
    f = follow.metrics["acc"].scalars
    assert f["following_distance_min"] == pytest.approx(26.0)
    assert f["following_thw_mean"] == pytest.approx(1.3)
    assert f["following_gap_kept"] == 0.0


def test_v2x_reaction_time_from_message_to_braking():
    warnings = (V2XWarning(2.0, "DENM: hazard ahead"),)
    ev = run(MetricSuite(ScenarioContext(v2x_warnings=warnings)),
             lambda t: [entity("ego", 15 * t, 0, speed=15, ax=-3.0 if t >= 2.5 else 0.0, ego=True)], t_end=4.0)
    v = ev.metrics["v2x_reaction"].scalars
    assert v["v2x_reaction_time_max"] == pytest.approx(0.5) and v["v2x_unanswered"] == 0
    ignored = run(MetricSuite(ScenarioContext(v2x_warnings=warnings)),
                  lambda t: [entity("ego", 15 * t, 0, speed=15, ego=True)], t_end=4.0)
    assert math.isinf(ignored.metrics["v2x_reaction"].scalars["v2x_reaction_time_max"])
    assert ignored.metrics["v2x_reaction"].scalars["v2x_unanswered"] == 1


def test_yield_to_emergency_vehicle_and_scenario_timeout():
    ctx = ScenarioContext(emergency_vehicles=("ambulance",), timeout=3.0)
    blocking = run(MetricSuite(ctx), lambda t: [entity("ego", 50 + 5 * t, 0, speed=5, ego=True),
                                               entity("ambulance", 40 + 5 * t, 0, speed=5)], t_end=3.0, dt=0.1)
    assert blocking.metrics["yield_emergency"].scalars["yield_emergency_failures"] == 1
    assert blocking.metrics["scenario_timeout"].scalars["scenario_timeouts"] == 1
    yielded = run(MetricSuite(ScenarioContext(emergency_vehicles=("ambulance",))),
                  lambda t: [entity("ego", 50, -3.5, speed=0, ego=True), entity("ambulance", 40 + 10 * t, 0, speed=10)],
                  t_end=3.0, dt=0.1)
    assert yielded.metrics["yield_emergency"].scalars["yield_emergency_failures"] == 0
    assert yielded.metrics["scenario_timeout"].scalars["scenario_timeouts"] == 0


def test_comfort_acceleration_and_jerk_in_the_vehicle_frame():
    # Heading north: longitudinal a(t) = sin t is world ay, lateral 0.5 m/s² (left = −x world).
    ev = run(MetricSuite(ScenarioContext()),
             lambda t: [entity("ego", 0, 0, heading=math.pi / 2, speed=10, ax=-0.5, ay=math.sin(t), ego=True)],
             t_end=2 * math.pi, dt=0.001)
    c = ev.metrics["comfort"].scalars
    assert c["accel_long_max"] == pytest.approx(1.0, abs=1e-5)
    assert c["decel_max"] == pytest.approx(1.0, abs=1e-5)
    assert c["accel_long_rms"] == pytest.approx(1 / math.sqrt(2), abs=1e-3)
    assert c["jerk_long_max"] == pytest.approx(1.0, abs=1e-3)
    assert c["lat_accel_max"] == pytest.approx(0.5) and c["lat_accel_rms"] == pytest.approx(0.5)
    assert c["comfort_violation_time"] == 0.0


def test_kinematics_speed_and_distance():
    ev = run(MetricSuite(ScenarioContext()), lambda t: [entity("ego", 5 * t * t, 0, speed=10 * t, ego=True)],
             t_end=2.0, dt=0.01)
    k = ev.metrics["kinematics"].scalars
    assert k["driven_distance"] == pytest.approx(20.0) and k["duration"] == pytest.approx(2.0)
    assert k["speed_mean"] == pytest.approx(10.0) and k["speed_max"] == pytest.approx(20.0) and k["speed_min"] == 0.0


def test_yaw_rate_and_lateral_jerk_in_a_turn():
    # a_lat ramps 0 → 3 m/s² over 1 s (jerk 3 m/s³) at a yaw rate of 0.3 rad/s
    ev = run(MetricSuite(ScenarioContext()),
             lambda t: [entity("ego", 0, 0, speed=10, ay=3 * min(t, 1.0), yaw_rate=0.3, ego=True)], t_end=2.0)
    c = ev.metrics["comfort"].scalars
    assert c["yaw_rate_max"] == pytest.approx(0.3) and c["jerk_lat_max"] == pytest.approx(3.0)
    assert c["lat_accel_max"] == pytest.approx(3.0)
