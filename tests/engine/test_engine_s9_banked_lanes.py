"""Lane tables on a superelevated road place an offset in the tilted cross section, as the road model does.

OpenDRIVE 1.8 §8.3: t is measured in the cross section tilted by the superelevation, so a point at t from
the reference line lies t·cos(roll) across and t·sin(roll) up (libOpenDRIVE's Road::get_xyz).  The engine's
interpolated lane tables (scalar, vectorised and compiled) and the road model must agree there; a flat road
keeps the plain horizontal offset, bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simplatform.engine.lane_tables import lane_table
from simplatform.opendrive import load_opendrive

ROLL = 0.3


def _banked_road(tmp_path, roll: float):
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<OpenDRIVE><header revMajor="1" revMinor="7" name="banked"/>
<road id="1" junction="-1" length="200.0">
 <planView><geometry s="0" x="0" y="0" hdg="0" length="200.0"><arc curvature="0.005"/></geometry></planView>
 <elevationProfile><elevation s="0" a="0" b="0" c="0" d="0"/></elevationProfile>
 <lateralProfile><superelevation s="0" a="{roll}" b="0" c="0" d="0"/></lateralProfile>
 <lanes><laneSection s="0">
  <left><lane id="1" type="driving" level="false"><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane></left>
  <center><lane id="0" type="none" level="false"/></center>
  <right><lane id="-1" type="driving" level="false"><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane>
         <lane id="-2" type="driving" level="false"><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane></right>
 </laneSection></lanes>
</road></OpenDRIVE>"""
    path = tmp_path / "banked.xodr"
    path.write_text(text)
    return load_opendrive(path)


@pytest.mark.parametrize("lane_id", [1, -1, -2])
def test_lane_table_offsets_lie_in_the_tilted_cross_section(tmp_path, lane_id):
    net = _banked_road(tmp_path, ROLL)
    table = lane_table(net, "1", lane_id)
    s = np.array([20.0, 75.5, 140.25])
    for offset in (-1.2, 0.7, 1.5):
        want = [net.lane_pose("1", lane_id, float(si), offset) for si in s]
        for si, w in zip(s, want):
            x, y, z, h, p, r, _ = table.pose(float(si), offset)
            assert math.hypot(x - w.x, y - w.y) < 1e-5 and abs(z - w.z) < 1e-5
            assert abs(r - ROLL) < 1e-12
        got = table.poses(s, np.full(3, offset))
        assert np.allclose(got["x"], [w.x for w in want], atol=1e-5, rtol=0)
        assert np.allclose(got["y"], [w.y for w in want], atol=1e-5, rtol=0)
        assert np.allclose(got["z"], [w.z for w in want], atol=1e-5, rtol=0)


def test_the_offset_is_cos_roll_across_and_sin_roll_up(tmp_path):
    net = _banked_road(tmp_path, ROLL)
    table = lane_table(net, "1", -1)
    x0, y0, z0, h, _, _, _ = table.pose(50.0, 0.0)
    x1, y1, z1, _, _, _, _ = table.pose(50.0, 1.0)
    assert math.hypot(x1 - x0, y1 - y0) == pytest.approx(math.cos(ROLL), abs=1e-9)
    assert z1 - z0 == pytest.approx(math.sin(ROLL), abs=1e-9)     # was tan(roll): 0.309 instead of 0.296


def test_a_flat_road_keeps_the_horizontal_offset_bit_for_bit(tmp_path):
    net = _banked_road(tmp_path, 0.0)
    table = lane_table(net, "1", -1)
    x0, y0, z0, h, _, _, _ = table.pose(50.0, 0.0)
    x1, y1, z1, _, _, _, _ = table.pose(50.0, 0.8)
    assert (x1, y1, z1) == (x0 - 0.8 * math.sin(h), y0 + 0.8 * math.cos(h), z0)
    got = table.poses(np.array([50.0]), np.array([0.8]))
    assert (got["x"][0], got["y"][0]) == (x1, y1)
