"""Lane questions on small hand-written roads: sections, widths, borders, single-sided
sections, heights, types, speeds, road marks, centre lines; and the shared maps."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from simplatform.opendrive import load_opendrive, parse_opendrive

MAPS = Path(__file__).resolve().parents[2] / "scenarios" / "maps"


def one_road(lanes: str, length: float = 100.0, extra: str = "") -> str:
    return f"""<?xml version="1.0"?>
<OpenDRIVE><header revMajor="1" revMinor="7"/>
  <road id="a" length="{length}" junction="-1" rule="RHT">
    <type s="0" type="rural"><speed max="100" unit="km/h"/></type>
    <planView><geometry s="0" x="0" y="0" hdg="0" length="{length}"><line/></geometry></planView>
    {extra}
    <lanes>{lanes}</lanes>
  </road>
</OpenDRIVE>"""


SECTIONS = """
  <laneSection s="0">
    <left><lane id="1" type="driving"><width sOffset="0" a="3" b="0.01" c="0" d="0"/></lane></left>
    <center><lane id="0" type="none"><roadMark sOffset="0" type="solid" color="yellow"/></lane></center>
    <right>
      <lane id="-1" type="driving"><width sOffset="0" a="3.5" b="0" c="0" d="0"/>
        <speed sOffset="10" max="20"/>
        <roadMark sOffset="0" type="broken" color="white"/><roadMark sOffset="30" type="solid" color="white"/></lane>
      <lane id="-2" type="sidewalk"><width sOffset="0" a="2" b="0" c="0" d="0"/>
        <height sOffset="0" inner="0.15" outer="0.25"/></lane>
    </right>
  </laneSection>
  <laneSection s="50" singleSide="true">
    <right><lane id="-1" type="driving"><width sOffset="10" a="4" b="0" c="0" d="0"/>
      <width sOffset="0" a="3" b="0" c="0" d="0"/></lane></right>
    <center><lane id="0" type="none"/></center>
  </laneSection>
