"""Session 7 (issue #7): ``EgoRoadBlock.corners`` of a block on one lane in one compiled call.

``road_lane_kernels.one_lane_corners`` copies ``road_kernels.lane_frame_corners``'s rule and makes
the arrays around it; it must give the same bits (margins, trust, departures), and the corner
state of a real block must not depend on which path made it."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metrics import ScenarioContext
from metrics import road_kernels, road_lane_kernels
from metrics.block import StepBlock
from simplatform.world import EntityKind, LaneLocation, WorldSnapshot


def _inputs(rng: np.random.Generator, T: int, kappa_scale: float):
    ref_x, ref_y = rng.uniform(-50, 50, T), rng.uniform(-50, 50, T)
    heading = rng.uniform(-math.pi, math.pi, T)
    corners = np.empty((T, 4, 2))
    for j, (a, b) in enumerate(((3.6, 0.95), (3.6, -0.95), (-0.9, -0.95), (-0.9, 0.95))):
        corners[:, j, 0] = ref_x + a * np.cos(heading) - b * np.sin(heading) + rng.normal(0, 0.01, T)
        corners[:, j, 1] = ref_y + a * np.sin(heading) + b * np.cos(heading) + rng.normal(0, 0.01, T)
    kappa = rng.normal(0, kappa_scale, T)
    kappa[rng.random(T) < 0.3] = 0.0
    s = rng.uniform(-2, 102, T)
    t = rng.uniform(-4, 0, T)
    low = np.full(T, -3.5) + rng.normal(0, 0.5, T)
    high = np.zeros(T) + rng.normal(0, 0.5, T)
    low[rng.random(T) < 0.05] = np.nan
    high[rng.random(T) < 0.05] = np.nan
    cos_h, sin_h = np.cos(heading + rng.normal(0, 0.02, T)), np.sin(heading + rng.normal(0, 0.02, T))
    return corners, ref_x, ref_y, cos_h, sin_h, kappa, s, t, low, high


@pytest.mark.parametrize("seed,kappa_scale", [(0, 0.0), (1, 0.01), (2, 0.3), (3, 2.0)])
def test_one_lane_corners_bit_for_bit(seed, kappa_scale):
    rng = np.random.default_rng(seed)
    T = 700
    args = _inputs(rng, T, kappa_scale)
    margin, departed, ok, every = road_lane_kernels.one_lane_corners(*args, 100.0, 0.05)
    ref_margin, ref_ok = np.full(T, np.nan), np.zeros(T, dtype=bool)
    road_kernels.lane_frame_corners(np.arange(T), *args, 100.0, 0.05, ref_ok, ref_margin)
    assert margin.tobytes() == ref_margin.tobytes()
    assert ok.tobytes() == ref_ok.tobytes()
    assert not departed.any() and departed.dtype == bool and departed.shape == (T,)
    assert every == bool(ref_ok.all())
    assert 0 < ok.sum() < T   # both outcomes reached


def test_one_lane_corners_every_settled():
    rng = np.random.default_rng(5)
    T = 50
    corners, ref_x, ref_y, cos_h, sin_h, kappa, s, t, low, high = _inputs(rng, T, 0.0)
    heading = np.zeros(T)
    cos_h, sin_h = np.cos(heading), np.sin(heading)
    corners = np.stack([np.stack([ref_x + a, ref_y + b], axis=1) for a, b in ((1, 0.5), (1, -0.5), (-1, -0.5), (-1, 0.5))],
                       axis=1)
    margin, departed, ok, every = road_lane_kernels.one_lane_corners(
        corners, ref_x, ref_y, cos_h, sin_h, np.zeros(T), np.full(T, 50.0), np.full(T, -1.75), np.full(T, -3.5),
        np.zeros(T), 100.0, 0.05)
    assert every and ok.all()
    assert np.array_equal(margin, np.full(T, 1.75 - 0.5))


@pytest.fixture(scope="module")
def road_1km(tmp_path_factory):
    """A 1 km straight road, three lanes each way (scenariogeneration, our parser): curvature known."""
    xodr = pytest.importorskip("scenariogeneration").xodr
    from simplatform.opendrive import load_opendrive
    road = xodr.create_road(xodr.Line(1000), id=1, left_lanes=3, right_lanes=3, lane_width=3.5)
    odr = xodr.OpenDrive("s7road")
    odr.add_road(road)
    odr.adjust_roads_and_lanes()
    path = tmp_path_factory.mktemp("road") / "straight.xodr"
    odr.write_xml(str(path))
    return load_opendrive(path)


def _drift_block(road, steps: int, amp: float, lane: int = -1, turn: float = 0.0) -> StepBlock:
    """The ego on lane −1 of road "1" drifting towards and over its lines (engine-style lanes)."""
    names, kinds, cats = ("ego", "car1"), (EntityKind.VEHICLE,) * 2, ("car",) * 2
    ones, z = np.ones(2), np.zeros(2)
    snaps = []
    for k in range(steps):
        s = 10.0 + 0.15 * k
        t = math.copysign(1.75, lane) + amp * math.sin(2 * math.pi * k / steps)
        x, y = np.array([s, s + 30]), np.array([t, -5.25])
        h = np.array([0.04 * math.cos(2 * math.pi * k / steps) + turn * k / steps, 0.0])
        locs = (LaneLocation("1", lane, s, t - math.copysign(1.75, lane)), LaneLocation("1", -2, s + 30, 0.0))
        snaps.append(WorldSnapshot(time=k * 0.01, step=k, names=names, kinds=kinds, categories=cats, x=x, y=y,
                                   z=z.copy(), heading=h, pitch=z.copy(), roll=z.copy(), speed=15 * ones, vx=15 * ones,
                                   vy=z.copy(), ax=z.copy(), ay=z.copy(), yaw_rate=z.copy(), length=4.5 * ones,
                                   width=1.9 * ones, height=1.5 * ones, bbox_center_x=1.4 * ones,
                                   bbox_center_y=z.copy(), bbox_center_z=0.75 * ones, lanes=locs,
                                   visible=ones.astype(bool), ego="ego"))
    return StepBlock(snaps, ScenarioContext(road=road))


@pytest.mark.parametrize("amp", [0.3, 0.8, 1.2])
def test_block_corners_one_lane_path_equals_general(road_1km, amp):
    blocks = [_drift_block(road_1km, 400, amp) for _ in range(2)]   # held: a view reads its block by a weak proxy
    fused, general = (b.ego_road for b in blocks)
    assert fused.one_lane is not None
    general._reference                       # as corners reads it, then the flag withdrawn: the per-road path
    general._kappa_everywhere = False
    a, b = fused.corners, general.corners
    for name in ("margin", "departed", "sidewalk", "located"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), name
    if amp > 1.0:
        assert a.departed.any() and a.located.size


@pytest.mark.parametrize("amp", [0.3, 1.2])
def test_off_road_and_outside_route_one_type_path_equal_general(road_1km, amp, monkeypatch):
    """A block on one drivable lane type: off_road's series without the masks, outside_route_lanes
    without ``| offroad``, the same floats as with them (the path forced by ``offroad_constant`` None)."""
    from metrics import RoutePath
    from metrics.road_block import EgoRoadBlock
    from metrics.road_rules import OffRoadMetric
    from metrics.route import OutsideRouteLanesMetric

    wp = np.stack([np.linspace(0.0, 1000.0, 501), np.full(501, -1.75)], axis=1)

    def run():
        block = _drift_block(road_1km, 400, amp)
        block.context = ScenarioContext(road=road_1km, route=RoutePath.from_points(wp))
        off, out = OffRoadMetric(block.context), OutsideRouteLanesMetric(block.context)
        off.observe_block(block)
        out.observe_block(block)
        return off.result(), out.result(), block.ego_road.offroad_constant

    fast = run()
    assert fast[2] is False
    monkeypatch.setattr(EgoRoadBlock, "offroad_constant", property(lambda self: None))
    general = run()
    assert general[2] is None
    assert fast[0].series   # off_road keeps its two series
    for a, b in zip(fast[:2], general[:2]):
        assert a.scalars == b.scalars and a.events == b.events
        assert set(a.series) == set(b.series)
        for name, (t, v) in a.series.items():
            assert np.array(t).tobytes() == np.array(b.series[name][0]).tobytes()
            assert np.array(v).tobytes() == np.array(b.series[name][1]).tobytes()


@pytest.mark.parametrize("lane", [-3, -1, 1, 2])
def test_one_lane_frame_is_lane_borders_then_lane_t(road_1km, lane):
    rng = np.random.default_rng(lane + 10)
    tb = road_1km.lane_border_tables("1", lane)
    s = rng.uniform(-50, 1050, 600)
    s[::37] = np.nan
    offset = rng.normal(0, 1.5, 600)
    offset[::41] = np.nan
    args = (tb.side, tb.ranks, tb.offset_s, tb.offset_coef, tb.start, tb.origin, tb.coef, tb.border, tb.rank_start)
    low, high, t, inside, every = road_lane_kernels.one_lane_frame(s, offset, *args)
    ref_low, ref_high = road_kernels.lane_borders(s, *args)
    ref_t, ref_inside, ref_every = road_kernels.lane_t(ref_low, ref_high, offset)
    for a, b in ((low, ref_low), (high, ref_high), (t, ref_t), (inside, ref_inside)):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    assert every == ref_every and inside.any() and not every


@pytest.mark.parametrize("lane,turn", [(-1, 0.0), (-1, 2 * math.pi), (1, 0.0), (1, -2 * math.pi)])
def test_wrong_way_one_lane_kernel_equals_general(road_1km, lane, turn):
    """A block on one lane outside junctions: ``one_lane_wrong_way`` (travel heading made per step)
    decides as ``wrong_way_mask`` on the travel heading and junction arrays (forced by reading
    ``travel_heading`` first), against and along s, headings sweeping a whole turn."""
    blocks = [_drift_block(road_1km, 300, 0.3, lane, turn) for _ in range(2)]
    fast, general = (b.ego_road for b in blocks)
    assert fast.one_lane == ("1", lane)
    general.travel_heading
    a, b = fast.wrong_way, general.wrong_way
    assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    if turn:
        assert 0 < a.sum() < a.size
    else:
        assert a.all() == (lane > 0) and a.any() == (lane > 0)
