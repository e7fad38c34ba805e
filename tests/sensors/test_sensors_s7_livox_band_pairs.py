"""Session-7 Livox frame: the candidate pairs found from the cast order's elevation bands
(``lidar_band_pairs``) are the azimuth path's rows box by box; the azimuth tables built on first read
(``lidar_frame_lazy``) are the reference's; a sweep's cloud is the same either way."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

import sensors.lidar as lidar_module
from sensors.base import SensorConfig
from sensors.frames import MountPose, sensor_transform
from sensors.lidar import Lidar
from sensors.lidar_actors import candidate_pairs
from sensors.lidar_band_pairs import band_pairs, frame_pairs
from sensors.lidar_frame_lazy import RosetteFrame, RosetteTables
from sensors.lidar_kernels import window_pairs
from sensors.lidar_patterns import PRESETS, pattern_tables, risley_pattern, risley_pattern_reference
from sensors.lidar_windows import azimuth_spans
from sensors.scene import SensorScene, static_world_for

from sensors_testworld import entity, plane, snapshot

SPEC = PRESETS["Livox-Mid40"]


def _livox(**parameters) -> Lidar:
    return Lidar(SensorConfig(name="l", type="lidar", preset="Livox-Mid40", mount=MountPose(x=1.3, z=1.9),
                              parameters={"dropout_probability": 0.01, **parameters}))


def _traffic(rng: np.random.Generator, heading: float = 0.0, n: int = 14):
    cars = [entity(f"c{k}", x=float(x), y=float(y), z=float(z), heading=float(h)) for k, (x, y, z, h) in
            enumerate(zip(rng.uniform(-40, 90, n), rng.uniform(-15, 15, n), rng.uniform(-1.0, 2.0, n),
                          rng.uniform(-3.2, 3.2, n)))]
    cars.append(entity("over", x=1.3 * np.cos(heading), y=1.3 * np.sin(heading), z=-0.5))   # holds the axis
    cars.append(entity("far", x=900.0, y=3.0))
    cars.append(entity("near", x=4.0 * np.cos(heading), y=4.0 * np.sin(heading)))             # a tall window
    return snapshot(entity("ego", ego=True, heading=heading), *cars)


def _groups(ray: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    return [np.sort(ray[offsets[k]:offsets[k + 1]]) for k in range(len(offsets) - 1)]


def _band(pattern, tables, boxes, to_world, max_range, motion=None):
    return frame_pairs(boxes, tables.homogeneous.numpy()[:, 2], tables.cast_order, tables.cast_azimuth,
                       tables.azimuth_extent, tables.elevation, to_world, max_range, pattern.period_s, motion)


@pytest.mark.parametrize("seed, heading, motion", [(1, 0.0, None), (2, 0.8, None), (3, -2.9, (25.0, 0.4)),
                                                    (4, 3.1, (0.0, -1.2)), (5, 1.6, (12.0, 0.0))])
def test_band_pairs_are_the_azimuth_paths_rows_box_by_box(seed, heading, motion):
    lidar = _livox()
    snap = _traffic(np.random.default_rng(seed), heading)
    boxes = SensorScene(None, snap).actor_boxes
    to_world = sensor_transform(snap, lidar.config.mount)
    kept = 0
    for frame in range(seed * 1000, seed * 1000 + 12):
        pattern = lidar.pattern(frame / lidar.rate_hz)
        tables = pattern_tables(pattern)
        got = _band(pattern, tables, boxes, to_world, lidar.max_range, motion)
        assert got is not None
        want = candidate_pairs(boxes, pattern, tables.cast_position, to_world, lidar.max_range, motion)
        assert np.array_equal(got[1], want[1]) and got[0].dtype == want[0].dtype
        for a, b, k in zip(_groups(*got), _groups(*want), range(len(boxes))):
            assert np.array_equal(a, b), k
            assert np.array_equal(got[0][got[1][k]:got[1][k + 1]], a)       # ascending cast rows
        kept += len(got[0])
    assert kept > 0


def test_band_pairs_kernel_against_the_window_rows_on_hostile_windows():
    """Windows of every kind on a frame: whole circle, crossing ±π, beyond ±π/2 in elevation, empty,
    NaN elevation bounds, a single elevation, windows outside the frame's azimuths."""
    rng = np.random.default_rng(11)
    pattern = risley_pattern(SPEC, 10.0, 4242)
    tables = pattern_tables(pattern)
    elevation = tables.elevation
    m = 400
    lo = rng.uniform(-4.0, 4.0, m)
    hi = lo + rng.choice([0.0, 0.01, 0.3, 1.0, 2 * np.pi, 7.0], m)
    el_lo = rng.choice(np.concatenate([elevation[::97], [-2.0, -np.pi / 2, -0.1, 0.4, np.nan, np.inf]]), m)
    el_hi = el_lo + rng.choice([0.0, 1e-9, 0.02, 0.2, 3.0, -0.1], m)
    el_hi[rng.random(m) < 0.05] = np.nan
    lo[:3], hi[:3] = -0.1, 0.1                                          # inside the frame
    lo[3], hi[3] = 3.0, 3.3                                             # crosses +π, outside the frame
    offsets = np.empty(m + 1, np.int64)
    ray, ok = band_pairs(lo, hi, el_lo, el_hi, tables.homogeneous.numpy()[:, 2], tables.cast_order,
                         tables.cast_azimuth, elevation, *tables.azimuth_extent, offsets)
    assert ok
    want_offsets = np.empty(m + 1, np.int64)
    i0, i1, j1 = azimuth_spans(lo, hi, pattern.sorted_azimuth)
    want = window_pairs(tables.azimuth_elevation, tables.azimuth_position, i0, i1, j1, el_lo, el_hi, want_offsets)
    assert np.array_equal(offsets, want_offsets)
    for a, b in zip(_groups(ray, offsets), _groups(want, want_offsets)):
        assert np.array_equal(a, b)
    assert (np.diff(offsets) > 0).sum() > 50 and (np.diff(offsets) == 0).sum() > 50


