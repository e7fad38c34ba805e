"""Session 9: a rosette frame's band pairs decided on its deflections (``lidar_band_pairs.deflection_pairs``) are
``band_pairs``' rows on its angles, in the same order; where a row sits on a window's edge they read the azimuths
or hand over; the angles built on first read (``lidar_frame_lazy.FrameAngles``) are the reference's; a sweep's
cloud is the same on every path."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

import sensors.lidar as lidar_module
from sensors.base import SensorConfig
from sensors.frames import MountPose, sensor_transform
from sensors.lidar import Lidar
from sensors.lidar_band_pairs import AZIMUTH_SURE, _NO_AZIMUTH, band_pairs, deflection_frame_pairs, deflection_pairs
from sensors.lidar_frame_lazy import RosetteTables
from sensors.lidar_patterns import PRESETS, pattern_tables, risley_pattern, risley_pattern_reference
from sensors.scene import SensorScene, static_world_for

from sensors_testworld import entity, plane, snapshot

SPEC = PRESETS["Livox-Mid40"]


def _traffic(rng: np.random.Generator, heading: float = 0.0, n: int = 14):
    cars = [entity(f"c{k}", x=float(x), y=float(y), z=float(z), heading=float(h)) for k, (x, y, z, h) in
            enumerate(zip(rng.uniform(-40, 90, n), rng.uniform(-15, 15, n), rng.uniform(-1.0, 2.0, n),
                          rng.uniform(-3.2, 3.2, n)))]
    cars.append(entity("near", x=4.0 * np.cos(heading), y=4.0 * np.sin(heading)))             # a tall window
    return snapshot(entity("ego", ego=True, heading=heading), *cars)


def _both(tables, lo, hi, el_lo, el_hi, azimuth=_NO_AZIMUTH):
    z = tables.homogeneous.numpy()[:, 2]
    got_offsets, want_offsets = np.empty(len(lo) + 1, np.int64), np.empty(len(lo) + 1, np.int64)
    got, decided = deflection_pairs(lo, hi, el_lo, el_hi, z, tables.cast_order, tables.cast_deflection,
                                    *tables.deflection_extent, azimuth, got_offsets)
    want, ok = band_pairs(lo, hi, el_lo, el_hi, z, tables.cast_order, tables.cast_azimuth, tables.elevation,
                          *tables.azimuth_extent, want_offsets)
    if not ok:                                           # where band_pairs hands over, so does this
        assert not decided
    return (got, got_offsets, decided), (want, want_offsets) if ok else None


@pytest.mark.parametrize("seed, heading, motion", [(1, 0.0, None), (2, 0.8, None), (3, -2.9, (25.0, 0.4)),
                                                    (4, 3.1, (0.0, -1.2)), (5, 1.6, (12.0, 0.0))])
def test_deflection_pairs_are_the_band_pairs_rows_in_order(seed, heading, motion):
    snap = _traffic(np.random.default_rng(seed), heading)
    boxes = SensorScene(None, snap).actor_boxes
    to_world = sensor_transform(snap, MountPose(x=1.3, z=1.9))
    decided = kept = 0
    for frame in range(seed * 977, seed * 977 + 40):
        tables = pattern_tables(risley_pattern(SPEC, 10.0, frame))
        z = tables.homogeneous.numpy()[:, 2]
        from sensors.lidar_band_pairs import frame_pairs
        want = frame_pairs(boxes, z, tables.cast_order, tables.cast_azimuth, tables.azimuth_extent, tables.elevation,
                           to_world, 200.0, 0.1, motion)
        for azimuth in (None, tables.pattern_azimuth):
            got = deflection_frame_pairs(boxes, z, tables.cast_order, tables.cast_deflection,
                                         tables.deflection_extent, to_world, 200.0, 0.1, motion, azimuth)
            if got is None:
                continue
            decided += 1
            assert got[0].tobytes() == want[0].tobytes() and got[1].tobytes() == want[1].tobytes()
        kept += len(want[0])
    assert kept > 0 and decided >= 70                       # with the azimuths nearly every frame decides


def test_windows_on_row_deflections_read_the_azimuths_or_hand_over():
    """Windows whose azimuth edges are rows' own deflections (or their float32 azimuths, or within 10⁻⁷ of them):
    without the azimuths the kernel hands over, with them it gives ``band_pairs``' rows."""
    rng = np.random.default_rng(3)
    tables = pattern_tables(risley_pattern(SPEC, 10.0, 5151))
    u = tables.cast_deflection
    az = tables.cast_azimuth.astype(np.float64)
    rows = rng.integers(0, len(u), 300)
    edge = np.where(rng.random(300) < 0.5, u[rows], az[rows]) + rng.choice([0.0, 1e-7, -1e-7, 3e-8], 300)
    width = rng.choice([0.0, 0.02, 0.2], 300)
    lo = np.where(rng.random(300) < 0.5, edge, edge - width)
    hi = lo + width
    el_lo = np.full(300, -0.4)
    el_hi = np.full(300, 0.4)
    (got, got_offsets, decided), _ = _both(tables, lo, hi, el_lo, el_hi)
    assert not decided
    (got, got_offsets, decided), (want, want_offsets) = _both(tables, lo, hi, el_lo, el_hi, tables.pattern_azimuth())
    assert decided and got.tobytes() == want.tobytes() and got_offsets.tobytes() == want_offsets.tobytes()
    # one by one: every window that decides without them agrees too
    for k in range(0, 300, 7):
        (g, go, d), reference = _both(tables, lo[k:k + 1], hi[k:k + 1], el_lo[k:k + 1], el_hi[k:k + 1])
        if d:
            w, wo = reference
            assert g.tobytes() == w.tobytes() and go.tobytes() == wo.tobytes()


