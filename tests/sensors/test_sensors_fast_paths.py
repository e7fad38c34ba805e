"""The speed-ups keep results: cropped static regions, merged static parts, lazy actor BVH, sRGB, ray windows."""

from __future__ import annotations

import numpy as np
import open3d as o3d

from sensors.camera import srgb_encode
from sensors.lidar_patterns import PRESETS, spinning_pattern
from sensors.scene import SensorScene, SimpleMesh, static_world_for

from sensors_testworld import entity, plane, snapshot, wall


def long_road(length: float = 1200.0, cell: float = 2.0) -> SimpleMesh:
    """A gently undulating strip of many small triangles (a BVH worth cropping), two materials."""
    xs = np.arange(0.0, length + cell, cell)
    ys = np.array([-8.0, -4.0, 0.0, 4.0, 8.0])
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    gz = 0.3 * np.sin(gx / 40.0) + 0.05 * gy
    verts = np.stack([gx.ravel(), gy.ravel(), gz.ravel()], axis=1)
    nx, ny = len(xs), len(ys)
    tris = []
    for i in range(nx - 1):
        for j in range(ny - 1):
            a, b, c, d = i * ny + j, (i + 1) * ny + j, (i + 1) * ny + j + 1, i * ny + j + 1
            tris += [[a, b, c], [a, c, d]]
    tris = np.array(tris)
    mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(verts), o3d.utility.Vector3iVector(tris))
    material = (np.arange(len(tris)) // 2 % (ny - 1) == 1).astype(np.int32)     # one lane is "marking"
    return SimpleMesh(mesh, material, {0: "asphalt", 1: "marking_white"})


def random_rays(origin: np.ndarray, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    d = rng.normal(size=(n, 3))
    d[:, 2] = -np.abs(d[:, 2]) * 0.2                                   # mostly grazing the road
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    rays = np.empty((n, 6), dtype=np.float32)
    rays[:, :3] = origin
    rays[:, 3:] = d
    return rays


def test_cropped_region_gives_the_full_scene_hits_within_reach():
    static = static_world_for([long_road(), wall(700.0, size=30.0)])
    origin = np.array([600.0, 1.0, 2.0])
    reach = 120.0
    rays = random_rays(origin, 20000, 1)
    full = static.cast(rays)
    full_mat = static.material_of(full["geometry_ids"], full["primitive_ids"])
    region = static.region(origin, reach)
    assert 0 < region.triangle_count < static.triangle_count / 3      # it really cropped
    t, normal, material = static.cast_hits(o3d.core.Tensor(rays), origin, reach)
    near = full["t_hit"] <= reach
    assert near.sum() > 5000 and (~near).sum() > 1000
    np.testing.assert_array_equal(t[near], full["t_hit"][near])
    np.testing.assert_array_equal(normal[near], full["primitive_normals"][near])
    np.testing.assert_array_equal(material[near], full_mat[near])
    assert np.all(t[~near] > reach)                                    # beyond reach: a miss or a far hit
    assert set(np.unique(material[near])) == {0, 1, 2}                 # asphalt, marking, wall
    # moving within the margin reuses the region; driving on rebuilds it
    builds = static._regions.builds
    assert static.region(origin + [20.0, 0.0, 0.0], reach) is region and static._regions.builds == builds
    assert static.region(origin + [100.0, 0.0, 0.0], reach) is not region and static._regions.builds == builds + 1


def test_scene_cast_with_range_matches_a_cast_without():
    road = long_road()
    static = static_world_for(road)
    ego = entity("ego", x=600.0, ego=True)
    car = entity("car", x=640.0, y=1.0, category="car")
    snap = snapshot(ego, car)
    origin = np.array([600.0, 0.0, 2.0])
    rays = random_rays(origin, 5000, 2)
    rays[:100, 3:] = (np.array([640.0, 1.0, 0.5]) - origin) / np.linalg.norm(np.array([640.0, 1.0, 0.5]) - origin)
    scene = SensorScene(static, snap)
    assert scene._actors is None                                        # construction builds no BVH
    ranged = scene.cast(np.broadcast_to(origin, (len(rays), 3)), rays[:, 3:], max_range=100.0)
    plain = scene.cast(rays[:, :3], rays[:, 3:])
    assert scene._actors is not None
    rear = 640.0 + 1.4 - 4.5 / 2                                        # the car's rear face (bbox centre 1.4 m ahead)
    assert np.all(ranged.actor[:100] == 1)
    np.testing.assert_allclose(ranged.t[:100], (rear - origin[0]) / rays[0, 3], atol=1e-3)
    within = plain.t <= 100.0
    np.testing.assert_array_equal(ranged.t[within], plain.t[within])
    np.testing.assert_array_equal(ranged.material[within], plain.material[within])
    np.testing.assert_array_equal(ranged.actor[within], plain.actor[within])
    assert np.all(np.isinf(ranged.t[~within])) and np.all(ranged.material[~within] == -1)
    assert scene.material_table("reflectivity") is scene.material_table("reflectivity")


def test_parts_keep_their_materials_in_one_geometry():
    static = static_world_for([plane(100.0, material="asphalt"), wall(10.0, material="guard_rail")])
    rays = np.array([[0, 0, 1, 0, 0, -1], [0, 0, 1, 1, 0, 0], [0, 0, 1, 0, 0, 1]], dtype=np.float32)
    out = static.cast(rays)
    names = [static.materials[m].name if m >= 0 else None
             for m in static.material_of(out["geometry_ids"], out["primitive_ids"])]
    assert names == ["asphalt", "guard_rail", None]


def test_srgb_encode_is_the_iec_61966_2_1_curve_in_both_precisions():
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.uniform(-0.1, 1.1, 20000), rng.uniform(0.0, 0.004, 2000), [0.0031308, 0.0, 1.0]])
    for dtype in (np.float32, np.float64):
        c = np.clip(x.astype(dtype), 0.0, 1.0)
        s = np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.power(c, 1 / 2.4) - 0.055)
        np.testing.assert_array_equal(srgb_encode(x.astype(dtype)), np.round(s * 255.0).astype(np.uint8))
    assert srgb_encode(np.array([0.0, 0.5, 1.0], dtype=np.float32)).tolist() == [0, 188, 255]


