"""Rays proved to miss the static world (``sensors.static_horizon``) are left out of the static cast.

What must hold: a ray the test culls is one open3d reports as a miss or as a hit beyond the range on the
whole static world (so on any crop of it), and the static cast with culling equals the cast without it bit
for bit once hits past the range are trimmed; lidar clouds of every preset are unchanged.  Checked on the
scenario maps (junctions, a roundabout, the hilly rural map) and on synthetic worlds with hills, poles and
a deck above the sensor, from random poses, with origin balls (motion-distorted sweeps).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import open3d as o3d
import pytest
from sensors_testworld import entity, snapshot

import sensors.static_cast as static_cast
from sensors.base import SensorConfig
from sensors.frames import MountPose
from sensors.lidar import Lidar
from sensors.lidar_patterns import PRESETS
from sensors.scene import SensorScene, SimpleMesh, StaticWorld
from sensors.static_cast import cast_static, trim_beyond
from sensors.static_horizon import (NORM_BOUND, HeightGrid, _diamond, cull_gather, scatter_hits,
                                    sweep_horizon)

MAPS = Path(__file__).parents[2] / "scenarios" / "maps"
MAP_NAMES = ("highway_straight", "junction_4way", "junction_t", "roundabout", "rural_curves", "urban_grid")


def _map_world(name: str) -> StaticWorld:
    from simplatform.opendrive import load_opendrive
    from simplatform.opendrive.mesh import build_road_mesh

    return StaticWorld([build_road_mesh(load_opendrive(MAPS / f"{name}.xodr"))])


def _mesh(vertices: np.ndarray, triangles: np.ndarray, material: str = "asphalt") -> SimpleMesh:
    mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(vertices), o3d.utility.Vector3iVector(triangles))
    return SimpleMesh.single(mesh, material)


def _terrain(size: float, step: float, rng: np.random.Generator) -> SimpleMesh:
    """Rolling hills (a few metres) on a square of ``size``, ``step`` m cells."""
    n = int(size / step)
    xs = np.linspace(-size / 2, size / 2, n + 1)
    gx, gy = np.meshgrid(xs, xs)
    z = np.zeros_like(gx)
    for _ in range(6):
        cx, cy, w, h = rng.uniform(-size / 2, size / 2), rng.uniform(-size / 2, size / 2), rng.uniform(10, 60), \
            rng.uniform(-4, 6)
        z += h * np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * w * w))
    v = np.stack([gx.ravel(), gy.ravel(), z.ravel()], axis=1)
    idx = np.arange((n + 1) ** 2).reshape(n + 1, n + 1)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel()
    return _mesh(v, np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)]), "grass")


def _boxes(centres: np.ndarray, half: np.ndarray, material: str) -> SimpleMesh:
    parts = []
    for c, h in zip(centres, half):
        box = o3d.geometry.TriangleMesh.create_box(*(2 * h))
        box.translate(c - h)
        parts.append(box)
    mesh = parts[0]
    for p in parts[1:]:
        mesh += p
    return SimpleMesh.single(mesh, material)


def _synthetic_worlds() -> dict[str, StaticWorld]:
    rng = np.random.default_rng(6)
    hills = _terrain(300.0, 3.0, rng)
    poles = _boxes(np.column_stack([rng.uniform(-100, 100, 30), rng.uniform(-100, 100, 30), np.full(30, 4.0)]),
                   np.tile([0.15, 0.15, 4.0], (30, 1)), "metal")
    deck = _boxes(np.array([[0.0, 0.0, 6.0], [0.0, 60.0, 1.0]]), np.array([[80.0, 6.0, 0.3], [40.0, 1.0, 1.0]]),
                  "concrete")
    road = _boxes(np.array([[0.0, 0.0, -0.05]]), np.array([[400.0, 7.0, 0.05]]), "asphalt")
    return {"hills+poles": StaticWorld([hills, poles]), "road under a deck": StaticWorld([road, deck])}


@pytest.fixture(scope="module")
def worlds() -> dict[str, StaticWorld]:
    out = {name: _map_world(name) for name in MAP_NAMES}
    out.update(_synthetic_worlds())
    return out


def _poses(world: StaticWorld, rng: np.random.Generator, count: int) -> list[np.ndarray]:
    """Sensor positions a little above random points of the static triangles (some below the top of the
    nearby geometry: under a deck, beside a pole)."""
    tri = world.vertices[world.triangles[rng.integers(0, world.triangle_count, count)].astype(np.intp)]
    w = rng.dirichlet(np.ones(3), count)
    p = np.einsum("ij,ijk->ik", w, tri.astype(np.float64))
    p[:, 2] += rng.uniform(0.3, 4.0, count)
    return list(p)


def _rays(origin: np.ndarray, radius: float, rng: np.random.Generator, rings: int = 40, columns: int = 300
          ) -> np.ndarray:
    """A ring-major sweep (rings lowest first, as a spinning head casts) from a random attitude, origins
    drawn within B(origin, radius); then some uniformly random directions at the end."""
    el = np.sort(rng.uniform(-0.5, 0.2, rings))
    az = np.linspace(-np.pi, np.pi, columns, endpoint=False) + rng.uniform(0, 0.1)
    e, a = np.meshgrid(el, az, indexing="ij")
    d = np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], axis=-1).reshape(-1, 3)
    tilt = o3d.geometry.get_rotation_matrix_from_xyz(rng.uniform(-0.08, 0.08, 3) * np.array([1, 1, 40]))
    d = d @ tilt.T
    extra = rng.normal(size=(2000, 3))
    d = np.concatenate([d, extra / np.linalg.norm(extra, axis=1, keepdims=True)])
    o = np.tile(origin, (len(d), 1))
    if radius > 0:
        u = rng.normal(size=(len(d), 3))
        o += u / np.linalg.norm(u, axis=1, keepdims=True) * radius * rng.uniform(0, 1, (len(d), 1)) ** (1 / 3)
    return np.ascontiguousarray(np.concatenate([o, d], axis=1), dtype=np.float32)


def _culled(world: StaticWorld, rays: np.ndarray, centre: np.ndarray, radius: float, max_range: float):
    n = len(rays)
    horizon = world.height_grid.horizon(centre, radius, max_range)
    kept_rays, kept_rows = np.empty((n, 6), np.float32), np.empty(n, np.int64)
    t, normal, material = np.zeros(n, np.float32), np.zeros((n, 3), np.float32), np.zeros(n, np.int32)
    k = cull_gather(rays, 0, n, horizon, NORM_BOUND, kept_rays, kept_rows, t, normal, material)
    culled = np.ones(n, bool)
    culled[kept_rows[:k]] = False
    assert np.array_equal(kept_rays[:k], rays[kept_rows[:k]]) and np.all(np.diff(kept_rows[:k]) > 0)
    assert np.all(t[culled] == np.inf) and np.all(material[culled] == -1) and not normal[culled].any()
    return culled


@pytest.mark.parametrize("radius", [0.0, 0.4, 2.5])
def test_a_culled_ray_has_no_static_hit_within_range(worlds, radius):
    """The proof, checked against open3d on the whole static world: no culled ray has a hit within range.
    (With a 2.5 m origin ball a sensor 1.9 m above a road may lie below it: nothing is culled there, and
    under the deck nothing ever is.)"""
    rng = np.random.default_rng(int(radius * 10) + 1)
    total = {}
    for name, world in worlds.items():
        culled_all = 0
        for origin in _poses(world, rng, 6):
            max_range = float(rng.choice([30.0, 100.0, 260.0]))
            rays = _rays(origin, radius, rng)
            culled = _culled(world, rays, origin, radius, max_range)
            t = world.scene.cast_rays(o3d.core.Tensor(rays))["t_hit"].numpy()
            bad = culled & (t <= max_range)
            assert not bad.any(), (name, origin, max_range, np.flatnonzero(bad)[:5], t[bad][:5])
            culled_all += int(culled.sum())
        total[name] = culled_all
    vacuous = [k for k, v in total.items() if v == 0]
    assert not vacuous if radius < 1 else len(vacuous) < len(total), str(total)   # the test is not vacuous


@pytest.fixture
def proved(monkeypatch) -> list[int]:
    """How many rays each culling pass of ``cast_static`` proved to miss (a spy on its ``cull_gather``)."""
    counts: list[int] = []

    def spy(rays, start, stop, *rest):
        k = cull_gather(rays, start, stop, *rest)
        counts.append(stop - start - k)
        return k

    monkeypatch.setattr(static_cast, "cull_gather", spy)
    return counts


def _cast_pair(world, rays, centre, radius, max_range, monkeypatch, bounds=None):
    tensor = o3d.core.Tensor.from_numpy(rays)
    z = (float(centre[2]) - radius, float(centre[2]) + radius)
    reach = max_range + radius
    got = cast_static(world, tensor, centre, reach, 0, max_range, z, bounds)
    with monkeypatch.context() as m:
        m.setattr(static_cast, "_horizon", lambda *a: None)
        want = cast_static(world, tensor, centre, reach, 0, max_range, z, bounds)
    out = []
    for t, normal, material in (got, want):
        t, normal, material = t.copy(), normal.copy(), material.copy()
        trim_beyond(t, normal, material, np.full(len(t), -1, np.int32), max_range)
        out.append((t, normal, material))
    return out


@pytest.mark.parametrize("radius, split", [(0.0, 64), (1.5, 64), (0.0, 10 ** 9)])
def test_the_static_cast_with_culling_equals_the_plain_cast(worlds, radius, split, monkeypatch, proved):
    """Bit for bit, with the culling forced on for every cast (the thresholds set to zero), over the crops
    and parts the plain cast uses; with the leading run below every horizon cast apart or tested."""
    monkeypatch.setattr(static_cast, "CULL_MIN_RAYS", 0)
    monkeypatch.setattr(static_cast, "CULL_RAYS_PER_CELL", 0)
    monkeypatch.setattr(static_cast, "SPLIT_MIN_RAYS", split)
    rng = np.random.default_rng(17 + int(radius))
    for name, world in worlds.items():
        for origin in _poses(world, rng, 4):
            max_range = float(rng.choice([50.0, 120.0]))
            rays = _rays(origin, radius, rng, rings=48, columns=400)
            (t, normal, material), (t0, normal0, material0) = _cast_pair(world, rays, origin, radius, max_range,
                                                                        monkeypatch)
            assert t.tobytes() == t0.tobytes(), name
            assert normal.tobytes() == normal0.tobytes() and material.tobytes() == material0.tobytes(), name
    assert sum(proved) > 10000, sum(proved)


def test_most_misses_in_the_height_band_are_proved_on_the_bench_road(worlds):
    """Effectiveness on the bench scene: an HDL-64E-like sweep over the highway road mesh, no terrain beside
    it (most of the misses the plain cast pays for are proved)."""
    world = worlds["highway_straight"]
    origin = np.array([500.0, 0.0, 2.65])
    el = np.deg2rad(np.linspace(-24.8, 2.0, 64))
    az = np.linspace(-np.pi, np.pi, 2083, endpoint=False)
    e, a = np.meshgrid(el, az, indexing="ij")
    d = np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], axis=-1).reshape(-1, 3)
    rays = np.ascontiguousarray(np.concatenate([np.tile(origin, (len(d), 1)), d], axis=1), dtype=np.float32)
    culled = _culled(world, rays, origin, 0.0, 120.0)
    t = world.scene.cast_rays(o3d.core.Tensor(rays))["t_hit"].numpy()
    miss = t > 120.0
    assert not (culled & ~miss).any()
    assert culled.sum() >= 0.85 * miss.sum(), (culled.sum(), miss.sum())


def test_the_diamond_angle_orders_directions_as_atan2():
    rng = np.random.default_rng(3)
    xy = np.concatenate([rng.normal(size=(4000, 2)), [[1, 0], [0, 1], [-1, 0], [0, -1], [1, -1e-300],
                                                       [-1, -1e-300], [-1, 0.0]]])
    p = np.array([_diamond(x, y) for x, y in xy])
    angle = np.mod(np.arctan2(xy[:, 1], xy[:, 0]), 2 * np.pi)
    assert np.all((p >= 0) & (p <= 4)) and p[-3] == 4.0      # 4: rounded, just below 2π
    order = np.argsort(angle, kind="stable")
    assert np.all(np.diff(p[order]) >= 0)
    assert p[-1] == 2.0 and _diamond(0.0, 1.0) == 1.0 and _diamond(0.0, -1.0) == 3.0


def test_every_triangle_point_lies_below_its_cells_height(worlds):
    rng = np.random.default_rng(4)
    for name, world in worlds.items():
        grid = world.height_grid
        tri = world.vertices[world.triangles.astype(np.intp)].astype(np.float64)
        w = rng.dirichlet(np.ones(3), len(tri))
        for p in (np.einsum("ij,ijk->ik", w, tri), tri[:, 0], tri[:, 1], tri[:, 2]):
            i = np.floor((p[:, 0] - grid.x0) / grid.cell).astype(int)
            j = np.floor((p[:, 1] - grid.y0) / grid.cell).astype(int)
            assert np.all(p[:, 2] <= grid.heights[j, i].astype(np.float64) + 1e-9), name   # 1e-9: weights rounded


def test_a_cell_across_the_x_axis_raises_the_sectors_on_both_sides():
    """A single occupied cell straddling the +x axis from the origin: its extent wraps past diamond 4 = 0."""
    heights = np.full((3, 3), -np.inf, np.float32)
    heights[1, 2] = 1.0                                     # cell x ∈ [10, 15), y ∈ [-2.5, 2.5)
    out = np.empty(64)
    sweep_horizon(heights, 0.0, -7.5, 5.0, 0.0, 0.0, 0.0, 0.0, 100.0, 0.0, out)
    assert out[0] == pytest.approx(0.1) and out[-1] == pytest.approx(0.1)
    assert np.all(out[8:56] == -np.inf)                     # the sectors that do not see it
    inside = np.empty(16)
    sweep_horizon(heights, -12.0, -7.5, 5.0, 0.0, 0.0, 0.0, 0.0, 100.0, 0.0, inside)   # origin in the cell
    assert np.all(inside == np.inf)


def test_a_cell_below_the_origin_binds_at_its_far_edge_within_range():
    heights = np.full((1, 40), -np.inf, np.float32)
    heights[0, :] = 0.0                                     # a 200 m strip, 2 m below the origin
    out = np.empty(16)
    sweep_horizon(heights, 0.0, -2.5, 5.0, 0.5, 0.0, 2.0, 0.0, 50.0, 0.0, out)
    assert out[0] == pytest.approx(-2.0 / 50.0)             # clipped to the range, not the strip's end


def test_scatter_equals_the_contiguous_collect():
    rng = np.random.default_rng(5)
    n = 500
    t_part, normal_part = rng.random(n).astype(np.float32), rng.random((n, 3)).astype(np.float32)
    ids = rng.integers(0, 40, n).astype(np.uint32)
    ids[::7] = 0xFFFFFFFF
    table = np.concatenate([rng.integers(0, 5, 30), [-1]]).astype(np.int32)
    want = (np.zeros(2 * n, np.float32), np.zeros((2 * n, 3), np.float32), np.zeros(2 * n, np.int32))
    got = tuple(np.zeros_like(x) for x in want)
    rows = np.arange(n, 2 * n, dtype=np.int64)
    static_cast._collect(t_part, normal_part, ids, table, *want, n)
    scatter_hits(t_part, normal_part, ids, table, rows, *got)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(got, want))
    assert np.array_equal(got[2][n:], np.take(table, ids, mode="clip"))


def test_an_empty_or_degenerate_map_has_no_grid():
    assert HeightGrid.build(np.zeros((0, 3), np.float32), np.zeros((0, 3), np.uint32)) is None
    bad = np.array([[0, 0, 0], [1, 0, 0], [0, np.nan, 0]], np.float32)
    assert HeightGrid.build(bad, np.array([[0, 1, 2]], np.uint32)) is None


@pytest.mark.parametrize("preset", list(PRESETS))
def test_lidar_clouds_are_unchanged(worlds, preset, monkeypatch, proved):
    """Every preset over a junction and the hilly map, with actors, still and motion-distorted: the same
    cloud with the culling as without it (forced on where a sweep is below the thresholds)."""
    monkeypatch.setattr(static_cast, "CULL_MIN_RAYS", 0)
    monkeypatch.setattr(static_cast, "CULL_RAYS_PER_CELL", 0)
    rng = np.random.default_rng(len(preset))
    for name in ("junction_4way", "rural_curves"):
        world = worlds[name]
        for origin, distortion in zip(_poses(world, rng, 2), (False, True)):
            heading = float(rng.uniform(-math.pi, math.pi))
            actors = [entity(f"car{k}", x=origin[0] + dx, y=origin[1] + dy, z=origin[2] - 1.0, heading=heading)
                      for k, (dx, dy) in enumerate(rng.uniform(-30, 30, (5, 2)))]
            snap = snapshot(entity("ego", x=origin[0], y=origin[1], z=origin[2] - 1.0, heading=heading,
                                   vx=12.0 * math.cos(heading), vy=12.0 * math.sin(heading), yaw_rate=0.2, ego=True),
                            *actors)
            config = SensorConfig(name="l", type="lidar", preset=preset, mount=MountPose(x=1.2, z=1.9),
                                  parameters={"labels": True, "motion_distortion": distortion})
            got = Lidar(config).sense(snap, SensorScene(world, snap))
            with monkeypatch.context() as m:
                m.setattr(static_cast, "_horizon", lambda *a: None)
                want = Lidar(config).sense(snap, SensorScene(world, snap))
            assert got.width == want.width > 0, (name, preset)
            assert got.points.tobytes() == want.points.tobytes(), (name, preset, distortion)
            assert got.labels.tobytes() == want.labels.tobytes(), (name, preset, distortion)
    assert sum(proved) > 0


def test_an_hdl64_sweep_over_the_bench_road_is_culled_by_default(worlds, proved, monkeypatch):
    """The default thresholds take the culling path on the bench's sweep (HDL-64E over the highway road with
    cars): its cloud equals the plain cast's, and thousands of rays are proved to miss.  One thread (the spy
    counts ``cull_gather``; a two-thread sweep's split cast, ``static_split``, is checked in
    ``test_sensors_s10h_split_cast.py``)."""
    import sensors.lidar as lidar_module

    monkeypatch.setattr(lidar_module, "_spare_cpu", lambda own: False)
    world = worlds["highway_straight"]
    snap = snapshot(entity("ego", x=500.0, y=-1.75, ego=True), entity("car", x=520.0, y=1.75),
                    entity("truck", x=470.0, y=-5.25, category="truck"))
    config = SensorConfig(name="l", type="lidar", preset="HDL-64E", mount=MountPose(x=1.3, z=1.9),
                          parameters={"labels": True, "dropout_probability": 0.01})
    got = Lidar(config).sense(snap, SensorScene(world, snap))
    culled = sum(proved)
    with monkeypatch.context() as m:
        m.setattr(static_cast, "_horizon", lambda *a: None)
        want = Lidar(config).sense(snap, SensorScene(world, snap))
    assert got.points.tobytes() == want.points.tobytes() and got.labels.tobytes() == want.labels.tobytes()
    assert culled > 20000, culled


def test_no_horizon_for_a_non_finite_origin_ball(worlds, monkeypatch):
    """A NaN pose (or ball) proves nothing: the cast goes the plain way."""
    monkeypatch.setattr(static_cast, "CULL_MIN_RAYS", 0)
    monkeypatch.setattr(static_cast, "CULL_RAYS_PER_CELL", 0)
    world = worlds["highway_straight"]
    assert static_cast._horizon(world, np.array([500.0, 0.0, 2.0]), 0.0, 100.0, 10 ** 6) is not None
    for centre, radius in (([np.nan, 0.0, 2.0], 0.0), ([500.0, 0.0, np.inf], 0.0), ([500.0, 0.0, 2.0], np.nan)):
        assert static_cast._horizon(world, np.array(centre), radius, 100.0, 10 ** 6) is None
        assert np.all(world.height_grid.horizon(np.array(centre), radius, 100.0) == np.inf)
