"""Session-4 rosette frame: the compiled frame and its tables are the numpy reference's bytes, the bucket
argsort is numpy's stable argsort, and a Livox sweep's cloud does not depend on which built the frame."""

from __future__ import annotations

import numpy as np
import pytest

import sensors.lidar as lidar_module
import sensors.lidar_actors as actors_module
import sensors.lidar_patterns as patterns
from sensors.base import SensorConfig
from sensors.frames import MountPose
from sensors.lidar import Lidar
from sensors.lidar_patterns import PRESETS, pattern_tables, risley_pattern, risley_pattern_reference
from sensors.lidar_sort import _radix_argsort, bucket_argsort_f32, stable_argsort_f32
from sensors.scene import SensorScene, static_world_for

from sensors_testworld import entity, plane, snapshot

_PATTERN_FIELDS = ("directions", "ring", "time", "azimuth_order", "sorted_azimuth")
_TABLE_FIELDS = ("columns", "elevation", "cast_position", "cast_order", "cast_directions", "cast_time",
                 "azimuth_elevation", "azimuth_position")


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _assert_frame_is_reference(pattern, tables, want_pattern, want_tables) -> None:
    for name in _PATTERN_FIELDS:
        assert _same(getattr(pattern, name), getattr(want_pattern, name)), name
    assert pattern.period_s == want_pattern.period_s and pattern.grid is None
    for name in _TABLE_FIELDS:
        assert _same(getattr(tables, name), getattr(want_tables, name)), name
    assert _same(tables.homogeneous.numpy(), want_tables.homogeneous.numpy())
    assert tables.elevation_range == want_tables.elevation_range


@pytest.mark.parametrize("rate_hz,frame", [(10.0, 0), (10.0, 1), (10.0, 2), (10.0, 31), (10.0, 123457),
                                           (20.0, 5), (7.3, 10**7 + 3)])
def test_compiled_frame_and_tables_are_the_numpy_references_bytes(rate_hz, frame):
    spec = PRESETS["Livox-Mid40"]
    pattern = risley_pattern(spec, rate_hz, frame)
    want_pattern, want_tables = risley_pattern_reference(spec, rate_hz, frame)
    _assert_frame_is_reference(pattern, pattern_tables(pattern), want_pattern, want_tables)


def test_a_frame_whose_tables_were_dropped_gets_the_same_tables_again():
    spec = PRESETS["Livox-Mid40"]
    pattern = risley_pattern.__wrapped__(spec, 10.0, 4242)              # built, not kept by the lru cache
    for k in range(patterns.RISLEY_FRAMES_KEPT + 1):                     # push its tables out of the frame store
        risley_pattern.__wrapped__(spec, 10.0, 5000 + k)
    assert id(pattern) not in patterns._FRAME_TABLES
    want_pattern, want_tables = risley_pattern_reference(spec, 10.0, 4242)
    _assert_frame_is_reference(pattern, pattern_tables(pattern), want_pattern, want_tables)
    assert len(patterns._FRAME_TABLES) == patterns.RISLEY_FRAMES_KEPT


def test_frame_tables_stay_while_their_frame_is_in_use():
    spec = PRESETS["Livox-Mid40"]
    kept = risley_pattern.__wrapped__(spec, 10.0, 7000)
    for k in range(3 * patterns.RISLEY_FRAMES_KEPT):                 # a frame looked up every sweep stays
        assert pattern_tables(kept) is patterns._FRAME_TABLES[id(kept)][1]
        risley_pattern.__wrapped__(spec, 10.0, 7001 + k)
    assert id(kept) in patterns._FRAME_TABLES


def _sort_cases() -> list[np.ndarray]:
    rng = np.random.default_rng(11)
    cases = [np.zeros(0, np.float32), np.float32([1.5]), np.float32([2.0, 1.0]), np.float32([-0.0, 0.0]),
             np.full(50, 0.25, np.float32),
             np.float32([0.0, -0.0, 1.0, -0.0, 0.0, -1.0, 1e-45, -1e-45, 3e38, -3e38])]
    for n in (3, 17, 1000, 6000):
        cases.append(rng.normal(size=n).astype(np.float32))
        cases.append((np.round(rng.normal(size=n) * 4) / 4).astype(np.float32))          # many ties
        cases.append(rng.choice(np.float32([-0.0, 0.0, 2.0, -2.0]), n))                 # signed zeros tie
        cases.append(np.sort(rng.uniform(-1, 1, n)).astype(np.float32)[::-1].copy())     # descending
        cases.append(np.concatenate([rng.uniform(0, 1e-6, n - 1), [1e6]]).astype(np.float32))  # bunched
    return cases


