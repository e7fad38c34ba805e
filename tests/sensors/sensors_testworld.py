"""Small worlds for the sensor tests: planes, walls and boxes built with open3d."""

from __future__ import annotations

import numpy as np
import open3d as o3d
import pytest

from sensors.actor_boxes import box_slab_hits
from sensors.scene import SensorScene, SimpleMesh
from simplatform.world import EntityKind, EntityState, BoundingBox, WorldSnapshot


def plane(size: float, z: float = 0.0, material: str = "asphalt") -> SimpleMesh:
    """A square ground plane centred on the origin at height z."""
    box = o3d.geometry.TriangleMesh.create_box(size, size, 0.01)
    box.translate([-size / 2, -size / 2, z - 0.01])
    return SimpleMesh.single(box, material)


def grid(size: float, material: str = "asphalt", yaw: float = 0.0) -> SimpleMesh:
    """A flat square of 2 m cells at z = 0, turned by ``yaw`` (many triangles, so that a crop holds fewer;
    two grids of different materials overlap coplanar: tied first hits)."""
    n = int(size / 2)
    xs = np.linspace(-size / 2, size / 2, n + 1)
    gx, gy = np.meshgrid(xs, xs)
    v = np.stack([gx.ravel(), gy.ravel(), np.zeros(gx.size)], axis=1)
    idx = np.arange((n + 1) ** 2).reshape(n + 1, n + 1)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel()
    tri = np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)])
    mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(v), o3d.utility.Vector3iVector(tri))
    if yaw:
        mesh.rotate(o3d.geometry.get_rotation_matrix_from_xyz((0.0, 0.0, yaw)), center=(0, 0, 0))
    return SimpleMesh.single(mesh, material)


def wall(x: float, yaw: float = 0.0, size: float = 400.0, material: str = "wall") -> SimpleMesh:
    """A thin vertical wall whose face passes through (x, 0) with normal rotated by yaw from −x."""
    box = o3d.geometry.TriangleMesh.create_box(0.01, size, size)
    box.translate([0.0, -size / 2, -size / 2])
    r = o3d.geometry.get_rotation_matrix_from_xyz((0.0, 0.0, yaw))
    box.rotate(r, center=(0, 0, 0))
    box.translate([x, 0.0, 0.0])
    return SimpleMesh.single(box, material)


def entity(name, x=0.0, y=0.0, z=0.0, heading=0.0, vx=0.0, vy=0.0, yaw_rate=0.0, category="car",
           bbox=(4.5, 1.8, 1.5, 1.4, 0.0, 0.75), ego=False, kind=EntityKind.VEHICLE, ax=0.0, ay=0.0):
    speed = float(np.hypot(vx, vy))
    return EntityState(name=name, kind=kind, category=category, x=x, y=y, z=z, heading=heading, pitch=0.0,
                       roll=0.0, speed=speed, vx=vx, vy=vy, ax=ax, ay=ay, yaw_rate=yaw_rate,
                       bbox=BoundingBox(*bbox), lane=None, is_ego=ego)


def room(half: float = 10.0) -> list[SimpleMesh]:
    """A closed box room around the origin: four walls at ±half, floor and ceiling at ∓5 m."""
    walls = []
    for k in range(4):
        box = o3d.geometry.TriangleMesh.create_box(0.01, 4 * half, 4 * half)
        box.translate([half, -2 * half, -2 * half])
        box.rotate(o3d.geometry.get_rotation_matrix_from_xyz((0.0, 0.0, k * np.pi / 2)), center=(0, 0, 0))
        walls.append(SimpleMesh.single(box, "wall"))
    return walls + [plane(4 * half, z=-5.0), plane(4 * half, z=5.0)]


def snapshot(*states, time=0.0, environment=None) -> WorldSnapshot:
    return WorldSnapshot.from_states(time, int(round(time / 0.01)), list(states), environment=environment)



def ego_world() -> WorldSnapshot:
    return snapshot(entity("ego", ego=True))


def numpy_records(columns, idx, r, echo, noise, sigma, scale, reference2, ring, time):
    """The PointXYZIRT records of returns as numpy computes them — the reference of the compiled record
    pass (``sensors.lidar_gather.fill_compact``): measured range max(r + σ·noise, 0) (``noise`` empty:
    none), intensity min(echo·scale / max(r², reference²), 255), all in float32."""
    from sensors.pointcloud import POINT_DTYPE

    f32 = np.float32
    m = np.maximum(r + f32(sigma) * noise, f32(0.0)) if len(noise) else np.maximum(r, f32(0.0))
    out = np.empty(len(idx), POINT_DTYPE)
    out["x"], out["y"], out["z"] = columns[0, idx] * m, columns[1, idx] * m, columns[2, idx] * m
    out["intensity"] = np.minimum(echo * (f32(scale) / np.maximum(r * r, f32(reference2))), f32(255.0))
    out["ring"], out["time"] = ring[idx], time[idx]
    return out


def every_box_pair(scene: SensorScene, rays: np.ndarray):
    """Every (ray, box) pair of ``scene``'s actor boxes, tested by the slab kernels (``box_slab_hits``) as a
    sweep tests its candidates: ((ray, offsets), (pair_t, pair_code)), what ``cast_rays`` takes as
    ``actor_pairs`` and ``pair_hits``."""
    boxes = scene.actor_boxes
    n, m = len(rays), len(boxes)
    ray = np.tile(np.arange(n, dtype=np.int64), m)
    offsets = np.arange(m + 1, dtype=np.int64) * n
    pair_t, pair_code, jobs = box_slab_hits(boxes, rays, ray, offsets)
    for job in jobs:
        job()
    return (ray, offsets), (pair_t, pair_code)
