"""The fused per-return passes (``sensors.lidar_gather``, ``lidar_sweep_passes.sweep_returns``) give the bits
of the passes one by one with numpy's draws: gather, uniforms, selection, normals, records.

The reference is ``sweep_returns``' path for a generator whose words are not
decoded (``supported`` false): ``gather_returns`` / ``gather_permuted``,
numpy's ``random`` and ``standard_normal``, ``select_returns``, then the
records of the selected returns; the gathers and the records are checked
against numpy here.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sensors.lidar_draw_ahead import decode
from sensors.lidar_draws import WordStream
from sensors.lidar_gather import (count_returns, fill_compact, gather_permuted, gather_returns, gather_select,
                                  gather_select_permuted)
from sensors.lidar_kernels import select_returns
from sensors.pointcloud import POINT_DTYPE


def _cast(channels: int, columns: int, seed: int):
    """A ring-major cast's hits: ranges with misses (inf), hits past the range and NaN, materials, normals."""
    rng = np.random.default_rng(seed)
    n = channels * columns
    t = rng.uniform(0.0, 140.0, n).astype(np.float32)
    t[rng.random(n) < 0.2] = np.inf
    t[rng.random(n) < 0.01] = np.nan
    t[: columns] = np.inf                                   # a whole ring of misses
    material = rng.integers(0, 5, n).astype(np.int32)
    normal = rng.normal(size=(n, 3)).astype(np.float32)
    rays = rng.normal(size=(n, 6)).astype(np.float32)
    reflectivity = rng.uniform(0.05, 0.9, 5).astype(np.float32)
    return t, material, normal, rays, reflectivity


def _words(seed: int, count: int):
    rng = np.random.default_rng(seed)
    stream = WordStream(rng.bit_generator.state, np.random.PCG64(0))
    stream.ensure(count + 1)
    return stream, np.random.default_rng(seed).random(count, dtype=np.float32)


def _numpy_gather(t, material, normal, rays, pattern_index, reflectivity, lo, hi):
    """The reference the gathers share their first step with: every return within [lo, hi] in pattern order,
    (pattern index, range, material, ρ·|n·d|) in float32, written with numpy."""
    keep = (t >= np.float32(lo)) & (t <= np.float32(hi))
    rows = np.nonzero(keep)[0]
    rows = rows[np.argsort(pattern_index[rows], kind="stable")]
    dot = normal[rows, 0] * rays[rows, 3] + normal[rows, 1] * rays[rows, 4] + normal[rows, 2] * rays[rows, 5]
    m = material[rows]
    return (pattern_index[rows].astype(np.int32), t[rows], m, reflectivity[m] * np.abs(dot))


