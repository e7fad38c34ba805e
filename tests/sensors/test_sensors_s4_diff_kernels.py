"""Adversarial differential tests of the session-4 lidar kernels against the references they replaced.

Seeded ``numpy.random.Generator`` draws (a failure names its seed) of what the authors' own tests did
not choose: sort keys with ties, +-0.0, NaN of either sign and any payload, infinities, subnormals and
the float32 extremes, sorted with bounds that are not the keys' own (the rosette frame passes analytic
bounds); run scans whose thresholds sit exactly on values and on the bounds, ranges starting and ending
mid-block, blocks of one row; the per-ring d_z bounds of a head in any orientation (upside down,
pointing up or down, uniformly random rotations) at any position.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sensors.lidar_sort import _radix_argsort, bucket_argsort_f32, stable_argsort_f32
from sensors.static_cast import end_runs, end_runs_bounded

F32 = np.finfo(np.float32)
SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, F32.max, -F32.max, F32.tiny, -F32.tiny, F32.smallest_subnormal,
                    -F32.smallest_subnormal, 1.0, -1.0], np.float32)


def _nans(rng: np.random.Generator, n: int) -> np.ndarray:
    """NaNs of either sign with random payloads (quiet and signalling bit patterns)."""
    payload = rng.integers(1, 1 << 23, n, dtype=np.uint32)
    sign = rng.integers(0, 2, n, dtype=np.uint32) << np.uint32(31)
    return (np.uint32(0x7F800000) | payload | sign).view(np.float32)


def hostile_keys(rng: np.random.Generator, n: int, finite: bool) -> np.ndarray:
    """Keys drawn from a few distinct values (ties), a smooth spread and the special values."""
    kind = int(rng.integers(0, 5))
    if kind == 0:
        keys = rng.choice(rng.normal(0, 1, max(1, n // 8)), n)          # many ties
    elif kind == 1:
        keys = np.sort(rng.uniform(-math.pi, math.pi, n))[::-1] + rng.normal(0, 1e-6, n)   # near-sorted
    elif kind == 2:
        keys = rng.normal(0, 1e-38, n)                                # subnormal-ish
    elif kind == 3:
        keys = np.full(n, rng.normal())                               # all equal
    else:
        keys = rng.uniform(-1, 1, n) * 10.0 ** rng.integers(-30, 30, n)
    keys = keys.astype(np.float32)
    special = SPECIAL
    if finite:
        special = special[np.isfinite(special)]
    picks = rng.random(n) < 0.1
    keys[picks] = rng.choice(special, int(picks.sum()))
    if not finite and n and rng.random() < 0.5:
        picks = rng.random(n) < 0.05
        keys[picks] = _nans(rng, int(picks.sum()))
    return keys


def _reference(keys: np.ndarray) -> np.ndarray:
    return np.argsort(keys, kind="stable")


@pytest.mark.parametrize("seed", range(6))
def test_stable_argsort_is_numpys_on_hostile_keys(seed):
    rng = np.random.default_rng(seed)
    for trial in range(60):
        n = int(rng.choice([0, 1, 2, 3, 17, 300, 4000]))
        keys = hostile_keys(rng, n, finite=bool(trial % 2))
        want = _reference(keys)
        got = stable_argsort_f32(keys)
        assert np.array_equal(got, want), f"seed {seed} trial {trial}: stable_argsort_f32"
        if n and np.isfinite(keys).all():
            assert np.array_equal(_radix_argsort(keys), want), f"seed {seed} trial {trial}: radix"


@pytest.mark.parametrize("seed", range(6))
def test_bucket_argsort_with_bounds_that_are_not_the_keys_own(seed):
    """The rosette frame passes analytic bounds: wider, narrower, equal, reversed or non-finite bounds
    only make the sort slower, never another order; non-finite keys hand over to the merge sort."""
    rng = np.random.default_rng(100 + seed)
    for trial in range(60):
        n = int(rng.choice([2, 3, 50, 2000]))
        keys = hostile_keys(rng, n, finite=bool(trial % 3))
        finite = keys[np.isfinite(keys)]
        k_lo = float(finite.min()) if len(finite) else 0.0
        k_hi = float(finite.max()) if len(finite) else 1.0
        span = k_hi - k_lo
        bounds = [(k_lo, k_hi), (k_lo - span, k_hi + span), (k_lo + span / 3, k_hi - span / 3), (k_lo, k_lo),
                  (k_hi, k_lo), (-math.inf, math.inf), (0.0, math.inf), (math.nan, 1.0), (-3.4e38, 3.4e38),
                  (1e-45, 2e-45)]
        want = _reference(keys)
        for lo, hi in bounds:
            got = bucket_argsort_f32(keys, lo, hi)
            assert np.array_equal(got, want), f"seed {seed} trial {trial} bounds {(lo, hi)}"


def test_signed_zero_and_nan_ties_keep_index_order():
    keys = np.array([0.0, -0.0, np.nan, -0.0, -np.nan, 0.0, np.inf, -np.inf, np.nan], np.float32)
    want = _reference(keys)
    assert np.array_equal(stable_argsort_f32(keys), want)
    assert np.array_equal(bucket_argsort_f32(keys, -1.0, 1.0), want)
    finite = keys[np.isfinite(keys)]
    assert np.array_equal(bucket_argsort_f32(finite, 0.0, 0.0), _reference(finite))
    assert np.array_equal(_radix_argsort(finite), _reference(finite))


# --- run scans with bounds -------------------------------------------------------------------------


def _bounded_case(rng: np.random.Generator):
    """Values in blocks, the exact per-block extremes as bounds (tight: a bound equals a value), or
    looser ones; thresholds on values, on bounds, on +-0.0."""
    size = int(rng.choice([1, 2, 7, 64, 65, 200]))
    blocks = int(rng.integers(1, 9))
    level = rng.choice([-1.0, 1.0], blocks) * rng.choice([0.0, 0.2, 1.0], blocks)
    values = (np.repeat(level, size) + rng.choice([0.0, 1e-7, 0.05], blocks * size)
              * rng.normal(size=blocks * size)).astype(np.float32)
    values[rng.random(len(values)) < 0.03] = rng.choice([0.0, -0.0, -0.2, 0.2])
    n = len(values) - int(rng.integers(0, size))
    values = values[:n]
    pad = np.full(blocks * size - n, np.nan)
    v64 = np.concatenate([values.astype(np.float64), pad]).reshape(blocks, size)
    with np.errstate(invalid="ignore"):
        lo = np.nanmin(v64, axis=1) - rng.choice([0.0, 0.0, 1e-9, 0.3], blocks)
        hi = np.nanmax(v64, axis=1) + rng.choice([0.0, 0.0, 1e-9, 0.3], blocks)
    candidates = [0.0, -0.0, float(rng.choice(values)), float(rng.choice(lo)), float(rng.choice(hi)),
                  float(np.nextafter(np.float32(rng.choice(values)), np.float32(1)))]
    threshold = float(rng.choice(candidates))
    a = int(rng.integers(0, n + 1))
    b = int(rng.integers(a, n + 1))
    if rng.random() < 0.3:                                   # block edges
        a = min(n, size * int(rng.integers(0, blocks)))
        b = max(a, min(n, size * int(rng.integers(0, blocks + 1))))
    return values, a, b, threshold, size, lo, hi


@pytest.mark.parametrize("below", [True, False])
@pytest.mark.parametrize("seed", range(3))
def test_bounded_run_scan_is_the_plain_scan_on_tight_bounds(seed, below):
    rng = np.random.default_rng(200 + seed)
    for trial in range(400):
        values, a, b, threshold, size, lo, hi = _bounded_case(rng)
        want = end_runs(values[a:b], threshold, below)
        got = end_runs_bounded(values, a, b, threshold, below, size, lo, hi)
        assert got == want, f"seed {seed} trial {trial}: {(a, b, threshold, size)}"


# --- per-ring d_z bounds ----------------------------------------------------------------------------


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random rotation (Shoemake's quaternion method, Graphics Gems III)."""
    u1, u2, u3 = rng.random(3)
    q = (math.sqrt(1 - u1) * math.sin(2 * math.pi * u2), math.sqrt(1 - u1) * math.cos(2 * math.pi * u2),
         math.sqrt(u1) * math.sin(2 * math.pi * u3), math.sqrt(u1) * math.cos(2 * math.pi * u3))
    x, y, z, w = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


