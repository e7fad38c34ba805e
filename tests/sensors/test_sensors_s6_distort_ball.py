"""A motion-distorted sweep's origin ball holds every ray origin — also for a head whose lasers fire over more
than one period — because the static cast proves misses from that ball (``sensors.static_horizon``) with only
float32 slack around it."""

from __future__ import annotations

import numpy as np
import pytest

from sensors.base import SensorConfig
from sensors.frames import MountPose, sensor_transform
from sensors.lidar import Lidar
from sensors.lidar_patterns import pattern_tables
from simplatform.world import BoundingBox, EntityKind, EntityState, WorldSnapshot


def _snapshot(speed: float, yaw_rate: float) -> WorldSnapshot:
    ego = EntityState("ego", EntityKind.VEHICLE, "car", 3.0, -2.0, 0.0, 0.4, 0.0, 0.0, speed, speed * np.cos(0.4),
                      speed * np.sin(0.4), 0.0, 0.0, yaw_rate, BoundingBox(4.6, 1.9, 1.5, 1.4, 0, 0.75), None,
                      is_ego=True)
    return WorldSnapshot.from_states(1.0, 100, [ego], ego="ego")


@pytest.mark.parametrize("parameters", [
    {"channels": 2000, "vertical_fov_deg": [-30.0, 0.5]},           # fires over ~4.6 periods at 1 kHz
    {},
])
@pytest.mark.parametrize("rate_hz", [10.0, 1000.0])
@pytest.mark.parametrize("speed, yaw_rate", [(40.0, 0.0), (25.0, 0.8), (0.0, 2.0)])
def test_every_origin_lies_in_the_ball(parameters, rate_hz, speed, yaw_rate) -> None:
    lidar = Lidar(SensorConfig(name="l", type="lidar", preset="VLP-16", rate_hz=rate_hz, mount=MountPose(x=1.2, z=1.9),
                               parameters={**parameters, "motion_distortion": True}))
    snap = _snapshot(speed, yaw_rate)
    pattern = lidar.pattern(snap.time)
    tables = pattern_tables(pattern)
    rays, (centre, radius) = lidar._distort(snap, 0, pattern, tables, sensor_transform(snap, lidar.config.mount))
    origins = rays.numpy()[:, :3].astype(np.float64)
    assert np.linalg.norm(origins - centre, axis=1).max() <= radius
    first, last = tables.firing_span
    if last > pattern.period_s and speed > 0:               # the case the period alone did not cover
        assert radius > speed * pattern.period_s