"""


@pytest.fixture(scope="module")
def net():
    return parse_opendrive(one_road(SECTIONS), source="lanes.xodr")


def test_sections_and_lane_ids(net):
    assert net.lane_section_at("a", 10.0).s == 0.0
    assert net.lane_section_at("a", 70.0).s == 50.0
    assert net.lane_ids("a", 10.0) == [1, 0, -1, -2]
    # the single-sided section replaces the right side only; lane 1 goes on from s = 0
    assert net.lane_ids("a", 70.0) == [1, 0, -1]
    assert net.lane_width("a", 1, 70.0) == pytest.approx(3 + 0.01 * 70)


def test_widths_are_relative_to_the_section_start(net):
    assert net.lane_width("a", -1, 55.0) == pytest.approx(3.0)  # sOffset 0 (records sorted)
    assert net.lane_width("a", -1, 65.0) == pytest.approx(4.0)  # sOffset 10 → s = 60
    assert net.problems and "not in ascending order" in net.problems[0]
    assert net.lane_boundaries("a", -2, 20.0) == pytest.approx((-3.5, -5.5))
    assert net.lane_center_t("a", 1, 20.0) == pytest.approx(0.5 * (3 + 0.2))


def test_types_speeds_and_marks(net):
    assert net.lane_type("a", -2, 5.0) == "sidewalk"
    assert net.speed_limit("a", -1, 5.0) == pytest.approx(100 / 3.6)  # road type, before the lane record
    assert net.speed_limit("a", -1, 15.0) == pytest.approx(20.0)
    assert net.speed_limit("a", 1, 15.0) == pytest.approx(100 / 3.6)
    assert [rm.type for rm in net.road_marks("a", -1, 10.0)] == ["broken"]
    assert [rm.type for rm in net.road_marks("a", -1, 40.0)] == ["solid"]
    assert net.road_marks("a", 0, 10.0)[0].color == "yellow"


def test_lane_height_raises_the_surface(net):
    inner = net.lane_pose("a", -2, 20.0, 1.0)  # at the inner edge (t = -3.5)
    outer = net.lane_pose("a", -2, 20.0, -1.0)
    assert inner.z == pytest.approx(0.15) and outer.z == pytest.approx(0.25)
    poses = net.lane_poses("a", -2, np.array([20.0, 20.0]), np.array([1.0, -1.0]))
    assert np.allclose(poses.z, [0.15, 0.25])


def test_lane_center_line_where_the_lane_exists(net):
    line = net.lane_center_line("a", -2, step=5.0)
    assert line[0, 0] == 0.0 and line[-1, 0] < 50.0  # lane -2 ends with the first section
    assert np.allclose(line[:, 2], -4.5)


def test_border_lanes_round_trip():
    lanes = """<laneOffset s="0" a="0.5" b="0" c="0" d="0"/>
    <laneSection s="0">
      <center><lane id="0" type="none"/></center>
      <right>
        <lane id="-1" type="driving"><border sOffset="0" a="-3" b="-0.01" c="0" d="0"/></lane>
        <lane id="-2" type="driving"><border sOffset="0" a="-6" b="-0.01" c="1e-4" d="0"/></lane>
      </right>
    </laneSection>"""
    net = parse_opendrive(one_road(lanes))
    # borders are t of the outer edge, measured from the lane-offset-shifted centre
    assert net.lane_boundaries("a", -2, 40.0) == pytest.approx((0.5 - 3.4, 0.5 - 6 - 0.4 + 0.16))
    for s in (5.0, 40.0, 90.0):
        for offset in (-0.5, 0.0, 0.5):
            p = net.lane_pose("a", -2, s, offset)
            best = net.locate(p.x, p.y)[0]
            assert (best.lane_id, round(best.s, 6), round(best.offset, 6)) == (-2, s, offset)


def test_lateral_shape_adds_height():
    shape = """<lateralProfile><shape s="0" t="-10" a="0" b="0.1" c="0" d="0"/>
      <shape s="100" t="-10" a="1" b="0.1" c="0" d="0"/></lateralProfile>"""
    lanes = """<laneSection s="0"><center><lane id="0" type="none"/></center>
      <right><lane id="-1" type="driving"><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane></right></laneSection>"""
    net = parse_opendrive(one_road(lanes, extra=shape))
    # at s = 50 halfway between the two shapes; at t = -2: 0.1 * 8 + 0.5
    assert net.road_pose("a", 50.0, -2.0).z == pytest.approx(0.8 + 0.5)


@pytest.mark.parametrize("path", sorted(MAPS.glob("*.xodr")), ids=lambda p: p.stem)
def test_shared_maps_load_clean_and_round_trip(path):
    net = load_opendrive(path)
    assert net.problems == []
    for road_id, road in net.roads.items():
        for s in (0.25 * road.length, 0.75 * road.length):
            for lane_id in net.lane_ids(road_id, s):
                if lane_id == 0 or net.lane_width(road_id, lane_id, s) < 0.5:
                    continue
                p = net.lane_pose(road_id, lane_id, s, 0.1)
                found = net.locate(p.x, p.y)
                assert any(f.road_id == road_id and f.lane_id == lane_id and abs(f.s - s) < 1e-3
                           and abs(f.offset - 0.1) < 1e-3 for f in found), (road_id, lane_id, s, found)


def test_junction_points_are_on_several_roads():
    net = load_opendrive(MAPS / "junction_4way.xodr")
    connecting = [r for r in net.roads.values() if r.junction is not None]
    counts = []
    for road in connecting:
        lane_id = next(i for i in net.lane_ids(road.id, road.length / 2) if i != 0)
        p = net.lane_pose(road.id, lane_id, road.length / 2)
        counts.append(len({f.road_id for f in net.locate(p.x, p.y)}))
    assert max(counts) >= 2
    assert not math.isnan(net.road_heading(connecting[0].id, 1.0))