@pytest.mark.parametrize("preset", ["VLP-16", "HDL-32E", "OS1-128"])
def test_ring_bounds_hold_for_any_orientation_and_position(preset):
    from sensors.base import SensorConfig
    from sensors.frames import MountPose, Transform
    from sensors.lidar import Lidar
    from sensors.lidar_kernels import ray_buffer
    from sensors.lidar_patterns import pattern_tables

    rng = np.random.default_rng(300)
    lidar = Lidar(SensorConfig(name="l", type="lidar", preset=preset, mount=MountPose(z=1.9)))
    pattern = lidar.pattern(0.0)
    tables = pattern_tables(pattern)
    buf = np.empty((pattern.size, 6), np.float32)
    poses = [Transform.from_pose(0.0, 0.0, 0.0, math.pi, 0.0, 0.0),               # upside down
             Transform.from_pose(1e6, -1e6, 3e3, 0.0, math.pi / 2, 0.0),          # pointing down
             Transform.from_pose(0.0, 0.0, 0.0, 0.0, -math.pi / 2, math.pi),      # pointing up
             Transform.from_pose(0.0, 0.0, 0.0, math.pi / 2, 0.0, -math.pi)]      # on its side
    rotations = [p.rotation for p in poses] + [_random_rotation(rng) for _ in range(12)]
    for r in rotations:
        m = np.zeros((4, 6), dtype=np.float32)
        m[:3, 3:] = r.T
        m[3, :3] = rng.uniform(-1e6, 1e6, 3)
        ray_buffer(tables.homogeneous.numpy(), m, buf)
        bounds = lidar._ring_bounds(pattern, tables, m)
        dz = buf[:, 5].astype(np.float64)
        k = np.arange(len(dz)) // bounds.size
        assert np.all(dz >= bounds.lo[k]) and np.all(dz <= bounds.hi[k]), r


