"""Review (session 6): the miss proof of ``sensors.static_horizon`` as ``static_cast.cast_static`` uses it.

Found (fail until fixed; the code at fb91629 gives the expected results, see the report):
- a sweep or camera frame from a non-finite ego pose raised (``HeightGrid.cells_within`` called
  ``math.floor`` of NaN / ±inf) where fb91629 returns an empty cloud / an all-sky frame (fixed in 1077785);
- ``max_range_m`` ≥ about 2·10¹⁹ culled every ray (``sweep_horizon``'s ``int(math.floor(...))`` of the
  span overflowed int64 in numba, the cell loops were empty, every sector's horizon stayed −∞), so the
  cloud was empty and the camera saw only sky, where fb91629 sees the road (fixed in 6a5fdbe);
- with motion distortion the origin ball (``Lidar._distort``: radius = travel over one period) does not
  hold the origins of rays fired more than a period after the sweep starts (a head whose laser offsets,
  (channels − 1)·laser_interval_s, exceed the period: explicit channels on a VLP-16 base at a high rate),
  and the proof, which trusted that ball to ζ ≈ 1 mm, culled rays that hit within range (fb91629 only used
  the ball for the crop, whose margin is ≥ 10 m, and for the origins' heights, which it bounds) (fixed in
  6a5fdbe by widening the ball — which changes the crop such heads get, see
  ``test_review_s6_lidar_diff.test_wide_firing_heads_equal_to_fb91629``).
Held: adversarial rays (sector boundaries, azimuth ±π with −0.0 and subnormal components, near-horizontal
rings, rays grazing the triangles' top vertices by 10⁻⁷–10⁻² m, origins on the ball's surface and on the
height grid's cell corners, sensors below decks and in a tunnel) from hand-made worlds: culling forced on
for every cast size gives the same trimmed hits as no culling, and no culled ray hits the whole map
within range; open3d's per-ray results do not depend on the other rays of the batch (the compact cast).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import open3d as o3d
import pytest

import s6proof
import s6worlds
from sensors.base import SensorConfig
from sensors.camera import Camera
from sensors.frames import MountPose
from sensors.lidar import Lidar
from sensors.scene import SensorScene, StaticWorld
from simplatform.world import BoundingBox, EntityKind, EntityState, WorldSnapshot


def _world(kind: str) -> tuple[StaticWorld, list]:
    parts = s6worlds.synthetic(kind, 6)
    from s6jobs import _as_parts
    return StaticWorld(_as_parts(parts)), parts


@pytest.fixture(scope="module")
def poles() -> StaticWorld:
    return _world("poles")[0]


def _snapshot(x: float, y: float = 0.0, z: float = 0.0) -> WorldSnapshot:
    ego = EntityState("ego", EntityKind.VEHICLE, "car", x, y, z, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                      BoundingBox(4.6, 1.9, 1.5, 1.4, 0, 0.75), None, is_ego=True)
    return WorldSnapshot.from_states(0.1, 1, [ego], ego="ego")


def _lidar(**params) -> Lidar:
    return Lidar(SensorConfig(name="l", type="lidar", preset="HDL-64E", seed=1, mount=MountPose(x=1.3, z=1.9),
                              parameters=params))


def _camera(**params) -> Camera:
    return Camera(SensorConfig(name="c", type="camera", mount=MountPose(x=1.5, z=1.6),
                               parameters={"width": 320, "height": 240, **params}))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_lidar_sweep_from_a_non_finite_pose_is_empty_not_an_error(poles, bad) -> None:
    """fb91629: an empty cloud (every ray from a non-finite origin misses).  Now: ValueError / OverflowError
    from ``HeightGrid.cells_within`` (``static_cast._horizon`` checks the radius, not the centre)."""
    snap = _snapshot(10.0)
    snap = replace(snap, x=np.array([bad]))
    cloud = _lidar().sense(snap, SensorScene(poles, snap))
    assert len(cloud.points) == 0


def test_camera_frame_from_a_non_finite_pose_is_sky_not_an_error(poles) -> None:
    snap = replace(_snapshot(10.0), y=np.array([float("nan")]))
    frame = _camera().sense(snap, SensorScene(poles, snap))
    assert np.isinf(frame.depth).all()


def test_huge_max_range_keeps_every_hit(poles) -> None:
    """max_range_m 3·10¹⁹: the same cloud as 10⁹ (no hit is that far) — fb91629 gives it; now every ray is
    culled (the horizon's cell range overflows int64) and the cloud is empty."""
    snap = _snapshot(10.0)
    want = _lidar(max_range_m=1e9).sense(snap, SensorScene(poles, snap))
    got = _lidar(max_range_m=3e19).sense(snap, SensorScene(poles, snap))
    assert len(want.points) > 10000
    assert hashlib.sha256(got.points.tobytes()).digest() == hashlib.sha256(want.points.tobytes()).digest()


def test_camera_huge_max_range_sees_the_road(poles) -> None:
    snap = _snapshot(10.0)
    want = _camera(max_range_m=1e9).sense(snap, SensorScene(poles, snap))
    got = _camera(max_range_m=3e19).sense(snap, SensorScene(poles, snap))
    assert np.isfinite(want.depth).sum() > 1000
    assert np.array_equal(got.depth, want.depth)


def test_motion_distorted_late_rays_are_not_culled() -> None:
    """A wall 10.1 m ahead, max_range 10 m, 40 m/s, VLP-16 base with 2 000 channels at 1 kHz: its rings fire
    over 4.6 ms (a period is 1 ms), the late rings from up to 0.16 m ahead of the ball's centre, where the
    wall is within range.  fb91629: 339 points on the wall; now 0 (every ray culled)."""
    wall = s6worlds.box((10.2, 0.0, 2.5), (0.1, 5.0, 2.5))
    from s6jobs import _as_parts
    world = StaticWorld(_as_parts([(wall[0], wall[1], "concrete")]))
    lidar = Lidar(SensorConfig(name="l", type="lidar", preset="VLP-16", rate_hz=1000.0, mount=MountPose(z=1.9),
                               parameters={"channels": 2000, "vertical_fov_deg": [-30.0, 0.5], "max_range_m": 10.0,
                                           "min_range_m": 0.0, "motion_distortion": True}))
    ego = EntityState("ego", EntityKind.VEHICLE, "car", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 40.0, 40.0, 0.0, 0.0, 0.0, 0.0,
                      BoundingBox(4.6, 1.9, 1.5, 1.4, 0, 0.75), None, is_ego=True)
    snap = WorldSnapshot.from_states(1.0, 100, [ego], ego="ego")
    assert len(lidar.sense(snap, SensorScene(world, snap)).points) == 339


@pytest.mark.parametrize("kind", ["deck", "poles", "cell_edges", "tunnel", "slopes", "walls"])
def test_culled_rays_miss_and_cast_is_unchanged(kind) -> None:
    """Culling forced on for any cast size == no culling (trimmed t, normals, materials bit for bit), and no
    culled ray hits the whole map within range (float32 ``t ≤ R`` as the gather compares)."""
    world, parts = _world(kind)
    rng = np.random.default_rng(sum(map(ord, kind)))
    pts = s6worlds.surface_points(parts, rng, 6)
    culled = 0
    for i, c in enumerate(s6proof.centres(pts, rng, world.height_grid, 6)):
        R = [0.7, 5.0, 30.0, 120.0, 1000.0, 75.5][i]
        r = [0.0, 0.5, 0.0, 5.0, 0.0, 2.0][i]
        res = s6proof.attack(world, c, r, R, rng)
        assert res["same"], (kind, c.tolist(), r, R)
        assert len(res["wrong"]) == 0, (kind, c.tolist(), r, R, res["rays_array"][res["wrong"][:3]].tolist())
        culled += res["culled"]
    assert culled > 1000                                  # the attack exercised the culling


def test_per_ray_hits_do_not_depend_on_the_batch() -> None:
    """The compact cast relies on open3d giving a ray the same t, triangle and normal whatever rays share its
    ``cast_rays`` call: a sweep over coincident faces (boxes standing on the plane) cast whole and as random
    subsets."""
    world, parts = _world("cell_edges")
    rng = np.random.default_rng(3)
    el = np.deg2rad(np.linspace(-25, 2, 32))
    az = np.linspace(-np.pi, np.pi, 1024, endpoint=False)
    e, a = np.meshgrid(el, az, indexing="ij")
    d = np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], -1).reshape(-1, 3)
    for p in s6worlds.surface_points(parts, rng, 4):
        rays = np.ascontiguousarray(np.concatenate([np.tile(p + [0, 0, 1.9], (len(d), 1)), d], 1), np.float32)
        full = world.scene.cast_rays(o3d.core.Tensor.from_numpy(rays))
        keep = np.flatnonzero(rng.random(len(rays)) < 0.3)
        sub = world.scene.cast_rays(o3d.core.Tensor.from_numpy(np.ascontiguousarray(rays[keep])))
        for k in ("t_hit", "primitive_ids", "primitive_normals"):
            assert np.array_equal(full[k].numpy()[keep], sub[k].numpy()), k


