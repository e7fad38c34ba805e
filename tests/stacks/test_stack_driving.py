"""The reference stack driving scenarios through the harness (in-process, default rig, ideal object list)."""

from __future__ import annotations

import csv

import pytest

import stack_scenario_files as files
from metrics import requirement
from simplatform.harness import TestConfig, run_test
from simplatform.results import Verdict


def ego_rows(path):
    with open(path, newline="") as f:
        rows = [{k.strip(): v.strip() for k, v in row.items()} for row in csv.DictReader(f)]
    return [r for r in rows if r["name"] == "Ego"]


def test_follows_a_straight_road_at_the_default_speed(tmp_path):
    config = TestConfig(out_dir=tmp_path, init_speed_is_set_speed=False)  # no driver's set speed
    result = run_test(files.straight(tmp_path, ego_speed=10.0, duration=8.0), config)
    assert result.verdict is Verdict.PASS
    rows = ego_rows(result.artifacts["trajectory_csv"])
    assert max(abs(float(r["offset"])) for r in rows) < 0.05        # on the lane centre
    assert {r["laneId"] for r in rows} == {"-1"}                    # no lane change without a reason
    assert float(rows[-1]["speed"]) == pytest.approx(50 / 3.6, abs=0.6)  # accelerates to the 50 km/h default


def test_holds_the_init_speed_as_the_drivers_set_speed(tmp_path):
    """A Euro NCAP run: the vehicle under test is held at its test speed (the scenario's Init speed)."""
    result = run_test(files.straight(tmp_path, ego_speed=10.0, duration=8.0), TestConfig(out_dir=tmp_path))
    speeds = [float(r["speed"]) for r in ego_rows(result.artifacts["trajectory_csv"])]
    assert max(speeds) == pytest.approx(10.0, abs=0.3) and speeds[-1] == pytest.approx(10.0, abs=0.2)


def test_follows_a_curved_road_with_a_small_lateral_error(tmp_path):
    reqs = [requirement("LAT-1", "lane_departures == 0")]
    result = run_test(files.curve(tmp_path), TestConfig(out_dir=tmp_path, requirements=reqs,
                                                       init_speed_is_set_speed=False))  # up to 50 km/h
    assert result.verdict is Verdict.PASS, result.requirements
    rows = ego_rows(result.artifacts["trajectory_csv"])
    assert float(rows[-1]["s"]) > 180                               # through both arcs
    assert max(abs(float(r["offset"])) for r in rows) < 0.4         # pure pursuit cuts corners a little
    assert abs(float(rows[-1]["offset"])) < 0.2


def test_stops_behind_a_stopped_car_from_50_kmh_without_collision(tmp_path):
    reqs = [requirement("SAF-1", "collisions == 0"), requirement("SAF-2", "min_distance >= 1.0")]
    result = run_test(files.stopped_car(tmp_path), TestConfig(out_dir=tmp_path, requirements=reqs))
    assert result.verdict is Verdict.PASS, result.requirements
    rows = ego_rows(result.artifacts["trajectory_csv"])
    assert float(rows[0]["speed"]) == pytest.approx(50 / 3.6)
    assert float(rows[-1]["speed"]) < 0.5
    assert result.metrics["decel_max"] < 4.0                        # a planned stop, not an emergency


def test_stops_at_a_red_light(tmp_path):
    reqs = [requirement("SIG-1", "red_light_violations == 0")]
    result = run_test(files.red_light(tmp_path, light_at=120.0), TestConfig(out_dir=tmp_path, requirements=reqs))
    assert result.verdict is Verdict.PASS, result.requirements
    rows = ego_rows(result.artifacts["trajectory_csv"])
    front = float(rows[-1]["s"]) + 4.5                              # rear axle to front bumper of the test car
    assert 115.0 < front < 120.0 and float(rows[-1]["speed"]) < 0.5


def test_aeb_brakes_hard_on_a_close_cut_in(tmp_path):
    reqs = [requirement("SAF-1", "collisions == 0")]
    result = run_test(files.cut_in(tmp_path, ahead=17.0), TestConfig(out_dir=tmp_path, requirements=reqs))
    assert result.verdict is Verdict.PASS, result.requirements
    assert result.metrics["decel_max"] > 8.0                        # AEB's full braking, beyond the planner's 6
    assert result.metrics["ttc_min"] < 1.0


def test_without_aeb_the_same_cut_in_is_a_collision(tmp_path):
    """The library finds this stack's failures: switch AEB off and the cut-in test fails."""
    reqs = [requirement("SAF-1", "collisions == 0")]
    result = run_test(files.cut_in(tmp_path, ahead=17.0),
                      TestConfig(requirements=reqs, stack_parameters={"aeb_ttc": 0.0}))
    assert result.verdict is Verdict.FAIL
    assert result.requirements[0].time is not None                  # the verdict says when it happened


@pytest.mark.slow
def test_lidar_variant_stops_behind_a_stopped_car(tmp_path):
    """Point cloud -> ground removal -> clusters -> boxes -> tracks -> IDM, with a VLP-16 on the roof."""
    from sensors import MountPose, RigConfig, SensorConfig
    from simplatform.bridge import StackConfig

    rig = RigConfig("lidar", (SensorConfig(name="top", type="lidar", mount=MountPose(1.3, 0, 1.9), rate_hz=10.0,
                                           preset="VLP-16"),))
    stack = StackConfig(stack_class="simplatform.stacks:LidarReferenceStack")
    reqs = [requirement("SAF-1", "collisions == 0")]
    result = run_test(files.stopped_car(tmp_path, gap=60.0, duration=8.0),
                      TestConfig(rig=rig, stack=stack, requirements=reqs))
    assert result.verdict is Verdict.PASS, result.requirements
    assert result.metrics["min_distance"] > 1.0 and result.metrics["speed_min"] < 1.5
