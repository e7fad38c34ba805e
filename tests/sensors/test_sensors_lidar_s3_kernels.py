"""Session-3 lidar kernels give their numpy / one-pass references' bits: radix argsort, compiled window
lookups, the passes cut around the random draws, and two-thread sweeps in weather and without noise."""

from __future__ import annotations

import numpy as np
import pytest

import sensors.lidar as lidar_module
from sensors.base import SensorConfig
from sensors.frames import MountPose, sensor_transform
from sensors.lidar import Lidar
from sensors.lidar_actors import candidate_pairs, candidate_pairs_numpy
from sensors.lidar_draws import select_words
from sensors.lidar_gather import fill_compact
from sensors.lidar_kernels import select_returns
from sensors.lidar_patterns import PRESETS, pattern_tables, risley_pattern
from sensors.lidar_sort import stable_argsort_f32
from sensors.pointcloud import POINT_DTYPE
from sensors.scene import SensorScene, static_world_for

from sensors_testworld import entity, room, snapshot


def test_radix_argsort_is_numpys_stable_argsort():
    rng = np.random.default_rng(0)
    cases = [np.zeros(0, np.float32), np.float32([1.5]), np.full(50, 0.25, np.float32),
             np.float32([0.0, -0.0, 1.0, -0.0, 0.0, -1.0, np.inf, -np.inf, 1e-45, -1e-45])]
    for n in (17, 1000, 5000):
        cases.append(rng.normal(size=n).astype(np.float32))
        cases.append((np.round(rng.normal(size=n) * 4) / 4).astype(np.float32))          # many ties
        cases.append(rng.uniform(0.1, 0.1001, n).astype(np.float32))                     # one high digit
        signed_zeros = rng.choice(np.float32([-0.0, 0.0, 2.0, -2.0]), n)
        cases.append(signed_zeros)
    spec = PRESETS["Livox-Mid40"]
    d = risley_pattern(spec, 10.0, 7).directions
    cases += [np.ascontiguousarray(d[:, 2]), np.arctan2(d[:, 1], d[:, 0])]
    for keys in cases:
        assert np.array_equal(stable_argsort_f32(keys), np.argsort(keys, kind="stable"))


