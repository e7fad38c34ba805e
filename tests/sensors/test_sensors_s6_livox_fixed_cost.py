"""Session-6 Livox fixed-cost paths give what they replace: the one-call candidate pairs of a pattern
without a grid (``lidar_kernels.table_pairs``) against the three calls it fuses and against the numpy
reference, and the lidar's per-pose cache (``Lidar._pose``), ray tensor and pattern-row view against
what a fresh sensor computes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sensors.actor_boxes import actor_boxes
from sensors.base import SensorConfig
from sensors.frames import MountPose, sensor_transform
from sensors.lidar import Lidar
from sensors.lidar_actors import ANGLE_MARGIN, _windows, candidate_pairs, candidate_pairs_numpy
from sensors.lidar_kernels import table_pairs, window_pairs
from sensors.lidar_patterns import pattern_tables
from sensors.lidar_windows import azimuth_spans
from sensors.scene import SensorScene, static_world_for

from sensors_testworld import entity, plane, snapshot


def _livox(**parameters) -> Lidar:
    return Lidar(SensorConfig(name="l", type="lidar", preset="Livox-Mid40", mount=MountPose(x=1.3, z=1.9),
                              parameters={"dropout_probability": 0.01, **parameters}))


def _traffic(rng: np.random.Generator, n: int = 12, ego_heading: float = 0.0):
    """Cars ahead, beside, behind, around the sensor's axis and out of range (empty and whole windows)."""
    cars = [entity(f"c{k}", x=float(x), y=float(y), heading=float(h)) for k, (x, y, h) in
            enumerate(zip(rng.uniform(-40, 90, n), rng.uniform(-15, 15, n), rng.uniform(-3.2, 3.2, n)))]
    cars.append(entity("over", x=1.3 * np.cos(ego_heading), y=1.3 * np.sin(ego_heading), z=-0.5))   # holds the axis
    cars.append(entity("far", x=900.0, y=3.0))                         # beyond max range: empty window
    cars.append(entity("behind", x=-12.0, y=0.4, heading=3.14159))
    return snapshot(entity("ego", ego=True, heading=ego_heading), *cars)


def _three_calls(boxes, pattern, to_world, max_range, motion):
    """The path ``table_pairs`` replaced: windows, spans, then the rows inside them."""
    lo, hi, el_lo, el_hi = _windows(boxes, pattern, to_world, max_range, motion)
    offsets = np.zeros(len(boxes) + 1, dtype=np.int64)
    tables = pattern_tables(pattern)
    i0, i1, j1 = azimuth_spans(lo, hi, pattern.sorted_azimuth)
    return window_pairs(tables.azimuth_elevation, tables.azimuth_position, i0, i1, j1, el_lo, el_hi, offsets), offsets


@pytest.mark.parametrize("seed, heading, motion, frame", [(1, 0.0, None, 0), (2, 0.7, None, 3),
                                                          (3, -2.9, (25.0, 0.4), 7), (4, 3.1, (0.0, -1.2), 11)])
def test_table_pairs_equal_the_three_calls_and_the_numpy_reference(seed, heading, motion, frame):
    lidar = _livox()
    snap = _traffic(np.random.default_rng(seed), ego_heading=heading)
    pattern = lidar.pattern(frame / lidar.rate_hz)
    tables = pattern_tables(pattern)
    boxes = SensorScene(None, snap).actor_boxes
    to_world = sensor_transform(snap, lidar.config.mount)
    ray, offsets = candidate_pairs(boxes, pattern, tables.cast_position, to_world, lidar.max_range, motion)
    old_ray, old_offsets = _three_calls(boxes, pattern, to_world, lidar.max_range, motion)
    assert np.array_equal(ray, old_ray) and np.array_equal(offsets, old_offsets)
    assert ray.dtype == old_ray.dtype and offsets.dtype == old_offsets.dtype
    ref_ray, ref_offsets = candidate_pairs_numpy(boxes, pattern, tables.cast_position, to_world, lidar.max_range,
                                                 motion)
    assert np.array_equal(ray, ref_ray) and np.array_equal(offsets, ref_offsets)
    sizes = np.diff(offsets)
    assert sizes.max() > 0 and (sizes == 0).any()                   # non-empty and empty windows both met
    assert sizes[list(boxes.entity).index(snap.index("over"))] > 0.3 * pattern.size   # the whole-sphere window


