"""Session 4: ``RoadView.boundaries`` on the road's ``lane_border_tables`` (the compiled
``road_kernels.lane_borders``) and ``RoadView.heading_curvature`` on ``reference_headings_many``
give the floats of the array queries they replace, bit for bit, on every shared map and on a road
with every geometry kind, lane offsets, border lanes, a singleSide section and missing ranks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from metrics import road_kernels
from metrics.road_view import RoadView
from simplatform.opendrive import load_opendrive, parse_opendrive

MAPS = sorted((Path(__file__).resolve().parents[2] / "scenarios" / "maps").glob("*.xodr"))

ROAD = """<?xml version="1.0"?>
<OpenDRIVE><header revMajor="1" revMinor="8"/>
  <road id="g" length="140" junction="-1">
    <planView>
      <geometry s="0" x="0" y="0" hdg="-0.0" length="30"><line/></geometry>
      <geometry s="30" x="30" y="0" hdg="0" length="30"><spiral curvStart="0" curvEnd="0.02"/></geometry>
      <geometry s="60" x="59.9" y="3.0" hdg="0.3" length="30"><arc curvature="0.02"/></geometry>
      <geometry s="90" x="85" y="17" hdg="0.9" length="50">
        <paramPoly3 aU="0" bU="50" cU="0" dU="0" aV="0" bV="0" cV="3" dV="-1" pRange="normalized"/></geometry>
    </planView>
    <lanes>
      <laneOffset s="10" a="0.5" b="0.01" c="0" d="0"/>
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
      <laneSection s="100">
        <left><lane id="1" type="driving"><width sOffset="0" a="0" b="0" c="0" d="0"/></lane></left>
        <center><lane id="0" type="none"/></center>
        <right><lane id="-1" type="driving"><width sOffset="0" a="3" b="0" c="0" d="0"/></lane>
          <lane id="-2" type="border"><border sOffset="0" a="-6" b="0" c="0" d="0"/></lane></right>
      </laneSection>
    </lanes>
  </road>
</OpenDRIVE>"""


def same_bits(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    real = ~np.isnan(a)
    return (a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
            and np.array_equal(np.signbit(a[real]), np.signbit(b[real])))


def samples(net, rid: str) -> np.ndarray:
    road = net.roads[rid]
    marks = ([g.s for g in road.plan_view] + [sec.s for sec in road.lane_sections] + [r.s for r in road.lane_offsets]
             + [sec.s + w.s for sec in road.lane_sections for lane in (*sec.left, *sec.right) for w in lane.widths])
    near = [m + d for m in marks for d in (-1e-9, 0.0, 1e-9)]
    return np.concatenate([np.linspace(0.0, road.length, 37), near, [-2.0, -0.0, road.length + 5.0, np.nan]])


def numpy_borders(net, rid: str, lane: int, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What ``RoadView.boundaries`` did before the tables: the array query, then min/max."""
    a, b = net.lane_boundaries_many(rid, lane, s)
    return np.minimum(a, b), np.maximum(a, b)


def lane_ids(net, rid: str) -> list[int]:
    ids = {lane.id for sec in net.roads[rid].lane_sections for lane in (*sec.left, *sec.right, sec.center)}
    return sorted(ids | {max(ids) + 1, min(ids) - 1})


@pytest.fixture(scope="module")
def hand():
    return parse_opendrive(ROAD, "s4_roadblock_borders.xodr")


@pytest.mark.parametrize("source", ["hand", *MAPS], ids=lambda p: p if isinstance(p, str) else p.stem)
def test_view_borders_and_headings_equal_the_array_queries_bit_for_bit(source, hand):
    net = hand if source == "hand" else load_opendrive(source)
    view = RoadView(net)
    assert view._tables and view._headings and view._plans
    ids = net.road_id_list if len(net.road_id_list) <= 40 else net.road_id_list[::4]
    for rid in ids:
        s = samples(net, rid)
        for lane in lane_ids(net, rid):
            lo, hi = view.boundaries(rid, lane, s)
            lo0, hi0 = numpy_borders(net, rid, lane, s)
            assert same_bits(lo, lo0) and same_bits(hi, hi0), (rid, lane)
            lo, hi = view.boundaries(rid, lane, s[::-1][:1])   # one step, and s not in order
            assert same_bits(lo, numpy_borders(net, rid, lane, s[::-1][:1])[0])
        h, k = view.heading_curvature(rid, s[:-1])
        _, _, h0, k0 = net.reference_poses_many(rid, s[:-1])
        assert same_bits(h, h0) and same_bits(k, k0), rid


