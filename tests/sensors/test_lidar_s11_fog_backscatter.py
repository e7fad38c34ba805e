"""Fog backscatter returns of the lidar (``sensors.lidar_fog``; Hahner et al., ICCV 2021).

In fog the lidar reports the fog itself where the fog's backscatter peak
beats the attenuated hard-target echo and the detection threshold; without
fog, and with ``fog_backscatter: false`` (the default), the clouds are those
of the attenuation alone.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import sensors.lidar_sweep_passes as passes
from sensors.base import SensorConfig
from sensors.frames import MountPose
from sensors.lidar import Lidar
from sensors.lidar_fog import (
    SEMANTIC_FOG, FogOptics, backscatter_table, beta_draws, fog_beta, fog_rays, merge_fog, threshold_visibility,
)
from sensors.environment import Weather
from sensors.materials import SemanticTag
from sensors.scene import SensorScene, static_world_for
from simplatform.errors import ConfigError

from sensors_testworld import entity, plane, snapshot, wall

_STATIC = static_world_for([plane(400.0), wall(12.0, size=40.0)])
_SKY = static_world_for([plane(50.0, z=-500.0)])           # out of every ray's range: each ray sees only fog


def _lidar(preset: str = "HDL-64E", seed: int = 3, **parameters) -> Lidar:
    # the backscatter is opt-in (its onset is a single visibility per preset until calibrated: README)
    return Lidar(SensorConfig(name="top", type="lidar", preset=preset, mount=MountPose(z=1.8), seed=seed,
                              parameters={"labels": True, "fog_backscatter": True, **parameters}))


def _sweep(sensor: Lidar, environment, static=_STATIC, k: int = 0):
    actors = [entity("car", x=-9.0, y=3.0)] if static is _STATIC else []
    snap = snapshot(entity("ego", ego=True), *actors, time=0.1 * k, environment=environment)
    return sensor.sense(snap, SensorScene(static, snap))


def _fog(cloud) -> np.ndarray:
    return cloud.labels["semantic"] == SEMANTIC_FOG


def _ranges(cloud) -> np.ndarray:
    p = cloud.points
    return np.sqrt(p["x"].astype(np.float64) ** 2 + p["y"] ** 2 + p["z"] ** 2)


def _table(sensor: Lidar, visual_range: float):
    alpha = Weather.from_environment({"fog_visual_range_m": visual_range}).lidar_extinction(sensor.wavelength_nm)
    return backscatter_table(alpha, fog_beta(visual_range), sensor.fog, sensor.min_range, sensor.max_range)


def test_fog_points_rise_as_visibility_falls():
    """HDL-64E on a plane with a wall: none above the threshold visibility, then more as the fog thickens;
    they carry no actor and the fog's class."""
    counts = {}
    for v in (1000.0, 200.0, 100.0, 50.0, 20.0):
        cloud = _sweep(_lidar(), {"fog_visual_range_m": v})
        fog = _fog(cloud)
        counts[v] = int(fog.sum())
        assert (cloud.labels["actor"][fog] == -1).all()
    assert counts[1000.0] == 0
    assert 0 < counts[200.0] < counts[100.0] < counts[50.0] < counts[20.0]
    assert counts[20.0] > 60_000                                # most of the 133 312 rays of a sweep


def test_fog_points_appear_below_the_threshold_visibility_only():
    """The sky (no hard target) gives fog returns exactly where the fog's peak reaches the detection
    threshold: every ray just below that visual range, none just above."""
    sensor = _lidar(range_noise_m=0.0)
    v0 = threshold_visibility(lambda v: _table(sensor, v), sensor.power_threshold)
    assert 150.0 < v0 < 300.0
    below = _sweep(sensor, {"fog_visual_range_m": v0 * 0.98}, _SKY)
    above = _sweep(_lidar(range_noise_m=0.0), {"fog_visual_range_m": v0 * 1.02}, _SKY)
    assert _fog(below).all()
    assert len(below.points) == len(sensor.pattern(0.0).ring)
    assert len(above.points) == 0


