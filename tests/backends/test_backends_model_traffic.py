"""The driver-model fleet's compiled loops give the numpy formulations' answers, bit for bit, and the
fleet copes with a vehicle off the road network and a lane that ends under a vehicle."""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scenariogeneration import xosc

from simplatform.backends import context_kernels as ck
from simplatform.backends import traffic_kernels as tk
from simplatform.backends.lane_stack import LaneStack
from simplatform.engine.lane_tables import lane_table
from simplatform.engine.run import RunConfig, ScenarioSpec, cached_road_network, run_scenario
from simplatform.results import Verdict

ROOT = Path(__file__).resolve().parents[2]
MAPS = ROOT / "scenarios" / "maps"
sys.path.insert(0, str(ROOT / "tests" / "engine"))
import engine_scenario_files as scenarios  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from lane_stack_reference import TableStack  # noqa: E402


def _sorted_search(code, progress, q, p, me):
    """The leader/follower search the kernel replaced: a stable sort of code·1e7 + 5e6 + progress,
    searchsorted, then the neighbours skipping the vehicle itself."""
    on = np.nonzero(code >= 0)[0]
    comp = code[on] * 1.0e7 + 5.0e6 + progress[on]
    order = np.argsort(comp, kind="stable")
    sorted_comp, sorted_idx, sorted_code = comp[order], on[order], code[on][order]
    pos = int(np.searchsorted(sorted_comp, q * 1.0e7 + 5.0e6 + p, side="left"))
    m = len(sorted_comp)
    lead = foll = -1
    k = pos
    while k < m and sorted_code[k] == q and sorted_idx[k] == me:
        k += 1
    if k < m and sorted_code[k] == q:
        lead = int(sorted_idx[k])
    k = pos - 1
    while k >= 0 and sorted_code[k] == q and sorted_idx[k] == me:
        k -= 1
    if k >= 0 and sorted_code[k] == q:
        foll = int(sorted_idx[k])
    return lead, foll


@pytest.mark.parametrize("seed", range(6))
def test_neighbour_search_matches_the_sorted_array_search(seed):
    rng = np.random.default_rng(seed)
    n = 40
    code = rng.integers(-1, 4, n)
    progress = rng.choice(np.r_[rng.uniform(-300, 300, 12), 0.0, 12.5], n)  # many exact ties
    if seed % 2:
        progress[rng.integers(0, n, 3)] = np.nan
    key = code * 1.0e7 + 5.0e6 + progress
    for me in range(n):
        for q in (code[me], (code[me] + 1) % 4, -1):
            got = ck._neighbours(float(q), progress[me], me, code.astype(float), key)
            assert tuple(got) == _sorted_search(code, progress, q, progress[me], me), (me, q)


def _stacks():
    net = cached_road_network(MAPS / "highway_on_ramp.xodr")
    keys = [("3", -3), ("3", -1), ("1", -2), ("2", -1)]
    old, new = TableStack(), LaneStack(net)
    ids = np.array([old.id_of(lane_table(net, r, lane)) for r, lane in keys])
    assert [new.lane(r, lane) for r, lane in keys] == ids.tolist()
    return old, new, ids


def test_lane_centre_is_the_table_stack_interpolation_bit_for_bit():
    old, new, ids = _stacks()
    rng = np.random.default_rng(3)
    lanes = np.repeat(ids, 50)
    s = rng.uniform(-5.0, 420.0, len(lanes))  # beyond the roads' ends too (clamped), and where lane -3 ends
    x, y, h = old.centre(lanes, s)
    mat, meta = new.arrays()
    got = np.array([tk.lane_centre(mat, meta, lane, v) for lane, v in zip(lanes.tolist(), s.tolist())])
    assert np.array_equal(got, np.array([x, y, h]).T, equal_nan=True)