def test_bucket_argsort_is_numpys_stable_argsort():
    for keys in _sort_cases():
        want = np.argsort(keys, kind="stable")
        got = stable_argsort_f32(keys)
        assert got.dtype == np.int64 and np.array_equal(got, want)
        if len(keys) > 1:
            lo, hi = float(keys.min()), float(keys.max())
            assert np.array_equal(bucket_argsort_f32(keys, lo, hi), want)
            # bounds other than the keys' own: slower, the same order
            assert np.array_equal(bucket_argsort_f32(keys, lo / 3 + hi / 3, hi / 2 + lo / 4), want)
            for bad_lo, bad_hi in ((hi, lo), (1e-320, 2e-320), (np.nan, 1.0), (0.0, np.inf)):
                assert np.array_equal(bucket_argsort_f32(keys, bad_lo, bad_hi), want)
            assert np.array_equal(_radix_argsort(keys), want)


def test_bunched_keys_take_the_radix_sort_and_non_finite_keys_numpys():
    rng = np.random.default_rng(5)
    bunched = np.concatenate([rng.uniform(0, 1e-6, 4999), [1e6]]).astype(np.float32)
    assert np.array_equal(bucket_argsort_f32(bunched, float(bunched.min()), float(bunched.max())),
                          np.argsort(bunched, kind="stable"))
    special = np.float32([1.0, np.nan, -np.inf, 0.0, -0.0, np.nan, np.inf, 2.0, -1.0, 1.0])
    negative_nan = np.float32([np.nan, 1.0]) * np.float32(-1.0)          # sign bit set: first, by its bits
    for keys in (special, rng.choice(special, 500), np.concatenate([negative_nan, special])):
        assert np.array_equal(stable_argsort_f32(keys), np.argsort(keys, kind="stable"))
        assert np.array_equal(bucket_argsort_f32(keys, -1.0, 2.0), np.argsort(keys, kind="stable"))


def test_rosette_keys_sort_as_numpy():
    spec = PRESETS["Livox-Mid40"]
    for frame in (3, 77):
        directions = risley_pattern_reference(spec, 10.0, frame)[0].directions
        for keys in (np.arctan2(directions[:, 1], directions[:, 0]), np.ascontiguousarray(directions[:, 2])):
            assert np.array_equal(stable_argsort_f32(keys), np.argsort(keys, kind="stable"))


def test_livox_clouds_do_not_depend_on_which_path_built_the_frames(monkeypatch):
    static = static_world_for(plane(400.0))
    cars = [entity(f"c{k}", x=x, y=y, heading=h) for k, (x, y, h) in
            enumerate([(12.0, 1.0, 0.2), (25.0, -3.0, 0.0), (40.0, 4.0, 1.0), (8.0, -1.5, -0.4)])]
    reference: dict[int, tuple] = {}

    def reference_pattern(spec, rate_hz, frame):
        if frame not in reference:
            reference[frame] = risley_pattern_reference(spec, rate_hz, frame)
        return reference[frame][0]

    def reference_tables(pattern):
        for p, t in reference.values():
            if p is pattern:
                return t
        raise AssertionError("not a reference frame")

    def sweeps(distortion: bool) -> list:
        lidar = Lidar(SensorConfig(name="t", type="lidar", preset="Livox-Mid40", mount=MountPose(x=1.3, z=1.9),
                                   parameters={"dropout_probability": 0.05, "motion_distortion": distortion,
                                               "labels": True}))
        out = []
        for k in range(4):
            snap = snapshot(entity("ego", x=2.0 * k, vx=20.0, yaw_rate=0.1, ego=True), *cars, time=0.1 * k + 0.3)
            out.append(lidar.sense(snap, SensorScene(static, snap)))
        return out

    for distortion in (False, True):
        compiled = sweeps(distortion)
        with monkeypatch.context() as m:
            m.setattr(lidar_module, "risley_pattern", reference_pattern)
            m.setattr(lidar_module, "pattern_tables", reference_tables)
            m.setattr(actors_module, "pattern_tables", reference_tables)
            numpy_built = sweeps(distortion)
        assert sum(c.width for c in compiled) > 1000
        for a, b in zip(compiled, numpy_built):
            for name, value in vars(a).items():
                other = vars(b)[name]
                if isinstance(value, np.ndarray):
                    assert _same(value, other), name
                elif isinstance(value, dict):
                    assert value.keys() == other.keys() and all(_same(value[k], other[k]) for k in value), name
                else:
                    assert value == other, name


@pytest.mark.parametrize("preset", ["VLP-16", "OS1-128"])
def test_cast_order_copies_built_on_first_use_are_the_gathers(preset):
    pattern = patterns.spinning_pattern(PRESETS[preset], 10.0)
    tables = pattern_tables(pattern)
    assert _same(tables.cast_directions, np.ascontiguousarray(pattern.directions[tables.cast_order]))
    assert _same(tables.cast_time, pattern.time[tables.cast_order])
    assert tables.cast_directions is tables.cast_directions             # built once
    assert _same(tables.homogeneous.numpy()[:, 3], np.ones(pattern.size, np.float32))
