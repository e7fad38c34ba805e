"""How run_test composes a run: one engine loop, the scenario's goal, the stack named by the user, the trace."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import pytest
from lxml import etree

import stack_scenario_files as files
from metrics import requirement
from simplatform.engine.run import RunConfig, run_scenario
from simplatform.errors import ConfigError
from simplatform.harness import LIDAR_STACK, REFERENCE_STACK, TestConfig, run_test, stack_config
from simplatform.harness.route_topics import goal_of, route_segments
from simplatform.results import Verdict


def with_goal(xosc: Path, goal: str) -> Path:
    """The ego's vehicle gets the library's ``simplatform.goal`` property ("x,y,radius")."""
    tree = etree.parse(str(xosc))
    vehicle = tree.find(".//ScenarioObject[@name='Ego']/Vehicle")
    props = vehicle.find("Properties")
    if props is None:
        props = etree.SubElement(vehicle, "Properties")  # last child of Vehicle (XSD order)
    etree.SubElement(props, "Property", name="simplatform.goal", value=goal)
    tree.write(str(xosc))
    return xosc


def test_without_a_stack_the_storyboard_drives_on_run_scenarios_loop_and_the_metrics_score_it(tmp_path):
    scenario = files.stopped_car(tmp_path, gap=40.0, duration=6.0)  # the scripted ego does not brake
    played = run_scenario(scenario, RunConfig(out_dir=tmp_path / "engine"))
    tested = run_test(scenario, TestConfig(stack=None, out_dir=tmp_path / "harness",
                                           requirements=[requirement("SAF-1", "collisions == 0")]))
    assert filecmp.cmp(tmp_path / "engine" / "stopped_car.csv", tmp_path / "harness" / "stopped_car.csv",
                       shallow=False)  # the same loop, step for step
    assert (tested.steps, tested.sim_time, tested.end_reason) == (played.steps, played.sim_time, played.end_reason)
    assert tested.verdict is Verdict.FAIL and tested.metrics["collisions"] >= 1
    (saf,) = tested.requirements
    assert saf.verdict is Verdict.FAIL and saf.time is not None and 0.0 < saf.time < 6.0


def test_the_goal_property_makes_the_goal_region_and_the_route_runs_through_it(tmp_path):
    scenario = with_goal(files.straight(tmp_path, ego_speed=10.0, duration=13.0), "150,-1.5,4")
    from simplatform.engine.run import load_scenario_and_road

    sc, net = load_scenario_and_road(scenario)
    assert goal_of(sc, "Ego") == (150.0, -1.5, 4.0)
    segments = route_segments(net, ("0", -1, 20.0), goal_point=(150.0, -1.5, 4.0), length=1000.0)
    # to the goal, then on (a stack stops with its front at the route's end; the goal counts the rear axle)
    assert segments[0].s_start == pytest.approx(20.0) and segments[-1].s_end == pytest.approx(250.0, abs=0.5)
    reqs = [requirement("GOAL-1", "goal_reached == 1")]
    reached = run_test(scenario, TestConfig(requirements=reqs))
    assert reached.verdict is Verdict.PASS, reached.requirements
    short = run_test(scenario, TestConfig(requirements=reqs, max_time=3.0))  # 3 s is not enough to get there
    assert short.verdict is Verdict.FAIL and short.end_reason == "max_time"


def test_stacks_are_named_reference_lidar_none_a_class_a_file_or_a_block(tmp_path):
    assert stack_config("none") == (None, {}) and stack_config(None) == (None, {})
    assert stack_config("reference")[0].stack_class == REFERENCE_STACK
    assert stack_config("lidar")[0].stack_class == LIDAR_STACK
    assert stack_config("my_pkg.driving:Stack")[0].stack_class == "my_pkg.driving:Stack"
    (tmp_path / "mine.py").write_text("class Mine:\n    def setup(self, s): pass\n    def step(self, o): pass\n")
    assert stack_config("mine.py:Mine", base=tmp_path)[0].stack_class == f"{tmp_path / 'mine.py'}:Mine"
    config, params = stack_config({"transport": "rosbridge", "command": ["python", "-m", "my_stack"], "cwd": ".",
                                   "step_timeout": 5, "parameters": {"aeb": False}}, base=tmp_path)
    assert (config.transport, config.step_timeout, config.cwd, params) == ("rosbridge", 5, str(tmp_path), {"aeb": False})
    with pytest.raises(ConfigError, match="step_timout"):
        stack_config({"transport": "rosbridge", "step_timout": 5})
    with pytest.raises(ConfigError, match="autopilot"):
        stack_config("autopilot")
    with pytest.raises(ConfigError, match="does not exist"):
        stack_config("missing.py:Stack", base=tmp_path)


def test_requirements_are_the_family_set_overridden_by_id(tmp_path):
    family = tmp_path / "family.yaml"
    family.write_text("requirements:\n  - {id: A, check: collisions == 0}\n  - {id: B, check: ttc_min >= 1.5 s}\n")
    override = tmp_path / "override.yaml"
    override.write_text("requirements:\n  - {id: B, check: ttc_min >= 1.0 s}\n  - {id: C, check: speed_max <= 30}\n")
    scenario = files.straight(tmp_path, duration=1.0)
    got = TestConfig(requirement_set=family, requirements=override).requirement_list(scenario)
    assert [(r.id, r.check) for r in got] == [("A", "collisions == 0"), ("B", "ttc_min >= 1.0 s"),
                                              ("C", "speed_max <= 30")]


def test_the_trace_for_the_report_is_sampled_from_the_metrics_run(tmp_path):
    scenario = files.cut_in(tmp_path, duration=3.0)
    result = run_test(scenario, TestConfig(out_dir=tmp_path / "out", trace_hz=10.0))
    trace = json.loads(Path(result.artifacts["trace"]).read_text())
    assert trace["t"][:3] == [0.0, 0.1, 0.2] and len(trace["t"]) == 31
    ego = next(e for e in trace["entities"] if e["ego"])
    assert len(ego["x"]) == len(trace["t"]) and len(trace["series"]["speed"]) == len(trace["t"])
    assert "ttc" in trace["series"] and trace["road"]  # metric series resampled; the road background


LIBRARY_MAP = Path(__file__).resolve().parents[2] / "scenarios" / "maps" / "highway_long.xodr"


@pytest.mark.skipif(not LIBRARY_MAP.is_file(), reason="the scenario library's highway_long map is not there")
def test_a_route_that_changes_lanes_for_an_exit_is_a_smooth_path_not_a_jump():
    """The road model's route switches from lane -1 to the exit lane -4 at one s; the stack gets a drivable path."""
    import numpy as np

    from simplatform.engine.run import cached_road_network
    from simplatform.harness.route_topics import sample

    net = cached_road_network(LIBRARY_MAP)
    segments = route_segments(net, ("4", -1, 850.0), goal_point=(5711.71, 494.926, 5.0))
    assert [(g.road_id, g.lane_id) for g in segments][:2] == [("4", -1), ("4", -4)]  # a 3-lane change
    route = sample(net, segments, 2.0)
    step = np.hypot(np.diff(route.x), np.diff(route.y))
    assert step.max() < 2.5                                     # no lateral jump between waypoints
    turn = np.abs(np.angle(np.exp(1j * np.diff(np.arctan2(np.diff(route.y), np.diff(route.x))))))
    assert turn.max() < 0.1                                     # and no kink: a cosine blend over >= 120 m


