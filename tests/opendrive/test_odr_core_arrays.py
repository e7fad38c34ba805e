"""Array road queries for per-step observers: lane boundaries, types, speed limits and the
reference line at many s of one road, each equal to the scalar query at every point."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from simplatform.errors import RoadNetworkError
from simplatform.opendrive import RoadNetwork, load_opendrive, parse_opendrive

MAPS = sorted((Path(__file__).resolve().parents[2] / "scenarios" / "maps").glob("*.xodr"))

# Road "a": three lane sections (the middle one singleSide, redefining only the right side),
# lane <speed> records in km/h and mph, and road <type> records whose last one has no speed.
# Road "b": a spiral then an arc, a lane offset and border-defined lanes.
SPEED_ROADS = """<?xml version="1.0"?>
<OpenDRIVE><header revMajor="1" revMinor="8"/>
  <road id="a" length="120" junction="-1" rule="RHT">
    <type s="0" type="town"><speed max="50" unit="km/h"/></type>
    <type s="60" type="rural"><speed max="no limit"/></type>
    <type s="100" type="rural"/>
    <planView><geometry s="0" x="0" y="0" hdg="0.3" length="120"><arc curvature="0.004"/></geometry></planView>
    <lanes>
      <laneSection s="0">
        <left><lane id="1" type="driving"><width sOffset="0" a="3" b="0" c="0" d="0"/>
          <speed sOffset="5" max="30" unit="km/h"/></lane></left>
        <center><lane id="0" type="none"/></center>
        <right>
          <lane id="-1" type="driving"><width sOffset="0" a="3.5" b="0" c="0" d="0"/>
            <speed sOffset="0" max="15"/><speed sOffset="20" max="10"/></lane>
          <lane id="-2" type="sidewalk"><width sOffset="0" a="2" b="0" c="0" d="0"/></lane>
        </right>
      </laneSection>
      <laneSection s="40" singleSide="true">
        <center><lane id="0" type="none"/></center>
        <right>
          <lane id="-1" type="driving"><width sOffset="0" a="3.5" b="0.01" c="0" d="0"/></lane>
          <lane id="-2" type="parking"><width sOffset="0" a="2.5" b="0" c="0" d="0"/>
            <speed sOffset="10" max="20" unit="mph"/></lane>
          <lane id="-3" type="sidewalk"><width sOffset="0" a="1.5" b="0" c="0" d="0"/></lane>
        </right>
      </laneSection>
      <laneSection s="80">
        <center><lane id="0" type="none"/></center>
        <right><lane id="-1" type="shoulder"><width sOffset="0" a="1" b="0" c="0" d="0"/>
          <speed sOffset="0" max="undefined"/></lane></right>
      </laneSection>
    </lanes>
  </road>
  <road id="b" length="60" junction="-1">
    <planView>
      <geometry s="0" x="0" y="0" hdg="0" length="30"><spiral curvStart="0" curvEnd="0.02"/></geometry>
      <geometry s="30" x="29.98" y="3.0" hdg="0.3" length="30"><arc curvature="0.02"/></geometry>
    </planView>
    <lanes>
      <laneOffset s="0" a="0.5" b="0.01" c="0" d="0"/>
      <laneSection s="0">
        <left><lane id="1" type="driving"><border sOffset="0" a="4" b="0" c="0" d="0"/></lane></left>
        <center><lane id="0" type="none"/></center>
        <right><lane id="-1" type="driving"><width sOffset="0" a="3" b="0" c="0.001" d="0"/></lane></right>
      </laneSection>
    </lanes>
  </road>
