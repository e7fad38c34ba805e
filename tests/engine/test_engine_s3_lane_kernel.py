"""The compiled lane step (``lane_kernels.lane_move``) against ``DefaultController.lane_step``'s Python
path, bit for bit, on curved lanes of both driving directions, tilted roads, offsets, lateral
motion and road ends."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from simplatform.engine import motion
from simplatform.engine.entities import EntitySpec, EntityTable
from simplatform.engine.motion import DefaultController
from simplatform.engine.road import LaneCursor, RoadAdaptor
from simplatform.engine.run import cached_road_network
from simplatform.errors import RoadNetworkError
from simplatform.world import EntityKind

MAPS = Path(__file__).resolve().parents[2] / "scenarios" / "maps"
_COLUMNS = ("x", "y", "z", "heading", "pitch", "roll", "lane_s", "lane_offset", "road_t", "odometer", "wheel_rot")


def _python_path(*args, **kwargs):
    from simplatform.engine.lane_kernels import _FAILED

    return _FAILED


def _world(road: RoadAdaptor, n: int):
    specs = [EntitySpec(f"e{k}", EntityKind.VEHICLE, "car", 4.5, 1.8, 1.5) for k in range(n)]
    table = EntityTable(specs)
    ctrl = DefaultController(table, road)
    return table, ctrl


def _bits(a) -> np.ndarray:
    return np.asarray(a, dtype=float).view(np.int64)


@pytest.mark.parametrize("map_name", ["rural_curves.xodr", "roundabout.xodr", "highway_on_ramp.xodr"])
def test_compiled_lane_step_equals_the_python_path(map_name, monkeypatch):
    net = cached_road_network(MAPS / map_name)
    road = RoadAdaptor(net)
    rng = np.random.default_rng(3)
    lanes = []
    for road_id, r in net.roads.items():
        for lane_id in (-2, -1, 1, 2):
            try:
                c = LaneCursor(road_id, lane_id, 0.5 * float(r.length))
                road.cursor_pose(c)
                tab = road.table(c)
            except RoadNetworkError:  # the road has no such lane
                continue
            if tab.direction and all(tab.valid):
                lanes.append((road_id, lane_id, float(r.length)))
    assert lanes
    n = 60
    cursors = []
    for k in range(n):
        road_id, lane_id, length = lanes[k % len(lanes)]
        # some near the ends (a step may cross them: the Python path's road.advance takes over)
        s = float(rng.choice([rng.uniform(0, length), rng.uniform(0, 0.5), length - rng.uniform(0, 0.5)]))
        offset = float(rng.choice([0.0, 0.0, rng.uniform(-1.2, 1.2)]))
        cursors.append((road_id, lane_id, s, offset))
    speeds = rng.choice([0.0, 3.0, -2.0, 27.5, rng.uniform(-5, 40)], n)
    rates = rng.choice([0.0, 0.0, 0.4, -0.7], n)
    results = []
    real = motion.lane_move
    outcomes = []

    def counted(*args):
        got = real(*args)
        outcomes.append(got[0])
        return got

    for compiled in (True, False):
        monkeypatch.setattr(motion, "lane_move", counted if compiled else _python_path)
        table, ctrl = _world(road, n)
        table.odometer[:] = np.arange(n) * 1.5
        table.wheel_rot[:] = np.arange(n) * 0.1
        for i, (road_id, lane_id, s, offset) in enumerate(cursors):
            m = ctrl.motions[i]
            m.mode, m.cursor, m.lateral_rate = "lane", LaneCursor(road_id, lane_id, s, offset), float(rates[i])
        for step in range(40):
            for i, m in enumerate(ctrl.motions):
                v = float(speeds[i])
                if m.cursor is not None:
                    ctrl.lane_step(i, m, v, v * 0.05, step * 0.05)
        results.append((table, ctrl))
    (ta, ca), (tb, cb) = results
    assert outcomes.count(True) > 1000 and outcomes.count(False) > 0  # both paths were taken
    for col in _COLUMNS:
        assert np.array_equal(_bits(getattr(ta, col)), _bits(getattr(tb, col))), col
    assert ta.lane_road == tb.lane_road
    assert np.array_equal(ta.lane_id, tb.lane_id)
    for ma, mb in zip(ca.motions, cb.motions):
        assert (ma.cursor.road_id, ma.cursor.lane_id) == (mb.cursor.road_id, mb.cursor.lane_id)
        assert _bits([ma.cursor.s, ma.cursor.offset]).tolist() == _bits([mb.cursor.s, mb.cursor.offset]).tolist()
        assert (ma.end_of_road, ma.end_of_road_since) == (mb.end_of_road, mb.end_of_road_since)
        assert ma.last_pose == mb.last_pose
    assert any(not math.isclose(p, 0.0) for p in ta.pitch.tolist() + ta.roll.tolist()) or map_name != "rural_curves.xodr"