def test_hostile_windows_decide_as_band_pairs_or_hand_over():
    """Whole circle, crossing ±π, past ±π/2, empty, NaN and infinite bounds, edges on rows' z (the elevation
    zone hands over)."""
    rng = np.random.default_rng(11)
    tables = pattern_tables(risley_pattern(SPEC, 10.0, 4242))
    z = tables.homogeneous.numpy()[:, 2].astype(np.float64)
    m = 60
    outcomes = set()
    rows = 0
    for trial in range(40):
        lo = rng.uniform(-4.0, 4.0, m)
        hi = lo + rng.choice([0.0, 0.01, 0.3, 1.0, 2 * np.pi, 7.0], m)
        el_lo = rng.choice(np.concatenate([np.arcsin(z[::97]), [-2.0, -np.pi / 2, -0.1, 0.02, np.nan, np.inf]]), m)
        el_hi = el_lo + rng.choice([0.0, 1e-9, 0.02, 0.2, 3.0, -0.1], m)
        if trial % 2:
            el_lo, el_hi = np.clip(el_lo, -0.3, 0.3), np.clip(el_hi, -0.3, 0.3)
            lo[:5], hi[:5] = np.inf, np.inf
        for azimuth in (_NO_AZIMUTH, tables.pattern_azimuth()):
            for k in range(m + 1):                          # each window alone, then all together
                one = slice(k, k + 1) if k < m else slice(0, m)
                (got, got_offsets, decided), reference = _both(tables, lo[one], hi[one], el_lo[one], el_hi[one],
                                                               azimuth)
                outcomes.add(decided)
                if not decided:
                    continue
                want, want_offsets = reference
                assert got.tobytes() == want.tobytes() and got_offsets.tobytes() == want_offsets.tobytes()
                rows += len(got)
    assert outcomes == {True, False} and rows > 10_000


def test_lazy_angles_are_the_reference_and_survive_pickling():
    frame = 9_191
    pattern = risley_pattern(SPEC, 10.0, frame)
    tables = pattern_tables(pattern)
    assert isinstance(tables, RosetteTables)
    for name in ("directions",):
        assert name not in vars(pattern)
    for name in ("elevation", "cast_azimuth", "azimuth_extent"):
        assert name not in vars(tables)
    pickled = pickle.loads(pickle.dumps((pattern, tables)))             # before any read
    want_pattern, want_tables = risley_pattern_reference(SPEC, 10.0, frame)
    for p in (pattern, pickled[0]):
        assert p.directions.tobytes() == want_pattern.directions.tobytes() and p.directions.flags.c_contiguous
    for t in (tables, pickled[1]):
        assert t.elevation.tobytes() == want_tables.elevation.tobytes()
        azimuth = np.arctan2(want_pattern.directions[:, 1], want_pattern.directions[:, 0])
        assert t.cast_azimuth.tobytes() == azimuth[t.cast_order].tobytes()
        assert t.azimuth_extent == (float(azimuth.min()), float(azimuth.max()))
        assert t.cast_deflection is not None
        assert t.cast_deflection.tobytes() == tables.cast_deflection.tobytes()
    # the deflections are the azimuths to within the margin the kernel relies on (measured 7.4e-8)
    assert np.abs(tables.cast_deflection - tables.cast_azimuth).max() < AZIMUTH_SURE / 4
    assert tables.deflection_extent == (float(tables.cast_deflection.min()), float(tables.cast_deflection.max()))