def _base_selection(cache, centre: np.ndarray, radius: float) -> np.ndarray:
    """fb91629's crop selection: every triangle tested."""
    tri_centre, tri_radius = cache._triangle_spheres()
    slack = 1e-4 * radius + 1e-2
    d = np.linalg.norm(tri_centre - centre, axis=1) - tri_radius
    return np.flatnonzero(d <= radius + slack)


@pytest.mark.parametrize("kind", ["soup", "far", "huge_ground", "nan_vertex", "cell_edges"])
def test_sphere_index_selects_what_every_triangle_test_selects(kind) -> None:
    """``RegionCache._selection`` (``SphereIndex`` candidates) == fb91629's test of every triangle, for crop
    centres on, beside and far off the map (and exactly on the index's cell edges), radii 0–3 km."""
    world, parts = _world(kind)
    cache = world._regions
    rng = np.random.default_rng(7)
    tri_centre, _ = cache._triangle_spheres()
    finite = tri_centre[np.all(np.isfinite(tri_centre), axis=1)]
    lo, hi = finite.min(axis=0), finite.max(axis=0)
    for i in range(60):
        c = rng.uniform(lo - 300, hi + 300)
        if i % 4 == 0:
            c[:2] = finite[rng.integers(0, len(finite)), :2]
        if i % 5 == 0:                                   # on a cell edge of the index
            cache._selection(c, 1.0)
            index = cache._index
            if np.isfinite(index.cell):
                c[0] = index.x0 + index.cell * rng.integers(0, index.nx)
                c[1] = index.y0 + index.cell * rng.integers(0, index.ny)
        radius = float(rng.choice([0.0, 5.0, 47.5, 160.0, 3000.0]))
        assert np.array_equal(cache._selection(c, radius), _base_selection(cache, c, radius)), (kind, c, radius)
