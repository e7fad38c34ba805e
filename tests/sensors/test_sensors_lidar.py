"""Lidar: given walls, roads and cars at known places, the sweep says exactly what geometry implies."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sensors.base import SensorConfig
from sensors.frames import MountPose
from sensors.lidar import Lidar
from sensors.lidar_patterns import PRESETS, spinning_pattern
from sensors.scene import SensorScene, static_world_for
from simplatform.errors import ConfigError

from sensors_testworld import entity, plane, room, snapshot, wall


def lidar(preset="VLP-16", seed=1, name="top", mount=MountPose(), **parameters) -> Lidar:
    return Lidar(SensorConfig(name=name, type="lidar", preset=preset, mount=mount, parameters=parameters, seed=seed))


def test_range_to_a_tilted_wall_is_exact_without_noise(ego_only):
    yaw = math.radians(25.0)
    static = static_world_for([wall(12.0, yaw=yaw)])
    cloud = lidar(range_noise_m=0.0).sense(ego_only, SensorScene(static, ego_only))
    xyz = cloud.xyz().astype(float)
    assert len(xyz) > 1000
    normal = np.array([math.cos(yaw), math.sin(yaw), 0.0])
    # every point lies on the plane n·p = 12 cos(yaw)... the wall passes through (12, 0)
    np.testing.assert_allclose(xyz @ normal, 12.0 * math.cos(yaw), atol=2e-4)


def test_range_noise_has_the_configured_sigma(ego_only):
    static = static_world_for([wall(20.0)])
    cloud = lidar(range_noise_m=0.05).sense(ego_only, SensorScene(static, ego_only))
    xyz = cloud.xyz().astype(float)
    rng_true = 20.0 / (xyz[:, 0] / np.linalg.norm(xyz, axis=1))
    residual = np.linalg.norm(xyz, axis=1) - rng_true
    assert abs(residual.mean()) < 0.005
    assert residual.std() == pytest.approx(0.05, rel=0.08)


@pytest.mark.parametrize("name", ["VLP-16", "HDL-32E", "OS1-128"])
def test_point_count_per_sweep_equals_the_pattern(name, ego_only):
    # inside a closed box every ray hits something within range
    static = static_world_for(room(10.0))
    sensor = lidar(name, detection_range_m=1000.0)
    cloud = sensor.sense(ego_only, SensorScene(static, ego_only))
    assert cloud.width == spinning_pattern(PRESETS[name], 10.0).size
    assert len(np.unique(cloud.points["ring"])) == len(PRESETS[name].elevations_deg)


def test_car_at_50m_yields_the_returns_the_beam_geometry_implies():
    ego = entity("ego", ego=True)
    car = entity("car", x=50.0, heading=math.pi / 2, bbox=(4.0, 2.0, 1.6, 0.0, 0.0, 0.8))  # side-on
    snap = snapshot(ego, car)
    sensor = lidar("VLP-16", range_noise_m=0.0, labels=True, detection_range_m=1000.0,
                   mount=MountPose(z=1.0))
    cloud = sensor.sense(snap, SensorScene(static_world_for(None), snap))
    on_car = cloud.labels["actor"] == 1
    # expected: columns whose azimuth sees the 4 m long side at 50 m, times the beams hitting z ∈ [0, 1.6]
    spec = PRESETS["VLP-16"]
    pat = spinning_pattern(spec, 10.0)
    az = np.arctan2(pat.directions[:, 1], pat.directions[:, 0])
    el = np.arcsin(pat.directions[:, 2])
    x_face = 49.0  # near face of the car (width 2 m centred at 50 m)
    y_hit = x_face * np.tan(az)
    z_hit = 1.0 + x_face / np.cos(az) * np.tan(el)
    expected = np.sum((np.cos(az) > 0) & (np.abs(y_hit) <= 2.0) & (z_hit >= 0.0) & (z_hit <= 1.6))
    assert expected > 0
    assert on_car.sum() == expected


def test_occluded_car_yields_no_returns():
    ego = entity("ego", ego=True)
    front = entity("front", x=15.0, bbox=(4.5, 2.0, 3.0, 0.0, 0.0, 1.5), category="truck")
    hidden = entity("hidden", x=40.0, bbox=(4.5, 1.8, 1.4, 0.0, 0.0, 0.7))
    snap = snapshot(ego, front, hidden)
    cloud = lidar("HDL-64E", labels=True, mount=MountPose(z=1.8), range_noise_m=0.0).sense(
        snap, SensorScene(static_world_for(None), snap))
    assert np.sum(cloud.labels["actor"] == 1) > 50
    assert np.sum(cloud.labels["actor"] == 2) == 0


def test_same_seed_same_sweep_and_sensors_get_independent_noise(ego_only):
    static = static_world_for([wall(20.0)])
    scene = SensorScene(static, ego_only)
    a = lidar(seed=7, name="a").sense(ego_only, scene)
    b = lidar(seed=7, name="a").sense(ego_only, scene)
    c = lidar(seed=7, name="b").sense(ego_only, scene)
    assert a.data == b.data
    assert a.width == c.width and a.data != c.data
    noise_a = np.linalg.norm(a.xyz(), axis=1) - 20.0 / (a.points["x"] / np.linalg.norm(a.xyz(), axis=1))
    noise_c = np.linalg.norm(c.xyz(), axis=1) - 20.0 / (c.points["x"] / np.linalg.norm(c.xyz(), axis=1))
    assert abs(np.corrcoef(noise_a, noise_c)[0, 1]) < 0.05


def test_dark_road_fades_before_bright_wall_and_fog_shortens_reach(ego_only):
    static = static_world_for([plane(400.0, z=0.0)])
    mount = MountPose(z=2.0)
    clear = lidar("HDL-64E", mount=mount).sense(ego_only, SensorScene(static, ego_only))
    foggy_snap = snapshot(entity("ego", ego=True), environment={"fog_visual_range_m": 60.0})
    foggy = lidar("HDL-64E", mount=mount, fog_backscatter=False).sense(foggy_snap, SensorScene(static, foggy_snap))
    r_clear = np.linalg.norm(clear.xyz(), axis=1)
    r_fog = np.linalg.norm(foggy.xyz(), axis=1)
    # asphalt (ρ 0.15) at grazing incidence is lost well before the 120 m maximum range
    assert r_clear.max() < 60.0
    assert r_fog.max() < r_clear.max() and foggy.width < clear.width
    assert np.all(clear.points["intensity"] <= 255.0)


def test_motion_distortion_shifts_points_by_ego_motion():
    ego = entity("ego", vx=20.0, ego=True)
    snap = snapshot(ego)
    static = static_world_for([wall(30.0)])
    still = lidar(range_noise_m=0.0).sense(snap, SensorScene(static, snap))
    moving = lidar(range_noise_m=0.0, motion_distortion=True).sense(snap, SensorScene(static, snap))
    # a ray fired Δt before the sweep end sees the wall 20·Δt metres further away
    dt = 0.1 - moving.points["time"].astype(float)
    x_expected = 30.0 + 20.0 * dt
    np.testing.assert_allclose(moving.points["x"], x_expected, atol=1e-3)
    np.testing.assert_allclose(still.points["x"], 30.0, atol=1e-3)


def test_livox_pattern_does_not_repeat(ego_only):
    static = static_world_for([wall(20.0)])
    sensor = lidar("Livox-Mid40")
    first = sensor.pattern(0.0).directions
    second = sensor.pattern(0.1).directions
    assert first.shape == second.shape == (10000, 3)
    assert not np.allclose(first, second)
    half_fov = np.degrees(np.arccos(first[:, 0])).max()
    assert half_fov == pytest.approx(19.2, abs=0.05)


def test_explicit_pattern_and_bad_parameters():
    sensor = Lidar(SensorConfig(name="x", type="lidar", parameters={
        "channels": 4, "vertical_fov_deg": [-3, 3], "horizontal_resolution_deg": 1.0, "horizontal_fov_deg": 90}))
    assert sensor.pattern(0.0).size == 4 * 90
    with pytest.raises(ConfigError, match="unknown parameter"):
        Lidar(SensorConfig(name="x", type="lidar", preset="VLP-16", parameters={"chanels": 4}))
    with pytest.raises(ConfigError, match="unknown lidar preset"):
        Lidar(SensorConfig(name="x", type="lidar", preset="VLP-17"))
