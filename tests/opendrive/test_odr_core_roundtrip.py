"""Given a road of any geometry with a lane offset and lanes of varying width, a lane
position turned into a world point and located again comes back within 1 mm."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simplatform.opendrive import LanePosition, parse_opendrive

GEOMETRIES = {
    "straight": '<geometry s="0" x="5" y="-3" hdg="0.3" length="300"><line/></geometry>',
    "arc": '<geometry s="0" x="5" y="-3" hdg="0.3" length="300"><arc curvature="0.008"/></geometry>',
    "tight_arc": '<geometry s="0" x="5" y="-3" hdg="0.3" length="300"><arc curvature="-0.015"/></geometry>',
    "spiral": '<geometry s="0" x="5" y="-3" hdg="0.3" length="300"><spiral curvStart="0.002" curvEnd="-0.01"/></geometry>',
    "paramPoly3": ('<geometry s="0" x="5" y="-3" hdg="0.3" length="300">'
                   '<paramPoly3 aU="0" bU="1" cU="0" dU="0" aV="0" bV="0" cV="0.001" dV="-2e-6" pRange="arcLength"/>'
                   '</geometry>'),
}

LANES = """
<lanes>
  <laneOffset s="0" a="0.2" b="0.004" c="-1e-5" d="0"/>
  <laneSection s="0">
    <left>
      <lane id="2" type="sidewalk"><width sOffset="0" a="2.0" b="0" c="0" d="0"/></lane>
      <lane id="1" type="driving"><width sOffset="0" a="3.0" b="0.002" c="0" d="0"/>
        <roadMark sOffset="0" type="broken" color="white" width="0.12"/></lane>
    </left>
    <center><lane id="0" type="none"/></center>
    <right>
      <lane id="-1" type="driving"><width sOffset="0" a="3.5" b="0" c="0" d="0"/>
        <width sOffset="60" a="3.5" b="0" c="1e-4" d="-3e-7"/></lane>
      <lane id="-2" type="driving"><width sOffset="0" a="3.0" b="-0.001" c="0" d="0"/></lane>
      <lane id="-3" type="shoulder"><width sOffset="0" a="1.5" b="0" c="0" d="0"/></lane>
    </right>
  </laneSection>
  <laneSection s="150">
    <left>
      <lane id="1" type="driving"><width sOffset="0" a="3.2" b="0" c="0" d="0"/></lane>
    </left>
    <center><lane id="0" type="none"/></center>
    <right>
      <lane id="-1" type="driving"><width sOffset="0" a="3.4" b="0" c="0" d="0"/></lane>
      <lane id="-2" type="driving"><width sOffset="0" a="3.0" b="0.004" c="0" d="0"/></lane>
    </right>
  </laneSection>
</lanes>
"""


def xodr(geometry: str, extra: str = "") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<OpenDRIVE>
  <header revMajor="1" revMinor="6" name="roundtrip"/>
  <road id="r1" length="300" junction="-1">
    <planView>{geometry}</planView>
    {extra}
    {LANES}
  </road>
</OpenDRIVE>"""


def positions() -> list[LanePosition]:
    out = []
    for s in (0.5, 40.0, 60.0, 99.0, 149.0, 151.0, 220.0, 299.0):
        lanes = (2, 1, -1, -2, -3) if s < 150 else (1, -1, -2)
        for lane in lanes:
            for offset in (-0.6, 0.0, 0.7):
                out.append(LanePosition("r1", lane, s, offset))
    return out


@pytest.fixture(scope="module", params=list(GEOMETRIES))
def network(request):
    return parse_opendrive(xodr(GEOMETRIES[request.param]), source=f"{request.param}.xodr")


def test_lane_pose_locate_round_trip(network):
    for p in positions():
        pose = network.lane_pose(p.road_id, p.lane_id, p.s, p.offset)
        found = network.locate(pose.x, pose.y)
        assert found, p
        best = found[0]
        assert (best.road_id, best.lane_id) == (p.road_id, p.lane_id)
        assert abs(best.s - p.s) < 1e-3 and abs(best.offset - p.offset) < 1e-3
        back = network.lane_pose(best.road_id, best.lane_id, best.s, best.offset)
        assert math.hypot(back.x - pose.x, back.y - pose.y) < 1e-3