@pytest.mark.parametrize("channels, columns", [(8, 50), (16, 37), (3, 5), (32, 64)])
def test_gather_returns_is_the_numpy_gather(channels, columns):
    """The tiled ring-major gather, whole and in two column ranges (two threads), against numpy."""
    t, material, normal, rays, refl = _cast(channels, columns, 7 * channels + columns)
    n = len(t)
    rows = np.arange(n)
    pattern_index = (rows % columns) * channels + rows // columns      # row r·columns + c holds ray c·channels + r
    want = _numpy_gather(t, material, normal, rays, pattern_index, refl, 1.0, 120.0)
    for cuts in ((0, columns), (0, 16 * (columns // 32), columns)):
        got = [np.empty(n, np.int32), np.empty(n, np.float32), np.empty(n, np.int32), np.empty(n, np.float32)]
        count = 0
        for c_begin, c_end in zip(cuts, cuts[1:]):
            count += gather_returns(t, material, normal, rays, channels, columns, refl, 1.0, 120.0,
                                    *(g[count:] for g in got), c_begin, c_end)
        assert count == len(want[0])
        for g, w in zip(got, want):
            assert g[:count].tobytes() == w.tobytes()


def test_gather_permuted_is_the_numpy_gather():
    t, material, normal, rays, refl = _cast(1, 3000, 11)
    order = np.random.default_rng(5).permutation(3000).astype(np.int64)
    want = _numpy_gather(t, material, normal, rays, order, refl, 1.0, 120.0)
    got = [np.empty(3000, np.int32), np.empty(3000, np.float32), np.empty(3000, np.int32), np.empty(3000, np.float32)]
    count = gather_permuted(t, material, normal, rays, order, refl, 1.0, 120.0, *got)
    assert count == len(want[0])
    for g, w in zip(got, want):
        assert g[:count].tobytes() == w.tobytes()


@pytest.mark.parametrize("drop", [False, True])
@pytest.mark.parametrize("channels, columns, cut", [(8, 50, 16), (16, 37, 32), (3, 5, 0), (32, 64, 64)])
def test_gather_select_is_gather_then_select(drop, channels, columns, cut):
    """Two column ranges (the second from the first's return count) give ``gather_returns`` then
    ``select_returns`` with numpy's uniforms."""
    t, material, normal, rays, refl = _cast(channels, columns, channels + columns)
    n = len(t)
    idx, r, mat, echo = np.empty(n, np.int32), np.empty(n, np.float32), np.empty(n, np.int32), np.empty(n, np.float32)
    count = gather_returns(t, material, normal, rays, channels, columns, refl, 1.0, 120.0, idx, r, mat, echo, 0,
                           columns)
    stream, uniform = _words(4, count)
    threshold, dropout = 2e-4, 0.3
    sel = np.empty(n, np.int32)
    sel = sel[:select_returns(r[:count], echo[:count], uniform if drop else uniform[:0], dropout, threshold, sel)]
    args = (t, material, normal, rays, channels, columns, refl, 1.0, 120.0, threshold, stream.raw32, stream.first,
            stream.head, dropout, drop)
    out = [np.full(n + 2, -7, np.int32), np.zeros(n + 2, np.float32), np.zeros(n + 2, np.int32),
           np.zeros(n + 2, np.float32)]
    a, ca = gather_select(*args, 0, *(o[: n + 1] for o in out), 0, cut)
    j0 = count_returns(t, channels, columns, 1.0, 120.0, 0, cut)
    assert j0 == ca
    o = cut * channels + 1
    b, cb = gather_select(*args, j0, *(x[o:] for x in out), cut, columns)
    assert ca + cb == count
    for got, want in zip(out, (idx, r, mat, echo)):
        joined = np.concatenate([got[:a], got[o:o + b]])
        assert joined.tobytes() == want[sel].tobytes()


@pytest.mark.parametrize("drop", [False, True])
def test_gather_select_permuted_is_gather_permuted_then_select(drop):
    t, material, normal, rays, refl = _cast(1, 3000, 9)
    order = np.random.default_rng(2).permutation(3000).astype(np.int64)
    n = len(t)
    idx, r, mat, echo = np.empty(n, np.int32), np.empty(n, np.float32), np.empty(n, np.int32), np.empty(n, np.float32)
    count = gather_permuted(t, material, normal, rays, order, refl, 1.0, 120.0, idx, r, mat, echo)
    stream, uniform = _words(6, count)
    sel = np.empty(n, np.int32)
    sel = sel[:select_returns(r[:count], echo[:count], uniform if drop else uniform[:0], 0.2, 3e-4, sel)]
    out = [np.empty(n, np.int32), np.empty(n, np.float32), np.empty(n, np.int32), np.empty(n, np.float32)]
    kept, returns = gather_select_permuted(t, material, normal, rays, order, refl, 1.0, 120.0, 3e-4, stream.raw32,
                                           stream.first, stream.head, 0.2, drop, *out)
    assert returns == count and kept == len(sel)
    for got, want in zip(out, (idx, r, mat, echo)):
        assert got[:kept].tobytes() == want[sel].tobytes()


@pytest.mark.parametrize("sigma", [0.0, 0.02])
def test_fill_compact_in_two_parts_is_numpys_records(sigma):
    """Records of compact returns in two parts (as two threads fill them), with the normals decoded from the
    words, equal numpy's records with numpy's normals from the same state."""
    from sensors_testworld import numpy_records

    rng = np.random.default_rng(3)
    k, n = 20_000, 30_000
    idx = np.sort(rng.choice(n, k, replace=False)).astype(np.int32)
    r = rng.uniform(0.5, 100.0, k).astype(np.float32)
    echo = rng.uniform(0.0, 1.0, k).astype(np.float32)
    columns = rng.normal(size=(3, n)).astype(np.float32)
    ring = rng.integers(0, 64, n).astype(np.uint16)
    time = rng.uniform(0, 0.1, n).astype(np.float32)
    start = 123                                                 # the uniforms' words come first
    gen = np.random.default_rng(17)
    gen.random(start, dtype=np.float32)
    noise = gen.standard_normal(k, dtype=np.float32) if sigma > 0 else np.zeros(0, np.float32)
    want = numpy_records(columns, idx, r, echo, noise, sigma, 25500.0, 100.0, ring, time)
    stream = WordStream(np.random.default_rng(17).bit_generator.state, np.random.PCG64(0))
    decoded = np.empty(k, np.float32)
    decode(stream, start, decoded)
    got = np.empty(k, POINT_DTYPE)
    fields = [got[f] for f in POINT_DTYPE.names]
    for a, b in ((0, 7_777), (7_777, k)):
        fill_compact(*(f[a:b] for f in fields), columns, idx[a:b], r[a:b], echo[a:b],
                     decoded[a:b] if sigma > 0 else noise, sigma, 25500.0, 100.0, ring, time)
    assert got.tobytes() == want.tobytes()


def _sweeps(monkeypatch, preset: str, parameters: dict, split: bool, decoded: bool, environment=None):
    import sensors.lidar as lidar_module
    import sensors.lidar_sweep_passes as passes
    from sensors.base import SensorConfig
    from sensors.frames import MountPose
    from sensors.lidar import Lidar
    from sensors.scene import SensorScene, static_world_for
    from sensors_testworld import entity, room, snapshot

    monkeypatch.setattr(lidar_module, "two_threads", lambda rays: split)
    if not decoded:
        monkeypatch.setattr(passes, "supported", lambda rng: False)
    snap = snapshot(entity("ego", ego=True), entity("car", x=6.0, y=1.0, heading=0.3, bbox=(4.0, 2.0, 1.6, 0.0, 0.0, 0.8)))
    static = static_world_for(room(12.0))
    sensor = Lidar(SensorConfig(name="top", type="lidar", preset=preset, mount=MountPose(z=1.2), seed=5,
                                parameters={"labels": True, **parameters}))
    out = []
    for k in range(3):
        s = replace(snap, time=0.1 * k, step=k, environment=environment)
        cloud = sensor.sense(s, SensorScene(static, s))
        out.append((cloud.points.tobytes(), cloud.labels.tobytes()))
        if k == 1:
            sensor.rng.random(3)                                # someone draws between two sweeps
    monkeypatch.undo()
    return out, sensor.rng.bit_generator.state


@pytest.mark.parametrize("preset", ["HDL-32E", "Livox-Mid40"])
@pytest.mark.parametrize("parameters", [{"dropout_probability": 0.05}, {"dropout_probability": 0.0},
                                        {"dropout_probability": 0.3, "range_noise_m": 0.0}])
def test_sweep_returns_are_the_passes_one_by_one(monkeypatch, preset, parameters):
    """One thread and two give the reference passes' clouds, labels and generator state, sweep after sweep
    (words drawn beside the cast, and a draw in between that makes them stale)."""
    want = _sweeps(monkeypatch, preset, parameters, False, False)
    assert len(want[0][0][0]) > 22 * 1000
    for split in (False, True):
        assert _sweeps(monkeypatch, preset, parameters, split, True) == want


def test_sweep_returns_with_extinction_are_the_passes_one_by_one(monkeypatch):
    fog = {"fog_visual_range_m": 60.0, "precipitation_type": "rain", "precipitation_intensity_mm_h": 10.0}
    want = _sweeps(monkeypatch, "HDL-32E", {"dropout_probability": 0.05}, False, False, fog)
    assert _sweeps(monkeypatch, "HDL-32E", {"dropout_probability": 0.05}, True, True, fog) == want
