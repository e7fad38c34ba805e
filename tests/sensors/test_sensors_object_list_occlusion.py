"""Object-list occlusion: the fast path (box slab tests + static occlusion queries) sees what a first-hit cast sees.

Given buildings, a ground plane and actors in arbitrary poses (overlapping
ones and ones straddling a wall included), each actor's visible fraction
equals the share of its 15 sample rays whose first hit through the full
scene (static BVH + an actor BVH of box triangles) is the actor itself —
the definition the sensor documents.
"""

from __future__ import annotations

import numpy as np
import open3d as o3d
import pytest

from sensors.base import SensorConfig
from sensors.frames import MountPose, sensor_transform
from sensors.object_list import _SAMPLES, ObjectListSensor
from sensors.scene import ActorMesh, SensorScene, SimpleMesh, actor_box_corners, static_world_for

from sensors_testworld import entity, plane, snapshot, wall


def building(x: float, y: float, length: float, width: float, height: float = 6.0) -> SimpleMesh:
    box = o3d.geometry.TriangleMesh.create_box(length, width, height)
    box.translate([x - length / 2, y - width / 2, 0.0])
    return SimpleMesh.single(box, "building")


def first_hit_fraction(snap, scene, to_world, idx) -> np.ndarray:
    """The reference: nearest hit of each sample ray through the whole scene (actor BVH, no pairs)."""
    corners = actor_box_corners(snap, idx)
    centre = corners.mean(axis=1)
    axes = np.stack([corners[:, 4] - corners[:, 0], corners[:, 2] - corners[:, 0], corners[:, 1] - corners[:, 0]], axis=1)
    pts = (centre[:, None, :] + np.einsum("sk,mkj->msj", _SAMPLES, axes)).reshape(-1, 3)
    vec = pts - to_world.translation
    dist = np.linalg.norm(vec, axis=1)
    hits = scene.cast(np.broadcast_to(to_world.translation, vec.shape), vec / dist[:, None], max_range=dist.max() + 1)
    own = (hits.actor == np.repeat(idx, len(_SAMPLES))) | (hits.t >= dist - 1e-3)
    return own.reshape(len(idx), -1).mean(axis=1)


def random_street(rng: np.random.Generator):
    """Cars and pedestrians in random poses on an 8 m grid (no two overlap, except one deliberate pair)."""
    ego = entity("ego", ego=True, heading=rng.uniform(-0.3, 0.3))
    cells = [(x, y) for x in range(6, 63, 8) for y in (-12, -4, 4, 12)]
    others = []
    for k, c in enumerate(rng.choice(len(cells), size=14, replace=False)):
        pedestrian = k % 4 == 0
        bbox = (0.6, 0.6, 1.8, 0.0, 0.0, 0.9) if pedestrian else (4.5, 1.8, 1.5, 1.4, 0.0, 0.75)
        x, y = cells[c]
        others.append(entity(f"a{k}", x=x + rng.uniform(-0.3, 0.3), y=y + rng.uniform(-0.3, 0.3),
                             heading=rng.uniform(-np.pi, np.pi), bbox=bbox, category="pedestrian" if pedestrian else "car"))
    # a box overlapping another (no coplanar faces: where two boxes share a face, "first" is a tie)
    others.append(entity("overlap", x=others[1].x + 1.0, y=others[1].y + 0.5, heading=others[1].heading + 0.3,
                         bbox=(4.2, 1.7, 1.8, 1.3, 0.0, 0.9)))
    static = [plane(300.0), building(30.0, 8.0, 8.0, 4.0), building(20.0, -8.0, 3.0, 3.0, 2.0),
              wall(45.0, yaw=0.4, size=8.0)]
    return snapshot(ego, *others), static_world_for(static)


@pytest.mark.parametrize("seed", range(8))
def test_visible_fraction_equals_the_first_hit_cast(seed):
    rng = np.random.default_rng(seed)
    snap, world = random_street(rng)
    scene = SensorScene(world, snap)
    sensor = ObjectListSensor(SensorConfig(name="o", type="objects", mount=MountPose(x=1.5, z=rng.uniform(0.8, 2.5)),
                                           rate_hz=10.0, parameters={"ideal": True, "horizontal_fov_deg": 360.0}))
    to_world = sensor_transform(snap, sensor.config.mount)
    idx, fast = sensor.visible_fraction(snap, scene, to_world)
    reference = first_hit_fraction(snap, SensorScene(world, snap), to_world, idx)
    assert 0.0 < fast.mean() < 1.0 and (fast == 0.0).any() and (fast == 1.0).any()   # the case is not trivial
    np.testing.assert_array_equal(fast, reference)


def test_actors_given_as_meshes_take_the_first_hit_cast_and_agree():
    rng = np.random.default_rng(11)
    snap, world = random_street(rng)
    unit = o3d.geometry.TriangleMesh.create_box(4.5, 1.8, 1.5)
    unit.translate([-0.85, -0.9, 0.0])                     # the same box as the entity's BoundingBox
    meshes = {"a1": ActorMesh(np.asarray(unit.vertices), np.asarray(unit.triangles))}
    scene = SensorScene(world, snap, actor_meshes=meshes)
    sensor = ObjectListSensor(SensorConfig(name="o", type="objects", mount=MountPose(x=1.5, z=1.5), rate_hz=10.0,
                                           parameters={"ideal": True, "horizontal_fov_deg": 360.0}))
    to_world = sensor_transform(snap, sensor.config.mount)
    idx, with_mesh = sensor.visible_fraction(snap, scene, to_world)
    _, boxes_only = sensor.visible_fraction(snap, SensorScene(world, snap), to_world)
    np.testing.assert_array_equal(with_mesh, boxes_only)


def test_a_car_behind_a_building_is_hidden_and_one_half_behind_it_is_reported():
    ego = entity("ego", ego=True)
    hidden = entity("hidden", x=40.0, y=0.0)
    half = entity("half", x=40.0, y=3.2)
    clear = entity("clear", x=40.0, y=-9.0)
    snap = snapshot(ego, hidden, half, clear)
    world = static_world_for([plane(200.0), building(25.0, 0.0, 2.0, 4.0, 4.0)])
    sensor = ObjectListSensor(SensorConfig(name="o", type="objects", mount=MountPose(x=1.5, z=1.5), rate_hz=10.0,
                                           parameters={"ideal": True}))
    out = sensor.sense(snap, SensorScene(world, snap))
    assert set(out.names) == {"half", "clear"}
    fraction = dict(zip(out.names, out.objects["visible_fraction"]))
    assert 0.15 <= fraction["half"] < 1.0 and fraction["clear"] == 1.0
