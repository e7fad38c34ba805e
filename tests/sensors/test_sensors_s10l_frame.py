"""Session 10 (Livox): the frame's sort computes each key's bucket once and keeps its scratch per thread
(``lidar_frame._sorted_words_into``, ``lidar_frame_rosette._scratch``); frames are not built beside sweeps
unless ``lidar_frame_rosette.BESIDE`` says so.  Same orders, same frames, same clouds."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import sensors.lidar as lidar_module
import sensors.lidar_frame_rosette as rosette
from sensors.base import SensorConfig
from sensors.frames import MountPose
from sensors.lidar import Lidar
from sensors.lidar_frame import _sorted_words, _sorted_words_into, bucket_argsort_f32
from sensors.lidar_patterns import PRESETS, pattern_tables, risley_pattern, risley_pattern_reference
from sensors.scene import SensorScene, static_world_for

from sensors_testworld import entity, plane, snapshot

SPEC = PRESETS["Livox-Mid40"]


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _keys(rng: np.random.Generator) -> list[np.ndarray]:
    smooth = np.sin(np.linspace(0.0, 40.0, 3001)).astype(np.float32)
    ties = rng.integers(-3, 4, 2000).astype(np.float32)
    zeros = np.float32([0.0, -0.0, 0.0, -0.0, 1.0, -1.0, -0.0])
    huge = np.float32([3e38, -3e38, 1e-45, -1e-45, 0.0, 2.0, 3e38])
    return [smooth, ties, zeros, huge, rng.normal(size=5000).astype(np.float32),
            rng.uniform(-0.33, 0.33, 10000).astype(np.float32), np.float32([2.0, 1.0])]


def test_the_sorted_words_are_the_stable_order_for_any_bounds():
    rng = np.random.default_rng(10)
    for keys in _keys(rng):
        want = np.argsort(keys, kind="stable")
        lo, hi = float(keys.min()), float(keys.max())
        for bounds in ((lo, hi), (lo / 3 + hi / 3, hi / 2 + lo / 4), (hi, lo), (np.nan, 1.0), (0.0, np.inf),
                       (1e-320, 2e-320)):
            words = _sorted_words(keys, *bounds)
            if len(words):                                  # else the radix sort takes over (bunched keys)
                assert np.array_equal((words & np.uint64(0xFFFFFFFF)).astype(np.int64), want), bounds
            assert np.array_equal(bucket_argsort_f32(keys, *bounds), want), bounds


def test_scratch_from_an_earlier_sort_changes_nothing():
    rng = np.random.default_rng(11)
    n = 4000
    bucket = np.full(n, 12345, np.int32)
    start = np.full(2 * n + 1, -7, np.int32)               # stale counts: the sort must clear them
    words = np.zeros(n, np.uint64)
    for _ in range(3):
        keys = rng.uniform(-1.0, 1.0, n).astype(np.float32)
        assert _sorted_words_into(keys, -1.0, 1.0, bucket, start, words)
        assert np.array_equal((words & np.uint64(0xFFFFFFFF)).astype(np.int64), np.argsort(keys, kind="stable"))


def test_bunched_keys_hand_over_to_the_radix_sort():
    rng = np.random.default_rng(12)
    bunched = np.concatenate([rng.uniform(0, 1e-6, 4999), [1e6]]).astype(np.float32)
    assert len(_sorted_words(bunched, float(bunched.min()), float(bunched.max()))) == 0
    assert np.array_equal(bucket_argsort_f32(bunched, float(bunched.min()), float(bunched.max())),
                          np.argsort(bunched, kind="stable"))


def test_frames_built_on_two_threads_at_once_are_the_reference():
    frames = list(range(990_001, 990_009))
    built: dict[int, object] = {}

    def build(chunk):
        for f in chunk:
            built[f] = risley_pattern.__wrapped__(SPEC, 10.0, f)

    threads = [threading.Thread(target=build, args=(frames[k::2],)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for f in frames:
        want_pattern, want_tables = risley_pattern_reference(SPEC, 10.0, f)
        tables = pattern_tables(built[f])
        for name in ("cast_order", "cast_position", "columns"):
            assert _same(getattr(tables, name), getattr(want_tables, name)), (f, name)
        assert _same(tables.homogeneous.numpy(), want_tables.homogeneous.numpy())
        assert _same(built[f].directions, want_pattern.directions)


def test_frames_are_not_built_beside_by_default(monkeypatch):
    assert rosette.BESIDE is False
    assert rosette.frame_ahead(SPEC, 10.0, 990_101) is None
    monkeypatch.setattr(rosette, "BESIDE", True)
    ahead = rosette.frame_ahead(SPEC, 10.0, 990_102)
    assert ahead is not None
    ahead.finish()
    assert (SPEC, 10.0, 990_102) in rosette._FRAMES


@pytest.mark.parametrize("beside", [False, True])
def test_clouds_with_a_free_cpu_are_those_without(monkeypatch, beside):
    """With the load gate open (``second_cpu_free``) and ``BESIDE`` either way, consecutive new-frame sweeps
    give the clouds and generator states of sweeps without a free CPU."""
    static = static_world_for(plane(400.0))
    cars = [entity(f"c{k}", x=x, y=y) for k, (x, y) in enumerate([(12.0, 1.0), (30.0, -3.0), (55.0, 2.0)])]

    def run(free: bool) -> list:
        with rosette._FRAME_LOCK:
            rosette._FRAMES.clear()
        lidar = Lidar(SensorConfig(name="w", type="lidar", preset="Livox-Mid40", mount=MountPose(x=1.3, z=1.9),
                                   parameters={"dropout_probability": 0.03, "labels": True}))
        out = []
        with monkeypatch.context() as m:
            m.setattr(lidar_module, "second_cpu_free", lambda: free)
            m.setattr(rosette, "BESIDE", beside)
            for k in range(6):
                snap = snapshot(entity("ego", x=1.5 * k, ego=True), *cars, time=33.0 + 0.1 * k)
                cloud = lidar.sense(snap, SensorScene(static, snap))
                out.append((cloud.points.tobytes(), cloud.labels.tobytes(), repr(lidar.rng.bit_generator.state)))
        return out

    reference = run(False)
    assert sum(len(p) for p, _, _ in reference) > 0
    assert run(True) == reference
