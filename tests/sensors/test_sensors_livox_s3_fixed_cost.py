"""Session-3 per-sweep fixed-cost paths give the bits of what they replace: the slab test's early exits
(against the full pass, here in plain Python), the compiled range trim (against numpy's masks, float32 and
float64 bounds), and the per-mount transform kept on the mount."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sensors.actor_boxes import actor_boxes, merge_box_hits
from sensors.frames import MountPose, entity_transform, sensor_transform
from sensors.static_cast import trim_beyond

from sensors_testworld import entity, snapshot


def merge_full(rays, ray, offsets, rotation, centre, half, entity_idx, n_static, t, normal, material, actor):
    """The slab test as it was before the early exits: every slab of every pair, then the decision."""
    for k in range(len(offsets) - 1):
        r = rotation[k]
        for q in range(offsets[k], offsets[k + 1]):
            i = ray[q]
            ox, oy, oz = (float(rays[i, a]) - centre[k, a] for a in range(3))
            dx, dy, dz = (float(rays[i, 3 + a]) for a in range(3))
            t_in, t_out, axis_in, axis_out = -math.inf, math.inf, 0, 0
            for j in range(3):
                o = ox * r[0, j] + oy * r[1, j] + oz * r[2, j]
                d = dx * r[0, j] + dy * r[1, j] + dz * r[2, j]
                if d == 0.0:
                    if o < -half[k, j] or o > half[k, j]:
                        t_in = math.inf
                    continue
                t1 = (-half[k, j] - o) / d
                t2 = (half[k, j] - o) / d
                lo, hi = min(t1, t2), max(t1, t2)
                if lo > t_in:
                    t_in, axis_in = lo, j
                if hi < t_out:
                    t_out, axis_out = hi, j
            if not (t_in <= t_out and t_out > 0.0):
                continue
            th, axis, sign = (t_in, axis_in, -1.0) if t_in > 0.0 else (t_out, axis_out, 1.0)
            th32 = np.float32(th)
            if not th32 < t[i]:
                continue
            d_axis = dx * r[0, axis] + dy * r[1, axis] + dz * r[2, axis]
            s = sign if d_axis > 0.0 else -sign
            t[i] = th32
            normal[i] = [s * r[0, axis], s * r[1, axis], s * r[2, axis]]
            actor[i] = entity_idx[k]
            material[i] = n_static + entity_idx[k]


def test_slab_test_with_early_exits_keeps_every_hit_of_the_full_pass():
    rng = np.random.default_rng(11)
    cars = [entity(f"c{k}", x=float(x), y=float(y), heading=float(h)) for k, (x, y, h) in
            enumerate(zip(rng.uniform(-20, 20, 8), rng.uniform(-8, 8, 8), rng.uniform(-3, 3, 8)))]
    snap = snapshot(entity("ego", ego=True), *cars)
    boxes = actor_boxes(snap, np.arange(1, len(snap)))
    n = 6000
    rays = np.empty((n, 6), np.float32)
    rays[:, :3] = rng.uniform(-3, 3, (n, 3)) + [0, 0, 1.5]
    rays[:200, :3] = boxes.centre[0]                                   # origins inside a box: exits from inside
    d = rng.normal(size=(n, 3))
    d[300:400, 2] = 0.0                                                # parallel to the height slabs
    d[400:450, 1:] = 0.0                                               # parallel to two slabs
    rays[:, 3:] = d / np.linalg.norm(d, axis=1, keepdims=True)
    t0 = rng.uniform(0.5, 40.0, n).astype(np.float32)
    t0[::7] = np.inf                                                   # static misses
    t0[1::11] = 0.0
    ray = np.concatenate([rng.permutation(n)[:2500] for _ in boxes.entity])
    offsets = np.arange(len(boxes) + 1, dtype=np.int64) * 2500
    got = [t0.copy(), np.zeros((n, 3), np.float32), np.full(n, -1, np.int32), np.full(n, -1, np.int32)]
    want = [a.copy() for a in got]
    merge_box_hits(boxes, rays, ray, offsets, *got, 5)
    merge_full(rays, ray, offsets, boxes.rotation, boxes.centre, boxes.half, boxes.entity.astype(np.int32), 5, *want)
    assert np.count_nonzero(got[3] >= 0) > 500
    for a, b in zip(got, want):
        assert a.tobytes() == b.tobytes()


def trim_numpy(t, normal, material, actor, max_range):
    beyond = t > max_range
    beyond &= t != np.inf
    far = np.flatnonzero(beyond)
    t[far] = np.inf
    normal[far] = 0.0
    material[far] = -1
    actor[far] = -1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("max_range", [100.0, 100.1, np.float64(70.3), np.float32(70.3), 1e300, 90])
def test_compiled_range_trim_is_numpys_masks(dtype, max_range):
    rng = np.random.default_rng(3)
    n = 5000
    t = rng.uniform(0.0, 150.0, n).astype(dtype)
    t[::9] = np.inf
    bound = np.result_type(t, max_range).type(max_range)              # float64 when the value overflows float32
    with np.errstate(over="ignore"):                                  # 1e300 into a float32 t: inf
        t[1::13] = bound                                              # on the bound: kept
        t[2::13] = np.nextafter(bound, np.inf)                        # just past it: trimmed
    t[3::17] = dtype(100.1)                                             # above 100.1 in float64, not in float32
    arrays = [t, rng.normal(size=(n, 3)).astype(np.float32), rng.integers(0, 9, n).astype(np.int32),
              rng.integers(0, 9, n).astype(np.int32)]
    got = [a.copy() for a in arrays]
    want = [a.copy() for a in arrays]
    trim_beyond(*got, max_range)
    trim_numpy(*want, max_range)
    for a, b in zip(got, want):
        assert a.tobytes() == b.tobytes()
    assert not np.array_equal(got[0], arrays[0]) or max_range == 1e300


def test_sensor_transform_with_the_mount_kept_is_the_transform_built_each_time():
    snap = snapshot(entity("ego", ego=True, x=3.0, y=-2.0, heading=0.7))
    for mount in (MountPose(x=1.3, z=1.9, yaw=0.1, pitch=-0.02, roll=0.01), MountPose(yaw=-0.0), MountPose(yaw=0.0)):
        want = entity_transform(snap, 0) @ mount.transform()
        for _ in range(2):                                              # built, then kept
            got = sensor_transform(snap, mount)
            assert got.rotation.tobytes() == want.rotation.tobytes()
            assert got.translation.tobytes() == want.translation.tobytes()
    assert MountPose(yaw=-0.0) == MountPose(yaw=0.0) and repr(MountPose(x=1.0)) == repr(MountPose(x=1.0))


def test_compiled_unit_directions_are_numpys():
    from sensors.lidar_patterns import PRESETS, _risley_phases, _unit, unit_directions_numpy

    rng = np.random.default_rng(7)
    cases = [(rng.uniform(-np.pi, np.pi, 20000), rng.uniform(-0.5, 0.5, 20000)),
             (rng.uniform(-40.0, 40.0, 5000), rng.uniform(-1.6, 1.6, 5000)),
             (np.array([0.0, -0.0, np.pi, -np.pi, 1e-300, np.inf, np.nan]), np.array([0.0, -0.0, 0.5, -1.5, 0.0, 0.1, 0.2])),
             (np.zeros(0), np.zeros(0))]
    spec = PRESETS["Livox-Mid40"]
    t_local = _risley_phases(spec, 10.0)[0]
    cases.append((np.sin(t_local * 477.5) * 0.33, np.cos(t_local * 295.1) * 0.33))     # rosette-like deflections
    for azimuth, elevation in cases:
        with np.errstate(invalid="ignore"):                                           # cos(inf): NaN either way
            assert _unit(azimuth, elevation).tobytes() == unit_directions_numpy(azimuth, elevation).tobytes()
    a32 = rng.uniform(-3, 3, 100).astype(np.float32)                                  # numpy's float32 path kept
    assert _unit(a32, a32).tobytes() == unit_directions_numpy(a32, a32).tobytes()


def test_rosette_frames_and_spinning_tables_keep_their_bits():
    from sensors.lidar_patterns import PRESETS, risley_pattern, spinning_pattern, unit_directions_numpy
    import sensors.lidar_patterns as patterns

    for build in (lambda: risley_pattern.__wrapped__(PRESETS["Livox-Mid40"], 10.0, 12345),
                  lambda: spinning_pattern.__wrapped__(PRESETS["VLP-16"], 10.0)):
        got = build()
        original = patterns._unit
        patterns._unit = unit_directions_numpy
        try:
            want = build()
        finally:
            patterns._unit = original
        assert got.directions.tobytes() == want.directions.tobytes()
        assert np.array_equal(got.azimuth_order, want.azimuth_order)