@pytest.mark.parametrize("preset", ["VLP-16", "HDL-64E", "Livox-Mid40", "explicit"])
def test_compiled_window_lookups_give_the_numpy_pairs(preset):
    ego = entity("ego", ego=True)
    cars = [entity(f"c{k}", x=x, y=y, heading=h) for k, (x, y, h) in
            enumerate([(8.0, 2.0, 0.3), (-15.0, -3.5, 2.0), (30.0, 0.0, 0.0), (0.5, 4.0, 1.2), (200.0, 0.0, 0.0),
                       (-40.0, 40.0, -0.7), (3.0, -0.5, 0.1)])]
    snap = snapshot(ego, *cars)
    scene = SensorScene(static_world_for(room(12.0)), snap)
    kw = dict(preset=preset) if preset != "explicit" else dict(
        parameters={"channels": 8, "columns": 300, "horizontal_fov_deg": 120.0})
    lidar = Lidar(SensorConfig(name="t", type="lidar", mount=MountPose(x=1.0, z=1.8, yaw=0.4), **kw))
    to_world = sensor_transform(snap, lidar.config.mount)
    for frame in range(3):
        pattern = lidar.pattern(0.1 * frame)
        position = pattern_tables(pattern).cast_position
        for motion in (None, (20.0, 0.6)):
            got = candidate_pairs(scene.actor_boxes, pattern, position, to_world, lidar.max_range, motion)
            want = candidate_pairs_numpy(scene.actor_boxes, pattern, position, to_world, lidar.max_range, motion)
            assert len(want[0]) > 100
            assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_passes_on_words_equal_the_one_pass_kernels():
    """The selection with uniforms decoded from words (``lidar_draws.select_words``) and the records of
    compact returns filled in two parts (``lidar_gather.fill_compact``) equal ``select_returns`` and
    numpy's records (session 5: these replaced the passes cut around numpy's draws)."""
    from sensors_testworld import numpy_records

    rng = np.random.default_rng(5)
    n = 20000
    r = rng.uniform(0.0, 130.0, n).astype(np.float32)
    r[:5] = 0.0                                                        # 0/0: numpy's NaN, never selected
    echo = rng.uniform(0.0, 1.0, n).astype(np.float32)
    idx = np.sort(rng.choice(50000, n, replace=False)).astype(np.int32)
    columns = rng.normal(size=(3, 50000)).astype(np.float32)
    ring = rng.integers(0, 64, 50000).astype(np.uint16)
    time = rng.uniform(0.0, 0.1, 50000).astype(np.float32)
    threshold = float(np.median(echo[5:] / (r[5:] * r[5:])))
    words = rng.integers(0, 2 ** 32, n + 1, dtype=np.uint32)
    dropout = 838861 / 2 ** 24                                         # a float32 a word decodes to exactly
    words[10:60] = np.uint32(838861 << 8)                              # on the dropout boundary: kept
    uniform = (words[1:] >> np.uint32(8)).astype(np.float32) * np.float32(2 ** -24)
    for drop in (True, False):
        u = uniform if drop else np.zeros(0, np.float32)
        sel = np.empty(n, np.int32)
        want = sel[:select_returns(r, echo, u, dropout, threshold, sel)].copy()
        got = np.empty(n + 1, np.int32)
        found = select_words(r, echo, words[1:], int(words[0]), 0, dropout, threshold, drop, got)
        assert np.array_equal(got[:found], want) and len(want) > 1000
        for noise, sigma in ((rng.standard_normal(len(want), dtype=np.float32), 0.02), (np.zeros(0, np.float32), 0.0)):
            a = numpy_records(columns, idx[want], r[want], echo[want], noise, sigma, 25500.0, 100.0, ring, time)
            b = np.empty(len(want), POINT_DTYPE)
            h = len(want) // 3
            for s in (slice(0, h), slice(h, None)):
                fill_compact(*(b[f][s] for f in POINT_DTYPE.names), columns, idx[want][s], r[want][s], echo[want][s],
                             noise[s] if len(noise) else noise, sigma, 25500.0, 100.0, ring, time)
            assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("environment, parameters", [
    ({"fog_visual_range_m": 250.0}, {"dropout_probability": 0.1, "labels": True}),
    ({"precipitation_intensity_mm_h": 6.0}, {}),
    (None, {"range_noise_m": 0.0, "dropout_probability": 0.02}),
    (None, {"range_noise_m": 0.0}),
])
def test_two_thread_sweeps_equal_serial_sweeps_in_weather_and_without_noise(environment, parameters, monkeypatch):
    car = entity("car", x=6.0, y=1.0, heading=0.3, bbox=(4.0, 2.0, 1.6, 0.0, 0.0, 0.8))
    snap = snapshot(entity("ego", ego=True, vx=8.0), car, environment=environment)
    static = static_world_for(room(12.0))
    out = []
    for split in (False, True):
        monkeypatch.setattr(lidar_module, "two_threads", lambda rays, split=split: split)
        sensor = Lidar(SensorConfig(name="top", type="lidar", preset="HDL-32E", mount=MountPose(z=1.2), seed=9,
                                    parameters=parameters))
        clouds = [sensor.sense(snap, SensorScene(static, snap)) for _ in range(2)]
        out.append((clouds, sensor.rng.random(3)))
    (serial, serial_next), (split, split_next) = out
    for a, b in zip(serial, split):
        assert a.width > 1000 and a.points.tobytes() == b.points.tobytes()
        assert (a.labels is None and b.labels is None) or a.labels.tobytes() == b.labels.tobytes()
    assert np.array_equal(serial_next, split_next)                   # the same draws were taken


class _Clock:
    """perf_counter / process_time under test control."""

    def __init__(self) -> None:
        self.wall = 100.0
        self.cpu = 5.0

    def perf_counter(self) -> float:
        return self.wall

    def process_time(self) -> float:
        return self.cpu


