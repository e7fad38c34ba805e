"""Messages mirror ROS 2 and survive every encoding: rosbridge JSON, rosbridge CBOR, ROS 2 CDR."""

from __future__ import annotations

import base64
import json
import struct

import cbor2
import numpy as np
import pytest
from mcap_ros2._dynamic import generate_dynamic

from simplatform.bridge import codec
from simplatform.bridge.msgs import *  # noqa: F403
from simplatform.bridge.msgs.definitions import MSG_DEFINITIONS
from simplatform.bridge.msgs.schema import check_class_matches_definition

H = Header(stamp=Time.from_seconds(12.345), frame_id="base_link")
POSE = Pose(position=Point(1.5, -2.0, 0.3), orientation=Quaternion.from_euler(0.0, 0.0, 0.7))


def cloud(n: int = 64 * 10) -> PointCloud2:
    rng = np.random.default_rng(7)
    return PointCloud2.from_xyzi(H, rng.normal(size=(n, 3)).astype("f4"), rng.uniform(size=n), height=64)


SAMPLES = [
    Clock(Time(3, 4)), String('{"cam": 1}'), H, POSE,
    Odometry(header=H, child_frame_id="base_link", pose=PoseWithCovariance(pose=POSE, covariance=tuple(range(36)))),
    Path(header=H, poses=(PoseStamped(header=H, pose=POSE),) * 3),
    cloud(),
    Image(header=H, height=2, width=3, encoding="rgb8", step=9, data=bytes(range(18))),
    CameraInfo(header=H, height=480, width=640, distortion_model="plumb_bob", d=(0.1, -0.2, 0.0, 0.0, 0.01),
               k=(500.0, 0, 320, 0, 500, 240, 0, 0, 1), p=tuple(float(i) for i in range(12))),
    Imu(header=H, orientation=POSE.orientation, angular_velocity=Vector3(0, 0, 0.1),
        linear_acceleration=Vector3(0.2, 0, 9.81), orientation_covariance=(-1.0,) + (0.0,) * 8),
    NavSatFix(header=H, status=NavSatStatus(status=NavSatStatus.STATUS_NO_FIX, service=NavSatStatus.SERVICE_GPS),
              latitude=48.1, longitude=11.5, altitude=520.0, position_covariance_type=2),
    RadarScan(header=H, returns=tuple(RadarReturn(10.0 + i, 0.125 * i, 0.0, -3.0, 20.0) for i in range(4))),
    AckermannDriveStamped(header=H, drive=AckermannDrive(steering_angle=0.125, speed=8.0, acceleration=1.0)),
    CarlaEgoVehicleControl(header=H, throttle=0.5, steer=-0.25, gear=1),
    CarlaEgoVehicleStatus(header=H, velocity=7.5, acceleration=Accel(linear=Vector3(1, 0, 0))),
    CarlaTrafficLightStatusList((CarlaTrafficLightStatus(12, CarlaTrafficLightStatus.GREEN),)),
    Detection3DArray(header=H, detections=(Detection3D(
        header=H, results=(ObjectHypothesisWithPose(hypothesis=ObjectHypothesis("car", 1.0)),),
        bbox=BoundingBox3D(center=POSE, size=Vector3(4.5, 1.8, 1.5)), id="target"),)),
    TFMessage((TransformStamped(header=H, child_frame_id="lidar", transform=Transform(Vector3(1, 0, 2))),)),
    Float32MultiArray.from_values([13.5, 8.25], label="waypoint"),
]


@pytest.mark.parametrize("ros_type", sorted(MSG_DEFINITIONS))
def test_every_dataclass_has_exactly_the_fields_of_its_ros2_definition(ros_type):
    assert check_class_matches_definition(ros_type) == []


def test_every_defined_type_has_a_sample_or_is_a_part_of_one():
    covered = {type(m).ROS_TYPE for m in SAMPLES}
    for m in SAMPLES:
        covered.update(dependencies(type(m).ROS_TYPE))
    assert covered >= set(MSG_DEFINITIONS) - {"builtin_interfaces/msg/Duration"}


from simplatform.bridge.msgs.schema import dependencies  # noqa: E402


@pytest.mark.parametrize("msg", SAMPLES, ids=lambda m: type(m).__name__)
def test_json_cbor_and_cdr_round_trips_are_exact(msg):
    t = type(msg).ROS_TYPE
    assert codec.decode_json(t, codec.encode_json(msg)) == msg
    assert codec.from_plain(t, cbor2.loads(cbor2.dumps(codec.to_plain(msg, "cbor")))) == msg
    assert codec.decode_cdr(t, codec.encode_cdr(msg)) == msg


