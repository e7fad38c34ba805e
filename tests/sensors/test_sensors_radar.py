"""Radar: Doppler is the projection of relative velocity; detection follows the radar equation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sensors.base import SensorConfig
from sensors.frames import MountPose
from sensors.radar import Radar
from sensors.radar_messages import FALSE_ALARM, GHOST, TARGET
from sensors.scene import SensorScene, static_world_for

from sensors_testworld import entity, snapshot, wall


def radar(seed=3, name="front", **parameters) -> Radar:
    return Radar(SensorConfig(name=name, type="radar", mount=MountPose(x=3.5, z=0.5), parameters=parameters, seed=seed))


def test_radial_velocity_is_the_projection_of_relative_velocity():
    ego = entity("ego", vx=15.0, ego=True)
    car = entity("car", x=40.0, y=6.0, heading=0.3, vx=8.0 * math.cos(0.3), vy=8.0 * math.sin(0.3),
                 bbox=(4.5, 1.8, 1.5, 1.4, 0.0, 0.75))
    snap = snapshot(ego, car)
    sensor = radar(range_accuracy_m=0.0, azimuth_accuracy_deg=0.0, elevation_accuracy_deg=0.0,
                   velocity_accuracy_mps=0.0, false_alarms=False, reference_snr_db=60.0)
    scan = sensor.sense(snap, SensorScene(static_world_for(None), snap))
    on_car = scan.truth["actor"] == 1
    assert on_car.sum() >= 1
    xyz = scan.xyz()[on_car]                      # sensor frame = ego frame (heading 0) shifted by the mount
    u = xyz / np.linalg.norm(xyz, axis=1, keepdims=True)
    v_rel = np.array([8.0 * math.cos(0.3) - 15.0, 8.0 * math.sin(0.3), 0.0])
    np.testing.assert_allclose(scan.returns["doppler_velocity"][on_car], u @ v_rel, atol=0.06)


def test_detection_probability_falls_with_range_as_the_radar_equation_says():
    sensor = radar()
    eq = sensor.equation
    ranges = np.array([50.0, 100.0, 150.0, 200.0])
    pd = eq.detection_probability(np.full(4, 1.0), ranges)
    assert np.all(np.diff(pd) < 0)
    snr = 10 ** (eq.reference_snr_db / 10) * (1.0 / 10 ** (eq.reference_rcs_dbsm / 10)) * (eq.reference_range_m / ranges) ** 4
    np.testing.assert_allclose(pd, eq.false_alarm_probability ** (1 / (1 + snr)))


@pytest.mark.parametrize("distance", [60.0, 95.0])
def test_monte_carlo_detection_rate_matches_swerling_one(distance):
    # a pedestrian fits in one resolution cell of a coarse radar, so it is one detection or none
    ped = entity("ped", x=distance, category="pedestrian", bbox=(0.5, 0.6, 1.8, 0.0, 0.0, 0.9))
    ego = entity("ego", ego=True)
    snap = snapshot(ego, ped)
    sensor = radar(range_resolution_m=3.0, azimuth_resolution_deg=5.0, elevation_resolution_deg=20.0,
                   vertical_fov_deg=10.0, horizontal_fov_deg=20.0, false_alarms=False, ray_resolution_deg=1.0,
                   reference_snr_db=25.0, reference_range_m=40.0, reference_rcs_dbsm=-8.0)
    scene = SensorScene(static_world_for(None), snap)
    trials = 400
    hits = sum(int(np.any(sensor.sense(snap, scene).truth["actor"] == 1)) for _ in range(trials))
    expected = float(sensor.equation.detection_probability(10 ** (-0.8), distance - 3.5 - 0.25))
    assert 0.1 < expected < 0.95
    assert abs(hits / trials - expected) < 4 * math.sqrt(expected * (1 - expected) / trials) + 0.02


def test_occluded_target_is_not_detected_and_false_alarms_are_labelled():
    ego = entity("ego", ego=True)
    truck = entity("truck", x=25.0, category="truck", bbox=(8.0, 2.5, 3.5, 0.0, 0.0, 1.75))
    hidden = entity("hidden", x=60.0)
    snap = snapshot(ego, truck, hidden)
    sensor = radar(false_alarm_probability=1e-7, reference_snr_db=40.0)
    scan = sensor.sense(snap, SensorScene(static_world_for(None), snap))
    assert np.any(scan.truth["actor"] == 1)
    assert not np.any(scan.truth["actor"] == 2)
    assert np.any(scan.truth["kind"] == FALSE_ALARM)


def test_guard_rail_makes_a_ghost_behind_it():
    ego = entity("ego", ego=True)
    car = entity("car", x=40.0, y=2.0)
    snap = snapshot(ego, car)
    rail = wall(0.0, yaw=-math.pi / 2, size=400.0, material="guard_rail")   # plane y = 0 → shift to y = −4
    rail.mesh.translate([0.0, -4.0, 0.0])
    sensor = radar(multipath=True, reference_snr_db=60.0, false_alarms=False, static_returns=False,
                   range_accuracy_m=0.0, azimuth_accuracy_deg=0.0, elevation_accuracy_deg=0.0)
    scan = sensor.sense(snap, SensorScene(static_world_for([rail]), snap))
    ghosts = scan.truth["kind"] == GHOST
    assert np.any(ghosts)
    assert np.all(scan.xyz()[ghosts][:, 1] < -4.0)   # the mirror image lies beyond the rail


def test_same_seed_same_scan_and_tracks_have_velocity():
    ego = entity("ego", ego=True)
    car = entity("car", x=30.0, vx=-5.0)
    snap = snapshot(ego, car)
    scene = SensorScene(static_world_for(None), snap)
    a = radar(seed=9, tracks=True).sense(snap, scene)
    b_sensor = radar(seed=9, tracks=True)
    b = b_sensor.sense(snap, scene)
    assert a.returns.tobytes() == b.returns.tobytes()
    tracks = b_sensor.last_tracks.tracks
    assert any(abs(t.velocity[0] + 5.0) < 0.6 for t in tracks)
    assert np.all(b.truth["kind"][b.truth["actor"] == 1] == TARGET)