def test_advance_is_the_numpy_foot_point_iteration_bit_for_bit():
    old, new, ids = _stacks()
    rng = np.random.default_rng(5)
    n = 24
    lanes = rng.choice(ids, n)
    d = rng.choice([-1.0, 1.0], n)
    s = rng.uniform(0.0, 150.0, n)
    x0, y0, _ = old.centre(lanes, s)
    x, y = x0 + rng.normal(0, 0.4, n), y0 + rng.normal(0, 0.4, n)
    # the numpy formulation the kernel replaced (fleet_tracking.advance_along before the kernels)
    dx, dy = x - x0, y - y0
    flip = np.where(d < 0, math.pi, 0.0)
    length = old.length[lanes]
    _, _, h = old.centre(lanes, s)
    s_ref = s + d * (dx * np.cos(h + flip) + dy * np.sin(h + flip))
    ok_ref = (s_ref >= 0.0) & (s_ref <= length) & np.isfinite(s_ref)
    for _ in range(2):
        cx, cy, h = old.centre(lanes, np.clip(s_ref, 0.0, length))
        s_ref = s_ref + d * ((x - cx) * np.cos(h + flip) + (y - cy) * np.sin(h + flip))
        ok_ref &= (s_ref >= 0.0) & (s_ref <= length)
    cx, cy, h = old.centre(lanes, np.clip(s_ref, 0.0, length))
    lat_ref = -(x - cx) * np.sin(h + flip) + (y - cy) * np.cos(h + flip)
    ok_ref &= np.isfinite(lat_ref)

    mat, meta = new.arrays()
    out, ok = np.empty((5, n)), np.empty(n, dtype=bool)
    track = np.array((x0, y0))
    failed = tk.advance(mat, meta, lanes, d, s, np.arange(n), x, y, track, out, ok)
    assert np.array_equal(out[0], s_ref) and np.array_equal(out[1], lat_ref)
    assert np.array_equal(out[4], lat_ref * d) and np.array_equal(ok, ok_ref) and failed == int((~ok_ref).sum())
    assert np.array_equal(out[2], dx) and np.array_equal(track, np.array((x, y)))


def test_extrapolation_is_the_polynomial_of_the_model_step():
    rng = np.random.default_rng(9)
    n = 7
    coef = rng.normal(size=(3, 6, n)) * 10
    cols = [rng.normal(size=n + 2) for _ in range(9)]
    x, y, heading, speed, vx, vy, odometer, wheel_rot, lane_s = (c.copy() for c in cols)
    rows = np.arange(2, n + 2)
    lane_dir = rng.choice([-1.0, 1.0], n)
    tau = 3 * 0.01
    tk.extrapolate(coef, tau, rows, x, y, heading, speed, vx, vy, odometer, wheel_rot, lane_s, lane_dir, True)
    px, py, ph, pv, pvx, pvy = coef[0] + tau * (coef[1] + tau * coef[2])
    moved = np.hypot(px - cols[0][2:], py - cols[1][2:])
    assert np.array_equal(x[2:], px) and np.array_equal(vy[2:], pvy) and np.array_equal(speed[2:], pv)
    assert np.array_equal(heading[2:], (ph + math.pi) % (2 * math.pi) - math.pi)
    assert np.array_equal(odometer[2:], cols[6][2:] + moved)
    assert np.array_equal(wheel_rot[2:], (cols[7][2:] + moved / 0.35) % (2 * math.pi))
    assert np.array_equal(lane_s[2:], cols[8][2:] + lane_dir * moved)
    assert np.array_equal(x[:2], cols[0][:2])  # other rows untouched


