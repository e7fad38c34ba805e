"""Without a goal the route a stack is given reaches as far as the ego could drive in the run's time.

Before session 10 the no-goal route was a fixed 1000 m and the reference stack stopped at its end:
the ASAM ALKS 4.1_1 FreeDriving scenario (300 s at 60 km/h, 5 km) ended with the Ego standing at
s = 1000 m.  Now (``route_topics.reach_length``): max_time × the higher of the Init speed and the
lanes' speed limit, at least ``ROUTE_FLOOR_M``, at most ``ROUTE_CAP_M``, ending where the lanes end;
``TestConfig.route_length`` overrides it.  A goal's route is unchanged.  Each test writes its own road.
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from lxml import etree
from scenariogeneration import xodr

import stack_scenario_files as files
from simplatform.bridge import StackConfig
from simplatform.errors import ConfigError
from simplatform.harness import REFERENCE_STACK, TestConfig, run_test
from simplatform.harness.route_topics import (ROUTE_CAP_M, ROUTE_FLOOR_M, forward_segments, reach_length,
                                              route_segments)
from simplatform.opendrive import load_opendrive
from simplatform.stacks import ReferenceStack
from simplatform.stacks.inputs import route_points


def _road(tmp: Path, length: float, *, limit: str | None = None, name: str = "long") -> Path:
    """One straight road of ``length`` m, one lane each way; ``limit``: the road type's <speed max> in m/s."""
    path = files.road_file(tmp / f"{name}.xodr", [xodr.Line(length)], lanes=1)
    if limit is not None:
        tree = etree.parse(str(path))
        road = tree.find(".//road")
        kind = etree.Element("type", s="0", type="motorway")
        etree.SubElement(kind, "speed", max=limit, unit="m/s")
        road.find("planView").addprevious(kind)  # XSD order: link, type, planView
        tree.write(str(path))
    return path


def _length(segments) -> float:
    return float(sum(abs(g.s_end - g.s_start) for g in segments))


@pytest.fixture(scope="module")
def long_road(tmp_path_factory):
    return load_opendrive(_road(tmp_path_factory.mktemp("road"), 6000.0))


def test_the_reach_is_the_init_speed_times_the_run_time_along_the_lanes(long_road):
    segments = route_segments(long_road, ("0", -1, 20.0), length=None, speed=20.0, max_time=100.0)
    assert _length(segments) == pytest.approx(2000.0, abs=1e-6)
    assert segments[0].s_start == pytest.approx(20.0) and segments[-1].s_end == pytest.approx(2020.0, abs=1e-6)


def test_a_speed_limit_above_the_init_speed_is_the_speed_taken_and_one_below_is_not(tmp_path):
    net = load_opendrive(_road(tmp_path, 6000.0, limit="30"))
    assert net.speed_limit("0", -1, 100.0) == pytest.approx(30.0)
    faster_limit = route_segments(net, ("0", -1, 20.0), length=None, speed=20.0, max_time=100.0)
    assert _length(faster_limit) == pytest.approx(3000.0, abs=1e-6)
    faster_ego = route_segments(net, ("0", -1, 20.0), length=None, speed=40.0, max_time=100.0)
    assert _length(faster_ego) == pytest.approx(4000.0, abs=1e-6)


def test_short_runs_and_standing_egos_keep_the_1000_m_floor(long_road):
    assert ROUTE_FLOOR_M == 1000.0
    for speed, max_time in ((5.0, 10.0), (0.0, 600.0)):  # 50 m of reach; no speed and no limit at all
        segments = route_segments(long_road, ("0", -1, 20.0), length=None, speed=speed, max_time=max_time)
        assert _length(segments) == pytest.approx(1000.0, abs=1e-6)
    no_time = route_segments(long_road, ("0", -1, 20.0), length=None, speed=30.0)
    assert _length(no_time) == pytest.approx(1000.0, abs=1e-6)


def test_the_route_ends_where_the_lanes_end(long_road):
    segments = route_segments(long_road, ("0", -1, 20.0), length=None, speed=20.0, max_time=600.0)  # 12 km
    assert segments[-1].s_end == pytest.approx(6000.0, abs=1e-6) and _length(segments) == pytest.approx(5980.0)


def test_the_cap_bounds_the_route(tmp_path):
    net = load_opendrive(_road(tmp_path, 60_000.0))
    segments = route_segments(net, ("0", -1, 0.0), length=None, speed=100.0, max_time=600.0)  # 60 km
    assert ROUTE_CAP_M == 50_000.0 and _length(segments) == pytest.approx(ROUTE_CAP_M, abs=1e-6)
    ahead = forward_segments(net, "0", -1, 0.0, 60_000.0)
    assert reach_length(net, ahead, speed=20.0, max_time=600.0, cap=3000.0) == pytest.approx(3000.0)