def test_table_peak_is_the_integral_of_the_paper():
    """The table's unbounded peak (power and range) against the soft-target integral evaluated directly
    (trapezoid on a finer grid, the pulse as sin²(πt/2τ_H)): the reported range is the peak's R − cτ_H/2."""
    sensor = _lidar()
    v = 50.0
    table = _table(sensor, v)
    alpha = Weather.from_environment({"fog_visual_range_m": v}).lidar_extinction(905.0)
    beta = 0.046 / v
    tau, c = 20e-9, 299_792_458.0
    o = sensor.fog

    def p_soft(big_r: float) -> float:
        t = np.linspace(0.0, 2 * tau, 4001)
        r = big_r - c * t / 2
        xi = np.clip((r - o.overlap_start_m) / (o.overlap_full_m - o.overlap_start_m), 0.0, 1.0)
        f = np.sin(np.pi * t / (2 * tau)) ** 2 * xi * np.exp(-2 * alpha * r) / np.maximum(r, 1e-6) ** 2
        return math.pi * beta * (c / 2) * float(np.sum((f[1:] + f[:-1]) / 2 * np.diff(t)))

    grid = np.arange(4.0, 12.0, 0.01)
    values = np.array([p_soft(x) for x in grid])
    best = int(np.argmax(values))
    assert table.far_power == pytest.approx(values[best], rel=0.01)
    assert table.far_at == pytest.approx(grid[best] - c * tau / 2, abs=0.03)
    assert 3.0 < table.far_at < 4.5                             # R₀ of the fog return: a few metres


def test_fog_points_lie_near_the_models_range():
    """Without range noise and spread every sky ray's fog return lies at the table's range; with the default
    spread d·Beta(2, 20), between it and it + 0.7·d, with the Beta's mean offset on average."""
    v = 50.0
    sensor = _lidar(range_noise_m=0.0, fog_range_spread_m=0.0)
    r = _ranges(_sweep(sensor, {"fog_visual_range_m": v}, _SKY))
    far = _table(sensor, v).far_at
    assert len(r) > 100_000
    np.testing.assert_allclose(r, far, atol=2e-3)
    spread = _lidar(range_noise_m=0.0)
    r = _ranges(_sweep(spread, {"fog_visual_range_m": v}, _SKY))
    assert r.min() >= far - 2e-3 and r.max() <= far + 0.44 * 10.0
    assert r.mean() - far == pytest.approx(10.0 * 2 / 22, abs=0.02)


def test_range_offsets_follow_the_beta_distribution():
    """The tabulated quantile draws against Beta(2, 20)'s distribution function 1 − (1 − x)²⁰(1 + 20x)."""
    draws = beta_draws(np.random.default_rng(1), 400_000)
    for x in (0.02, 0.05, 0.09, 0.15, 0.25, 0.35):
        assert (draws <= x).mean() == pytest.approx(1 - (1 - x) ** 20 * (1 + 20 * x), abs=3e-3)
    assert draws.min() >= 0.0 and draws.max() < 0.44


def test_wall_beyond_is_seen_in_light_fog_and_replaced_in_dense_fog():
    """A wall 12 m ahead: in 200 m fog its rays still report it (the wall's echo beats the fog's peak); in
    20 m fog each of those rays reports the fog a few metres out instead."""
    def wall_rays(cloud):
        p = cloud.points
        az = np.degrees(np.arctan2(p["y"], p["x"]))
        return np.abs(az) < 20.0, p

    clear = _sweep(_lidar(), None)
    ahead, p = wall_rays(clear)
    on_wall = ahead & (np.abs(p["x"] - 12.0) < 0.2) & (clear.labels["semantic"] == SemanticTag.WALL)
    assert on_wall.sum() > 1000
    light = _sweep(_lidar(), {"fog_visual_range_m": 200.0})
    a, p = wall_rays(light)
    kept = a & (np.abs(p["x"] - 12.0) < 0.2) & (light.labels["semantic"] == SemanticTag.WALL)
    assert kept.sum() == on_wall.sum()
    dense = _sweep(_lidar(), {"fog_visual_range_m": 20.0})
    a, p = wall_rays(dense)
    assert (a & (np.abs(p["x"] - 12.0) < 0.2)).sum() == 0
    r = _ranges(dense)
    fog_ahead = a & _fog(dense)
    assert fog_ahead.sum() >= on_wall.sum()
    assert r[fog_ahead].max() < 12.0
    # and the attenuation alone loses the wall without any return in its place
    off = _sweep(_lidar(fog_backscatter=False), {"fog_visual_range_m": 20.0})
    a, p = wall_rays(off)
    assert (a & (np.abs(p["x"] - 12.0) < 0.2)).sum() == 0 and a.sum() < fog_ahead.sum()