def test_locate_many_agrees_with_scalar_locate(network):
    ps = positions()
    xy = np.array([[network.lane_pose(p.road_id, p.lane_id, p.s, p.offset).x,
                    network.lane_pose(p.road_id, p.lane_id, p.s, p.offset).y] for p in ps])
    res = network.locate_many(xy)
    assert res.on_road.all()
    assert list(res.lane_id) == [p.lane_id for p in ps]
    assert np.max(np.abs(res.s - [p.s for p in ps])) < 1e-3
    assert np.max(np.abs(res.offset - [p.offset for p in ps])) < 1e-3
    assert res.position(0) == LanePosition("r1", ps[0].lane_id, pytest.approx(ps[0].s), pytest.approx(ps[0].offset))


def test_vectorised_lane_poses_equal_scalar(network):
    s = np.linspace(0.0, 300.0, 61)
    poses = network.lane_poses("r1", -2, s, np.full_like(s, 0.3))
    for i in (0, 17, 33, 60):
        p = network.lane_pose("r1", -2, float(s[i]), 0.3)
        assert abs(poses.x[i] - p.x) < 1e-9 and abs(poses.y[i] - p.y) < 1e-9
        assert abs(poses.heading[i] - p.heading) < 1e-12


def test_points_off_the_road_or_beyond_its_ends_are_not_located(network):
    outside = network.lane_pose("r1", -3, 40.0, -5.0)  # 5 m right of the shoulder centre
    assert network.locate(outside.x, outside.y) == []
    beyond = network.road_pose("r1", 0.0)
    x = beyond.x - 3.0 * math.cos(beyond.heading)
    y = beyond.y - 3.0 * math.sin(beyond.heading)
    assert network.locate(x, y) == []
    res = network.locate_many(np.array([[outside.x, outside.y], [x, y]]))
    assert not res.on_road.any() and (res.road_index == -1).all()


def test_project_is_the_exact_foot_point(network):
    pose = network.road_pose("r1", 123.4, -4.2)
    s, t = network.project("r1", pose.x, pose.y)
    assert abs(s - 123.4) < 1e-9 and abs(t + 4.2) < 1e-9


def test_elevation_superelevation_give_z_pitch_roll():
    profile = """<elevationProfile><elevation s="0" a="10" b="0.02" c="0" d="0"/></elevationProfile>
    <lateralProfile><superelevation s="0" a="0.05" b="0" c="0" d="0"/></lateralProfile>"""
    net = parse_opendrive(xodr(GEOMETRIES["straight"], profile))
    pose = net.road_pose("r1", 100.0, 2.0)
    # §8.3: t is measured in the superelevated cross section (t·cos across, t·sin up)
    assert pose.z == pytest.approx(10 + 0.02 * 100 + 2.0 * math.sin(0.05))
    centre = net.road_pose("r1", 100.0, 0.0)
    assert math.hypot(pose.x - centre.x, pose.y - centre.y) == pytest.approx(2.0 * math.cos(0.05))
    assert pose.pitch == pytest.approx(-math.atan(0.02))  # rising road: nose up, negative pitch
    assert pose.roll == pytest.approx(0.05)
    lane = net.lane_pose("r1", -1, 100.0)
    t = net.lane_center_t("r1", -1, 100.0)
    assert lane.z == pytest.approx(12.0 + t * math.sin(0.05))
    poses = net.road_poses("r1", np.array([100.0]), np.array([2.0]))
    assert abs(poses.z[0] - pose.z) < 1e-12 and abs(poses.pitch[0] - pose.pitch) < 1e-12
    found = net.locate(lane.x, lane.y, z=lane.z)
    assert found[0].lane_id == -1
