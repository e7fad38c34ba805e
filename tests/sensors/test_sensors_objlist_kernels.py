"""The object list's compiled paths give the numpy paths' values bit for bit.

``sensors.objlist_boxes`` against ``actor_boxes_numpy``, ``sensors.objlist_rays``
(through ``object_list.box_fractions``) against ``visible_fraction``'s numpy
path, the plain-float ``frames.rotation_matrix`` against ``rotation_matrices``,
and the whole ``sense`` against the numpy ``sense`` it replaced (kept here as
``reference_sense``), with noise, latency, field of view and mesh actors.
Equality is on the bytes, so a sign of zero counts too.
"""

from __future__ import annotations

import numpy as np
import open3d as o3d
import pytest

from sensors.actor_boxes import actor_boxes, actor_boxes_numpy
from sensors.base import SensorConfig
from sensors.frames import MountPose, rotation_matrices, rotation_matrix
from sensors.actor_boxes import merge_box_hits
from sensors.object_list import (_SAMPLES, OBJECT_DTYPE, ObjectList, ObjectListSensor, _box_candidates, box_fractions,
                                 box_frames)
from sensors.object_list import fov_mask_numpy
from sensors.objlist_fov import fov_kernel
from sensors.objlist_rays import BLOCKED, CLEAR, QUERY, sample_rays_kernel
from sensors.scene import ActorMesh, SensorScene, static_world_for
from simplatform.world import BoundingBox, EntityKind, EntityState

from sensors_testworld import entity, plane, snapshot, wall
from test_sensors_object_list_occlusion import building, random_street


