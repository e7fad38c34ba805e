"""Session 4 additive road queries: ``reference_headings_many`` (the heading and curvature of
``reference_poses_many`` without its x, y) and ``lane_border_tables`` (what ``lane_boundaries_many``
evaluates), checked bit for bit against the queries they stand beside."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simplatform.opendrive import load_opendrive, parse_opendrive

MAPS = sorted((Path(__file__).resolve().parents[2] / "scenarios" / "maps").glob("*.xodr"))

# Every plan-view kind (§9.3–§9.7: line, spiral, arc, a zero-rate spiral, poly3, paramPoly3 arcLength and
# normalized), a lane offset, border lanes, a singleSide section and a section where a rank disappears.
ROADS = """<?xml version="1.0"?>
<OpenDRIVE><header revMajor="1" revMinor="8"/>
  <road id="g" length="190" junction="-1">
    <planView>
      <geometry s="0" x="0" y="0" hdg="-0.0" length="30"><line/></geometry>
      <geometry s="30" x="30" y="0" hdg="0" length="30"><spiral curvStart="0" curvEnd="0.02"/></geometry>
      <geometry s="60" x="59.9" y="3.0" hdg="0.3" length="30"><arc curvature="0.02"/></geometry>
      <geometry s="90" x="85" y="17" hdg="0.9" length="25"><spiral curvStart="-0.01" curvEnd="-0.01"/></geometry>
      <geometry s="115" x="100" y="35" hdg="0.7" length="25"><poly3 a="0" b="0" c="0.01" d="-0.0002"/></geometry>
      <geometry s="140" x="120" y="50" hdg="0.8" length="25">
        <paramPoly3 aU="0" bU="1" cU="0" dU="0" aV="0" bV="0" cV="0.01" dV="0" pRange="arcLength"/></geometry>
      <geometry s="165" x="135" y="70" hdg="1.0" length="25">
        <paramPoly3 aU="0" bU="25" cU="0" dU="0" aV="0" bV="0" cV="3" dV="-1" pRange="normalized"/></geometry>
    </planView>
    <lanes>
      <laneOffset s="0" a="0.5" b="0.01" c="0" d="0"/>
      <laneOffset s="100" a="1.5" b="0" c="-0.0001" d="0"/>
      <laneSection s="0">
        <left><lane id="1" type="driving"><border sOffset="0" a="4" b="0" c="0" d="0"/></lane></left>
        <center><lane id="0" type="none"/></center>
        <right>
          <lane id="-1" type="driving"><width sOffset="0" a="3" b="0" c="0.001" d="0"/>
            <width sOffset="20" a="3.4" b="0.01" c="0" d="0"/></lane>
          <lane id="-2" type="sidewalk"><width sOffset="0" a="2" b="0" c="0" d="0"/></lane>
        </right>
      </laneSection>
      <laneSection s="70" singleSide="true">
        <center><lane id="0" type="none"/></center>
        <right><lane id="-1" type="driving"><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane></right>
      </laneSection>
      <laneSection s="120">
        <left><lane id="1" type="driving"><width sOffset="0" a="3" b="0" c="0" d="0"/></lane>
          <lane id="2" type="driving"><width sOffset="0" a="0" b="0" c="0" d="0"/></lane></left>
        <center><lane id="0" type="none"/></center>
        <right><lane id="-1" type="driving"><width sOffset="0" a="3" b="0" c="0" d="0"/></lane>
          <lane id="-2" type="border"><border sOffset="0" a="-6" b="0" c="0" d="0"/></lane></right>
      </laneSection>
    </lanes>
  </road>
</OpenDRIVE>"""


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal values, NaN where NaN, and the same sign of zero."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    real = ~np.isnan(a)
    return (a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
            and np.array_equal(np.signbit(a[real]), np.signbit(b[real])))


def samples(net, rid: str) -> np.ndarray:
    """Even s, every geometry, section and offset start and a hair either side, and s off the road."""
    road = net.roads[rid]
    marks = [g.s for g in road.plan_view] + [sec.s for sec in road.lane_sections] + [r.s for r in road.lane_offsets]
    near = [m + d for m in marks for d in (-1e-9, 0.0, 1e-9)]
    return np.concatenate([np.linspace(0.0, road.length, 41), near, [-1.0, -0.0, road.length + 3.0]])


@pytest.fixture(scope="module")
def roads():
    return parse_opendrive(ROADS, "s4_headings.xodr")


def test_hand_road_has_every_geometry_kind(roads):
    kinds = set(roads.frame("g").plan.kind.tolist())
    assert kinds == {0, 1, 2}


@pytest.mark.parametrize("source", ["hand", *MAPS], ids=lambda p: p if isinstance(p, str) else p.stem)
def test_headings_equal_the_poses_heading_and_curvature_bit_for_bit(source, roads):
    net = roads if source == "hand" else load_opendrive(source)
    ids = net.road_id_list if len(net.road_id_list) <= 40 else net.road_id_list[::4]
    for rid in ids:
        s = samples(net, rid)
        _, _, h, k = net.reference_poses_many(rid, s)
        h2, k2 = net.reference_headings_many(rid, s)
        assert same_bits(h, h2) and same_bits(k, k2), rid
        # one point and a 0-d s, as the scalar-shaped callers ask
        for v in (s[:1], s[3]):
            _, _, h, k = net.reference_poses_many(rid, v)
            h2, k2 = net.reference_headings_many(rid, v)
            assert same_bits(h, h2) and same_bits(k, k2), rid


def test_border_tables_describe_the_lane_ranks(roads):
    lanes = roads.frame("g").lanes
    for lane_id in (-2, -1, 0, 1, 2):
        tab = roads.lane_border_tables("g", lane_id)
        assert tab.side == (lane_id > 0) - (lane_id < 0)
        assert tab.ranks == abs(lane_id)
        assert tab.rank_start.tolist() == np.cumsum([0] + [t.start.size for t in lanes.tables[tab.side][:abs(lane_id)]]
                                                     ).tolist() if lane_id else tab.rank_start.tolist() == [0]
        assert tab.coef.shape == (tab.start.size, 4) and tab.border.dtype == bool
        assert all(a.flags.c_contiguous for a in (tab.offset_s, tab.offset_coef, tab.start, tab.origin, tab.coef))
    assert roads.lane_border_tables("g", -3).ranks == -1 and roads.lane_border_tables("g", 3).ranks == -1
    assert roads.lane_border_tables("g", -2).border[-1]   # the last section's rank −2 is a border lane