@pytest.mark.parametrize("preset", ["VLP-16", "HDL-64E", "Livox-Mid40"])
@pytest.mark.parametrize("environment", [None, {"precipitation_type": "rain", "precipitation_intensity_mm_h": 8.0}])
def test_no_fog_leaves_the_cloud_bit_identical(monkeypatch, preset, environment):
    """Clear and rainy sweeps (with dropout, noise, motion distortion and labels) never enter the fog code and
    equal those of a sensor with the backscatter off, bit for bit."""
    def never(*args, **kwargs):
        raise AssertionError("fog code reached without fog")

    extra = {"dropout_probability": 0.05, "motion_distortion": True}
    off = _lidar(preset, fog_backscatter=False, **extra)
    want = [_sweep(off, environment, k=k) for k in range(2)]
    monkeypatch.setattr(passes, "merge_fog", never)
    monkeypatch.setattr(passes, "spread_fog", never)
    sensor = _lidar(preset, **extra)
    for k in range(2):
        got = _sweep(sensor, environment, k=k)
        assert got.data == want[k].data
        assert got.labels.tobytes() == want[k].labels.tobytes()


def test_same_seed_same_fog_cloud_and_the_generator_moves_on():
    env = {"fog_visual_range_m": 40.0}
    first, second = _lidar(seed=7, dropout_probability=0.02), _lidar(seed=7, dropout_probability=0.02)
    a = [_sweep(first, env, k=k) for k in range(2)]
    b = [_sweep(second, env, k=k) for k in range(2)]
    for x, y in zip(a, b):
        assert x.data == y.data and x.labels.tobytes() == y.labels.tobytes()
    assert a[0].data != a[1].data                               # each sweep draws new offsets
    other = _sweep(_lidar(seed=8, dropout_probability=0.02), env)
    assert other.data != a[0].data


def test_off_switch_and_bad_parameters():
    env = {"fog_visual_range_m": 20.0}
    off = _sweep(_lidar(fog_backscatter=False), env)
    assert not _fog(off).any()
    assert len(off.points) < len(_sweep(_lidar(), env).points)
    with pytest.raises(ConfigError, match="fog_backscatter"):
        _lidar(fog_backscatter="yes")
    with pytest.raises(ConfigError, match="fog_overlap_full_m"):
        _lidar(fog_overlap_start_m=3.0, fog_overlap_full_m=2.0)


def test_merge_kernel_is_the_rule():
    """``merge_fog``'s compiled pass against the numpy statement of the rule (``fog_rays``) on random rays:
    hard ranges from 0 to beyond the range and none, hard powers around the fog's."""
    rng = np.random.default_rng(5)
    table = backscatter_table(0.08, 0.046 / 50.0, FogOptics(), 0.9, 120.0)
    n = 20_000
    t = rng.uniform(0.0, 12.0, n).astype(np.float32)
    t[rng.random(n) < 0.2] = np.inf
    position = rng.permutation(n)
    r0 = t[position]
    returns_idx = np.flatnonzero(np.isfinite(r0) & (r0 >= 0.9)).astype(np.int32)
    r = r0[returns_idx]
    echo = (r * r * rng.uniform(0.0, 2.0, len(r)) * table.far_power).astype(np.float32)
    keep = rng.random(len(returns_idx)) < 0.8
    mat = rng.integers(0, 5, len(returns_idx)).astype(np.int32)
    kept = returns_idx[keep], r[keep], mat[keep], echo[keep]
    (idx, rr, mm, ee), at, power = merge_fog(table, t, position, 4e-5, (returns_idx, r, echo), kept, np.int32)
    hard = np.zeros(n)
    hard[returns_idx] = echo / (r * r)
    rays, p, where = fog_rays(table, r0, hard, 4e-5)
    assert 0 < len(rays) < n
    np.testing.assert_array_equal(idx[at], rays)
    np.testing.assert_array_equal(rr[at], where.astype(np.float32))
    np.testing.assert_array_equal(power, p)
    assert (mm[at] == -1).all()
    hard_kept = np.setdiff1d(kept[0], rays)
    others = np.setdiff1d(np.arange(len(idx)), at)
    np.testing.assert_array_equal(idx[others], hard_kept)
    assert (np.diff(idx) > 0).all()


def test_the_backscatter_is_off_unless_asked_for():
    default = Lidar(SensorConfig(name="top", type="lidar", preset="HDL-64E", mount=MountPose(z=1.8), seed=3,
                                 parameters={"labels": True}))
    fog = {"fog_visual_range_m": 20.0}
    assert _sweep(default, fog).data == _sweep(_lidar(fog_backscatter=False), fog).data
