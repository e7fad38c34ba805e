"""Session 9 (issue #7): the one-lane road pass (``metrics.road_pass``, ``road_pass_kernels.one_lane_pass``)
gives the values of the separate kernels and numpy calls it replaces, bit for bit, and is what a
usual block takes.

Fails if a value of the pass differs from the separate path's in one bit (a changed operation, a
numpy build whose ``np.cos``/``np.sin`` differ from the C library's), or if the usual block stops
taking the pass."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from metrics import ScenarioContext, road_kernels, road_lane_kernels, road_pass_kernels
from metrics.block import StepBlock
from metrics.road_block import LATERAL_GUARD, WRONG_WAY_ANGLE, EgoRoadBlock
from metrics.road_pass import OnePassViews
from simplatform.opendrive import load_opendrive
from simplatform.world import EntityKind, LaneLocation, WorldSnapshot

MAPS = Path(__file__).resolve().parents[2] / "scenarios" / "maps"
P = road_pass_kernels


def _plan(rng: np.random.Generator, n: int, parametric: bool = False):
    """Reference-line tables of ``n`` records: lines (κ 0), arcs and spirals; one parametric record
    (kind 2) when asked."""
    s0 = np.concatenate([[0.0], np.cumsum(rng.uniform(5, 40, n - 1))])
    h0 = rng.uniform(-math.pi, math.pi, n)
    h0[0] = -0.0   # a line at heading −0.0: −0.0 at s = −0.0, 0.0 after (the memo must not mix their sines)
    k0 = np.where(rng.random(n) < 0.4, 0.0, rng.normal(0, 0.02, n))
    rate = np.where(rng.random(n) < 0.5, 0.0, rng.normal(0, 1e-3, n))
    kind = np.where(rate != 0.0, 1, 0).astype(np.int64)
    k0[0] = rate[0] = 0.0
    kind[0] = 0
    if parametric:
        kind[n // 2] = 2
    return s0, h0, k0, rate, kind


def _inputs(rng: np.random.Generator, T: int, N: int, e: int, plan):
    s0 = plan[0]
    s = np.sort(rng.uniform(-3, s0[-1] + 30, T))
    s[: T // 10] = s[0]          # repeated s: repeated headings
    s[T // 10: T // 5: 2] = -0.0   # on the first line: heading −0.0 + 2·(0.5·0·−0.0) = −0.0 ...
    s[T // 10 + 1: T // 5: 2] = 0.5   # ... and −0.0 + 0.0 = 0.0, alternating
    t = rng.uniform(-4, 0, T)
    low = -3.5 + rng.normal(0, 0.3, T)
    high = rng.normal(0, 0.3, T)
    low[rng.random(T) < 0.03] = np.nan
    high[rng.random(T) < 0.03] = np.nan
    ref_x, ref_y = rng.uniform(-50, 50, T), rng.uniform(-50, 50, T)
    heading = rng.uniform(-4, 4, T)
    heading[rng.random(T) < 0.05] = np.nan
    bh = rng.uniform(-math.pi, math.pi, (T, N))
    cx = ref_x[:, None] + rng.normal(0, 1.0, (T, N))
    cy = ref_y[:, None] + rng.normal(0, 1.0, (T, N))
    length = rng.uniform(3, 5, (1, N))
    width = rng.uniform(1.5, 2.0, (T, N))
    return s, t, low, high, ref_x, ref_y, heading, cx, cy, np.cos(bh), np.sin(bh), length, width


def _separate(s, t, low, high, plan, ref_x, ref_y, heading, cx, cy, c, sn, length, width, e, road_length, junction,
              against):
    h, k, done = road_kernels.reference_headings(s, *plan)
    if not done:
        return None
    corners = road_kernels.entity_corners(cx, cy, c, sn, length, width, e)
    margin, departed, trusted, every = road_lane_kernels.one_lane_corners(
        corners, ref_x, ref_y, np.cos(h), np.sin(h), k, s, t, low, high, road_length, LATERAL_GUARD)
    wrong = (np.zeros(s.size, dtype=bool) if junction
             else road_lane_kernels.one_lane_wrong_way(heading, h, against, WRONG_WAY_ANGLE))
    return h, k, margin, departed, trusted, wrong, every


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """The same bits (NaNs compared as bit patterns too)."""
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(np.asarray(a).view(np.uint8),
                                                                        np.asarray(b).view(np.uint8))


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("junction,against", [(False, False), (False, True), (True, False)])
def test_one_lane_pass_is_the_separate_kernels_bit_for_bit(seed, junction, against):
    rng = np.random.default_rng(seed)
    T, N, e = 400, 5, seed % 5
    plan = _plan(rng, 8)
    args = _inputs(rng, T, N, e, plan)
    s, t, low, high, ref_x, ref_y, heading, cx, cy, c, sn, length, width = args
    road_length = float(plan[0][-1] + 10.0)
    want = _separate(s, t, low, high, plan, ref_x, ref_y, heading, cx, cy, c, sn, length, width, e, road_length,
                     junction, against)
    fout, bout, every, done = P.one_lane_pass(s, t, low, high, *plan, ref_x, ref_y, heading, cx, cy, c, sn, length,
                                              width, e, road_length, LATERAL_GUARD, junction, against, WRONG_WAY_ANGLE)
    assert done
    h, k, margin, departed, trusted, wrong, every_want = want
    assert _same(fout[P.ROW_HEADING], h) and _same(fout[P.ROW_KAPPA], k)
    assert _same(fout[P.ROW_MARGIN], margin)
    assert _same(bout[P.ROW_DEPARTED], departed) and _same(bout[P.ROW_TRUSTED], trusted)
    assert _same(bout[P.ROW_WRONG], wrong) and bout[P.ROW_KNOWN].all()
    assert every == every_want
    # the inputs exercise both outcomes of each decision
    assert 0 < trusted.sum() < T
    assert junction or against or 0 < wrong.sum() < T
    zeros = fout[P.ROW_HEADING][T // 10: T // 5]   # −0.0 and 0.0 in turn: sin(−0.0) is −0.0
    assert not zeros.any() and np.signbit(zeros[::2]).all() and not np.signbit(zeros[1::2]).any()


def test_one_lane_pass_leaves_a_parametric_geometry_to_the_road_model():
    rng = np.random.default_rng(7)
    plan = _plan(rng, 8, parametric=True)
    args = _inputs(rng, 300, 3, 1, plan)
    s, t, low, high, ref_x, ref_y, heading, cx, cy, c, sn, length, width = args
    assert _separate(s, t, low, high, plan, ref_x, ref_y, heading, cx, cy, c, sn, length, width, 1, 500.0,
                     False, False) is None
    *_, done = P.one_lane_pass(s, t, low, high, *plan, ref_x, ref_y, heading, cx, cy, c, sn, length, width, 1,
                               500.0, LATERAL_GUARD, False, False, WRONG_WAY_ANGLE)
    assert not done


# ------------------------------------------------------------------------ on a real block
def _block(net, rid: str, lane: int, amplitude: float, steps: int = 300, others: int = 2) -> StepBlock:
    """The ego on one lane per its snapshots, weaving ``amplitude`` m about the centre beside ``others``
    cars; its heading follows the lane for the first two thirds (corners settled in the lane frame)
    and then swings past the lane's direction (corners located, wrong way)."""
    road_length = net.roads[rid].length
    s = np.linspace(1.0, road_length - 1.0, steps)
    offset = amplitude * np.sin(np.linspace(0.0, 6 * math.pi, steps))
    poses = net.lane_poses(rid, lane, s, offset)
    n = 1 + others
    names = ("ego",) + tuple(f"car{j}" for j in range(others))
    col = lambda v: np.array([float(v)] + [float(v) + 7.0 * (j + 1) for j in range(others)])  # noqa: E731
    snaps = [WorldSnapshot(
        time=k * 0.01, step=k, names=names, kinds=(EntityKind.VEHICLE,) * n, categories=("car",) * n,
        x=col(poses.x[k]), y=col(poses.y[k]), z=np.zeros(n),
        heading=col(poses.heading[k] + (0.02 if 3 * k < 2 * steps else 2.5) * math.sin(k / 9)),
        pitch=np.zeros(n), roll=np.zeros(n), speed=np.full(n, 10.0), vx=np.full(n, 10.0), vy=np.zeros(n),
        ax=np.zeros(n), ay=np.zeros(n), yaw_rate=np.zeros(n), length=np.full(n, 4.5), width=np.full(n, 1.9),
        height=np.full(n, 1.5), bbox_center_x=np.full(n, 1.4), bbox_center_y=np.zeros(n),
        bbox_center_z=np.full(n, 0.75), visible=np.ones(n, dtype=bool), ego="ego", signals={},
        lanes=(LaneLocation(rid, lane, float(s[k]), float(offset[k])),) + (None,) * others) for k in range(steps)]
    return StepBlock(snaps, ScenarioContext(road=net))