LIBRARY_FCW = Path(__file__).resolve().parents[2] / "scenarios" / "cooperative" / "v2x_fcw_v80_open_day.xosc"


@pytest.mark.skipif(not LIBRARY_FCW.is_file(), reason="the scenario library's V2X FCW scenario is not there")
def test_a_storyboard_v2x_warning_reaches_the_stack_over_its_radio_and_is_timed_at_delivery():
    """FCW at t = 1 s (simplatform.v2x message): the default rig gets a radio, the warning is delivered one
    step later (latency), logged as a v2x_warning event, the reference stack slows down for it and the
    library's V2X requirements (reaction to every warning, within 1.5 s) are judged from the delivery."""
    result = run_test(LIBRARY_FCW, TestConfig(dt=0.05, requirement_set=LIBRARY_FCW.parents[1] / "requirements" /
                                              "cooperative_warning.yaml"))
    assert result.verdict is Verdict.PASS, result.requirements
    assert result.metrics["v2x_unanswered"] == 0 and result.metrics["v2x_reaction_time_max"] <= 1.5
    (warning,) = [e for e in result.events if e.kind == "v2x_warning"]
    assert warning.detail == "FCW/BSM" and 1.0 < warning.time <= 1.15
    assert result.metrics["collisions"] == 0 and result.metrics["decel_max"] > 3.0
    scripted = run_test(LIBRARY_FCW, TestConfig(dt=0.05, stack=None))  # no stack: a default radio still listens
    assert [e.time for e in scripted.events if e.kind == "v2x_warning"] == [warning.time]


def test_a_run_without_out_dir_leaves_no_empty_scratch_directory_behind(tmp_path, monkeypatch):
    # the in-process reference stack writes no log: the directory made for one is removed at close
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    scenario = files.straight(tmp_path, ego_speed=10.0, duration=1.0)
    result = run_test(scenario, TestConfig())
    assert result.verdict is not Verdict.ERROR, result.error
    assert list(scratch.iterdir()) == []
