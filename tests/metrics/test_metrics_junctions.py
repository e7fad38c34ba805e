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


def _close(vertices, expected) -> bool:
    return all(min(math.hypot(x - a, y - b) for a, b in expected) < 1e-6 for x, y in vertices)


def test_the_four_way_junction_as_a_whole_is_one_octagon(junction_4way):
    # Junction 100 joins four two-lane-each-way roads (lanes 3.5 m, so ±7 m) at x 100..140,
    # y -20..20; the straight connecting roads give the corners, the turning ones bulge inward.
    (zone,) = conflict_zones_from_road(junction_4way, "junction")
    assert zone.id == "junction 100" and zone.group == "junction 100"
    expected = {(100, -7), (113, -20), (127, -20), (140, -7), (140, 7), (127, 20), (113, 20), (100, 7)}
    assert len(zone.vertices) == 8 and _close(zone.vertices, expected)
    assert conflict_zones_from_road(junction_4way) is conflict_zones_from_road(junction_4way)   # cached


def test_crossing_lanes_of_the_four_way_junction_meet_in_lane_squares(junction_4way):
    zones = {z.id: z for z in conflict_zones_from_road(junction_4way)}
    # eastbound lane -1 of the straight road 101 (y -3.5..0) crosses northbound lane -1 of road 104
    # (x 120..123.5) in a 3.5 m square
    square = zones["junction 100: 101/-1 x 104/-1"]
    xs, ys = zip(*square.vertices)
    assert (min(xs), max(xs), min(ys), max(ys)) == pytest.approx((120.0, 123.5, -3.5, 0.0), abs=1e-6)
    assert _close([(120, -3.5), (123.5, -3.5), (123.5, 0), (120, 0)], square.vertices)
    # lanes of one road never cross one another
    pairs = [z.id.split(": ")[1].split(" x ") for z in zones.values()]
    assert all(a.split("/")[0] != b.split("/")[0] for a, b in pairs)
    assert all(z.group == "junction 100" for z in zones.values())


def test_junctions_without_crossings_keep_one_zone_and_direct_junctions_none():
    t_junction = load_opendrive(MAPS / "junction_t.xodr")
    assert {z.group for z in conflict_zones_from_road(t_junction)} == {"junction 100"}
    roundabout = load_opendrive(MAPS / "roundabout.xodr")   # entries and exits only split and join
    assert [z.id for z in conflict_zones_from_road(roundabout)] == [f"junction {j}" for j in (100, 200, 300, 400)]
    ramp = load_opendrive(MAPS / "highway_on_ramp.xodr")   # a direct junction: no shared area
    assert all(j.type == "direct" for j in ramp.junctions.values())
    assert conflict_zones_from_road(ramp) == ()
    with pytest.raises(ValueError, match="level"):
        conflict_zones_from_road(ramp, "road")


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
    zones = conflict_zones_from_road(junction_4way, "junction")
    ev = run(MetricSuite(ScenarioContext(road=junction_4way, conflict_zones=zones), reqs), _crossing, t_end=6.5)
    pet = ev.metrics["post_encroachment"]
    assert pet.scalars["pet_min"] == pytest.approx(0.6, abs=1e-9)
    assert pet.worst_entities["pet_min"] == ("cross",)
    assert pet.worst_time["pet_min"] == pytest.approx(5.2)
    assert ev.verdicts[0].verdict.value == "fail"   # 0.6 s < 1.0 s: measured, not an error


def test_explicit_conflict_zones_win_over_the_junctions(junction_4way):
    zone = ConflictZone("Z", ((0, -10), (1, -10), (1, -9), (0, -9)))
    suite = MetricSuite(ScenarioContext(road=junction_4way, conflict_zones=(zone,)))
    assert suite.context.conflict_zones == (zone,)


def _waiting_inside(t: float):
    # The ego has crept into the junction (front at y = -6.02) and waits until 3 s for the eastbound
    # car, then goes at 5 m/s.  The car's rear leaves the crossing square (x > 123.5) at
    # t = (125.5 - 96.05) / 10 = 2.945 s; the ego's front enters it (y > -3.5) at 3.504 s: on steps
    # of 0.01 s, 2.95 and 3.51 s, PET 0.56 s.  As one junction zone both were in it at once: PET 0.
    y = -8.02 + (5 * (t - 3) if t > 3 else 0.0)
    return [entity("cross", 96.05 + 10 * t, -1.75, speed=10),
            entity("ego", 121.75, y, heading=math.pi / 2, speed=5 if t > 3 else 0.0, ego=True)]


def test_waiting_inside_the_junction_for_crossing_traffic_is_not_a_conflict_at_lane_level(junction_4way):
    lanes = run(MetricSuite(ScenarioContext(road=junction_4way)), _waiting_inside, t_end=5.0)
    pet = lanes.metrics["post_encroachment"]
    square = [e for e in pet.events if e.detail == "zone junction 100: 101/-1 x 104/-1"]
    assert [e.value for e in square] == [pytest.approx(0.56, abs=1e-9)]
    whole = run(MetricSuite(ScenarioContext(road=junction_4way,
                                            conflict_zones=conflict_zones_from_road(junction_4way, "junction"))),
                _waiting_inside, t_end=5.0)
    assert whole.metrics["post_encroachment"].scalars["pet_min"] == 0.0