def test_band_pairs_hand_nan_cases_to_the_azimuth_path():
    pattern = risley_pattern(SPEC, 10.0, 4243)
    tables = pattern_tables(pattern)
    z = tables.homogeneous.numpy()[:, 2]
    offsets = np.empty(2, np.int64)
    args = (z, tables.cast_order, tables.cast_azimuth, tables.elevation)
    # a window start that is not finite over a run of rows
    _, ok = band_pairs(np.array([np.inf]), np.array([np.inf]), np.array([-0.1]), np.array([0.1]), *args,
                       *tables.azimuth_extent, offsets)
    assert not ok
    # the same over an empty run decides nothing: fine
    _, ok = band_pairs(np.array([np.inf]), np.array([np.inf]), np.array([1.2]), np.array([1.3]), *args,
                       *tables.azimuth_extent, offsets)
    assert ok and offsets[1] == 0
    # a NaN azimuth in the frame
    _, ok = band_pairs(np.array([-0.1]), np.array([0.1]), np.array([-0.1]), np.array([0.1]), *args,
                       np.nan, np.nan, offsets)
    assert not ok


def test_lazy_azimuth_tables_are_the_reference_and_survive_copies():
    frame = 4244
    pattern = risley_pattern(SPEC, 10.0, frame)
    tables = pattern_tables(pattern)
    assert isinstance(pattern, RosetteFrame) and isinstance(tables, RosetteTables)
    assert "azimuth_order" not in vars(pattern) and "azimuth_position" not in vars(tables)   # not built yet
    want_pattern, want_tables = risley_pattern_reference(SPEC, 10.0, frame)
    pickled = pickle.loads(pickle.dumps(pattern))                       # before any read: builds them
    for name in ("azimuth_order", "sorted_azimuth"):
        assert np.array_equal(getattr(pattern, name), getattr(want_pattern, name)), name
        assert np.array_equal(getattr(pickled, name), getattr(want_pattern, name)), name
    for name in ("azimuth_elevation", "azimuth_position"):
        assert getattr(tables, name).tobytes() == getattr(want_tables, name).tobytes(), name
    assert tables.elevation_range == want_tables.elevation_range
    copy = dataclasses.replace(pattern, period_s=pattern.period_s)
    assert copy.azimuth_order is pattern.azimuth_order
    azimuth = np.arctan2(tables.columns[1], tables.columns[0])
    assert tables.cast_azimuth.tobytes() == azimuth[tables.cast_order].tobytes()
    assert tables.azimuth_extent == (float(azimuth.min()), float(azimuth.max()))


@pytest.mark.parametrize("params", [{"labels": True}, {"motion_distortion": True, "labels": True}])
def test_sweeps_are_the_same_on_the_azimuth_path(monkeypatch, params):
    """The lidar falls back on the azimuth path where the band path cannot decide: forced there, every
    cloud and label is the same."""
    static = static_world_for(plane(400.0))
    snaps = [_traffic(np.random.default_rng(20 + k), 0.3 * k) for k in range(4)]
    for k, s in enumerate(snaps):
        snaps[k] = dataclasses.replace(s, time=7.0 + 0.1 * k)

    def clouds():
        lidar = _livox(**params)
        return [lidar.sense(s, SensorScene(static, s)) for s in snaps]

    band = clouds()
    monkeypatch.setattr(lidar_module, "frame_pairs", lambda *a, **k: None)
    azimuth = clouds()
    assert sum(int((c.labels["actor"] >= 0).sum()) for c in band) > 100
    for a, b in zip(band, azimuth):
        assert a.points.tobytes() == b.points.tobytes() and a.labels.tobytes() == b.labels.tobytes()