# --- actor windows and rosette frames ---------------------------------------------------------------


def _window_pairs_reference(elevation, position, i0, i1, j1, el_lo, el_hi):
    """The session-3 filter: a row is kept when lo <= e <= hi (a branch per row)."""
    rows, offsets = [], [0]
    for k in range(len(i0)):
        for q in list(range(i0[k], i1[k])) + list(range(j1[k])):
            if el_lo[k] <= elevation[q] <= el_hi[k]:
                rows.append(position[q])
        offsets.append(len(rows))
    return np.array(rows, dtype=np.int64), np.array(offsets, dtype=np.int64)


@pytest.mark.parametrize("seed", range(3))
def test_branch_free_window_filter_keeps_the_rows_the_branch_kept(seed):
    from sensors.lidar_kernels import window_pairs

    rng = np.random.default_rng(400 + seed)
    for trial in range(100):
        n = int(rng.integers(1, 300))
        elevation = np.sort(rng.uniform(-0.5, 0.5, n))[rng.permutation(n)]
        elevation[rng.random(n) < 0.05] = np.nan
        position = rng.permutation(n).astype(np.intp)
        m = int(rng.integers(0, 6))
        i0 = rng.integers(0, n + 1, m)
        i1 = np.where(rng.random(m) < 0.2, i0 - 1, rng.integers(0, n + 1, m))   # some empty or reversed spans
        i0, i1 = np.minimum(i0, n), np.minimum(i1, n)
        j1 = np.where(rng.random(m) < 0.3, rng.integers(0, n + 1, m), 0)
        el_lo = rng.choice(np.concatenate([elevation[np.isfinite(elevation)], [-1.0, np.nan]]), m)
        el_hi = np.maximum(el_lo, rng.choice(np.concatenate([elevation[np.isfinite(elevation)], [1.0]]), m))
        tie = rng.random(m) < 0.2
        el_hi[tie] = el_lo[tie]                                  # a window of one elevation
        offsets = np.empty(m + 1, dtype=np.int64)
        got = window_pairs(elevation, position, i0.astype(np.int64), i1.astype(np.int64), j1.astype(np.int64),
                           el_lo, el_hi, offsets)
        want, want_offsets = _window_pairs_reference(elevation, position, i0, i1, j1, el_lo, el_hi)
        assert np.array_equal(got, want) and np.array_equal(offsets, want_offsets), (seed, trial)


