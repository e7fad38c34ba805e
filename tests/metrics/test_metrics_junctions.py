"""Conflict zones from OpenDRIVE junctions, and PET across the library's four-way junction."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from metrics_testkit import entity, run

from metrics import ConflictZone, MetricSuite, ScenarioContext, conflict_zones_from_road, requirement
from simplatform.opendrive import load_opendrive

MAPS = Path(__file__).resolve().parents[2] / "scenarios" / "maps"


@pytest.fixture(scope="module")
def junction_4way():
    return load_opendrive(MAPS / "junction_4way.xodr")


def test_the_four_way_junction_is_one_octagon(junction_4way):
    # Junction 100 joins four two-lane-each-way roads (lanes 3.5 m, so ±7 m) at x 100..140,
    # y -20..20; the straight connecting roads give the corners, the turning ones bulge inward.
    (zone,) = conflict_zones_from_road(junction_4way)
    assert zone.id == "junction 100"
    expected = {(100, -7), (113, -20), (127, -20), (140, -7), (140, 7), (127, 20), (113, 20), (100, 7)}
    assert len(zone.vertices) == 8
    for x, y in zone.vertices:
        assert min(math.hypot(x - a, y - b) for a, b in expected) < 1e-6
    assert conflict_zones_from_road(junction_4way) is conflict_zones_from_road(junction_4way)   # cached


def test_maps_with_several_junctions_get_one_zone_each():
    urban = load_opendrive(MAPS / "junction_t.xodr")
    assert [z.id for z in conflict_zones_from_road(urban)] == ["junction 100"]
    ramp = load_opendrive(MAPS / "highway_on_ramp.xodr")   # a direct junction: no shared area
    assert all(j.type == "direct" for j in ramp.junctions.values())
    assert conflict_zones_from_road(ramp) == ()


def _crossing(t: float):
    # A 4 m car eastbound on road 101 lane -1 (y = -1.75) at 10 m/s enters the junction with its
    # front at x = 100 and leaves it with its rear at x = 140: x - 2 = 140 at t = (142 - 96.05) / 10
    # = 4.595 s.  The ego northbound on lane -1 of road 104 (x = 121.75) reaches the junction's
    # south edge y = -20 with its front at t = (-22 + 73.95) / 10 = 5.195 s.  PET = 0.6 s; on steps
    # of 0.01 s both are seen at the next step (4.60 s, 5.20 s).
    return [entity("cross", 96.05 + 10 * t, -1.75, speed=10),
            entity("ego", 121.75, -73.95 + 10 * t, heading=math.pi / 2, speed=10, ego=True)]


def test_pet_of_a_car_crossing_after_another_left_the_junction(junction_4way):
    reqs = [requirement("URB-4", "pet_min >= 1.0 s")]
    ev = run(MetricSuite(ScenarioContext(road=junction_4way), reqs), _crossing, t_end=6.5)
    pet = ev.metrics["post_encroachment"]
    assert pet.scalars["pet_min"] == pytest.approx(0.6, abs=1e-9)
    assert pet.worst_entities["pet_min"] == ("cross",)
    assert pet.worst_time["pet_min"] == pytest.approx(5.2)
    assert ev.verdicts[0].verdict.value == "fail"   # 0.6 s < 1.0 s: measured, not an error


def test_explicit_conflict_zones_win_over_the_junctions(junction_4way):
    zone = ConflictZone("Z", ((0, -10), (1, -10), (1, -9), (0, -9)))
    suite = MetricSuite(ScenarioContext(road=junction_4way, conflict_zones=(zone,)))
    assert suite.context.conflict_zones == (zone,)
