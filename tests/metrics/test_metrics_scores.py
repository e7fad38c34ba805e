"""Leaderboard driving score, scenario scores, ScenarioRunner criteria in .xosc files, coverage."""

from __future__ import annotations

import pytest
from metrics_testkit import entity, run
from scenariogeneration import xosc

from metrics import (
    GoalRegion, MetricSuite, RoutePath, ScenarioContext, criteria_from_openscenario, leaderboard_score, merge_coverage,
)
from simplatform.errors import RequirementError
from simplatform.results import MetricEvent, MetricResult, Verdict
from simplatform.world import EntityKind

ROUTE = RoutePath.from_points([(0.0, -1.75), (200.0, -1.75)])


def _route_result(completion, series=None):
    return MetricResult("route_completion", {"route_completion": completion, "route_deviations": 0}, series=series or {})


def test_leaderboard_penalties_multiply_per_event_as_statistics_manager_does():
    events = [MetricEvent(1, "collision_vehicle"), MetricEvent(2, "collision_vehicle"), MetricEvent(3, "collision_static"),
              MetricEvent(4, "red_light"), MetricEvent(5, "stop_sign"), MetricEvent(6, "scenario_timeout"),
              MetricEvent(7, "yield_emergency"), MetricEvent(8, "collision_pedestrian"), MetricEvent(9, "min_speed", value=80.0),
              MetricEvent(9.5, "near_miss")]
    results = {"route_completion": _route_result(80.0), "x": MetricResult("x", {}, events=tuple(events)),
               "outside_route_lanes": MetricResult("outside_route_lanes", {"outside_route_lanes": 10.0})}
    lb = leaderboard_score(results)
    penalty = 0.6 * 0.6 * 0.65 * 0.7 * 0.8 * 0.7 * 0.7 * 0.5 * (1 - 0.3 * 0.2) * (1 - 0.10)
    assert lb.infraction_penalty == pytest.approx(round(penalty, 6))
    assert lb.driving_score == pytest.approx(round(80.0 * penalty, 6), abs=1e-6)
    assert lb.infractions["collision_vehicle"] == 2 and "near_miss" not in lb.infractions
    # Bench2Drive's variant ignores minimum speed
    unused = leaderboard_score(results, min_speed_mode="unused")
    assert unused.infraction_penalty == pytest.approx(round(penalty / 0.94, 6))


def test_route_deviation_ends_the_route_for_the_leaderboard():
    series = {"completion": ([0.0, 5.0, 6.0], [0.0, 30.0, 35.0])}
    events = (MetricEvent(5.0, "route_deviation"), MetricEvent(6.0, "collision_vehicle"))
    lb = leaderboard_score({"route_completion": _route_result(35.0, series), "e": MetricResult("e", {}, events=events)})
    assert lb.route_completion == 30.0 and lb.infraction_penalty == 1.0 and lb.terminated_by == "route_deviation"


def test_end_to_end_driving_score_of_a_run_with_a_collision():
    # The ego drives the route at 10 m/s; a car slides in from the next lane and is hit: one 0.6 penalty.
    def states(t):
        return [entity("ego", 10 * t, -1.75, speed=10, ego=True),
                entity("parked", 60, -1.75 - max(0.0, 3.5 - 2 * t), category="car")]
    ev = run(MetricSuite(ScenarioContext(route=ROUTE, goal=GoalRegion(200, -1.75, 5))), states, t_end=8.0, dt=0.05)
    assert ev.metrics["collision"].scalars["collisions_vehicle"] == 1
    completion = ev.metrics["route_completion"].scalars["route_completion"]
    assert ev.leaderboard.driving_score == pytest.approx(completion * 0.6, abs=1e-6)
    assert ev.scores["leaderboard_driving_score"] == ev.leaderboard.driving_score
    assert ev.scores["safety"] < 60.0 and ev.scores["function"] == pytest.approx(completion)