CORNER_FIELDS = ("margin", "departed", "sidewalk", "located", "none_departed", "none_sidewalk")


def _road_state(st: EgoRoadBlock) -> dict:
    out = {name: getattr(st.corners, name) for name in CORNER_FIELDS}
    out["wrong_way"] = st.wrong_way
    out["heading"], out["kappa"], out["known"] = st._reference
    out["travel_heading"] = st.travel_heading
    return out


@pytest.mark.parametrize("map_name,amplitude", [("urban_corridor.xodr", 0.3), ("urban_corridor.xodr", 0.9),
                                                 ("rural_curves.xodr", 0.3), ("roundabout.xodr", 0.8),
                                                 ("highway_long.xodr", 0.5)])
@pytest.mark.parametrize("first", ["corners", "wrong_way", "_reference"])
def test_a_block_on_one_lane_takes_the_pass_and_gets_the_separate_path_values(monkeypatch, map_name, amplitude,
                                                                               first):
    net = load_opendrive(MAPS / map_name)
    rids = [r for r in net.road_id_list if -1 in net.lane_ids(r, 0.0) and net.roads[r].length > 20]
    taken = settled = located = wrong = 0
    for rid in rids[:6]:
        block = _block(net, rid, -1, amplitude)
        fast = EgoRoadBlock.build(block)
        if fast.one_lane is None:
            continue
        getattr(fast, first)   # whichever question comes first makes the pass
        got = _road_state(fast)
        assert fast._one_pass is not None, rid
        taken += 1
        located += got["located"].size
        settled += block.size - got["located"].size
        wrong += int(got["wrong_way"].sum())
        with monkeypatch.context() as m:   # the separate path: no pass
            m.setattr(OnePassViews, "_one_pass", property(lambda self: None))
            slow = EgoRoadBlock.build(StepBlock(block.snapshots, block.context))
            want = _road_state(slow)
        for name, value in want.items():
            if isinstance(value, np.ndarray):
                assert _same(got[name], value), (rid, name)
            else:
                assert got[name] == value, (rid, name)
    assert taken and settled and located and wrong


