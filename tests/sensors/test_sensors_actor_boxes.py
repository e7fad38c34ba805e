"""The analytic actor boxes, the lidar's candidate pairs and the skipped static rays change no hit."""

from __future__ import annotations

import math

import numpy as np
import open3d as o3d
import pytest

from sensors.actor_boxes import _BOX_TRIANGLES, actor_box_corners, actor_boxes, merge_box_hits
from sensors.base import SensorConfig
from sensors.frames import MountPose, sensor_transform
from sensors.lidar import Lidar
from sensors.lidar_actors import candidate_pairs
from sensors.lidar_patterns import pattern_tables
from sensors.scene import SensorScene, static_world_for
from simplatform.world import EntityKind, EntityState, BoundingBox

from sensors_testworld import entity, snapshot
from test_sensors_fast_paths import long_road


def tilted(name, x, y, z, heading, pitch, roll, bbox=(4.6, 1.9, 1.5, 1.3, 0.1, 0.75)):
    return EntityState(name=name, kind=EntityKind.VEHICLE, category="car", x=x, y=y, z=z, heading=heading,
                       pitch=pitch, roll=roll, speed=0.0, vx=0.0, vy=0.0, ax=0.0, ay=0.0, yaw_rate=0.0,
                       bbox=BoundingBox(*bbox), lane=None)


def box_scene_cast(snap, idx, rays):
    """The reference: the boxes as 12 open3d triangles each (what the actor BVH does)."""
    corners = actor_box_corners(snap, idx).reshape(-1, 3)
    tris = (_BOX_TRIANGLES[None] + 8 * np.arange(len(idx))[:, None, None]).reshape(-1, 3)
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(o3d.core.Tensor(corners.astype(np.float32)), o3d.core.Tensor(tris.astype(np.uint32)))
    out = scene.cast_rays(o3d.core.Tensor(rays))
    owner = np.repeat(idx, 12)
    prim = out["primitive_ids"].numpy().astype(np.int64)
    actor = np.where(prim < len(owner), owner[np.minimum(prim, len(owner) - 1)], -1)
    return out["t_hit"].numpy(), out["primitive_normals"].numpy(), actor


