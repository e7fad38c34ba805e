"""The per-step fast paths build and check exactly what the plain definitions do, bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simplatform.bridge import codec, controls, observations
from simplatform.bridge.msgs import (
    Accel, AckermannDrive, AckermannDriveStamped, CarlaEgoVehicleControl, CarlaEgoVehicleStatus,
    CarlaTrafficLightStatus, CarlaTrafficLightStatusList, Header, Odometry, Point, Pose, PoseWithCovariance,
    Quaternion, Time, Twist, TwistWithCovariance, Vector3,
)
from simplatform.control import Control
from simplatform.errors import StackError
from simplatform.world import BoundingBox, EntityKind, EntityState, WorldSnapshot


def _snapshot(seed: int, step: int = 7) -> WorldSnapshot:
    rng = np.random.default_rng(seed)
    states = []
    for k, name in enumerate(("lead", "ego", "ped")):
        v = rng.normal(size=12) * (1.0, 50.0, 2.0, 3.0, 0.1, 0.05, 15.0, 12.0, 3.0, 2.0, 1.5, 0.4)
        states.append(EntityState(name=name, kind=EntityKind.VEHICLE, category="car", x=v[0], y=v[1], z=v[2],
                                  heading=v[3], pitch=v[4], roll=v[5], speed=v[6], vx=v[7], vy=v[8], ax=v[9],
                                  ay=v[10], yaw_rate=v[11], bbox=BoundingBox(4.5, 1.8, 1.5, 1.3, 0.0, 0.75),
                                  lane=None, is_ego=k == 1))
    return WorldSnapshot.from_states(step * 0.05 + rng.uniform(0, 1e-3), step, states)


def _plain_odometry(snapshot: WorldSnapshot) -> Odometry:
    """The definition written out from an EntityState, as the bridge first built it."""
    ego = snapshot.ego_state
    c, s = math.cos(ego.heading), math.sin(ego.heading)
    return Odometry(
        header=Header(stamp=Time.from_seconds(snapshot.time), frame_id="map"), child_frame_id="base_link",
        pose=PoseWithCovariance(pose=Pose(position=Point(ego.x, ego.y, ego.z),
                                          orientation=Quaternion.from_euler(ego.roll, ego.pitch, ego.heading))),
        twist=TwistWithCovariance(twist=Twist(linear=Vector3(ego.speed, -s * ego.vx + c * ego.vy, 0.0),
                                              angular=Vector3(0.0, 0.0, ego.yaw_rate))))


def _plain_status(snapshot: WorldSnapshot) -> CarlaEgoVehicleStatus:
    ego = snapshot.ego_state
    c, s = math.cos(ego.heading), math.sin(ego.heading)
    header = Header(stamp=Time.from_seconds(snapshot.time), frame_id="base_link")
    return CarlaEgoVehicleStatus(
        header=header, velocity=ego.speed,
        acceleration=Accel(linear=Vector3(c * ego.ax + s * ego.ay, -s * ego.ax + c * ego.ay, 0.0)),
        orientation=Quaternion.from_euler(ego.roll, ego.pitch, ego.heading),
        control=CarlaEgoVehicleControl(header=header))


@pytest.mark.parametrize("seed", range(6))
def test_ego_messages_equal_the_plain_definitions_bit_for_bit(seed):
    snap = _snapshot(seed)
    odometry, status = observations.ego_messages(snap)
    # repr round-trips every float exactly (and tells -0.0 from 0.0): equal text, equal bits
    assert repr(odometry) == repr(_plain_odometry(snap)) == repr(observations.ego_odometry(snap))
    assert repr(status) == repr(_plain_status(snap)) == repr(observations.vehicle_status(snap))
    assert codec.encode_cdr(odometry) == codec.encode_cdr(_plain_odometry(snap))
    assert codec.encode_json(status) == codec.encode_json(_plain_status(snap))


def test_vehicle_status_with_an_executed_control_and_no_ego():
    snap = _snapshot(1)
    control = Control(throttle=0.3, brake=0.0, steer=0.1)
    _, status = observations.ego_messages(snap, control)
    assert status == observations.vehicle_status(snap, control)
    assert status.control.steer == -0.1 and status.control.header.frame_id == "base_link"
    no_ego = WorldSnapshot.from_states(0.0, 0, [])
    with pytest.raises(ValueError, match="no ego"):
        observations.ego_messages(no_ego)


def test_traffic_lights_from_cached_items_equal_fresh_ones():
    signals = {"12": "off;off;on", "tl_north": "red", "3": "on;off;off", "x": "amber", "y": "weird"}
    fresh = CarlaTrafficLightStatusList(traffic_lights=tuple(
        CarlaTrafficLightStatus(id=observations.signal_id(k), state=observations.signal_state(v))
        for k, v in sorted(signals.items())))
    assert observations.traffic_lights(signals) == fresh
    assert observations.traffic_lights(dict(signals)) == fresh  # second time from the cache
    assert [s.state for s in fresh.traffic_lights] == [2, 0, 0, 1, 4]


def _drive(**kw) -> AckermannDriveStamped:
    return AckermannDriveStamped(header=Header(stamp=Time(1, 5), frame_id="base_link"), drive=AckermannDrive(**kw))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, np.float64("nan")])
def test_non_finite_controls_are_found_at_any_depth(bad):
    assert not codec.is_finite_message(_drive(speed=bad))
    assert not codec.is_finite_message(_drive(jerk=bad))
    assert not codec.is_finite_message(CarlaEgoVehicleControl(brake=bad))
    assert not codec.is_finite_message(Odometry(pose=PoseWithCovariance(covariance=(0.0,) * 35 + (bad,))))
    assert not codec.is_finite_message([Vector3(), (Vector3(z=bad),)])
    with pytest.raises(StackError, match="NaN or infinite"):
        controls.to_engine_command(_drive(steering_angle=bad))
    with pytest.raises(StackError, match="NaN or infinite"):
        controls.to_engine_command(CarlaEgoVehicleControl(throttle=bad))


def test_finite_controls_pass_and_odd_types_still_fail_clearly():
    assert codec.is_finite_message(_drive(speed=1e308, steering_angle=-0.0, acceleration=5e-324))
    assert codec.is_finite_message(Odometry())
    command = controls.to_engine_command(_drive(speed=3.0, steering_angle=0.1))
    assert (command.speed, command.steering_angle) == (3.0, 0.1)
    with pytest.raises(StackError, match="returned str, not a control"):
        controls.to_engine_command("full throttle")
    with pytest.raises(StackError, match="returned Vector3, not a control"):
        controls.to_engine_command(Vector3())