def test_own_load_discounts_this_process_from_the_load_average(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(lidar_module, "time", clock)
    monkeypatch.setattr(lidar_module, "cores", lambda: 2)
    own = lidar_module.OwnLoad()
    monkeypatch.setattr(lidar_module, "_own_load", own)
    for _ in range(600):                          # ten minutes at 1.7 busy threads: the average settles there
        clock.wall += 1.0
        clock.cpu += 1.7
        own.update()
    assert abs(own.value - 1.7) < 1e-3
    clock.wall += 0.1                             # a tenth of a second: too short a window, value kept
    clock.cpu += 0.2
    assert own.update() == own.value and abs(own.value - 1.7) < 1e-3
    # the machine's load is this process's own: the second core is free, so split
    monkeypatch.setattr(lidar_module.os, "getloadavg", lambda: (1.9, 0.0, 0.0))
    assert lidar_module.two_threads(133312)
    # other processes take 0.8 of a core on average: capacity is left beside the calling thread's core …
    monkeypatch.setattr(lidar_module.os, "getloadavg", lambda: (2.5, 0.0, 0.0))
    assert lidar_module.two_threads(133312)
    # … but not beside another busy process (1.2 cores of others), nor on a saturated machine
    for load in (2.9, 4.0):
        monkeypatch.setattr(lidar_module.os, "getloadavg", lambda load=load: (load, 0.0, 0.0))
        assert not lidar_module.two_threads(133312)
    for _ in range(600):                          # the process idles: its share decays, as the kernel's does
        clock.wall += 1.0
        own.update()
    assert own.value < 1e-3


def _grid_pairs_numpy(r0, r1, first, last, columns, full_circle):
    """Each box's rows: its rings × the union of its column ranges (mod columns, or clipped), ascending."""
    groups = []
    for k in range(len(r0)):
        cols = []
        for s in range(first.shape[1]):
            a, b = int(first[k, s]), int(last[k, s])
            if full_circle:
                if b - a + 1 >= columns:
                    a, b = 0, columns - 1
                cols.append(np.arange(a, b + 1) % columns)
            else:
                cols.append(np.arange(max(a, 0), min(b, columns - 1) + 1))
        c = np.unique(np.concatenate(cols)) if cols else np.zeros(0, np.int64)
        rings = np.arange(r0[k], r1[k])
        groups.append((rings[:, None] * columns + c[None, :]).ravel())
    offsets = np.concatenate([[0], np.cumsum([len(g) for g in groups])]).astype(np.int64)
    return (np.concatenate(groups) if groups else np.zeros(0, np.int64)), offsets


def test_grid_pairs_runs_give_every_box_its_rings_times_its_columns():
    from sensors.lidar_kernels import grid_pairs

    rng = np.random.default_rng(1)
    for trial in range(150):
        m, columns, channels = int(rng.integers(0, 12)), int(rng.integers(1, 600)), int(rng.integers(1, 40))
        full = bool(trial % 2)
        r0 = rng.integers(0, channels, m)
        r1 = r0 + rng.integers(-3, 8, m)                                 # some empty ring ranges
        first = rng.integers(-2 * columns, 2 * columns, (m, 1 if full else 3))
        last = first + rng.integers(-5, columns + 10, first.shape)      # empty, partial and wrapping ranges
        offsets = np.zeros(m + 1, np.int64)
        got = grid_pairs(r0, r1, first, last, columns, full, offsets)
        want, want_offsets = _grid_pairs_numpy(r0, r1, first, last, columns, full)
        assert np.array_equal(got, want) and np.array_equal(offsets, want_offsets)


@pytest.mark.parametrize("frame", [0, 1, 17])
def test_pattern_tables_hold_the_azimuth_ordered_copies(frame):
    spec = PRESETS["Livox-Mid40"]
    pattern = risley_pattern(spec, 10.0, frame)
    tables = pattern_tables(pattern)
    directions = pattern.directions
    azimuth = np.arctan2(directions[:, 1], directions[:, 0]).astype(np.float64)
    assert np.array_equal(pattern.azimuth_order, np.argsort(azimuth, kind="stable"))
    assert np.array_equal(tables.cast_order, np.argsort(directions[:, 2], kind="stable"))
    assert np.array_equal(tables.azimuth_elevation, tables.elevation[pattern.azimuth_order])
    assert np.array_equal(tables.azimuth_position, tables.cast_position[pattern.azimuth_order])
    assert np.array_equal(tables.cast_position[tables.cast_order], np.arange(pattern.size))