def test_clean_run_scores_full_marks():
    ev = run(MetricSuite(ScenarioContext(route=ROUTE)), lambda t: [entity("ego", 10 * t, -1.75, speed=10, ego=True)],
             t_end=20.0, dt=0.1)
    assert ev.scores == {"safety": 100.0, "function": 100.0, "comfort": 100.0, "overall": 100.0,
                         "leaderboard_driving_score": 100.0, "leaderboard_route_completion": 100.0,
                         "leaderboard_infraction_penalty": 1.0}


def _xosc_with_criteria(path, criteria):
    init = xosc.Init()
    trigger = xosc.ConditionGroup("stop")
    for name, ref, value in criteria:
        trigger.add_condition(xosc.ValueTrigger(name, 0, xosc.ConditionEdge.rising,
                                                xosc.ParameterCondition(ref, value, xosc.Rule.lessThan), "stop"))
    params = xosc.ParameterDeclarations()
    params.add_parameter(xosc.Parameter("MaxSpeed", xosc.ParameterType.double, "15"))
    sb = xosc.StoryBoard(init, trigger)
    scenario = xosc.Scenario("criteria", "metrics", params, xosc.Entities(), sb, xosc.RoadNetwork("road.xodr"), xosc.Catalog())
    scenario.write_xml(str(path))
    return path


def test_scenariorunner_criteria_in_a_stop_trigger_become_requirements(tmp_path):
    path = _xosc_with_criteria(tmp_path / "s.xosc", [
        ("criteria_CollisionTest", "", ""), ("criteria_MaxVelocityTest", "max_velocity_allowed", "$MaxSpeed"),
        ("criteria_DrivenDistanceTest", "distance_success", "100"), ("criteria_KeepLaneTest", "", ""),
        ("criteria_RunningRedLightTest", "", ""), ("criteria_OffRoadTest", "duration", "2"),
    ])
    reqs = criteria_from_openscenario(path)
    assert {r.id: r.check for r in reqs} == {
        "criteria_CollisionTest": "collisions == 0", "criteria_MaxVelocityTest": "speed_max <= 15.0",
        "criteria_DrivenDistanceTest": "driven_distance >= 100.0", "criteria_KeepLaneTest": "lane_departures == 0",
        "criteria_RunningRedLightTest": "red_light_violations == 0", "criteria_OffRoadTest": "offroad_time <= 2.0",
    }
    ev = run(MetricSuite(ScenarioContext(), [r for r in reqs if r.metric in ("collisions", "speed_max", "driven_distance")]),
             lambda t: [entity("ego", 12 * t, 0, speed=12, ego=True)], t_end=10.0, dt=0.1)
    assert [v.verdict for v in ev.verdicts] == [Verdict.PASS, Verdict.PASS, Verdict.PASS]


def test_unknown_scenariorunner_criterion_names_file_and_line(tmp_path):
    path = _xosc_with_criteria(tmp_path / "s.xosc", [("criteria_FlyingTest", "", "")])
    with pytest.raises(RequirementError) as err:
        criteria_from_openscenario(path)
    assert err.value.location.file == str(path) and err.value.location.line is not None
    assert "'FlyingTest' is not a ScenarioRunner criterion" in err.value.cause


def test_coverage_of_a_run_and_of_a_suite(road):
    env = {"precipitation_intensity": 0.0, "fog_visual_range": 200.0, "sun_elevation": 0.5}
    ev = run(MetricSuite(ScenarioContext(road=road)),
             lambda t: [entity("ego", 10 * t + 1, -1.75, speed=10, ego=True),
                        entity("ped", 50, -8, kind=EntityKind.PEDESTRIAN, category="pedestrian")],
             t_end=1.0, dt=0.1, environment=env)
    cov = ev.coverage
    assert cov["odd"] == {"road_type": ["town"], "junction_type": [], "weather": ["fog"], "light": ["day"],
                          "actors": ["pedestrian"]}
    suite = merge_coverage([{**cov, "parameters": {"speed": 10.0}}, {"parameters": {"speed": 29.0}, "odd": {"weather": ["rain"]}}],
                           {"speed": (10.0, 30.0)}, bins=4)
    assert suite["parameters"]["speed"]["bins_hit"] == 2 and suite["parameters"]["speed"]["covered"] == 50.0
    assert suite["odd"]["weather"] == ["fog", "rain"]