def same_bytes(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def posed(name, x, y, z, heading, pitch, roll, bbox, category="car"):
    return EntityState(name=name, kind=EntityKind.VEHICLE, category=category, x=x, y=y, z=z, heading=heading,
                       pitch=pitch, roll=roll, speed=0.0, vx=1.5, vy=-0.5, ax=0.0, ay=0.0, yaw_rate=0.1,
                       bbox=BoundingBox(*bbox), lane=None)


def random_poses(rng: np.random.Generator, n: int, tilt: float):
    """Entities in random poses; a third flat (exact zeros, as most library actors), some at ±0 offsets,
    half near the world origin."""
    states = [entity("ego", ego=True, heading=float(rng.uniform(-np.pi, np.pi)))]
    for k in range(n):
        flat = k % 3 == 0
        angles = (0.0, -0.0) if flat else tuple(rng.uniform(-tilt, tilt, 2))
        bbox = (rng.uniform(0.3, 12.0), rng.uniform(0.3, 3.0), rng.uniform(0.5, 4.0),
                rng.choice([0.0, -0.0, rng.uniform(-2, 2)]), rng.choice([0.0, rng.uniform(-1, 1)]), rng.uniform(0, 2))
        scale = 1e-3 if k % 2 else 1.0        # near the origin the centre's sum order shows in the last bits
        states.append(posed(f"a{k}", *rng.uniform(-60, 60, 2) * scale, rng.uniform(-1, 1) * scale, rng.uniform(-7, 7),
                            *angles, bbox))
    states.append(posed("zero", -0.0, -0.0, -0.0, 0.0, 0.0, 0.0, (4.0, 2.0, 1.5, -0.0, -0.0, -0.0)))   # signed zeros
    return snapshot(*states)


@pytest.mark.parametrize("seed", range(6))
def test_compiled_actor_boxes_equal_the_numpy_ones(seed):
    rng = np.random.default_rng(seed)
    snap = random_poses(rng, 1 + 9 * seed, tilt=np.pi if seed % 2 else 0.3)
    for idx in (np.arange(1, len(snap)), np.array([len(snap) - 1, 1]), np.zeros(0, dtype=np.int64)):
        fast, ref = actor_boxes(snap, idx), actor_boxes_numpy(snap, idx)
        for name in ("entity", "rotation", "centre", "half"):
            assert same_bytes(getattr(fast, name), getattr(ref, name)), name


def test_plain_float_rotation_matrix_equals_the_vectorised_one():
    rng = np.random.default_rng(3)
    angles = rng.uniform(-7.0, 7.0, (3000, 3)) * rng.choice([1.0, 1e-4, 1e-9], (3000, 1))
    angles[::7] = 0.0
    angles[1::7, :2] = -0.0
    ref = rotation_matrices(angles[:, 0], angles[:, 1], angles[:, 2])
    for a, r in zip(angles, ref):
        assert same_bytes(rotation_matrix(*a), r)


@pytest.mark.parametrize("fov", [(200.0, 360.0, 40.0), (150.0, 120.0, 40.0), (40.0, 90.0, 10.0), (80.0, 359.0, 180.0)])
def test_compiled_fov_mask_equals_numpy_or_defers_to_it(fov):
    max_range, hfov_deg, vfov_deg = fov
    hfov, vfov = np.radians(hfov_deg), np.radians(vfov_deg)
    rng = np.random.default_rng(int(hfov_deg))
    decided = 0
    for trial in range(300):
        local = rng.normal(size=(13, 3)) * rng.choice([1.0, 30.0, 150.0])
        k = trial % 6
        if k == 1:      # straight behind, on the axis and a hair off it
            local[:4, 1] = [0.0, -0.0, 1e-17, -1e-12]
            local[:4, 0] = -np.abs(local[:4, 0])
        elif k == 2:    # exactly at the range limit and one ulp either side
            d = local[:3] / np.linalg.norm(local[:3], axis=1, keepdims=True)
            local[:3] = d * np.array([max_range, np.nextafter(max_range, 0), np.nextafter(max_range, np.inf)])[:, None]
        elif k == 3:    # exactly at the azimuth and elevation limits
            r = rng.uniform(1, max_range, 4)
            a = np.array([hfov / 2, -hfov / 2, 0.0, 0.0])
            e = np.array([0.0, 0.0, vfov / 2, -vfov / 2])
            local[:4] = np.stack([r * np.cos(e) * np.cos(a), r * np.cos(e) * np.sin(a), r * np.sin(e)], axis=1)
        elif k == 4:    # straight up and down, the origin, NaN
            local[:4] = [[0.0, 0.0, 5.0], [0.0, 0.0, -5.0], [0.0, 0.0, 0.0], [np.nan, 1.0, 0.0]]
        inside = np.empty(len(local), dtype=bool)
        ref = fov_mask_numpy(local, max_range, hfov, vfov)
        if fov_kernel(local, max_range, hfov / 2, vfov / 2, inside):
            assert same_bytes(inside, ref)
            decided += 1
        else:
            assert k in (2, 3, 4)        # only the constructed limit cases may defer
    assert decided >= 150                # every trial without a constructed limit case is decided


def test_numpy_arctan2_and_arcsin_stay_within_float_pi():
    """What the 360° and 180° shortcuts of ``objlist_fov`` rely on, densely near the negative x axis and ±1."""
    rng = np.random.default_rng(8)
    x = -np.exp(rng.uniform(-30.0, 30.0, 400_000))
    y = x * np.exp(rng.uniform(-700.0, -0.5, 400_000)) * rng.choice([-1.0, 1.0], 400_000)
    assert np.abs(np.arctan2(y, x)).max() <= np.pi
    assert np.abs(np.arctan2(np.array([0.0, -0.0]), np.array([-1.0, -1.0]))).tolist() == [np.pi, np.pi]
    c = np.concatenate([1.0 - np.exp(rng.uniform(-37.0, -1.0, 200_000)), [1.0]])
    assert np.abs(np.arcsin(np.concatenate([c, -c]))).max() <= np.pi / 2


def tilted_street(rng: np.random.Generator, enclose: bool = False):
    """The occlusion test's street, some actors pitched and rolled; with ``enclose`` a box holds the sensor."""
    snap, world = random_street(rng)
    states = list(snap.entities())
    for k, s in enumerate(states[1:], start=1):
        if k % 3 == 0:
            states[k] = posed(s.name, s.x, s.y, rng.uniform(-0.3, 0.3), s.heading, *rng.uniform(-0.4, 0.4, 2),
                              (s.bbox.length, s.bbox.width, s.bbox.height, s.bbox.center_x, s.bbox.center_y, s.bbox.center_z), s.category)
    if enclose:       # every ray leaves this box first: its exit face blocks the others
        states.append(posed("around", 1.0, 0.0, 0.0, 0.2, 0.0, 0.0, (3.0, 2.5, 3.0, 0.0, 0.0, 1.5)))
    return snapshot(*states), world


@pytest.mark.parametrize("seed", range(8))
def test_compiled_fractions_equal_the_numpy_path(seed):
    rng = np.random.default_rng(100 + seed)
    snap, world = tilted_street(rng, enclose=seed == 7) if seed % 2 else random_street(rng)
    worlds = [world, static_world_for(None)] if seed < 2 else [world]
    for w in worlds:
        scene = SensorScene(w, snap)
        mount = MountPose(x=1.5, z=rng.uniform(0.8, 2.5), yaw=rng.uniform(-0.2, 0.2), pitch=rng.uniform(-0.05, 0.05))
        sensor = ObjectListSensor(SensorConfig(name="o", type="objects", mount=mount, parameters={"ideal": True}))
        to_world = sensor.sensor_to_world(snap)
        idx = scene.actor_indices
        centre, edges = box_frames(snap, scene, idx)
        for positions in (np.arange(len(idx)), np.sort(rng.choice(len(idx), size=5, replace=False))):
            _, ref = sensor.visible_fraction(snap, scene, to_world, idx[positions], (centre[positions], edges[positions]))
            fast = box_fractions(scene, to_world.translation, positions)
            assert same_bytes(fast, ref)
            if w is world and len(positions) == len(idx) and seed != 7:
                assert (ref == 0.0).any() and (ref == 1.0).any() and ((ref > 0.0) & (ref < 1.0)).any()


def test_kernel_rays_states_and_segments_equal_the_numpy_ones():
    """Below the fractions (counts, blind to a last bit): the float32 rays, the box verdicts and the segments."""
    for seed in range(6):
        rng = np.random.default_rng(300 + seed)
        snap, world = tilted_street(rng, enclose=seed == 5)
        scene = SensorScene(world, snap)
        boxes = scene.actor_boxes
        origin = np.array([rng.uniform(-1, 3), rng.uniform(-1, 1), rng.uniform(0.5, 2.5)])
        positions = np.arange(len(boxes))
        centre, edges = box_frames(snap, scene, scene.actor_indices)
        # the numpy path of visible_fraction and _first_meets_owner, step by step
        pts = centre[:, None, :] + np.einsum("sk,mkj->msj", _SAMPLES, edges)
        vec = pts.reshape(-1, 3) - origin
        dist = np.sqrt(np.einsum("ij,ij->i", vec, vec))
        rays = np.empty((len(vec), 6), dtype=np.float32)
        rays[:, :3] = origin
        rays[:, 3:] = vec / dist[:, None]
        owner = np.repeat(scene.actor_indices, len(_SAMPLES))
        n = len(rays)
        end = dist - 1e-3
        ray, offsets = _box_candidates(scene, origin, rays, dist)
        t_box = np.full(n, np.inf, dtype=np.float32)
        first = np.full(n, -1, dtype=np.int32)
        merge_box_hits(boxes, rays, ray, offsets, t_box, np.zeros((n, 3), np.float32), np.full(n, -1, np.int32), first, 0)
        own = first == owner
        blocked = ~own & (first >= 0) & (t_box < end)
        limit = np.minimum(np.where(own, t_box, np.inf), end)
        check = np.flatnonzero(~blocked & (limit > 0.0))
        ref_segments = rays[check].copy()
        ref_segments[:, 3:] *= limit[check, None].astype(np.float32)
        ref_state = np.where(blocked, BLOCKED, CLEAR).astype(np.int8)
        ref_state[check] = QUERY
        # the kernel
        out_rays = np.empty((n, 6), np.float32)
        state = np.empty(n, np.int8)
        segments = np.empty((n, 6), np.float32)
        segment_actor = np.empty(n, np.int64)
        clear = np.zeros(len(positions), np.int64)
        count = sample_rays_kernel(_SAMPLES, positions, boxes.rotation, boxes.centre, boxes.half, boxes.entity, origin,
                                   out_rays, state, segments, segment_actor, clear)
        assert same_bytes(out_rays, rays)
        assert same_bytes(state, ref_state)
        assert count == len(check) and same_bytes(segments[:count], ref_segments)
        assert same_bytes(segment_actor[:count], check // len(_SAMPLES))
        assert same_bytes(clear, (~blocked).reshape(len(positions), -1).sum(axis=1))
        assert (state == BLOCKED).any() and (state == QUERY).any()


def reference_sense(self: ObjectListSensor, snapshot, scene):
    """``ObjectListSensor.sense`` as it was in numpy (before the compiled paths): the reference."""
    to_world = self.sensor_to_world(snapshot)
    idx = scene.actor_indices
    if len(idx):
        centre_world, edges = box_frames(snapshot, scene, idx)
        local = to_world.inverse().apply(centre_world)
        rng = np.linalg.norm(local, axis=1)
        az = np.arctan2(local[:, 1], local[:, 0])
        el = np.arcsin(np.clip(local[:, 2] / np.maximum(rng, 1e-9), -1, 1))
        inside = (rng <= self.max_range) & (np.abs(az) <= self.hfov / 2) & (np.abs(el) <= self.vfov / 2)
        vis = np.zeros(len(idx))
        if inside.any():
            _, vis[inside] = self.visible_fraction(snapshot, scene, to_world, idx[inside],
                                                   (centre_world[inside], edges[inside]))
        keep = inside & (vis >= max(self.min_visible, 1e-9))
        pd = self.pd * (vis if self.scale_pd else 1.0)
        keep &= self.rng.random(len(idx)) < pd
    else:
        keep = np.zeros(0, dtype=bool)
        local = np.zeros((0, 3))
        vis = np.zeros(0)
    sel = idx[keep]
    n = len(sel)
    out = np.zeros(n, OBJECT_DTYPE)
    r_inv = to_world.rotation.T
    vel = np.stack([snapshot.vx[sel], snapshot.vy[sel], np.zeros(n)], axis=1) @ r_inv.T
    yaw_world = np.stack([np.cos(snapshot.heading[sel]), np.sin(snapshot.heading[sel]), np.zeros(n)], axis=1) @ r_inv.T
    noise = self.rng.standard_normal((n, 6))
    out["actor"] = sel
    out["x"], out["y"], out["z"] = (local[keep] + noise[:, :3] * self.sigma_pos).T
    out["yaw"] = np.arctan2(yaw_world[:, 1], yaw_world[:, 0]) + noise[:, 3] * self.sigma_yaw
    out["vx"] = vel[:, 0] + noise[:, 4] * self.sigma_vel
    out["vy"] = vel[:, 1] + noise[:, 5] * self.sigma_vel
    out["length"], out["width"], out["height"] = snapshot.length[sel], snapshot.width[sel], snapshot.height[sel]
    out["visible_fraction"] = vis[keep]
    out["existence"] = 1.0 if self.ideal else self.pd * vis[keep]
    message = ObjectList(snapshot.time, self.frame_id, out, tuple(snapshot.names[i] for i in sel),
                         tuple(snapshot.categories[i] for i in sel))
    self.delay.push(snapshot.time, message)
    return self.delay.latest(snapshot.time)


def moving_street(rng: np.random.Generator, steps: int):
    """Snapshots of the tilted street with the ego and the actors moving and turning between them."""
    snap0, world = tilted_street(rng)
    base = list(snap0.entities())
    frames = []
    for k in range(steps):
        states = []
        for j, s in enumerate(base):
            states.append(posed(s.name, s.x + 1.3 * k * (j % 3), s.y - 0.2 * k * (j % 2), s.z, s.heading + 0.05 * k * j,
                                s.pitch, s.roll, (s.bbox.length, s.bbox.width, s.bbox.height, s.bbox.center_x, s.bbox.center_y,
                                                  s.bbox.center_z), s.category))
        states[0] = entity("ego", ego=True, x=2.0 * k, heading=base[0].heading + 0.03 * k, vx=8.0)
        frames.append(snapshot(*states, time=0.1 * k))
    return frames, world


CONFIGS = [
    {"ideal": True, "horizontal_fov_deg": 360.0, "max_range_m": 200.0},          # the library's reference rig
    {},                                                                          # noise, detection draws
    {"latency_s": 0.2, "horizontal_fov_deg": 90.0, "vertical_fov_deg": 10.0, "max_range_m": 40.0},
    {"occlusion": False, "min_visible_fraction": 0.5},
    {"visibility_scales_detection": False, "detection_probability": 0.7, "position_noise_m": 1.0},
]


@pytest.mark.parametrize("k", range(len(CONFIGS)))
def test_sense_equals_the_numpy_sense(k):
    rng = np.random.default_rng(40 + k)
    frames, world = moving_street(rng, 12)
    config = SensorConfig(name="o", type="objects", mount=MountPose(x=1.5, z=1.5), parameters=CONFIGS[k], seed=k)
    fast, ref = ObjectListSensor(config), ObjectListSensor(config)
    reported = 0
    for snap in frames:
        a = fast.sense(snap, SensorScene(world, snap))
        b = reference_sense(ref, snap, SensorScene(world, snap))
        assert (a is None) == (b is None)
        if a is not None:
            assert (a.stamp, a.frame_id, a.names, a.categories) == (b.stamp, b.frame_id, b.names, b.categories)
            assert same_bytes(a.objects, b.objects)
            reported += len(a.objects)
    assert reported > 0


def test_sense_with_mesh_actors_and_without_actors_equals_the_numpy_sense():
    rng = np.random.default_rng(9)
    frames, world = moving_street(rng, 4)
    unit = o3d.geometry.TriangleMesh.create_box(4.5, 1.8, 1.5)
    meshes = {"a1": ActorMesh(np.asarray(unit.vertices) - [0.85, 0.9, 0.0], np.asarray(unit.triangles))}
    config = SensorConfig(name="o", type="objects", mount=MountPose(x=1.5, z=1.5), parameters={"ideal": True})
    fast, ref = ObjectListSensor(config), ObjectListSensor(config)
    for snap in frames + [snapshot(entity("ego", ego=True)), snapshot(entity("lone", x=5.0))]:
        a = fast.sense(snap, SensorScene(world, snap, actor_meshes=meshes))
        b = reference_sense(ref, snap, SensorScene(world, snap, actor_meshes=meshes))
        assert a.names == b.names and same_bytes(a.objects, b.objects)


def test_a_wall_between_hides_what_the_boxes_alone_would_show():
    """The segments the kernel leaves to the static query are the ones a wall can cut."""
    ego = entity("ego", ego=True)
    behind = entity("behind", x=30.0)
    snap = snapshot(ego, behind)
    config = SensorConfig(name="o", type="objects", mount=MountPose(x=1.5, z=1.5), parameters={"ideal": True})
    open_road = ObjectListSensor(config).sense(snap, SensorScene(static_world_for([plane(200.0)]), snap))
    walled = ObjectListSensor(config).sense(snap, SensorScene(static_world_for([plane(200.0), wall(15.0)]), snap))
    assert open_road.names == ("behind",) and open_road.objects["visible_fraction"][0] == 1.0
    assert walled.names == ()
    street = static_world_for([plane(200.0), building(15.0, 0.0, 2.0, 2.0, 1.0)])   # a low block: the roof shows
    half = ObjectListSensor(config).sense(snap, SensorScene(street, snap))
    assert 0.0 < half.objects["visible_fraction"][0] < 1.0


def reference_detection3d_array(objects):
    """``ros_messages.to_detection3d_array`` as it was (element by element): the reference."""
    from simplatform.bridge import msgs
    from sensors.ros_messages import header

    h = header(objects.stamp, objects.frame_id)
    dets = []
    for row, name, category in zip(objects.objects, objects.names, objects.categories):
        pose = msgs.Pose(position=msgs.Point(float(row["x"]), float(row["y"]), float(row["z"])),
                         orientation=msgs.Quaternion.from_euler(0.0, 0.0, float(row["yaw"])))
        hyp = msgs.ObjectHypothesisWithPose(
            hypothesis=msgs.ObjectHypothesis(class_id=category, score=float(row["existence"])),
            pose=msgs.PoseWithCovariance(pose=pose))
        box = msgs.BoundingBox3D(center=pose, size=msgs.Vector3(float(row["length"]), float(row["width"]),
                                                                float(row["height"])))
        dets.append(msgs.Detection3D(header=h, results=(hyp,), bbox=box, id=name))
    return msgs.Detection3DArray(header=h, detections=tuple(dets))


def test_detection3d_array_equals_the_element_wise_conversion():
    from sensors.ros_messages import to_detection3d_array

    rng = np.random.default_rng(21)
    frames, world = moving_street(rng, 6)
    sensor = ObjectListSensor(SensorConfig(name="o", type="objects", mount=MountPose(x=1.5, z=1.5), seed=3))
    converted = 0
    for snap in frames:
        out = sensor.sense(snap, SensorScene(world, snap))
        fast, ref = to_detection3d_array(out), reference_detection3d_array(out)
        assert fast == ref and repr(fast) == repr(ref)
        for det in fast.detections:          # Python floats, as ROS message fields are
            assert type(det.bbox.size.x) is float and type(det.results[0].hypothesis.score) is float
        converted += len(fast.detections)
    assert converted > 0