def test_rays_in_window_equals_a_brute_force_test():
    pattern = spinning_pattern(PRESETS["VLP-16"], 10.0)
    az = np.arctan2(pattern.directions[:, 1], pattern.directions[:, 0]).astype(np.float64)
    el = np.arcsin(np.clip(pattern.directions[:, 2].astype(np.float64), -1, 1))
    rng = np.random.default_rng(4)
    lo = rng.uniform(-4.0, 4.0, 12)
    hi = lo + rng.uniform(0.0, 1.0, 12)
    hi[0] = lo[0] + 7.0                                                 # a full-circle window
    el_lo = rng.uniform(-0.3, 0.1, 12)
    el_hi = el_lo + rng.uniform(0.0, 0.2, 12)
    el_lo[1], el_hi[1] = 0.5, 0.6                                       # above every laser: selects nothing
    got = pattern.rays_in_window(lo, hi, el_lo, el_hi)
    inside = np.zeros(pattern.size, dtype=bool)
    edge = np.zeros(pattern.size, dtype=bool)             # within rounding of an azimuth boundary: either answer
    for k in range(12):
        rel = (az - lo[k]) % (2 * np.pi)
        full = hi[k] - lo[k] >= 2 * np.pi
        in_az = np.ones(pattern.size, bool) if full else rel <= hi[k] - lo[k]
        in_el = (el >= el_lo[k]) & (el <= el_hi[k])
        inside |= in_az & in_el
        if not full:
            edge |= in_el & ((np.minimum(rel, 2 * np.pi - rel) < 1e-9) | (np.abs(rel - (hi[k] - lo[k])) < 1e-9))
    mask = np.zeros(pattern.size, dtype=bool)
    mask[got] = True
    assert np.all(mask[~edge] == inside[~edge]) and len(got) > 1000
