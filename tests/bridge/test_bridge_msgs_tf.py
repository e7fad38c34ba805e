"""/tf_static and per-waypoint arrays: tf2_msgs/TFMessage and std_msgs/Float32MultiArray on every wire."""

from __future__ import annotations

import io
import json
import math
import struct

import cbor2
import numpy as np
import pytest
from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory
from mcap_ros2.writer import Writer

from simplatform.bridge import codec
from simplatform.bridge.msgs import (
    Float32MultiArray, Header, MultiArrayDimension, MultiArrayLayout, Quaternion, TFMessage, Time, Transform,
    TransformStamped, Vector3, concatenated_definition, definition_text,
)
from simplatform.bridge.msgs.schema import check_class_matches_definition, schema

NEW_TYPES = {
    "geometry_msgs/msg/Transform": ["translation", "rotation"],
    "geometry_msgs/msg/TransformStamped": ["header", "child_frame_id", "transform"],
    "tf2_msgs/msg/TFMessage": ["transforms"],
    "std_msgs/msg/MultiArrayDimension": ["label", "size", "stride"],
    "std_msgs/msg/MultiArrayLayout": ["dim", "data_offset"],
    "std_msgs/msg/Float32MultiArray": ["layout", "data"],
}

MOUNTS = TFMessage((
    TransformStamped(Header(Time(0, 0), "base_link"), "lidar_top", Transform.from_xyz_rpy(1.2, 0.0, 1.9)),
    TransformStamped(Header(Time(0, 0), "base_link"), "camera_front",
                     Transform.from_xyz_rpy(1.5, -0.1, 1.4, -math.pi / 2, 0.0, -math.pi / 2)),
))
LIMITS = Float32MultiArray.from_values([13.89, 13.89, 8.33, math.nan], label="waypoint")
SAMPLES = [MOUNTS, LIMITS, MOUNTS.transforms[0], MOUNTS.transforms[0].transform, LIMITS.layout, LIMITS.layout.dim[0]]


@pytest.mark.parametrize("ros_type", sorted(NEW_TYPES))
def test_fields_are_those_of_the_ros2_humble_definition(ros_type):
    assert [f.name for f in schema(ros_type).fields] == NEW_TYPES[ros_type]
    assert check_class_matches_definition(ros_type) == []


def test_field_types_and_both_type_spellings():
    tf = {f.name: f for f in schema("tf2_msgs/TFMessage").fields}
    assert tf["transforms"].base == "geometry_msgs/msg/TransformStamped" and tf["transforms"].array == -1
    arr = {f.name: f for f in schema("std_msgs/Float32MultiArray").fields}
    assert (arr["data"].base, arr["data"].primitive, arr["data"].array) == ("float32", True, -1)
    dim = {f.name: f.base for f in schema("std_msgs/msg/MultiArrayDimension").fields}
    assert dim == {"label": "string", "size": "uint32", "stride": "uint32"}


def test_concatenated_definition_lists_every_dependency_once_as_rosbag2_stores_it():
    text = concatenated_definition("tf2_msgs/msg/TFMessage")
    assert text.startswith("geometry_msgs/TransformStamped[] transforms\n")
    msgs = [line[5:] for line in text.splitlines() if line.startswith("MSG: ")]
    assert msgs == ["geometry_msgs/TransformStamped", "std_msgs/Header", "builtin_interfaces/Time",
                    "geometry_msgs/Transform", "geometry_msgs/Vector3", "geometry_msgs/Quaternion"]
    assert definition_text("std_msgs/Float32MultiArray").split() == ["MultiArrayLayout", "layout", "float32[]", "data"]


@pytest.mark.parametrize("msg", SAMPLES, ids=lambda m: type(m).__name__)
def test_json_cbor_and_cdr_round_trips_are_exact(msg):
    t = type(msg).ROS_TYPE
    back = codec.decode_json(t, codec.encode_json(msg))
    assert codec.encode_json(back) == codec.encode_json(msg)   # NaN != NaN, so compare the encodings
    assert codec.encode_json(codec.from_plain(t, cbor2.loads(cbor2.dumps(codec.to_plain(msg, "cbor"))))) == \
        codec.encode_json(msg)
    assert codec.encode_cdr(codec.decode_cdr(t, codec.encode_cdr(msg))) == codec.encode_cdr(msg)
    if not _has_nan(msg):
        assert codec.decode_json(t, codec.encode_json(msg)) == msg
        assert codec.decode_cdr(t, codec.encode_cdr(msg)) == msg


def _has_nan(msg) -> bool:
    return isinstance(msg, Float32MultiArray) and any(v != v for v in msg.data)