def test_the_warm_up_compiles_the_pass():
    from metrics import warmup

    warmup.warm_up()
    assert P.one_lane_pass.signatures


# ------------------------------------------------------------------------ the ego's lane rows
def test_ego_lane_rows_are_numpys_gathers_and_cast():
    from simplatform.world import STATE_INDEX, STATE_ROWS

    rng = np.random.default_rng(3)
    T, N = 257, 6
    state = rng.normal(0, 4, (T, len(STATE_ROWS), N))
    r_id, r_s, r_t = STATE_INDEX["lane_id"], STATE_INDEX["lane_s"], STATE_INDEX["lane_t"]
    odd = [np.nan, -np.nan, np.inf, -np.inf, 1e19, -1e19, 2.0 ** 63, -(2.0 ** 63), np.nextafter(2.0 ** 63, 0),
           -0.0, 2.9, -2.9, 0.5, -0.5, 3.0, -3.0]
    state[: len(odd), r_id, 2] = odd
    state[len(odd):, r_id, :] = np.round(state[len(odd):, r_id, :])
    for writeable in (True, False):
        view = state.copy()
        view.flags.writeable = writeable
        for e in (0, 2, N - 1):
            ids, rows, known = P.ego_lane_rows(view, e, r_id, r_s, r_t)
            ego = view[:, :, e]
            with np.errstate(invalid="ignore"):   # numpy warns of the NaN and ±inf casts
                assert _same(ids, ego[:, r_id].astype(np.int64))
            assert _same(rows[0], np.ascontiguousarray(ego[:, r_s]))
            assert _same(rows[1], np.ascontiguousarray(ego[:, r_t]))
            assert known.dtype == bool and known.shape == (T,) and known.all()


