"""Model traffic on a superelevated road tracks its lane offset as the engine's lane tables place it.

OpenDRIVE 1.8 §8.3: t runs in the tilted cross section.  The fleet's compiled tracking (``advance``) measures a
vehicle's offset in the x/y plane and must hand the cursor the tilted t (x/y distance / cos(roll)), and
``lane_columns`` must put the height on the tilted section (t·sin(roll)); otherwise the engine's cursor pose of
that offset lands beside the vehicle (6 cm across at 0.3 rad, 1.5 m out).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))
from test_engine_s9_banked_lanes import _banked_road  # noqa: E402

from simplatform.backends import traffic_kernels as tk  # noqa: E402
from simplatform.backends.lane_stack import LaneStack  # noqa: E402
from simplatform.engine.lane_tables import lane_table  # noqa: E402


def _track(net, s0: float, offset: float):
    stack = LaneStack(net)
    lane = stack.lane("1", -1)
    mat, meta = stack.arrays()
    p = net.lane_pose("1", -1, s0, offset)
    x, y = np.array([p.x]), np.array([p.y])
    track = np.array([[p.x], [p.y]])
    out, ok = np.zeros((5, 1)), np.zeros(1, dtype=bool)
    direction = np.array([1], dtype=np.int64)
    tk.advance(mat, meta, np.array([lane]), direction, np.array([s0]), np.array([0]), x, y, track, out, ok)
    cols = [np.zeros(1) for _ in range(6)]
    bad = np.zeros(1, dtype=bool)
    tk.lane_columns(mat, meta, np.array([lane]), direction, out[0], out[4].copy(), np.array([0]), *cols, bad)
    return p, out, ok, cols


def test_the_fleet_hands_the_cursor_the_tilted_offset(tmp_path):
    net = _banked_road(tmp_path, 0.3)
    p, out, ok, (z, _, roll, _, lane_offset, road_t) = _track(net, 50.0, 1.5)
    assert ok[0]
    assert abs(out[4, 0] - 1.5) < 1e-9 and abs(lane_offset[0] - 1.5) < 1e-9     # was 1.5·cos(0.3) = 1.433
    assert abs(road_t[0] - (-1.75 + 1.5)) < 1e-9                                 # lane -1's centre t is -1.75
    assert abs(z[0] - p.z) < 1e-9
    x2, y2, z2, *_ = lane_table(net, "1", -1).pose(50.0, out[4, 0])
    assert math.hypot(x2 - p.x, y2 - p.y) < 1e-9 and abs(z2 - p.z) < 1e-9


def test_a_flat_road_keeps_the_horizontal_offset(tmp_path):
    net = _banked_road(tmp_path, 0.0)
    p, out, ok, (z, *_rest) = _track(net, 50.0, 1.5)
    assert ok[0] and abs(out[4, 0] - 1.5) < 1e-9 and z[0] == p.z