def test_a_wide_rosette_has_no_deflection_tables():
    wide = dataclasses.replace(SPEC, risley_fov_deg=120.0)          # 2δ = 60° > POLY_REACH
    tables = pattern_tables(risley_pattern(wide, 10.0, 3))
    assert tables.cast_deflection is None and tables.deflection_extent is None
    want_pattern, want_tables = risley_pattern_reference(wide, 10.0, 3)
    assert tables.elevation.tobytes() == want_tables.elevation.tobytes()
    assert tables.homogeneous.numpy().tobytes() == want_tables.homogeneous.numpy().tobytes()


@pytest.mark.parametrize("params", [{"labels": True}, {"motion_distortion": True, "labels": True}])
def test_sweeps_are_the_same_on_every_pairs_path(monkeypatch, params):
    static = static_world_for(plane(400.0))
    snaps = [dataclasses.replace(_traffic(np.random.default_rng(40 + k), 0.3 * k), time=17.0 + 0.1 * k)
             for k in range(5)]

    def clouds():
        lidar = Lidar(SensorConfig(name="l", type="lidar", preset="Livox-Mid40", mount=MountPose(x=1.3, z=1.9),
                                   parameters={"dropout_probability": 0.01, **params}))
        return [lidar.sense(s, SensorScene(static, s)) for s in snaps]

    calls = []
    real = lidar_module.deflection_frame_pairs

    def counting(*a, **k):
        got = real(*a, **k)
        calls.append(got is not None)
        return got

    monkeypatch.setattr(lidar_module, "deflection_frame_pairs", counting)
    deflection = clouds()
    assert calls and all(calls)
    monkeypatch.setattr(lidar_module, "deflection_frame_pairs", lambda *a, **k: None)
    band = clouds()
    monkeypatch.setattr(lidar_module, "frame_pairs", lambda *a, **k: None)
    azimuth = clouds()
    assert sum(int((c.labels["actor"] >= 0).sum()) for c in deflection) > 100
    for a, b, c in zip(deflection, band, azimuth):
        assert a.points.tobytes() == b.points.tobytes() == c.points.tobytes()
        assert a.labels.tobytes() == b.labels.tobytes() == c.labels.tobytes()


def test_windows_crossing_pi_into_the_frame():
    """Windows starting behind the sensor (a near π) whose wrapped end b − 2π falls inside the frame, some on
    rows' own deflections and azimuths: the wrapped term keeps the rows ``band_pairs`` keeps."""
    rng = np.random.default_rng(21)
    tables = pattern_tables(risley_pattern(SPEC, 10.0, 6161))
    u, az = tables.cast_deflection, tables.cast_azimuth.astype(np.float64)
    rows = rng.integers(0, len(u), 200)
    wrapped_end = np.where(rng.random(200) < 0.3, rng.uniform(-0.4, 0.4, 200),
                           np.where(rng.random(200) < 0.5, u[rows], az[rows]))
    lo = rng.uniform(2.0, 3.1, 200)
    hi = lo + (wrapped_end + 2 * np.pi - lo)                 # b − 2π = the wrapped end (to rounding)
    el_lo, el_hi = rng.uniform(-0.4, 0.0, 200), rng.uniform(0.0, 0.4, 200)
    kept = 0
    for k in range(200):
        for azimuth in (_NO_AZIMUTH, tables.pattern_azimuth()):
            (got, got_offsets, decided), reference = _both(tables, lo[k:k + 1], hi[k:k + 1], el_lo[k:k + 1],
                                                           el_hi[k:k + 1], azimuth)
            if decided:
                want, want_offsets = reference
                assert got.tobytes() == want.tobytes() and got_offsets.tobytes() == want_offsets.tobytes()
                kept += len(got)
    assert kept > 10_000