@pytest.mark.parametrize("seed", range(2))
def test_rosette_frames_of_any_field_of_view_rate_and_frame_are_the_reference(seed):
    """Analytic sort bounds (2 delta) are only a speed hint: fields of view from a hair to 360 degrees, odd
    rates and frame numbers past 2^31 (and negative) give the numpy reference's bytes."""
    import dataclasses

    from sensors.lidar_patterns import PRESETS, pattern_tables, risley_pattern, risley_pattern_reference

    rng = np.random.default_rng(500 + seed)
    fields = ("directions", "ring", "time", "azimuth_order", "sorted_azimuth")
    tables = ("columns", "elevation", "cast_position", "cast_order", "cast_directions", "cast_time",
              "azimuth_elevation", "azimuth_position")
    for trial in range(12):
        fov = float(rng.choice([38.4, 70.4, 1e-6, 0.01, 90.0, 179.0, 180.0, 360.0]))
        rate = float(rng.choice([10.0, 20.0, 7.3, 1.0, 100.0, 0.5]))
        frame = int(rng.choice([0, 1, int(rng.integers(0, 1000)), 2**31 - 1, 2**31 + 5, 10**9 + 7, -1, -77]))
        spec = dataclasses.replace(PRESETS["Livox-Mid40"], risley_fov_deg=fov)
        pattern = risley_pattern.__wrapped__(spec, rate, frame)
        got = pattern_tables(pattern)
        want_pattern, want_tables = risley_pattern_reference(spec, rate, frame)
        where = (fov, rate, frame)
        for name in fields:
            a, b = getattr(pattern, name), getattr(want_pattern, name)
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), (where, name)
        for name in tables:
            a, b = getattr(got, name), getattr(want_tables, name)
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), (where, name)
        assert got.homogeneous.numpy().tobytes() == want_tables.homogeneous.numpy().tobytes(), where
        assert got.elevation_range == want_tables.elevation_range, where


# --- actor box slab tests ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_vector_slab_pass_is_the_one_pass_merge_on_grazing_rays(seed):
    """Origins exactly on a face, an edge or a corner, direction components exactly +0.0 or -0.0 (a ray
    in a face's plane), huge origins, NaN rays, static hits at exactly the box's t: the vector slab
    pass (``merge_box_hits`` from ``VECTOR_PAIRS`` pairs on) and the one-pass kernel keep the same hits."""
    from sensors.actor_boxes import _merge_kernel, actor_boxes, merge_box_hits
    from sensors_testworld import entity, snapshot

    rng = np.random.default_rng(600 + seed)
    cars = [entity(f"c{k}", x=float(x), y=float(y), heading=float(h)) for k, (x, y, h) in
            enumerate(zip(rng.choice([0.0, 6.0, -6.0], 6), rng.choice([0.0, 3.0, -3.0], 6),
                          rng.choice([0.0, 0.0, np.pi, -np.pi / 2, 0.4], 6)))]
    snap = snapshot(entity("ego", x=-50.0, ego=True), *cars)
    boxes = actor_boxes(snap, np.arange(1, len(snap)))
    n, per_box = 3000, 900
    k = rng.integers(0, len(boxes), n)
    sign = rng.choice([-1.0, 1.0, 0.0], (n, 3))
    local = boxes.half[k] * sign                                       # faces, edges, corners and the centre
    origin = boxes.centre[k] + np.einsum("nij,nj->ni", boxes.rotation[k], local)
    rays = np.empty((n, 6), np.float32)
    rays[:, :3] = origin + rng.choice([0.0, 0.0, 1e-3, -5.0], (n, 1)) * rng.normal(size=(n, 3))
    d = rng.normal(size=(n, 3))
    zero = rng.random((n, 3)) < 0.3
    d[zero] = rng.choice([0.0, -0.0], int(zero.sum()))
    d[np.all(d == 0.0, axis=1)] = [1.0, 0.0, 0.0]
    rays[:, 3:] = d / np.linalg.norm(d, axis=1, keepdims=True)
    rays[rng.integers(0, n, 5), 0] = np.nan
    rays[rng.integers(0, n, 5), :3] = 1e6
    t0 = rng.uniform(0.0, 20.0, n).astype(np.float32)
    t0[::5] = np.inf
    t0[1::13] = 0.0
    ray = np.concatenate([np.sort(rng.permutation(n)[:per_box]) for _ in range(len(boxes))]).astype(np.int64)
    offsets = np.arange(len(boxes) + 1, dtype=np.int64) * per_box
    got = [t0.copy(), np.zeros((n, 3), np.float32), np.full(n, -1, np.int32), np.full(n, -1, np.int32)]
    want = [a.copy() for a in got]
    merge_box_hits(boxes, rays, ray, offsets, *got, 7)
    _merge_kernel(rays, ray, offsets, np.ascontiguousarray(boxes.rotation, dtype=np.float64),
                  np.ascontiguousarray(boxes.centre, dtype=np.float64), np.ascontiguousarray(boxes.half, dtype=np.float64),
                  boxes.entity.astype(np.int32), 7, *want)
    assert np.count_nonzero(want[3] >= 0) > 100
    for a, b in zip(got, want):
        assert a.tobytes() == b.tobytes()