def test_compiled_headings_on_lines_arcs_and_spirals_and_the_fallback_on_parametric(hand):
    """The hand road's first 90 m are a line (heading −0.0), a spiral and an arc: the compiled pass
    answers there; a block reaching the paramPoly3 gets the road model's answer."""
    view = RoadView(hand)
    assert view._plans
    s = samples(hand, "g")[:-1]
    plain = s[s < 90.0]
    h, k, done = road_kernels.reference_headings(plain, *view.road.reference_line_tables("g"))
    _, _, h0, k0 = hand.reference_poses_many("g", plain)
    assert done and same_bits(h, h0) and same_bits(k, k0)
    zero = np.signbit(h[plain == 0.0])   # the line's −0.0 heading: −0.0 at s = −0.0, +0.0 at s = +0.0
    assert zero.any() and not zero.all()
    assert not road_kernels.reference_headings(s, *view.road.reference_line_tables("g"))[2]
    for part in (plain, s, s[s >= 90.0], np.array([np.nan, -3.0, 1e9])):
        h, k = view.heading_curvature("g", part)
        _, _, h0, k0 = hand.reference_poses_many("g", part)
        assert same_bits(h, h0) and same_bits(k, k0)


def test_view_without_the_new_queries_takes_the_array_path(hand):
    class Older:
        """A road model with the array queries but neither table nor heading-only query."""

        def __getattr__(self, name):
            if name in ("lane_border_tables", "reference_headings_many", "reference_line_tables"):
                raise AttributeError(name)
            return getattr(hand, name)

    view = RoadView(Older())
    assert view._arrays and not view._tables and not view._headings and not view._plans
    s = samples(hand, "g")
    lo, hi = view.boundaries("g", -1, s)
    assert same_bits(lo, numpy_borders(hand, "g", -1, s)[0]) and same_bits(hi, numpy_borders(hand, "g", -1, s)[1])


def test_kernel_ties_and_nan_follow_numpy_minimum_and_maximum():
    """A zero-width border lane on a lane offset of −0.0: at s = −0.0 inner is −0.0 and outer +0.0,
    where numpy's minimum and maximum both give their second argument; a NaN s and a missing
    rank give NaN borders."""
    s = np.array([-0.0, 1.0, np.nan])
    offset_s, offset_coef = np.array([0.0]), np.array([[-0.0, 0.0, 0.0, 0.0]])
    lo, hi = road_kernels.lane_borders(s, -1, 1, offset_s, offset_coef, np.array([0.0]), np.array([0.0]),
                                       np.array([[0.0, 0.0, 0.0, 0.0]]), np.array([True]),
                                       np.array([0, 1], dtype=np.int64))
    inner = offset_coef[0, 0] + (s[:2] - 0.0) * 0.0
    outer = inner + (0.0 + (s[:2] - 0.0) * 0.0)
    assert np.signbit(inner[0]) and not np.signbit(outer[0])
    assert same_bits(lo[:2], np.minimum(inner, outer)) and same_bits(hi[:2], np.maximum(inner, outer))
    assert np.isnan(lo[2]) and np.isnan(hi[2])
    empty = np.zeros(0)
    lo, hi = road_kernels.lane_borders(s, -1, -1, empty, np.zeros((0, 4)), empty, empty, np.zeros((0, 4)),
                                       np.zeros(0, dtype=bool), np.zeros(1, dtype=np.int64))
    assert np.isnan(lo).all() and np.isnan(hi).all()