def test_slab_test_matches_the_triangle_boxes_of_open3d():
    rng = np.random.default_rng(4)
    snap = snapshot(entity("ego", ego=True),
                    tilted("a", 12.0, 3.0, 0.0, 0.4, 0.0, 0.0), tilted("b", -8.0, -5.0, 0.3, 2.0, 0.1, -0.15),
                    tilted("c", 3.0, 20.0, -0.2, -1.2, -0.2, 0.3, bbox=(12.0, 2.5, 3.5, 0.0, 0.0, 1.75)),
                    tilted("d", 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, bbox=(2.0, 2.0, 3.0, 0.0, 0.0, 1.0)))  # holds the origin
    idx = np.arange(1, 5)
    boxes = actor_boxes(snap, idx)
    n = 40000
    rays = np.zeros((n, 6), dtype=np.float32)
    rays[:, :3] = rng.uniform(-1.0, 1.0, (n, 3)) + [0.0, 0.0, 1.0]
    d = rng.normal(size=(n, 3))
    d[: n // 8, 2] = 0.0                                                  # parallel to the top and bottom faces
    rays[:, 3:] = d / np.linalg.norm(d, axis=1, keepdims=True)
    t_ref, n_ref, a_ref = box_scene_cast(snap, idx, rays)
    t = np.full(n, np.inf, np.float32)
    normal = np.zeros((n, 3), np.float32)
    material = np.full(n, -1, np.int32)
    actor = np.full(n, -1, np.int32)
    every = np.tile(np.arange(n), len(idx))                               # every ray against every box
    merge_box_hits(boxes, rays, every, np.arange(len(idx) + 1) * n, t, normal, material, actor, n_static=7)
    hit = np.isfinite(t_ref)
    assert hit.sum() > n // 2 and (~hit).sum() > 1000
    # a ray grazing an edge may be decided either way by float32 triangles vs the float64 slab: a few at most
    agree = np.isfinite(t) == hit
    assert (~agree).sum() <= 5
    both = hit & agree
    np.testing.assert_allclose(t[both], t_ref[both], rtol=2e-6, atol=2e-6)
    same_face = np.abs(np.einsum("ij,ij->i", normal[both], n_ref[both])) > 0.999
    assert same_face.mean() > 0.999                                       # the rest hit an edge
    assert np.mean(actor[both] == a_ref[both]) > 0.999
    assert np.all(material[actor >= 0] == 7 + actor[actor >= 0])
    o = rays[:, :3]
    in_d = (np.abs(o[:, 0] - 0.5) < 1.0) & (np.abs(o[:, 1] - 0.5) < 1.0) & (o[:, 2] > 0.0) & (o[:, 2] < 2.0)
    inside = (actor == 4) & in_d                                          # from inside box d: its outward faces
    assert inside.sum() > 1000
    assert np.all(np.einsum("ij,ij->i", normal[inside], rays[inside, 3:]) > 0)
    assert np.all(actor[in_d] == 4)                                       # nothing else is nearer from in there


@pytest.mark.parametrize("preset", ["VLP-16", "HDL-64E", "OS1-128", "Livox-Mid40", "front-120"])
def test_candidate_pairs_hold_every_ray_that_hits_a_box(preset):
    # near boxes (whose long edges dip below their corners' elevation), a tall one, one around the sensor axis
    snap = snapshot(entity("ego", ego=True), tilted("near", 2.0, 3.2, 0.0, 0.0, 0.0, 0.0),
                    tilted("low", 6.0, -1.5, 0.0, 1.2, 0.0, 0.0, bbox=(1.0, 1.0, 0.4, 0.0, 0.0, 0.2)),
                    tilted("truck", 25.0, -3.5, 0.0, 0.05, 0.0, 0.0, bbox=(12.0, 2.5, 4.0, 0.0, 0.0, 2.0)),
                    tilted("behind", -30.0, 0.4, 0.0, 3.1, 0.02, 0.0), tilted("far", 400.0, 0.0, 0.0, 0.0, 0.0, 0.0),
                    tilted("over", 0.0, 0.0, 3.5, 0.3, 0.0, 0.0, bbox=(6.0, 6.0, 1.0, 0.0, 0.0, 0.5)))
    if preset == "front-120":                                             # a partial field of view
        lidar = Lidar(SensorConfig(name="l", type="lidar", mount=MountPose(x=1.0, z=1.9, yaw=0.3), parameters={
            "channels": 24, "vertical_fov_deg": [-20.0, 8.0], "horizontal_fov_deg": 120.0, "columns": 900}))
    else:
        lidar = Lidar(SensorConfig(name="l", type="lidar", preset=preset, mount=MountPose(x=1.0, z=1.9)))
    scene = SensorScene(static_world_for(None), snap)
    pattern = lidar.pattern(0.0)
    tables = pattern_tables(pattern)
    to_world = sensor_transform(snap, lidar.config.mount)
    m = np.zeros((4, 6), dtype=np.float32)
    m[:3, 3:] = to_world.rotation.T
    m[3, :3] = to_world.translation
    rays = tables.homogeneous.matmul(o3d.core.Tensor(m)).numpy()
    ray, offsets = candidate_pairs(scene.actor_boxes, pattern, tables.cast_position, to_world, lidar.max_range)
    boxes = scene.actor_boxes
    n = len(rays)
    for k in range(len(boxes)):
        t_ref, _, _ = box_scene_cast(snap, boxes.entity[k:k + 1], rays)
        hits = np.flatnonzero(t_ref <= lidar.max_range)
        candidates = ray[offsets[k]:offsets[k + 1]]
        assert np.isin(hits, candidates).all(), (snap.names[boxes.entity[k]], np.setdiff1d(hits, candidates)[:5])
        assert len(np.unique(candidates)) == len(candidates)
        name = snap.names[boxes.entity[k]]
        if name == "far":
            assert len(candidates) == 0
        if name in ("near", "truck") and preset not in ("Livox-Mid40", "front-120"):   # these look ahead only
            assert len(hits) > 50
        if name != "over":                                                # the sensor's axis runs through that one
            assert len(candidates) < n // 3


@pytest.mark.parametrize("pitch, roll", [(0.0, 0.0), (0.06, -0.04)])
def test_lidar_with_analytic_boxes_sees_what_the_actor_scene_sees(pitch, roll):
    """A sweep through the candidate pairs equals one cast against the open3d actor scene (same points),
    for a level ego and a pitched and rolled one (whose rings are not level: the skipped rays are not whole rings)."""
    road = static_world_for(long_road())
    ego = EntityState(name="ego", kind=EntityKind.VEHICLE, category="car", x=600.0, y=0.0, z=0.0, heading=0.0,
                      pitch=pitch, roll=roll, speed=0.0, vx=0.0, vy=0.0, ax=0.0, ay=0.0, yaw_rate=0.0,
                      bbox=BoundingBox(4.5, 1.8, 1.5, 1.4, 0.0, 0.75), lane=None, is_ego=True)
    cars = [entity(f"c{k}", x=600.0 + dx, y=dy, heading=h)
            for k, (dx, dy, h) in enumerate([(12, 0, 0), (-9, 3.5, 0.1), (30, -3.5, 3.0), (5, -4, 1.4), (60, 0, 0)])]
    snap = snapshot(ego, *cars)
    lidar = Lidar(SensorConfig(name="l", type="lidar", preset="HDL-32E", mount=MountPose(x=1.0, z=1.9),
                               parameters={"labels": True, "range_noise_m": 0.0}))
    pattern = lidar.pattern(0.0)
    tables = pattern_tables(pattern)
    to_world = sensor_transform(snap, lidar.config.mount)
    m = np.zeros((4, 6), dtype=np.float32)
    m[:3, 3:] = to_world.rotation.T
    m[3, :3] = to_world.translation
    rays = tables.homogeneous.matmul(o3d.core.Tensor(m))
    scene = SensorScene(road, snap)
    pairs = candidate_pairs(scene.actor_boxes, pattern, tables.cast_position, to_world, lidar.max_range)
    fast = scene.cast_rays(rays, max_range=lidar.max_range, actor_pairs=pairs, origin_ball=(to_world.translation, 0.0))
    slow = scene.cast_rays(rays.numpy().copy())                       # actor BVH on every ray, no skipped rays
    far = ~(slow.t <= lidar.max_range)
    slow.t[far], slow.material[far], slow.actor[far] = np.inf, -1, -1
    assert (fast.actor >= 0).sum() > 2000
    np.testing.assert_array_equal(fast.actor, slow.actor)
    np.testing.assert_array_equal(fast.material, slow.material)
    np.testing.assert_allclose(fast.t, slow.t, rtol=1e-5, atol=1e-5)     # Embree: float32 triangles
    static = fast.actor < 0
    np.testing.assert_array_equal(fast.t[static], slow.t[static])     # the static hits: the same bits
    cloud = lidar.sense(snap, scene)
    assert set(np.unique(cloud.labels["actor"])) >= {1, 2, 3, 4}


def test_rays_that_cannot_reach_the_ground_are_not_cast_and_steep_ones_use_a_near_crop():
    road = static_world_for(long_road())
    origin = np.array([600.0, 1.0, 2.3])
    rng = np.random.default_rng(3)
    el = np.deg2rad(np.sort(rng.uniform(-30.0, 15.0, 30000)))[::-1]    # rising ones first: skipped at the front
    az = rng.uniform(-np.pi, np.pi, len(el))
    rays = np.empty((len(el), 6), dtype=np.float32)
    rays[:, :3] = origin
    rays[:, 3:] = np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=1)
    reach = 80.0
    t, normal, material = road.cast_hits(o3d.core.Tensor(rays), origin, reach, max_range=reach,
                                         origin_z=(origin[2], origin[2]))
    full = road.cast(rays)
    within = full["t_hit"] <= reach
    assert within.sum() > 10000 and (~within).sum() > 10000
    np.testing.assert_array_equal(t[within], full["t_hit"][within])
    np.testing.assert_array_equal(normal[within], full["primitive_normals"][within])
    assert np.all(~(t[~within] <= reach))
    from sensors.static_cast import reaching_span
    a, b = reaching_span(rays[:, 5], road.region(origin, reach).z_range, (origin[2], origin[2]), reach)
    assert a > 0.2 * len(rays) and b == len(rays)                     # the rising rays were skipped
    assert math.isinf(float(t[: a].min()))
    near = [r for r in road._regions._regions if r.radius < reach]
    assert near and near[0].triangle_count < road.region(origin, reach).triangle_count   # steep rays: a near crop


