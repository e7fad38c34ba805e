"""TableStack: tables that join the stack after it was first evaluated (regression: a vehicle
changing onto a lane not yet stacked read stale arrays, IndexError in library urb_dense_v30_normal_n5_s1)."""

from pathlib import Path

import numpy as np

from simplatform.engine.lane_tables import TableStack, lane_table
from simplatform.engine.run import RunConfig, ScenarioSpec, cached_road_network
from simplatform.results import Verdict

MAPS = Path(__file__).resolve().parents[2] / "scenarios" / "maps"


def _two_tables():
    net = cached_road_network(MAPS / "highway_straight.xodr")
    road_id = next(iter(net.roads))
    lanes = [t for t in (-1, -2, 1, 2) if np.isfinite(lane_table(net, road_id, t).x).any()]
    return lane_table(net, road_id, lanes[0]), lane_table(net, road_id, lanes[1])


def test_centre_and_linear_see_a_table_added_after_the_first_build():
    a, b = _two_tables()
    stack = TableStack()
    ia = stack.id_of(a)
    stack.centre(np.array([ia]), np.array([1.0]))  # builds the stack with one table
    ib = stack.id_of(b)
    s = np.array([b.length - 0.3])  # the last cell of the new table: beyond the old arrays
    x, y, h = stack.centre(np.array([ib]), s)
    ref = b.poses(s, np.zeros(1))
    assert np.allclose([x[0], y[0]], [ref["x"][0], ref["y"][0]], atol=1e-6)
    stack2 = TableStack()
    stack2.id_of(a)
    stack2.linear(np.array([0]), np.array([1.0]), ("ct",))
    ib2 = stack2.id_of(b)
    ct = stack2.linear(np.array([ib2]), s, ("ct", "z"))
    assert np.isclose(ct["ct"][0], b.center_t(float(s[0])), atol=1e-6)


def test_library_dense_urban_traffic_runs():
    from simplatform.engine.run import run_scenario

    path = Path(__file__).resolve().parents[2] / "scenarios" / "urban" / "urb_dense_v30_normal_n5_s1.xosc"
    r = run_scenario(ScenarioSpec(path), RunConfig(dt=0.05, csv=False, max_time=8.0))
    assert r.verdict != Verdict.ERROR, r.error