def test_table_pairs_with_a_callers_own_cast_order():
    """A caller's own cast order: the rows of the windows are that order's (the numpy reference's)."""
    lidar = _livox()
    snap = _traffic(np.random.default_rng(5))
    pattern = lidar.pattern(0.0)
    boxes = actor_boxes(snap, np.arange(1, len(snap.names)))
    to_world = sensor_transform(snap, lidar.config.mount)
    own = np.random.default_rng(6).permutation(pattern.size)
    got = candidate_pairs(boxes, pattern, own, to_world, lidar.max_range)
    ref = candidate_pairs_numpy(boxes, pattern, own, to_world, lidar.max_range)
    assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1])


def test_table_pairs_kernel_called_directly_matches_for_no_boxes_in_range():
    lidar = _livox()
    pattern = lidar.pattern(0.0)
    tables = pattern_tables(pattern)
    offsets = np.empty(3, np.int64)
    rotation = np.repeat(np.eye(3)[None], 2, axis=0)
    centre = np.array([[5000.0, 0.0, 0.0], [0.0, 7000.0, 0.0]])
    half = np.ones((2, 3))
    ray = table_pairs(rotation, centre, half, np.eye(3), np.zeros(3), 260.0, ANGLE_MARGIN, 0.0, 0.0, 0.1,
                      pattern.sorted_azimuth, tables.azimuth_elevation, tables.azimuth_position, offsets)
    assert len(ray) == 0 and list(offsets) == [0, 0, 0]


def _clouds_equal(a, b) -> bool:
    return a.points.tobytes() == b.points.tobytes() and a.stamp == b.stamp


def test_pose_cache_gives_a_fresh_sensors_clouds_across_poses_and_signed_zeros():
    """One sensor swept over a sequence of snapshots (same pose twice, moved, heading −0.0 vs +0.0, back)
    gives the clouds of a fresh sensor per snapshot with the generator state carried over."""
    static = static_world_for(plane(400.0))
    rng = np.random.default_rng(7)
    base = _traffic(rng)
    ego = base.index("ego")

    def posed(x: float, heading: float):
        s = dataclasses.replace(base, x=base.x.copy(), heading=base.heading.copy())
        s.x[ego] = x
        s.heading[ego] = heading
        return s

    snaps = [posed(0.0, 0.0), posed(0.0, 0.0), posed(2.5, 0.0), posed(2.5, -0.0), posed(2.5, 0.0), posed(0.0, 0.0)]
    kept = _livox()
    for k, snap in enumerate(snaps):
        got = kept.sense(snap, SensorScene(static, snap))
        fresh = _livox()
        fresh.rng.bit_generator.state = state if k else fresh.rng.bit_generator.state
        want = fresh.sense(snap, SensorScene(static, snap))
        state = kept.rng.bit_generator.state
        assert _clouds_equal(got, want), k
        to_world, m = kept._pose(snap)
        ref = sensor_transform(snap, kept.config.mount)
        assert to_world.rotation.tobytes() == ref.rotation.tobytes()
        assert to_world.translation.tobytes() == ref.translation.tobytes()
    # the −0.0 heading is another key: its matrix is recomputed, not taken from the +0.0 pose
    a = kept._pose(snaps[2])
    b = kept._pose(snaps[3])
    assert a[0] is not b[0]
    assert kept._pose(snaps[3])[0] is b[0]                  # the same bits again: kept


def test_ray_tensor_and_pattern_rows_share_the_sweeps_memory():
    lidar = _livox()
    buf, tensor = lidar._ray_buffer(100)
    assert lidar._ray_buffer(100)[1] is tensor
    buf[3, 2] = 42.0
    assert tensor.numpy()[3, 2] == 42.0
    other, tensor2 = lidar._ray_buffer(50)                 # a new size: a new buffer and its tensor
    assert tensor2 is not tensor and tensor2.numpy().shape == (50, 6)
    tables = pattern_tables(lidar.pattern(0.0))
    rows = lidar._homogeneous(tables)
    assert lidar._homogeneous(tables) is rows and np.array_equal(rows, tables.homogeneous.numpy())
