"""Stacked lane tables: tables that join the stack after it was first built (regression: a vehicle
changing onto a lane not yet stacked read stale arrays, IndexError in library urb_dense_v30_normal_n5_s1)."""

from pathlib import Path

import numpy as np

from simplatform.engine.lane_tables import lane_table
from simplatform.engine.run import RunConfig, ScenarioSpec, cached_road_network
from simplatform.results import Verdict

MAPS = Path(__file__).resolve().parents[2] / "scenarios" / "maps"


def _two_tables():
    net = cached_road_network(MAPS / "highway_straight.xodr")
    road_id = next(iter(net.roads))
    lanes = [t for t in (-1, -2, 1, 2) if np.isfinite(lane_table(net, road_id, t).x).any()]
    return lane_table(net, road_id, lanes[0]), lane_table(net, road_id, lanes[1])


def test_lane_stack_sees_a_table_added_after_the_first_build():
    """The stacked matrix grows when a lane joins after it was first built (the regression: a vehicle
    changing onto a lane not yet stacked read stale arrays)."""
    from simplatform.backends.lane_stack import ROWS, LaneStack

    a, b = _two_tables()
    net = cached_road_network(MAPS / "highway_straight.xodr")
    stack = LaneStack(net)
    stack.lane(a.road_id, a.lane_id)
    first, _ = stack.arrays()
    ib = stack.lane(b.road_id, b.lane_id)
    matrix, meta = stack.arrays()
    assert matrix.shape[1] == first.shape[1] + b.n
    start, count = int(meta[0, ib]), int(meta[1, ib])
    assert count == b.n
    for row, name in enumerate(ROWS):
        assert np.array_equal(matrix[row, start:start + count], np.asarray(b.arrays[name], dtype=float), equal_nan=True)


def test_library_dense_urban_traffic_runs():
    from simplatform.engine.run import run_scenario

    path = Path(__file__).resolve().parents[2] / "scenarios" / "urban" / "urb_dense_v30_normal_n5_s1.xosc"
    r = run_scenario(ScenarioSpec(path), RunConfig(dt=0.05, csv=False, max_time=8.0))
    assert r.verdict != Verdict.ERROR, r.error