def _on_ramp_scenario(directory: Path) -> Path:
    """On highway_on_ramp: an IDM car (no lane changes) on lane -3 of road 3, which ends at s = 250;
    an IDM/MOBIL car placed far off the road network; one more IDM/MOBIL car on road 1, 0.8 m off its
    lane centre."""
    entities, init = xosc.Entities(), xosc.Init()
    step = xosc.TransitionDynamics(xosc.DynamicsShapes.step, xosc.DynamicsDimension.time, 1)
    for name, pos, model in (("Trapped", xosc.LanePosition(200, 0, -3, "3"), "idm"),
                             ("Stray", xosc.WorldPosition(0, 5000, 0, 0), "idm_mobil"),
                             ("Other", xosc.LanePosition(150, 0.8, -1, "1"), "idm_mobil")):
        entities.add_scenario_object(name, scenarios._vehicle(name.lower()),
                                     controller=scenarios.driver_controller("D" + name, model=model))
        init.add_init_action(name, xosc.TeleportAction(pos))
        init.add_init_action(name, xosc.AbsoluteSpeedAction(20.0, step))
    sb = xosc.StoryBoard(init, xosc.ValueTrigger("stop", 0, xosc.ConditionEdge.rising,
                                                 xosc.SimulationTimeCondition(8, xosc.Rule.greaterThan), "stop"))
    sce = xosc.Scenario("ramp", "simplatform", xosc.ParameterDeclarations(), entities, sb,
                        xosc.RoadNetwork(str(MAPS / "highway_on_ramp.xodr")), xosc.Catalog())
    out = directory / "ramp.xosc"
    sce.write_xml(str(out))
    return out


def test_a_vehicle_off_the_network_and_a_lane_ending_under_a_vehicle(tmp_path):
    result = run_scenario(ScenarioSpec(_on_ramp_scenario(tmp_path)), RunConfig(out_dir=tmp_path / "o"))
    assert result.verdict != Verdict.ERROR, result.error
    with open(tmp_path / "o" / "ramp.csv") as f:
        rows = list(csv.DictReader(f, skipinitialspace=True))
    last = {r["name"]: r for r in rows if float(r["time"]) == max(float(q["time"]) for q in rows)}
    trapped = last["Trapped"]
    # lane -3 ended under it: located afresh on the lane it tapered into, and steered to its centre
    assert (trapped["roadId"], trapped["laneId"]) == ("3", "-2") and float(trapped["s"]) > 300.0
    assert abs(float(trapped["offset"])) < 0.1
    # the stray vehicle has no lane; it does not take the others' steering with it: pure pursuit
    # brings the other car back to its lane centre
    assert last["Stray"]["roadId"] == ""
    other = [float(r["offset"]) for r in rows if r["name"] == "Other"]
    assert other[0] == pytest.approx(0.8) and abs(other[-1]) < 0.05


def test_perception_rows_follow_the_traffic_context_fields():
    """ContextBuilder builds TrafficContext positionally from the kernel's rows: their order is the fields'."""
    from dataclasses import fields

    from vehicle_models.drivers import TrafficContext

    flags = {"left_available": ck.LEFT_AVAILABLE, "right_available": ck.RIGHT_AVAILABLE,
             "yield_required": ck.YIELD_REQUIRED}
    rows = {"speed": ck.SPEED, "desired_speed": ck.DESIRED, "length": ck.LENGTH, "leader_gap": ck.LEAD_GAP,
            "leader_speed": ck.LEAD_SPEED, "follower_gap": ck.FOLLOW_GAP, "follower_speed": ck.FOLLOW_SPEED,
            "left_leader_gap": ck.LEFT_LEAD_GAP, "left_leader_speed": ck.LEFT_LEAD_SPEED,
            "left_follower_gap": ck.LEFT_FOLLOW_GAP, "left_follower_speed": ck.LEFT_FOLLOW_SPEED,
            "right_leader_gap": ck.RIGHT_LEAD_GAP, "right_leader_speed": ck.RIGHT_LEAD_SPEED,
            "right_follower_gap": ck.RIGHT_FOLLOW_GAP, "right_follower_speed": ck.RIGHT_FOLLOW_SPEED,
            "stop_distance": ck.STOP, "yield_distance": ck.YIELD}
    names = [f.name for f in fields(TrafficContext)]
    assert sorted(names) == sorted([*rows, *flags])
    assert [rows[n] for n in names if n in rows] == list(range(ck.OUTPUT_ROWS))
    assert [flags[n] for n in names if n in flags] == list(range(ck.FLAG_ROWS))
    assert names.index("left_available") == ck.LEFT_LEAD_GAP and names.index("right_available") == ck.RIGHT_LEAD_GAP + 1
