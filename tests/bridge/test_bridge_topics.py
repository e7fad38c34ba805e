"""The topic registry follows DESIGN.md's names; observations are built from a WorldSnapshot."""

from __future__ import annotations

import math

import pytest

from simplatform.bridge import Direction, TopicRegistry, observations
from simplatform.bridge.msgs import CarlaTrafficLightStatus
from simplatform.control import AckermannCommand, Control
from simplatform.bridge.controls import from_engine_command, to_engine_command
from simplatform.bridge.msgs import AckermannDrive, AckermannDriveStamped, CarlaEgoVehicleControl, Time
from simplatform.errors import ConfigError, StackError
from simplatform.world import BoundingBox, EntityKind, EntityState, WorldSnapshot

RIG = [
    {"name": "top", "type": "lidar", "rate": 10},
    {"name": "front", "type": "camera", "rate": 20},
    {"name": "fr", "type": "radar", "rate": 20},
    {"name": "gnss0", "type": "gnss", "rate": 10},
    {"name": "imu0", "type": "imu"},
    {"name": "rsu", "type": "v2x", "rate": 10},
]


def test_a_rig_gives_the_ros2_topic_names_of_the_design():
    reg = TopicRegistry.from_rig(RIG)
    names = {t.name: t.ros_type for t in reg}
    assert names["/sensors/top/points"] == "sensor_msgs/msg/PointCloud2"
    assert names["/sensors/front/image"] == "sensor_msgs/msg/Image"
    assert names["/sensors/front/camera_info"] == "sensor_msgs/msg/CameraInfo"
    assert names["/sensors/fr/scan"] == "radar_msgs/msg/RadarScan"
    assert names["/gnss"] == "sensor_msgs/msg/NavSatFix" and names["/imu"] == "sensor_msgs/msg/Imu"
    assert names["/v2x/rsu"] == "std_msgs/msg/String"
    assert names["/clock"] == "rosgraph_msgs/msg/Clock" and names["/ego/odometry"] == "nav_msgs/msg/Odometry"
    assert [t.name for t in reg.from_stack()] == ["/ego/control", "/ego/vehicle_control"]
    assert "/ground_truth/objects" not in reg
    assert "/ground_truth/objects" in TopicRegistry.from_rig(RIG, ground_truth_objects=True)
    assert reg["/route"].latched and reg["/route"].direction is Direction.TO_STACK


def test_sensor_configs_with_rate_hz_attributes_work_like_dicts():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class SensorConfig:  # the shape of sensors.base.SensorConfig
        name: str
        type: str
        rate_hz: float = 10.0

    reg = TopicRegistry.from_rig([SensorConfig("roof", "lidar", 20.0)])
    assert reg["/sensors/roof/points"].rate_hz == 20.0 and reg["/sensors/roof/points"].sensor == "roof"


def test_topics_are_due_at_their_rate_and_latched_ones_never():
    reg = TopicRegistry.from_rig(RIG)
    due0 = {t.name for t in reg.due(0, 0.01)}
    due5 = {t.name for t in reg.due(5, 0.01)}
    assert "/sensors/top/points" in due0 and "/sensors/top/points" not in due5
    assert "/sensors/front/image" in due5 and "/imu" in due5 and "/clock" in due5
    assert "/route" not in due0


def test_a_rate_that_does_not_divide_the_step_rate_is_a_config_error():
    reg = TopicRegistry.from_rig([{"name": "l", "type": "lidar", "rate": 30}])
    with pytest.raises(ConfigError, match="not a divisor"):
        reg.due(0, 0.01)


def test_two_gnss_receivers_or_an_unknown_sensor_type_are_config_errors_naming_the_sensor():
    with pytest.raises(ConfigError, match="/gnss is defined twice"):
        TopicRegistry.from_rig([{"name": "a", "type": "gnss"}, {"name": "b", "type": "gnss"}])
    with pytest.raises(ConfigError, match="'sonar1' has unknown type 'sonar'"):
        TopicRegistry.from_rig([{"name": "sonar1", "type": "sonar"}])


def _state(name, x, y, heading, speed, *, ego=False, category="car"):
    return EntityState(name=name, kind=EntityKind.VEHICLE, category=category, x=x, y=y, z=0.0,
                       heading=heading, pitch=0.0, roll=0.0, speed=speed, vx=speed * math.cos(heading),
                       vy=speed * math.sin(heading), ax=0.0, ay=0.0, yaw_rate=0.05,
                       bbox=BoundingBox(4.5, 1.8, 1.5, 1.4, 0.0, 0.75), lane=None, is_ego=ego)


def test_odometry_and_ground_truth_come_from_the_snapshot_in_map_and_base_link_frames():
    snap = WorldSnapshot.from_states(2.5, 250, [_state("ego", 10, 5, math.pi / 2, 8.0, ego=True),
                                                _state("lead", 10, 40, math.pi / 2, 6.0)])
    odom = observations.ego_odometry(snap)
    assert odom.header.frame_id == "map" and odom.child_frame_id == "base_link"
    assert odom.header.stamp == Time(2, 500_000_000)
    assert odom.twist.twist.linear.x == pytest.approx(8.0) and odom.twist.twist.linear.y == pytest.approx(0.0)
    assert odom.pose.pose.orientation.yaw() == pytest.approx(math.pi / 2)
    objects = observations.ground_truth_objects(snap)
    (lead,) = objects.detections
    assert lead.id == "lead" and lead.results[0].hypothesis.class_id == "car"
    # box centre 1.4 m ahead of the rear axle along +y
    assert (lead.bbox.center.position.x, lead.bbox.center.position.y) == pytest.approx((10.0, 41.4))
    assert lead.bbox.size.x == 4.5 and lead.bbox.center.position.z == pytest.approx(0.75)


def test_traffic_light_states_map_colour_words_and_lamp_lists():
    lights = observations.traffic_lights({"7": "off;off;on", "sig_a": "red", "9": "???"})
    states = {l.id: l.state for l in lights.traffic_lights}
    assert states[7] == CarlaTrafficLightStatus.GREEN and states[9] == CarlaTrafficLightStatus.UNKNOWN
    assert states[observations.signal_id("sig_a")] == CarlaTrafficLightStatus.RED


def test_controls_map_to_engine_commands_with_carla_steer_sign_flipped():
    assert to_engine_command(AckermannDriveStamped(drive=AckermannDrive(speed=5.0, steering_angle=0.1))) == \
        AckermannCommand(speed=5.0, steering_angle=0.1)
    # CARLA steers right with positive steer; simplatform's Control is left-positive (ISO 8855).
    assert to_engine_command(CarlaEgoVehicleControl(throttle=0.5, steer=0.25)) == Control(throttle=0.5, steer=-0.25)
    assert to_engine_command(from_engine_command(Control(steer=0.3, brake=1.0), Time())) == Control(steer=0.3, brake=1.0)
    with pytest.raises(StackError, match="NaN"):
        to_engine_command(AckermannDriveStamped(drive=AckermannDrive(speed=float("nan"))))
    with pytest.raises(StackError, match="not a control"):
        to_engine_command("full speed")