def test_byte_arrays_are_base64_in_json_and_raw_bytes_in_cbor_as_rosbridge_sends_them():
    img = Image(data=b"\x00\x01\xff")
    assert json.loads(codec.encode_json(img))["data"] == base64.b64encode(b"\x00\x01\xff").decode()
    assert codec.to_plain(img, "cbor")["data"] == b"\x00\x01\xff"
    # On input rosbridge also takes a list of numbers.
    assert codec.from_plain("sensor_msgs/Image", {"data": [0, 1, 255]}).data == b"\x00\x01\xff"


def test_cbor_packs_unbounded_float_sequences_as_little_endian_typed_arrays():
    info = CameraInfo(d=(0.5, -1.0))
    tagged = codec.to_plain(info, "cbor")["d"]
    assert isinstance(tagged, cbor2.CBORTag) and tagged.tag == 86  # float64 LE, draft-ietf-cbor-array-tags
    assert struct.unpack("<2d", tagged.value) == (0.5, -1.0)
    assert isinstance(codec.to_plain(info, "cbor")["k"], list)  # fixed arrays stay lists


def test_cdr_rounds_float32_fields_like_a_ros2_subscriber_sees_them():
    back = codec.decode_cdr("ackermann_msgs/AckermannDrive", codec.encode_cdr(AckermannDrive(speed=0.1)))
    assert back.speed == float(np.float32(0.1)) != 0.1


def test_cdr_bytes_are_the_ros2_wire_format():
    # CDR_LE encapsulation header, then int32 sec and uint32 nanosec little endian.
    assert codec.encode_cdr(Clock(Time(3, 4))) == bytes.fromhex("00010000" "03000000" "04000000")


def test_concatenated_definition_is_a_valid_ros2msg_schema_for_mcap():
    text = concatenated_definition("sensor_msgs/PointCloud2")
    assert "MSG: sensor_msgs/PointField" in text and "MSG: std_msgs/Header" in text
    decoders = generate_dynamic("sensor_msgs/msg/PointCloud2", text)
    decoded = decoders["sensor_msgs/msg/PointCloud2"](codec.encode_cdr(cloud(64)))
    assert decoded.width == 1 and decoded.height == 64 and decoded.fields[3].name == "intensity"


def test_point_cloud_packs_and_unpacks_points_with_numpy():
    xyz = np.array([[1, 2, 3], [4, 5, 6]], dtype="f4")
    pc = PointCloud2.from_xyzi(H, xyz, np.array([0.5, 0.25]))
    assert (pc.point_step, pc.row_step, pc.width, pc.height) == (16, 32, 2, 1)
    assert [f.datatype for f in pc.fields] == [PointField.FLOAT32] * 4
    pts = pc.to_array()
    np.testing.assert_array_equal(np.stack([pts["x"], pts["y"], pts["z"]], axis=1), xyz)
    np.testing.assert_array_equal(pts["intensity"], [0.5, 0.25])


@pytest.mark.parametrize("data, path, words", [
    ({"drive": {"speed": "fast"}}, "drive.speed", "expected a number"),
    ({"drive": {"speed": True}}, "drive.speed", "expected a number"),
    ({"drive": {"velocity": 1.0}}, "drive.velocity", "no such field"),
    ({"header": {"stamp": {"sec": 1, "nanosec": -1}}}, "header.stamp.nanosec", "out of range"),
    ({"header": []}, "header", "expected an object"),
])
def test_decoding_errors_name_the_field_and_the_cause(data, path, words):
    with pytest.raises(codec.MessageError) as err:
        codec.from_plain("ackermann_msgs/AckermannDriveStamped", data)
    assert err.value.path == path and words in str(err.value)


def test_fixed_arrays_must_have_their_length_and_missing_fields_take_ros_defaults():
    with pytest.raises(codec.MessageError, match="exactly 36"):
        codec.from_plain("geometry_msgs/PoseWithCovariance", {"covariance": [0.0] * 35})
    assert codec.from_plain("geometry_msgs/msg/Pose", {}) == Pose()
    assert Pose().orientation.w == 1.0  # geometry_msgs/Quaternion default is the identity


def test_unknown_types_are_refused_with_the_list_of_known_ones():
    with pytest.raises(UnknownMessageType, match="sensor_msgs/msg/PointCloud2"):
        schema("sensor_msgs/LaserScan")


def test_quaternion_from_euler_matches_the_yaw_it_was_built_from():
    for yaw in np.linspace(-3.1, 3.1, 7):
        assert Quaternion.from_euler(0.0, 0.0, yaw).yaw() == pytest.approx(yaw)
