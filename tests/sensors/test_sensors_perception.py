"""Object list, GNSS, IMU and V2X: what a stack receives besides raw sensor data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sensors.base import SensorConfig, is_due, sensor_rng
from sensors.frames import MountPose
from sensors.gnss import GeoReference, Gnss
from sensors.imu import GRAVITY, Imu
from sensors.object_list import ObjectListSensor
from sensors.scene import SensorScene, static_world_for
from sensors.v2x import ChannelModel, V2XRadio
from sensors.v2x_messages import BasicSafetyMessage, RoadsideSafetyMessage, SignalPhaseAndTiming
from simplatform.errors import ConfigError

from sensors_testworld import entity, snapshot, wall


def config(kind, name="s", rate=10.0, mount=MountPose(), seed=0, **parameters):
    return SensorConfig(name=name, type=kind, mount=mount, rate_hz=rate, parameters=parameters, seed=seed)


def test_object_list_reports_visible_objects_only_and_delays_them():
    ego = entity("ego", ego=True)
    front = entity("front", x=20.0, bbox=(4.5, 2.0, 3.0, 0.0, 0.0, 1.5), category="truck")
    hidden = entity("hidden", x=45.0, bbox=(4.5, 1.8, 1.4, 0.0, 0.0, 0.7))
    side = entity("side", x=10.0, y=30.0)                       # outside a 60° FoV
    snap = snapshot(ego, front, hidden, side)
    scene = SensorScene(static_world_for(None), snap)
    ideal = ObjectListSensor(config("objects", ideal=True, horizontal_fov_deg=60.0, mount=MountPose(z=1.5)))
    out = ideal.sense(snap, scene)
    assert out.names == ("front",)
    assert out.objects["x"][0] == pytest.approx(20.0, abs=1e-9)      # box centre at (20, 0, 1.5) vs sensor z 1.5
    assert out.objects["z"][0] == pytest.approx(0.0, abs=1e-9)
    delayed = ObjectListSensor(config("objects", ideal=True, latency_s=0.2))
    assert delayed.sense(snap, scene) is None
    later = snapshot(ego, front, hidden, side, time=0.2)
    assert delayed.sense(later, SensorScene(static_world_for(None), later)).stamp == 0.0


def test_object_list_noise_matches_its_sigma():
    ego = entity("ego", ego=True)
    snap = snapshot(ego, entity("car", x=30.0, vx=10.0))
    scene = SensorScene(static_world_for(None), snap)
    sensor = ObjectListSensor(config("objects", position_noise_m=0.5, velocity_noise_mps=0.0, detection_probability=1.0,
                                     visibility_scales_detection=False))
    xs = np.array([sensor.sense(snap, scene).objects["x"][0] for _ in range(400)])
    assert xs.mean() == pytest.approx(31.4, abs=0.1) and xs.std() == pytest.approx(0.5, rel=0.15)


def test_gnss_converts_through_the_geo_reference():
    geo = GeoReference("+proj=tmerc +lat_0=48.0 +lon_0=11.0 +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m")
    ego = entity("ego", x=0.0, y=111_200.0, ego=True)           # ~1° of latitude north of the origin
    snap = snapshot(ego)
    fix = Gnss(config("gnss", horizontal_noise_m=0.0, vertical_noise_m=0.0, bias_random_walk_m_per_sqrt_s=0.0,
                      latency_s=0.0), geo).sense(snap)
    assert fix.longitude == pytest.approx(11.0, abs=1e-9)
    assert fix.latitude == pytest.approx(49.0, abs=0.01)
    offset = GeoReference(geo.proj, x=0.0, y=-111_200.0)
    fix0 = Gnss(config("gnss", horizontal_noise_m=0.0, vertical_noise_m=0.0, bias_random_walk_m_per_sqrt_s=0.0,
                       latency_s=0.0), offset).sense(snap)
    assert fix0.latitude == pytest.approx(48.0, abs=1e-9)
    with pytest.raises(ConfigError, match="geo-reference"):
        Gnss(config("gnss")).sense(snap)


def test_imu_measures_gravity_centripetal_acceleration_and_yaw_rate():
    # driving a circle: v = 10 m/s, r = 0.5 rad/s → centripetal 5 m/s² towards the centre (+y of the car)
    ego = entity("ego", vx=10.0, yaw_rate=0.5, ax=0.0, ay=5.0, ego=True)
    snap = snapshot(ego)
    quiet = dict(accelerometer_noise_density=0.0, gyroscope_noise_density=0.0,
                 accelerometer_bias_random_walk=0.0, gyroscope_bias_random_walk=0.0)
    m = Imu(config("imu", rate=100.0, **quiet)).sense(snap)
    np.testing.assert_allclose(m.linear_acceleration, (0.0, 5.0, GRAVITY), atol=1e-9)
    np.testing.assert_allclose(m.angular_velocity, (0.0, 0.0, 0.5), atol=1e-9)
    # a sensor 2 m ahead of the rear axle also feels ω²·r = 0.25·2 = 0.5 m/s² backwards
    m2 = Imu(config("imu", rate=100.0, mount=MountPose(x=2.0), **quiet)).sense(snap)
    assert m2.linear_acceleration[0] == pytest.approx(-0.5, abs=1e-9)
    noisy = Imu(config("imu", rate=100.0))
    samples = np.array([noisy.sense(snap).angular_velocity[2] for _ in range(2000)])
    assert samples.std() == pytest.approx(2.4e-4 * math.sqrt(100.0), rel=0.1)


def test_v2x_delivers_with_latency_and_loses_packets_with_distance():
    ego = entity("ego", ego=True)
    near = entity("near", x=20.0)
    far = entity("far", x=500.0)
    signals = {"sig1": "green"}
    units = [{"name": "rsu1", "x": 50.0, "y": 10.0, "signals": ["sig1"], "perception_range_m": 100.0}]
    radio = V2XRadio(config("v2x", latency_s=0.05, jitter_s=0.0, base_loss=0.0, roadside_units=units,
                               rsu_perception="ideal"))  # the channel, not perception (test_v2x_s11_rsu_occlusion)
    from simplatform.world import WorldSnapshot
    s0 = WorldSnapshot.from_states(0.0, 0, [ego, near, far], signals=signals)
    assert radio.sense(s0) == []
    s1 = WorldSnapshot.from_states(0.05, 5, [ego, near, far], signals=signals)
    got = radio.sense(s1)
    kinds = {type(m).__name__ for m in got}
    assert kinds == {"BasicSafetyMessage", "SignalPhaseAndTiming", "RoadsideSafetyMessage"}
    assert {m.sender for m in got if isinstance(m, BasicSafetyMessage)} == {"near"}   # 500 m is out of range
    spat = next(m for m in got if isinstance(m, SignalPhaseAndTiming))
    assert spat.movements[0].state == "protected-Movement-Allowed"
    rsm = next(m for m in got if isinstance(m, RoadsideSafetyMessage))
    assert {o.object_id for o in rsm.objects} == {"ego", "near"}
    channel = ChannelModel(range_m=300.0, base_loss=0.1, loss_exponent=2.0)
    p = channel.loss_probability(np.array([0.0, 150.0, 300.0, 301.0]), np.zeros(4, bool))
    np.testing.assert_allclose(p, [0.1, 0.1 + 0.9 * 0.25, 1.0, 1.0])


def test_v2x_line_of_sight_blocked_by_a_building():
    ego = entity("ego", ego=True)
    other = entity("other", x=60.0)
    snap = snapshot(ego, other)
    scene = SensorScene(static_world_for([wall(30.0, material="building")]), snap)
    radio = V2XRadio(config("v2x", base_loss=0.0, nlos_loss=1.0, latency_s=0.0, jitter_s=0.0))
    assert radio.sense(snap, scene) == []
    open_radio = V2XRadio(config("v2x", base_loss=0.0, nlos_loss=1.0, latency_s=0.0, jitter_s=0.0))
    assert len(open_radio.sense(snap, SensorScene(static_world_for(None), snap))) == 1


def test_rates_and_seeding_rules():
    c = config("imu", rate=20.0)
    assert [is_due(c, k, 0.01) for k in range(6)] == [True, False, False, False, False, True]
    with pytest.raises(ConfigError, match="divisor"):
        is_due(config("imu", rate=30.0), 0, 0.01)
    a = sensor_rng(1, "cut_in", "lidar").random(3)
    assert np.array_equal(a, sensor_rng(1, "cut_in", "lidar").random(3))
    assert not np.array_equal(a, sensor_rng(1, "cut_in", "radar").random(3))
    assert not np.array_equal(a, sensor_rng(2, "cut_in", "lidar").random(3))