</OpenDRIVE>"""


@pytest.fixture(scope="module")
def speed_roads() -> RoadNetwork:
    return parse_opendrive(SPEED_ROADS, "speed_roads.xodr")


def sample_s(net: RoadNetwork, road_id: str) -> np.ndarray:
    """Even samples plus every lane section start, a hair before it, and every record start."""
    road = net.roads[road_id]
    marks = [sec.s for sec in road.lane_sections]
    marks += [sec.s + sp.s_offset for sec in road.lane_sections for lane in (*sec.left, *sec.right, sec.center)
              for sp in lane.speeds]
    marks += [rt.s for rt in road.types]
    near = [m + d for m in marks for d in (-1e-6, 0.0, 1e-6)]
    s = np.concatenate([np.linspace(0.0, road.length, 23), near])
    return np.clip(s, 0.0, road.length)


def all_lane_ids(net: RoadNetwork, road_id: str) -> list[int]:
    ids = {lane.id for sec in net.roads[road_id].lane_sections for lane in (*sec.left, *sec.right, sec.center)}
    return sorted(ids | {max(ids) + 1, min(ids) - 1})   # one lane beyond each side: never exists


def scalar_or_none(fn, *args):
    try:
        return fn(*args)
    except RoadNetworkError:
        return None


def assert_matches_scalar_queries(net: RoadNetwork, road_id: str) -> int:
    s = sample_s(net, road_id)
    checked = 0
    for lane_id in all_lane_ids(net, road_id):
        inner, outer = net.lane_boundaries_many(road_id, lane_id, s)
        types = net.lane_types_many(road_id, np.full(s.shape, lane_id), s)
        limits = net.speed_limits_many(road_id, lane_id, s)
        for k, sk in enumerate(s.tolist()):
            bounds = scalar_or_none(net.lane_boundaries, road_id, lane_id, sk)
            if bounds is None:
                assert math.isnan(inner[k]) and math.isnan(outer[k]) and types[k] == "" and math.isnan(limits[k]), \
                    (road_id, lane_id, sk)
                continue
            checked += 1
            assert (inner[k], outer[k]) == pytest.approx(bounds, abs=1e-9), (road_id, lane_id, sk)
            assert types[k] == net.lane_type(road_id, lane_id, sk)
            limit = net.speed_limit(road_id, lane_id, sk)
            assert (math.isnan(limits[k]) if limit is None else limits[k] == limit), (road_id, lane_id, sk, limit)
    x, y, h, kappa = net.reference_poses_many(road_id, s)
    for k, sk in enumerate(s.tolist()):
        pose = net.road_pose(road_id, sk)
        assert (x[k], y[k]) == pytest.approx((pose.x, pose.y), abs=1e-9)
        assert h[k] == pytest.approx(net.road_heading(road_id, sk), abs=1e-12)
        assert kappa[k] == pytest.approx(net.road_curvature(road_id, sk), abs=1e-12)
    return checked


@pytest.mark.parametrize("path", MAPS, ids=lambda p: p.stem)
def test_array_queries_equal_the_scalar_ones_on_every_shared_map(path):
    net = load_opendrive(path)
    roads = net.road_id_list if len(net.road_id_list) <= 40 else net.road_id_list[::4]
    assert sum(assert_matches_scalar_queries(net, rid) for rid in roads) > 0


def test_array_queries_equal_the_scalar_ones_across_sections_single_side_and_speed_records(speed_roads):
    for rid in ("a", "b"):
        assert assert_matches_scalar_queries(speed_roads, rid) > 0


def test_speed_limit_rules_given_a_road_with_lane_and_road_speed_records(speed_roads):
    s = np.array([2.0, 10.0, 30.0, 45.0, 55.0, 70.0, 90.0, 110.0])
    kmh, mph = 1 / 3.6, 0.44704
    # lane 1: its own 30 km/h from s=5 (in the first section); the section from 40 on defines only the
    # right side, so lane 1 keeps its record there; from 80 there is no lane 1
    np.testing.assert_allclose(speed_roads.speed_limits_many("a", 1, s),
                               [50 * kmh, 30 * kmh, 30 * kmh, 30 * kmh, 30 * kmh, 30 * kmh, np.nan, np.nan])
    # lane -2: none of its own in section 0 (road 50 km/h), parking from 50 at 20 mph, gone from 80
    np.testing.assert_allclose(speed_roads.speed_limits_many("a", -2, s),
                               [50 * kmh, 50 * kmh, 50 * kmh, 50 * kmh, 20 * mph, 20 * mph, np.nan, np.nan])
    # lane -1 from 80: an "undefined" lane record is no record, so the road types apply:
    # "no limit" (inf) until 100, then a type without a speed: none (NaN, ``speed_limit`` says None)
    assert speed_roads.speed_limits_many("a", -1, np.array([90.0, 110.0])).tolist()[0] == math.inf
    assert math.isnan(speed_roads.speed_limits_many("a", -1, 110.0)) and speed_roads.speed_limit("a", -1, 110.0) is None
    types = speed_roads.lane_types_many("a", np.array([-3, -3, -2, 0, 1]), np.array([30.0, 50.0, 50.0, 50.0, 90.0]))
    assert types.tolist() == ["", "sidewalk", "parking", "none", ""]


def test_shapes_broadcast_and_bad_queries_are_refused(speed_roads):
    s = np.linspace(0.0, 30.0, 6).reshape(2, 3)
    inner, outer = speed_roads.lane_boundaries_many("a", np.array([[-1], [1]]), s)
    assert inner.shape == outer.shape == (2, 3)
    assert np.all(outer[0] < inner[0]) and np.all(outer[1] > inner[1])   # right lanes run to negative t
    assert speed_roads.lane_types_many("a", -1, s).shape == (2, 3)
    assert speed_roads.speed_limits_many("a", -1, 12.0).shape == ()
    assert all(a.shape == (2, 3) for a in speed_roads.reference_poses_many("a", s))
    assert speed_roads.lane_types_many("a", -1, np.array([np.nan])).tolist() == [""]
    with pytest.raises(RoadNetworkError, match="no road 'zz'"):
        speed_roads.lane_types_many("zz", -1, s)
    with pytest.raises(ValueError, match="integers"):
        speed_roads.speed_limits_many("a", np.array([-1.5]), np.array([1.0]))