def test_a_lane_without_limit_reaches_the_cap(tmp_path):
    """OpenDRIVE 1.8 §8.4: <speed max="no limit">: the reach is bounded by the cap alone."""
    net = load_opendrive(_road(tmp_path, 8000.0, limit="no limit"))
    ahead = forward_segments(net, "0", -1, 0.0, 8000.0)
    assert reach_length(net, ahead, speed=10.0, max_time=100.0, cap=5000.0) == pytest.approx(5000.0)


def test_the_reach_follows_the_limit_where_it_changes(tmp_path):
    """Lane <speed> records (§11.7.3): 10 m/s for the first 500 m, 40 m/s beyond; 100 s at speed 5."""
    path = _road(tmp_path, 6000.0)
    tree = etree.parse(str(path))
    lane = tree.find(".//lane[@id='-1']")
    for offset, top in (("0", "10"), ("500", "40")):
        lane.append(etree.Element("speed", sOffset=offset, max=top, unit="m/s"))
    tree.write(str(path))
    net = load_opendrive(path)
    ahead = forward_segments(net, "0", -1, 0.0, 6000.0)
    # 500 m at 10 m/s = 50 s, then 50 s at 40 m/s = 2000 m
    assert reach_length(net, ahead, speed=5.0, max_time=100.0) == pytest.approx(2500.0, abs=1e-6)


def test_an_explicit_route_length_overrides_the_reach_and_a_goal_route_ignores_it(long_road):
    fixed = route_segments(long_road, ("0", -1, 20.0), length=300.0, speed=20.0, max_time=100.0)
    assert _length(fixed) == pytest.approx(300.0, abs=1e-6)
    goal = (150.0, -1.5, 4.0)
    to_goal = route_segments(long_road, ("0", -1, 20.0), goal_point=goal, length=None, speed=20.0, max_time=600.0)
    assert to_goal == route_segments(long_road, ("0", -1, 20.0), goal_point=goal, length=1000.0)


@pytest.mark.parametrize("bad", [0.0, -5.0, float("nan"), float("inf")])
def test_a_route_length_must_be_a_positive_number(bad):
    with pytest.raises(ConfigError, match="route_length"):
        TestConfig(route_length=bad)


class RouteRecorder(ReferenceStack):
    """The reference stack, writing the length of the route it was given to ``route_out``."""

    def setup(self, setup) -> None:
        params = dict(setup.parameters)
        out = Path(params.pop("route_out"))
        points = route_points(setup.route)
        out.write_text(json.dumps({"length": float(np.hypot(*np.diff(points, axis=0).T).sum())}))
        super().setup(replace(setup, parameters=params))


def _given_route(tmp_path: Path, config: TestConfig) -> float:
    scenario = files.scenario(tmp_path, "no_goal", _road(tmp_path, 4000.0), {"Ego": (20, -1, 25.0)}, duration=0.2)
    out = tmp_path / "route.json"
    stack = StackConfig(transport="inprocess", stack_class=f"{Path(__file__).resolve()}:RouteRecorder")
    run_test(scenario, replace(config, stack=stack, stack_parameters={"route_out": str(out)}))
    return json.loads(out.read_text())["length"]


def test_the_stack_is_given_the_reach_of_the_run_or_the_route_length_asked_for(tmp_path):
    config = TestConfig(max_time=100.0, trace_hz=0.0, csv=False)
    assert _given_route(tmp_path, config) == pytest.approx(2500.0, abs=0.01)  # 25 m/s for 100 s
    assert _given_route(tmp_path, replace(config, route_length=300.0)) == pytest.approx(300.0, abs=0.01)


def test_the_reference_stack_drives_on_past_1000_m_without_a_goal(tmp_path):
    """The ALKS FreeDriving symptom on a small road: at its 30 m/s limit for 45 s the ego covers
    1350 m; the stack stopped at the 1000 m route's end (s = 1020) before."""
    scenario = files.scenario(tmp_path, "free_drive", _road(tmp_path, 3000.0, limit="30"), {"Ego": (20, -1, 30.0)},
                              duration=45.0)
    result = run_test(scenario, TestConfig(stack=StackConfig(transport="inprocess", stack_class=REFERENCE_STACK),
                                           dt=0.05, max_time=60.0, out_dir=tmp_path / "out", trace_hz=0.0))
    assert result.end_reason == "stop_trigger"
    with open(tmp_path / "out" / "free_drive.csv") as f:
        rows = [r for r in csv.DictReader(f, skipinitialspace=True) if r["name"] == "Ego"]
    assert float(rows[-1]["s"]) > 1300.0 and float(rows[-1]["speed"]) > 25.0
