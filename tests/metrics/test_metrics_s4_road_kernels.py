"""Session 4 (issue #7): the road, route and zone metrics' faster block paths give the values of
the paths they replace, bit for bit."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from metrics import ScenarioContext, road_kernels, route_kernels
from metrics.block import StepBlock
from metrics.road_block import LATERAL_GUARD, EgoRoadBlock, road_view
from metrics.road_zone_kernels import any_within
from simplatform.opendrive import load_opendrive
from simplatform.world import EntityKind, LaneLocation, WorldSnapshot

MAP = Path(__file__).resolve().parents[2] / "scenarios" / "maps" / "urban_corridor.xodr"


@pytest.fixture(scope="module")
def net():
    return load_opendrive(MAP)


# ------------------------------------------------------------------ zone broad phase
def test_any_within_is_the_numpy_disc_test():
    rng = np.random.default_rng(11)
    for trial in range(200):
        cx, cy = rng.uniform(-50, 50, (2, 30, 4))
        if trial % 5 == 0:
            cx[rng.random(cx.shape) < 0.3] = np.nan
        x0, y0 = rng.uniform(-60, 60, 2)
        r = rng.uniform(0, 40) + 1e-3
        if trial % 7 == 0:   # a centre exactly on the circle
            cx[3, 2], cy[3, 2] = x0 + r, y0
        want = bool(np.any((cx - x0) * (cx - x0) + (cy - y0) * (cy - y0) <= r * r))
        assert any_within(cx, cy, x0, y0, r * r) is want
    assert not any_within(np.full((3, 2), np.nan), np.zeros((3, 2)), 0.0, 0.0, 1e9)
    assert not any_within(np.zeros((0, 2)), np.zeros((0, 2)), 0.0, 0.0, 1.0)


# ------------------------------------------------------------------ route kernels
def test_first_beyond_and_running_sum_are_the_numpy_expressions():
    rng = np.random.default_rng(5)
    reached = np.cumsum(rng.uniform(0, 2, 500))
    values = rng.uniform(0, 30, 500)
    for start in (0, 1, 17, 250, 499, 500):
        for current, dist in ((0.0, 100.0), (3.3, 0.7), (reached[-1], 1.0), (-1e9, 0.0)):
            beyond = np.flatnonzero(reached[start:] - current > dist)
            want = start + int(beyond[0]) if beyond.size else reached.size
            stop = route_kernels.first_beyond(reached, start, current, dist)
            assert stop == want
            total = 0.1 * start
            got = route_kernels.running_sum(total, values, start, stop)
            assert got == float(np.cumsum(np.concatenate([[total], values[start:stop]]))[-1])


def test_route_steps_adds_in_step_order():
    rng = np.random.default_rng(9)
    cumulative = np.concatenate([[0.0], np.cumsum(rng.uniform(0.5, 1.5, 300))])
    after = np.minimum(np.cumsum(rng.integers(0, 2, 900)) + 4, 300)
    before, total = 4, 12.345
    want = total
    previous = np.concatenate([[before], after[:-1]])
    for k in np.flatnonzero(after != previous).tolist():
        want += float(cumulative[after[k]] - cumulative[previous[k]])
    assert route_kernels.route_steps(cumulative, before, after, total) == want
    assert route_kernels.route_steps(cumulative, 3, np.zeros(0, dtype=np.int64), 1.5) == 1.5


# ---------------------------------------------------------- lane-frame corner check
def test_corner_check_reads_a_strided_view_as_its_copy():
    rng = np.random.default_rng(3)
    T, N, e = 300, 5, 2
    heading = rng.uniform(-math.pi, math.pi, T)
    ref_x, ref_y = rng.uniform(-50, 50, T), rng.uniform(-50, 50, T)
    corners = np.stack([ref_x, ref_y], axis=-1)[:, None, None, :] + rng.normal(scale=2.5, size=(T, N, 4, 2))
    kappa = np.where(rng.random(T) < 0.3, 0.0, rng.normal(scale=0.05, size=T))
    s, t = rng.uniform(-2, 120, T), rng.normal(scale=2.0, size=T)
    low, high = t - rng.uniform(0, 4, T), t + rng.uniform(0, 4, T)
    rows = np.flatnonzero(rng.random(T) < 0.8)
    out = []
    for view in (corners[:, e], np.ascontiguousarray(corners[:, e])):
        ok, margin = np.zeros(T, dtype=bool), np.full(T, np.nan)
        road_kernels.lane_frame_corners(rows, view, ref_x, ref_y, np.cos(heading), np.sin(heading), kappa, s, t,
                                        low, high, 100.0, LATERAL_GUARD, ok, margin)
        out.append((ok, margin))
    assert 0 < out[0][0].sum() < rows.size
    assert np.array_equal(out[0][0], out[1][0]) and np.array_equal(out[0][1], out[1][1], equal_nan=True)


# ---------------------------------------------------------- one-lane block path
def _one_lane_block(net, rid: str, lane: int, amplitude: float, steps: int = 150) -> StepBlock:
    """The ego on one lane per its snapshots, weaving ``amplitude`` m about the centre (beyond the
    lane's half width the snapshot lane no longer holds the point: those steps are located)."""
    s = np.linspace(1.0, net.roads[rid].length - 1.0, steps)
    offset = amplitude * np.sin(np.linspace(0.0, 4 * math.pi, steps))
    poses = net.lane_poses(rid, lane, s, offset)
    one = lambda v: np.array([float(v)])  # noqa: E731
    snaps = [WorldSnapshot(
        time=k * 0.01, step=k, names=("ego",), kinds=(EntityKind.VEHICLE,), categories=("car",),
        x=one(poses.x[k]), y=one(poses.y[k]), z=one(0), heading=one(poses.heading[k] + 0.3 * math.sin(k / 7)),
        pitch=one(0), roll=one(0), speed=one(10), vx=one(10), vy=one(0), ax=one(0), ay=one(0), yaw_rate=one(0),
        length=one(4.5), width=one(1.9), height=one(1.5), bbox_center_x=one(1.4), bbox_center_y=one(0),
        bbox_center_z=one(0.75), visible=np.array([True]), ego="ego", signals={},
        lanes=(LaneLocation(rid, lane, float(s[k]), float(offset[k])),)) for k in range(steps)]
    return StepBlock(snaps, ScenarioContext(road=net))


ROAD_FIELDS = ("on_road", "road_code", "lane_id", "s", "t", "offset", "low", "high", "travel_heading", "offroad",
               "speed_limit", "in_junction", "wrong_way")


@pytest.mark.parametrize("amplitude", [0.5, 3.0], ids=["inside the lane", "leaving it"])
def test_one_lane_block_path_equals_the_grouped_path(net, amplitude):
    rid = next(r for r in net.road_id_list if -1 in net.lane_ids(r, 0.0) and net.roads[r].length > 20)
    block = _one_lane_block(net, rid, -1, amplitude)
    view = road_view(net)
    fast = EgoRoadBlock.build(block)
    assert (fast._one is not None) == (amplitude < 1.0)
    slow = EgoRoadBlock._by_lanes(block, view, *block.ego_lanes)
    assert slow._one is None
    for name in ROAD_FIELDS:
        a, b = getattr(fast, name), getattr(slow, name)
        assert a.dtype == b.dtype, name
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert fast.road_ids == slow.road_ids and fast.lane_type == slow.lane_type
    assert [fast.lane_type_at(k) for k in range(block.size)] == slow.lane_type
    assert [fast.road_id(k) for k in range(block.size)] == slow.road_ids
    for name in ("margin", "departed", "sidewalk", "located"):
        np.testing.assert_array_equal(getattr(fast.corners, name), getattr(slow.corners, name), err_msg=name)
    assert [(k, list(v)) for k, v in fast.runs()] == [(k, list(v)) for k, v in slow.runs()]
    assert [(k, list(v)) for k, v in fast.road_runs()] == [(k, list(v)) for k, v in slow.road_runs()]
    # the snapshot's arrays are not written into (the block shares them with other metrics)
    known, _, lanes, ss, ts = block.ego_lanes
    assert np.array_equal(lanes, np.full(block.size, -1)) and np.array_equal(ss, fast.s if fast._one else ss)


def test_lane_type_codes_name_the_lane_types(net):
    view = road_view(net)
    for rid in net.road_id_list[:20]:
        length = net.roads[rid].length
        s = np.linspace(0.0, length, 40)
        for lane in net.lane_ids(rid, 0.0):
            lanes = np.full(s.size, lane)
            codes = view.lane_type_codes(rid, lanes, s)
            assert [view.type_names[c] for c in codes.tolist()] == view.lane_types(rid, lanes, s)
            narrow = s[(s > 1.0) & (s < 1.5)]
            if narrow.size:   # one record interval: the cached constant
                one = view.lane_type_codes(rid, lanes[:narrow.size], narrow)
                assert [view.type_names[c] for c in one.tolist()] == view.lane_types(rid, lanes[:narrow.size], narrow)
    table = view.type_table(frozenset({"sidewalk"}))
    assert table.dtype == bool and not table[0]
    assert [bool(v) for v in table] == [k is not None and k.lower() == "sidewalk" for k in view.type_names]


def test_mean_speeds_is_numpy_mean_of_hypot_for_a_few_columns():
    from metrics.route_kernels import SMALL_SUM, mean_speeds

    rng = np.random.default_rng(2)
    for T in (1, 2, 999):
        for n in range(1, SMALL_SUM):
            vx = rng.normal(scale=10, size=(T, n + 3)) * 10.0 ** rng.integers(-5, 5, size=(T, n + 3))
            vy = rng.normal(scale=10, size=vx.shape)
            vx[0, 0], vy[-1, -1] = np.nan, np.inf
            cols = rng.choice(vx.shape[1], size=n, replace=False)
            want = np.mean(np.hypot(vx[:, list(cols)], vy[:, list(cols)]), axis=1)
            got = mean_speeds(vx, vy, cols.astype(np.int64))
            assert np.array_equal(want.view(np.int64), got.view(np.int64)), (T, n)


def test_route_metrics_share_a_block_tracking_only_when_asked_the_same():
    from metrics import RoutePath
    from metrics.route import _Progress, resample

    route = RoutePath.from_points(np.stack([np.linspace(0, 100, 51), np.zeros(51)], axis=1))
    assert resample(route) is resample(route)
    x, y = np.linspace(0, 60, 200), np.zeros(200)
    a, b = _Progress(resample(route), 2), _Progress(resample(route), 2)
    first = a.track(x, y)
    assert b.track(x, y) is first and not first.flags.writeable
    c = _Progress(resample(route), 3)
    assert c.track(x, y) is not first                    # another window: its own answer
    fresh = _Progress(resample(route), 2)
    again = fresh.track(x.copy(), y)                     # other arrays: computed again, same values
    assert again is not first and np.array_equal(again, first)


def test_wrong_way_mask_makes_numpys_decisions():
    from metrics.road_block import WRONG_WAY_ANGLE

    rng = np.random.default_rng(4)
    n = 50_000
    heading, travel = rng.uniform(-20, 20, n), rng.uniform(-20, 20, n)
    heading[:500] = travel[:500] + math.pi * rng.integers(-6, 6, 500)                    # on the wrap
    heading[500:1000] = travel[500:1000] + WRONG_WAY_ANGLE * rng.choice([-1.0, 1.0], 500)  # on the threshold
    heading[1000:1010], travel[1010:1020] = np.nan, np.inf
    heading[1020:1030], travel[1020:1030] = 0.0, -0.0
    heading[1030:1500] = rng.uniform(-1e12, 1e12, 470)
    on_road, junction = rng.random(n) < 0.9, rng.random(n) < 0.1
    with np.errstate(invalid="ignore"):
        diff = (heading - travel + np.pi) % (2 * np.pi) - np.pi
        want = on_road & ~junction & (np.abs(diff) > WRONG_WAY_ANGLE)
    got = road_kernels.wrong_way_mask(heading, travel, on_road, junction, WRONG_WAY_ANGLE)
    assert got.dtype == bool and np.array_equal(got, want) and 0 < want.sum() < n


def test_front_path_is_the_numpy_path_box():
    from metrics.road_signal_kernels import front_path

    rng = np.random.default_rng(8)
    for trial in range(60):
        T, N = int(rng.integers(1, 300)), int(rng.integers(1, 6))
        e = int(rng.integers(0, N))
        cx, cy = rng.uniform(-500, 500, (2, T, N))
        heading = rng.uniform(-4, 4, (T, N))
        cos_h, sin_h = np.cos(heading), np.sin(heading)
        length = rng.uniform(0.5, 12.0, T)
        if trial % 4 == 1:
            cx[int(rng.integers(0, T)), e] = np.nan
        if trial % 4 == 2:
            length[int(rng.integers(0, T))] = np.nan
        half = length / 2
        front_x, front_y = cx[:, e] + cos_h[:, e] * half, cy[:, e] + sin_h[:, e] * half
        want = (front_x.min(), front_x.max(), front_y.min(), front_y.max(), front_x[-1], front_y[-1], half.max())
        got = front_path(cx, cy, cos_h, sin_h, np.ascontiguousarray(length), e)
        assert np.array_equal(np.array(got), np.array(want, dtype=float), equal_nan=True), trial


def test_lane_t_is_the_numpy_expression():
    rng = np.random.default_rng(6)
    for trial in range(40):
        n = int(rng.integers(1, 400))
        low = rng.uniform(-12, 0, n)
        high = low + rng.uniform(0, 4, n)
        offset = rng.normal(scale=1.5 if trial % 2 else 0.5, size=n)
        if trial % 5 == 0:
            low[int(rng.integers(0, n))] = np.nan
        if trial % 7 == 0:
            offset[int(rng.integers(0, n))] = np.inf
        with np.errstate(invalid="ignore"):
            want_t = 0.5 * (low + high) + offset
            want_in = (low <= want_t) & (want_t <= high)
        t, inside, every = road_kernels.lane_t(low, high, offset)
        assert np.array_equal(t, want_t, equal_nan=True) and np.array_equal(inside, want_in)
        assert every == bool(want_in.all())


def test_warmup_compiles_the_road_route_and_zone_kernels():
    from metrics import road_signal_kernels, road_zone_kernels, warmup

    warmup.warm_up()
    for f in (road_zone_kernels.any_within, road_zone_kernels.zone_overlap, route_kernels.first_beyond,
              route_kernels.route_steps,
              road_signal_kernels.front_path, road_kernels.wrong_way_mask, road_kernels.lane_t,
              road_kernels.lane_frame_corners):
        assert f.signatures, f.__name__


def _zone(vertices):
    from metrics.geometry import polygon_edge_normals
    from metrics.pet import _Zone

    verts = np.asarray(vertices, float)
    normals = polygon_edge_normals(verts)
    along = verts @ normals.T
    return _Zone("z", verts, normals, np.stack([along.min(axis=0), along.max(axis=0)]),
                 np.stack([verts.min(axis=0), verts.max(axis=0)]), None)


@pytest.mark.parametrize("grid", [False, True], ids=["random", "touching on a grid"])
def test_zone_overlap_is_the_numpy_separating_axis_test(grid):
    from metrics.pet import _overlap_numpy
    from metrics.road_zone_kernels import zone_overlap

    rng = np.random.default_rng(12 + grid)
    zones = [_zone(((0, 0), (10, 0), (10, 6), (0, 6))), _zone(((0, 0), (8, -2), (12, 5), (3, 9), (-2, 4))),
             _zone(((1.5, -3.0), (7.25, 0.5), (2.0, 6.0)))]
    T, N = 120, 9
    if grid:   # integer corners and axis-aligned boxes: exact touching of edges and vertices
        cx, cy = rng.integers(-6, 16, (T, N)).astype(float), rng.integers(-6, 12, (T, N)).astype(float)
        half_l, half_w = rng.integers(1, 4, N).astype(float), rng.integers(1, 3, N).astype(float)
        signs = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], float)
        halves = np.stack([half_l, half_w], -1)[None, :, None, :]
        corners = np.stack([cx, cy], -1)[:, :, None, :] + signs[None, None] * halves
    else:
        cx, cy = rng.uniform(-8, 18, (T, N)), rng.uniform(-8, 14, (T, N))
        heading = rng.uniform(-math.pi, math.pi, (T, N))
        length, width = rng.uniform(1, 8, N), rng.uniform(0.5, 3, N)
        c, s = np.cos(heading), np.sin(heading)
        signs = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], float)
        lx, ly = signs[:, 0] * (length[:, None] / 2), signs[:, 1] * (width[:, None] / 2)
        corners = np.stack([cx[..., None] + c[..., None] * lx - s[..., None] * ly,
                            cy[..., None] + s[..., None] * lx + c[..., None] * ly], axis=-1)
    corners = np.ascontiguousarray(corners)
    corners[3, 2, 1, 0] = np.nan
    corners[5, 4, :, 1] = np.nan
    corners[7, 1, 0, 0], corners[7, 1, 2, 0] = -np.inf, np.inf
    for zone in zones:
        want = _overlap_numpy(corners, zone)
        got = zone_overlap(corners, zone.bounds, zone.normals, zone.extent, zone.vertices)
        assert 0 < want.sum() < want.size
        assert np.array_equal(got, want)