def test_lidar_sees_mesh_actors_beside_box_actors():
    """An actor given as a mesh goes through the mesh BVH; the boxes stay analytic; both are labelled."""
    from sensors.scene import ActorMesh

    unit = o3d.geometry.TriangleMesh.create_box(4.5, 1.8, 1.5)
    unit.translate([-0.85, -0.9, 0.0])                     # the entity's BoundingBox, as a mesh
    mesh = ActorMesh(np.asarray(unit.vertices), np.asarray(unit.triangles))
    snap = snapshot(entity("ego", ego=True), entity("boxed", x=12.0, y=3.0), entity("meshed", x=-10.0, y=-3.0))
    lidar = Lidar(SensorConfig(name="l", type="lidar", preset="VLP-16", mount=MountPose(z=1.8),
                               parameters={"labels": True, "range_noise_m": 0.0}))
    with_mesh = lidar.sense(snap, SensorScene(static_world_for(None), snap, actor_meshes={"meshed": mesh}))
    as_boxes = Lidar(lidar.config).sense(snap, SensorScene(static_world_for(None), snap))
    for cloud in (with_mesh, as_boxes):
        assert np.sum(cloud.labels["actor"] == 1) > 20 and np.sum(cloud.labels["actor"] == 2) > 20
    assert with_mesh.width == as_boxes.width                # the same surface, drawn two ways
    np.testing.assert_allclose(np.sort(np.linalg.norm(with_mesh.xyz(), axis=1)),
                               np.sort(np.linalg.norm(as_boxes.xyz(), axis=1)), atol=1e-4)


def test_warm_up_compiles_every_kernel():
    from sensors import actor_boxes, lidar_gather, lidar_kernels, static_cast
    from sensors.warmup import warm_up

    assert warm_up() > 0.0
    kernels = [actor_boxes._merge_kernel, static_cast.end_runs, lidar_gather.gather_returns,
               lidar_gather.gather_permuted, lidar_gather.fill_compact, lidar_kernels.grid_pairs,
               lidar_kernels.window_pairs, lidar_kernels.box_windows]
    assert all(k.signatures for k in kernels)