def test_an_arena_block_reads_the_egos_lanes_in_one_pass(monkeypatch):
    from metrics import MetricSuite
    from simplatform.state_arena import StateArena
    from simplatform.world import STATE_INDEX

    names, ego = ("ego", "a", "b"), "ego"
    arena = StateArena(names, ego)
    box = {k: np.full(3, v) for k, v in (("length", 4.5), ("width", 1.9), ("height", 1.5), ("bbox_center_x", 1.4),
                                         ("bbox_center_y", 0.0), ("bbox_center_z", 0.75))}
    roads = ("1", "1", None)
    seen = []
    real = P.ego_lane_rows
    monkeypatch.setattr(P, "ego_lane_rows", lambda *a: seen.append(a) or real(*a))
    blocks = []
    monkeypatch.setattr(MetricSuite, "flush", lambda self: blocks.append(
        StepBlock(None, self.context, None, gathered=self._buffer)) if len(self._buffer) else None)
    suite = MetricSuite(ScenarioContext(), all_metrics=False)
    rng = np.random.default_rng(5)
    for k in range(40):
        x = np.array([10.0 + k, 30.0 + k, 50.0])
        lane = np.array([-1.0 - (k > 20), -2.0, np.nan])
        state = arena.write([x, np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(3), np.ones(3),
                             np.ones(3), np.zeros(3), np.zeros(3), np.zeros(3), np.zeros(3), x + 0.25,
                             rng.normal(0, 0.5, 3), lane])
        lanes = tuple(LaneLocation("1", int(lane[j]), float(x[j] + 0.25), float(state[STATE_INDEX["lane_t"], j]))
                      if roads[j] else None for j in range(3))
        suite.observe(WorldSnapshot.from_state_matrix(k * 0.01, k, names, (EntityKind.VEHICLE,) * 3, ("car",) * 3,
                                                      state, box, lanes, roads, np.ones(3, bool), ego=ego))
    MetricSuite.flush(suite)
    (block,) = blocks
    known, rids, ids, s, t = block.ego_lanes
    assert seen, "the arena block did not take the one-pass read"
    # numpy's own dtype objects (a pickle of results made from them is the same as from numpy's arrays)
    assert known.dtype is np.dtype(bool) and ids.dtype is np.dtype(np.int64)
    assert s.dtype is np.dtype(np.float64) and t.dtype is np.dtype(np.float64)
    ego_rows = block.state[:, :, 0]
    assert known.all() and list(rids) == ["1"] * 40
    assert _same(ids, ego_rows[:, STATE_INDEX["lane_id"]].astype(np.int64))
    assert _same(s, np.ascontiguousarray(ego_rows[:, STATE_INDEX["lane_s"]]))
    assert _same(t, np.ascontiguousarray(ego_rows[:, STATE_INDEX["lane_t"]]))
    # the values the snapshots' LaneLocations hold
    assert ids.tolist() == [snap.lanes[0].lane_id for snap in block.snapshots]
    assert s.tolist() == [snap.lanes[0].s for snap in block.snapshots]
    assert t.tolist() == [snap.lanes[0].t for snap in block.snapshots]
