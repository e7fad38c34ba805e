"""Session 4 sweep speed-ups, each checked bit for bit against the numpy code it replaces."""

from __future__ import annotations

import numpy as np
import pytest

from sensors.pointcloud import POINT_DTYPE
from sensors.scene_region import INVALID_ID, Region
from sensors.static_cast import _collect, _materials, end_runs
from simplatform.bridge.msgs import Header
from simplatform.bridge.msgs.types_sensor import POINT_FIELD_DTYPES, PointCloud2, PointField


def _end_runs_reference(values, threshold, below):
    n = len(values)
    test = (lambda v: v <= threshold) if below else (lambda v: v > threshold)
    head = 0
    while head < n and test(values[head]):
        head += 1
    if head == n:
        return n, n
    tail = 0
    while tail < n and test(values[n - 1 - tail]):
        tail += 1
    return head, tail


@pytest.mark.parametrize("below", [True, False])
def test_end_runs_matches_the_value_by_value_scan(below):
    rng = np.random.default_rng(3)
    for n in (0, 1, 5, 63, 64, 65, 127, 128, 129, 300, 1000):
        for head, tail in ((0, 0), (n, 0), (n // 2, n // 3), (64, 1), (1, 64), (n - 1, 0), (0, n - 1)):
            if head + tail > n or head < 0 or tail < 0:
                continue
            inside = -1.0 if below else 1.0
            values = np.full(n, -inside, np.float32)
            values[:head] = inside
            values[n - tail:] = inside if tail else values[n - tail:]
            if n > 2:                                          # a NaN is in no run
                values[rng.integers(0, n)] = np.nan if rng.random() < 0.3 else values[0]
            assert end_runs(values, np.float32(0.0), below) == _end_runs_reference(values, np.float32(0.0), below)


def test_collect_is_the_copies_and_a_clipped_take():
    rng = np.random.default_rng(4)
    table = np.concatenate([rng.integers(0, 9, 50).astype(np.int32), np.array([-1], np.int32)])
    n, s, m = 300, 40, 200
    ids = rng.integers(0, 60, m).astype(np.uint32)
    ids[::7] = INVALID_ID
    tp = rng.standard_normal(m).astype(np.float32)
    tp[::5] = np.inf
    npart = rng.standard_normal((m, 3)).astype(np.float32)
    t, normal, material = np.zeros(n, np.float32), np.zeros((n, 3), np.float32), np.zeros(n, np.int32)
    _collect(tp, npart, ids, table, t, normal, material, s)
    ref_t, ref_n, ref_m = np.zeros(n, np.float32), np.zeros((n, 3), np.float32), np.zeros(n, np.int32)
    ref_t[s:s + m] = tp
    ref_n[s:s + m] = npart
    np.take(table, ids, mode="clip", out=ref_m[s:s + m])
    assert t.tobytes() == ref_t.tobytes() and normal.tobytes() == ref_n.tobytes()
    assert np.array_equal(material, ref_m)
    out = np.empty(m, np.int32)
    _materials(ids, table, out)
    assert np.array_equal(out, np.take(table, ids, mode="clip"))



def test_region_covers_measures_as_linalg_norm():
    rng = np.random.default_rng(5)
    region = Region(None, np.zeros(1, np.int32), np.array([12.5, -3.25, 0.75]), 100.0, 0)
    for _ in range(20000):
        centre = region.centre + rng.standard_normal(3) * rng.uniform(0, 150)
        reach = float(rng.uniform(0, 100))
        assert region.covers(centre, reach) == (float(np.linalg.norm(centre - region.centre)) + reach <= region.radius)
    # on the boundary: the norm exactly as numpy gives it
    centre = region.centre + np.array([30.1, 40.3, 7.7])
    reach = region.radius - float(np.linalg.norm(centre - region.centre))
    assert region.covers(centre, reach)
    for _ in range(6):
        reach = float(np.nextafter(reach, np.inf))
        assert region.covers(centre, reach) == (float(np.linalg.norm(centre - region.centre)) + reach <= region.radius)


def _from_array_reference(header, points, height=1, is_dense=True):
    """The packing as it was before the fields were cached (session 3)."""
    dtype_to_datatype = {np.dtype(v): k for k, v in POINT_FIELD_DTYPES.items()}
    fields = []
    for name in points.dtype.names:
        sub, offset = points.dtype.fields[name][:2]
        base = sub.base.newbyteorder("<") if sub.base.byteorder == ">" else sub.base
        datatype = dtype_to_datatype[np.dtype(base)]
        count = int(np.prod(sub.shape)) if sub.shape else 1
        fields.append(PointField(name=name, offset=int(offset), datatype=datatype, count=count))
    width = len(points) // height
    little = np.ascontiguousarray(points.astype(points.dtype.newbyteorder("<"), copy=False))
    return PointCloud2(header=header, height=height, width=width, fields=tuple(fields), is_bigendian=False,
                       point_step=points.dtype.itemsize, row_step=points.dtype.itemsize * width,
                       data=little.tobytes(), is_dense=is_dense)


def test_point_cloud2_packing_is_unchanged():
    rng = np.random.default_rng(6)
    pts = np.empty(37, POINT_DTYPE)
    for name in POINT_DTYPE.names:
        pts[name] = rng.uniform(0, 100, 37)
    big = np.dtype([("x", ">f4"), ("v", ">f8", (2,)), ("ring", ">u2"), ("k", "u1")])
    other = np.empty(36, big)
    for name in big.names:
        other[name] = rng.uniform(0, 50, other[name].shape)
    h = Header(frame_id="lidar")
    for points, height in ((pts, 1), (pts, 1), (pts[::2], 1), (other, 1), (other, 3), (other[::-1], 2)):
        got = PointCloud2.from_array(h, points, height=height)
        assert got == _from_array_reference(h, points, height)
        assert type(got.data) is bytes
    with pytest.raises(ValueError, match="structured"):
        PointCloud2.from_array(h, np.zeros(3))
    with pytest.raises(ValueError, match="cannot express"):
        PointCloud2.from_array(h, np.zeros(3, [("x", "<c8")]))
    with pytest.raises(ValueError, match="rows"):
        PointCloud2.from_array(h, pts, height=4)


def test_warm_up_compiles_the_session_4_kernels():
    from sensors import actor_boxes, lidar_sweep_boxes, static_cast
    from sensors.warmup import warm_up

    warm_up()
    assert all(k.signatures for k in (static_cast._collect, static_cast._materials, static_cast.end_runs,
                                      lidar_sweep_boxes.slab_hits, lidar_sweep_boxes.apply_slab_hits,
                                      actor_boxes._merge_kernel, static_cast.end_runs_bounded))


def _adversarial_pairs(seed: int, n: int = 4000, per_box: int = 1500):
    """Rays from inside and around eight boxes, some parallel to one or two slabs, some through corners and
    edges exactly; static hits near, far, missing and zero."""
    from sensors.actor_boxes import actor_boxes
    from sensors_testworld import entity, snapshot

    rng = np.random.default_rng(seed)
    cars = [entity(f"c{k}", x=float(x), y=float(y), heading=float(h)) for k, (x, y, h) in
            enumerate(zip(rng.uniform(-20, 20, 8), rng.uniform(-8, 8, 8), rng.choice([0.0, 0.5, np.pi / 2, 2.0], 8)))]
    snap = snapshot(entity("ego", ego=True), *cars)
    boxes = actor_boxes(snap, np.arange(1, len(snap)))
    rays = np.empty((n, 6), np.float32)
    rays[:, :3] = rng.uniform(-3, 3, (n, 3)) + [0, 0, 1.5]
    rays[: n // 2, :3] = rays[0, :3]                                  # a shared origin (a sweep without distortion)
    rays[100:300, :3] = boxes.centre[0]                               # inside a box: leaves by a face
    d = rng.normal(size=(n, 3))
    d[300:400, 2] = 0.0                                               # parallel to the height slabs
    d[400:450, 1:] = 0.0                                              # parallel to two slabs
    aim = boxes.centre[rng.integers(0, len(boxes), 300)] + boxes.half[0] * rng.choice([-1.0, 1.0], (300, 3))
    d[500:800] = aim - rays[500:800, :3]                              # at corners
    rays[:, 3:] = d / np.linalg.norm(d, axis=1, keepdims=True)
    t0 = rng.uniform(0.5, 40.0, n).astype(np.float32)
    t0[::7] = np.inf
    t0[1::11] = 0.0
    ray = np.concatenate([np.sort(rng.permutation(n)[:per_box]) for _ in boxes.entity]).astype(np.int64)
    offsets = np.arange(len(boxes) + 1, dtype=np.int64) * per_box
    return boxes, rays, ray, offsets, t0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vector_slab_pass_is_the_one_pass_merge(seed):
    from sensors.actor_boxes import _merge_kernel, merge_box_hits

    boxes, rays, ray, offsets, t0 = _adversarial_pairs(seed)
    n = len(rays)
    got = [t0.copy(), np.zeros((n, 3), np.float32), np.full(n, -1, np.int32), np.full(n, -1, np.int32)]
    want = [a.copy() for a in got]
    merge_box_hits(boxes, rays, ray, offsets, *got, 5)               # 12 000 pairs: the vector passes
    _merge_kernel(rays, ray, offsets, boxes.rotation, boxes.centre, boxes.half, boxes.entity.astype(np.int32), 5,
                  *want)
    assert np.count_nonzero(want[3] >= 0) > 100
    for a, b in zip(got, want):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("rays_count", [6000, 30000])
def test_a_small_near_block_is_cast_in_one_call_with_the_same_hits(rays_count, monkeypatch):
    """Below NEAR_MIN_RAYS steep rays the near crop is not used: the hits are those of the split cast."""
    import open3d as o3d

    from sensors import static_cast
    from sensors.scene import static_world_for
    from test_sensors_fast_paths import long_road

    road = static_world_for(long_road())
    origin = np.array([600.0, 1.0, 2.3])
    rng = np.random.default_rng(8)
    el = np.deg2rad(np.sort(rng.uniform(-30.0, 15.0, rays_count)))[::-1]
    az = rng.uniform(-np.pi, np.pi, len(el))
    rays = np.empty((len(el), 6), dtype=np.float32)
    rays[:, :3] = origin
    rays[:, 3:] = np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=1)
    tensor = o3d.core.Tensor(rays)
    casts = []
    real = o3d.t.geometry.RaycastingScene.cast_rays
    monkeypatch.setattr(o3d.t.geometry.RaycastingScene, "cast_rays",
                        lambda self, r, **kw: casts.append(len(r)) or real(self, r, **kw))

    def hits(min_rays):
        monkeypatch.setattr(static_cast, "NEAR_MIN_RAYS", min_rays)
        casts.clear()
        out = road.cast_hits(tensor, origin, 80.0, max_range=80.0, origin_z=(origin[2], origin[2]))
        return out, len(casts)

    split, split_calls = hits(0)
    default, default_calls = hits(static_cast.NEAR_MIN_RAYS)
    assert split_calls >= 2
    assert default_calls == (1 if rays_count < 2 * static_cast.NEAR_MIN_RAYS else split_calls)
    for a, b in zip(split, default):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("below", [True, False])
def test_bounded_run_scan_is_the_plain_scan(below):
    """Blocks decided by their bounds give the runs the value-by-value scan finds, whatever the bounds
    (tight, loose, NaN) and the range [a, b)."""
    from sensors.static_cast import end_runs_bounded

    rng = np.random.default_rng(9)
    for trial in range(300):
        size = int(rng.integers(1, 40))
        blocks = int(rng.integers(1, 12))
        base = np.repeat(rng.choice([-1.0, 1.0], blocks), size) * rng.uniform(0.5, 1.0, blocks * size)
        if trial % 3 == 0:                                     # some values on the threshold's wrong side
            base[rng.integers(0, len(base), 3)] *= -1
        values = (base * 0.3).astype(np.float32)
        n = len(values) - int(rng.integers(0, size))           # a short last block
        values = values[:n]
        k = np.arange(blocks)
        v64 = np.concatenate([values.astype(np.float64), np.full(blocks * size - n, np.nan)]).reshape(blocks, size)
        lo = np.nanmin(v64, axis=1) - rng.choice([0.0, 0.05, 1.0], blocks)
        hi = np.nanmax(v64, axis=1) + rng.choice([0.0, 0.05, 1.0], blocks)
        lo[k % 5 == 4] = np.nan                                # no bound on some blocks
        a = int(rng.integers(0, n // 2 + 1))
        b = int(rng.integers(a, n + 1))
        threshold = float(rng.choice([0.0, 0.1, -0.1]))
        want = end_runs(values[a:b], threshold, below)
        assert end_runs_bounded(values, a, b, threshold, below, size, lo, hi) == want


@pytest.mark.parametrize("preset", ["VLP-16", "HDL-32E", "HDL-64E", "OS1-128"])
def test_ring_bounds_hold_every_ray_of_the_buffer(preset):
    """The per-ring d_z bounds contain the ray buffer's d_z for tilted and turned mounts and egos."""
    from sensors.base import SensorConfig
    from sensors.frames import MountPose, Transform
    from sensors.lidar import Lidar
    from sensors.lidar_kernels import ray_buffer
    from sensors.lidar_patterns import pattern_tables

    rng = np.random.default_rng(10)
    lidar = Lidar(SensorConfig(name="l", type="lidar", preset=preset, mount=MountPose(z=1.9)))
    pattern = lidar.pattern(0.0)
    tables = pattern_tables(pattern)
    buf = np.empty((pattern.size, 6), np.float32)
    for roll, pitch, yaw in [(0.0, 0.0, 0.0), (0.0, 0.0, 2.5)] + [tuple(rng.uniform(-0.4, 0.4, 2)) + (rng.uniform(-3, 3),)
                                                                  for _ in range(6)]:
        pose = Transform.from_pose(100.0, -20.0, 1.9, roll, pitch, yaw)
        m = np.zeros((4, 6), dtype=np.float32)
        m[:3, 3:] = pose.rotation.T
        m[3, :3] = pose.translation
        ray_buffer(tables.homogeneous.numpy(), m, buf)
        bounds = lidar._ring_bounds(pattern, tables, m)
        dz = buf[:, 5].astype(np.float64)
        k = np.arange(len(dz)) // bounds.size
        assert np.all(dz >= bounds.lo[k]) and np.all(dz <= bounds.hi[k])
        width = bounds.hi - bounds.lo
        if roll == pitch == 0.0:                                # level: a ring's d_z is its elevation's sine
            assert width.max() < 1e-4


@pytest.mark.parametrize("parts", [1, 2, 3])
def test_slab_tests_made_before_the_cast_merge_as_merge_box_hits(parts):
    from sensors.actor_boxes import apply_box_slab_hits, box_slab_hits, merge_box_hits

    boxes, rays, ray, offsets, t0 = _adversarial_pairs(7)
    n = len(rays)
    got = [t0.copy(), np.zeros((n, 3), np.float32), np.full(n, -1, np.int32), np.full(n, -1, np.int32)]
    want = [a.copy() for a in got]
    pair_t, pair_code, jobs = box_slab_hits(boxes, rays, ray, offsets, parts)
    assert len(jobs) == parts
    for job in reversed(jobs):                                  # in any order: disjoint pairs
        job()
    apply_box_slab_hits(boxes, ray, offsets, pair_t, pair_code, *got, 5)
    merge_box_hits(boxes, rays, ray, offsets, *want, 5)
    for a, b in zip(got, want):
        assert a.tobytes() == b.tobytes()


def test_both_returns_in_order_and_the_workers_error_reaches_the_caller():
    from sensors.lidar import both

    for _ in range(20):
        assert both(lambda: "first", lambda: "second") == ("first", "second")
    with pytest.raises(ZeroDivisionError):                        # the worker's error reaches the caller
        both(lambda: None, lambda: 1 / 0)


def _room_sweeps(split: bool, parameters: dict, monkeypatch, environment=None) -> list:
    import sensors.lidar as lidar_module
    from dataclasses import replace

    from sensors.base import SensorConfig
    from sensors.frames import MountPose
    from sensors.lidar import Lidar
    from sensors.scene import SensorScene, static_world_for
    from sensors_testworld import entity, room, snapshot

    monkeypatch.setattr(lidar_module, "two_threads", lambda rays: split)
    snap = snapshot(entity("ego", ego=True), entity("car", x=6.0, y=1.0, heading=0.3, bbox=(4.0, 2.0, 1.6, 0.0, 0.0, 0.8)))
    if environment is not None:
        snap = replace(snap, environment=environment)
    static = static_world_for(room(12.0))
    sensor = Lidar(SensorConfig(name="top", type="lidar", preset="HDL-32E", mount=MountPose(z=1.2), seed=5,
                                parameters={"labels": True, **parameters}))
    clouds = [sensor.sense(snap, SensorScene(static, snap)) for _ in range(2)]
    return clouds + [sensor.rng.random(4)]


@pytest.mark.parametrize("parameters, environment", [
    ({"dropout_probability": 0.05}, None),
    ({"dropout_probability": 0.0}, None),
    ({"dropout_probability": 0.02, "range_noise_m": 0.0}, None),          # no normals drawn
    ({"dropout_probability": 0.02}, {"precipitation_type": "rain", "precipitation_intensity_mm_h": 20.0}),
])
def test_chunked_noise_draws_give_the_serial_sweep(parameters, environment, monkeypatch):
    """The two-thread sweep (normals drawn in chunks beside the placing of each chunk's points) gives the
    serial sweep's clouds and leaves the generator where the serial sweep leaves it."""
    serial = _room_sweeps(False, parameters, monkeypatch, environment)
    split = _room_sweeps(True, parameters, monkeypatch, environment)
    for a, b in zip(serial[:2], split[:2]):
        assert a.width > 20000                                 # several noise chunks
        assert a.points.tobytes() == b.points.tobytes()
        assert a.labels.tobytes() == b.labels.tobytes()
    assert np.array_equal(serial[2], split[2])


def test_a_failed_draw_reaches_the_caller(monkeypatch):
    """An error in the worker's draws is raised by the sweep (no thread left waiting)."""
    import sensors.lidar as lidar_module

    class Broken:
        def random(self, *args, **kwargs):
            return np.random.default_rng(0).random(*args, **kwargs)

        def standard_normal(self, *args, **kwargs):
            raise RuntimeError("no normals")

    real = lidar_module.Lidar.__init__

    def init(self, config):
        real(self, config)
        self.rng = Broken()

    monkeypatch.setattr(lidar_module.Lidar, "__init__", init)
    with pytest.raises(RuntimeError, match="no normals"):
        _room_sweeps(True, {"dropout_probability": 0.05}, monkeypatch)