def test_json_is_what_a_rosbridge_client_sends_for_tf_static():
    plain = json.loads(codec.encode_json(MOUNTS))
    first = plain["transforms"][0]
    assert first["header"] == {"stamp": {"sec": 0, "nanosec": 0}, "frame_id": "base_link"}
    assert first["child_frame_id"] == "lidar_top"
    assert first["transform"]["translation"] == {"x": 1.2, "y": 0.0, "z": 1.9}
    assert first["transform"]["rotation"] == {"x": 0.0, "y": 0.0, "z": 0.0, "w": 1.0}
    # a client may leave fields out: rosbridge fills the ROS defaults (identity rotation)
    sparse = codec.from_plain("tf2_msgs/TFMessage", {"transforms": [{"child_frame_id": "gnss"}]})
    assert sparse.transforms[0].transform.rotation == Quaternion() and sparse.transforms[0].header.frame_id == ""


def test_float32_multi_array_json_cbor_forms():
    msg = Float32MultiArray.from_values([1.5, 2.25, 3.0], label="waypoint")
    assert json.loads(codec.encode_json(msg)) == {
        "layout": {"dim": [{"label": "waypoint", "size": 3, "stride": 3}], "data_offset": 0}, "data": [1.5, 2.25, 3.0]}
    tag = codec.to_plain(msg, "cbor")["data"]
    assert tag.tag == 85 and np.frombuffer(tag.value, "<f4").tolist() == [1.5, 2.25, 3.0]


def test_cdr_bytes_are_the_ros2_wire_format():
    """Hand-laid CDR (XCDR1 little endian, OMG DDS-XTypes §7.4.1): u32 string length with the NUL,
    padding to 4, then the two uint32 fields; alignment counts from after the 4-byte header."""
    expected = b"\x00\x01\x00\x00" + struct.pack("<I", 2) + b"a\x00" + b"\x00\x00" + struct.pack("<II", 2, 1)
    assert codec.encode_cdr(MultiArrayDimension("a", 2, 1)) == expected
    arr = Float32MultiArray(MultiArrayLayout((), 0), (0.5, -1.0))
    assert codec.encode_cdr(arr) == b"\x00\x01\x00\x00" + struct.pack("<III", 0, 0, 2) + struct.pack("<ff", 0.5, -1.0)


def test_an_mcap_written_by_mcap_ros2_reads_back_to_the_same_messages():
    buf = io.BytesIO()
    writer = Writer(buf)
    tf_schema = writer.register_msgdef("tf2_msgs/msg/TFMessage", concatenated_definition("tf2_msgs/msg/TFMessage"))
    arr_schema = writer.register_msgdef("std_msgs/msg/Float32MultiArray",
                                        concatenated_definition("std_msgs/msg/Float32MultiArray"))
    writer.write_message("/tf_static", tf_schema, codec.to_plain(MOUNTS, "cdr"), log_time=0, publish_time=0)
    writer.write_message("/route/speed_limits", arr_schema, codec.to_plain(LIMITS, "cdr"), log_time=0, publish_time=0)
    writer.finish()
    buf.seek(0)
    got = {channel.topic: (message, decoded) for _, channel, message, decoded
           in make_reader(buf, decoder_factories=[DecoderFactory()]).iter_decoded_messages()}
    assert codec.decode_cdr("tf2_msgs/TFMessage", got["/tf_static"][0].data) == MOUNTS
    tf = got["/tf_static"][1]
    assert [t.child_frame_id for t in tf.transforms] == ["lidar_top", "camera_front"]
    assert tf.transforms[1].transform.rotation.w == pytest.approx(MOUNTS.transforms[1].transform.rotation.w)
    limits = got["/route/speed_limits"][1]
    assert limits.layout.dim[0].label == "waypoint" and limits.layout.dim[0].size == 4
    np.testing.assert_array_equal(np.asarray(limits.data, dtype=np.float32), LIMITS.to_array())


def test_from_values_rounds_to_float32_and_to_array_follows_the_layout_strides():
    msg = Float32MultiArray.from_values(np.array([13.89, math.inf]))
    assert msg.data[0] == float(np.float32(13.89)) and msg.data[1] == math.inf
    # the std_msgs/MultiArrayLayout example: element (i, j) at data_offset + dim[1].stride * i + j
    layout = MultiArrayLayout((MultiArrayDimension("rows", 2, 8), MultiArrayDimension("cols", 3, 4)), data_offset=1)
    grid = Float32MultiArray(layout, tuple(float(v) for v in range(9)))
    np.testing.assert_array_equal(grid.to_array(), [[1, 2, 3], [5, 6, 7]])


def test_transform_from_xyz_rpy_is_the_rep103_mount_rotation():
    t = Transform.from_xyz_rpy(1.0, 2.0, 3.0, yaw=0.5)
    assert t.translation == Vector3(1.0, 2.0, 3.0)
    assert t.rotation.yaw() == pytest.approx(0.5)
    assert Transform() == Transform(Vector3(), Quaternion(0.0, 0.0, 0.0, 1.0))


def test_bad_input_names_the_field():
    with pytest.raises(codec.MessageError, match=r"transforms\[0\].child_frame_id"):
        codec.from_plain("tf2_msgs/TFMessage", {"transforms": [{"child_frame_id": 3}]})
    with pytest.raises(codec.MessageError, match="size"):
        codec.from_plain("std_msgs/MultiArrayDimension", {"size": -1})
