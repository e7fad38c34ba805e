"""Given a run recorded with ``--record``, the MCAP file carries the scene as ROS 2 MarkerArrays that Foxglove's
3-D panel draws: every entity's bounding box and name on ``/scene/entities`` each recorded step, in the same
``map`` frame as ``/tf``, and the road's lane lines once on ``/scene/road``."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from mcap.reader import make_reader
from mcap_ros2.reader import read_ros2_messages

sys.path.insert(0, str(Path(__file__).parent))
import engine_scenario_files as scenarios  # noqa: E402

from simplatform.engine.entities import EntitySpec, EntityTable  # noqa: E402
from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402
from simplatform.opendrive import load_opendrive  # noqa: E402
from simplatform.recording.mcap_log import McapRecorder  # noqa: E402
from simplatform.recording.scene_markers import CUBE, DELETEALL, LINE_STRIP, TEXT_VIEW_FACING  # noqa: E402
from simplatform.world import EntityKind  # noqa: E402

# scenarios._vehicle: BoundingBox(width 2.0, length 5.0, height 1.8, centre (2.0, 0, 0.9)) from the rear axle
BOX_CENTRE = np.array([2.0, 0.0, 0.9])


def _messages(path: Path, topic: str) -> list:
    return [m for m in read_ros2_messages(str(path), topics=[topic])]


def _yaw(q) -> float:
    return math.atan2(2 * (q.w * q.z + q.x * q.y), 1 - 2 * (q.y ** 2 + q.z ** 2))


@pytest.fixture(scope="module")
def recording(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("rec")
    path = scenarios.cut_in(tmp, duration=4.0)
    run_scenario(path, RunConfig(out_dir=tmp / "out", record=True, record_every=20))
    return tmp / "out" / f"{path.stem}.mcap"


def test_one_marker_array_per_recorded_step_with_a_box_and_a_label_per_entity(recording):
    scene = _messages(recording, "/scene/entities")
    tf = _messages(recording, "/tf")
    assert len(scene) == len(tf) == 21  # t = 0 and every 0.2 s to 4 s
    for m in scene:
        markers = m.ros_msg.markers
        assert markers[0].action == DELETEALL
        cubes = [k for k in markers if k.type == CUBE]
        labels = [k for k in markers if k.type == TEXT_VIEW_FACING]
        assert sorted(k.text for k in labels) == ["Ego", "Target"]
        assert len(cubes) == 2 and len(markers) == 5
        assert {k.header.frame_id for k in markers} == {"map"}
        assert m.log_time_ns == m.ros_msg.markers[1].header.stamp.sec * 10**9 + markers[1].header.stamp.nanosec


def test_boxes_sit_on_the_tf_frames_of_their_entities(recording):
    scene = _messages(recording, "/scene/entities")
    tf = _messages(recording, "/tf")
    for ms, mt in zip(scene[::5], tf[::5]):
        frames = {t.child_frame_id: t for t in mt.ros_msg.transforms}
        assert {t.header.frame_id for t in mt.ros_msg.transforms} == {"map"}
        cubes = [k for k in ms.ros_msg.markers if k.type == CUBE]
        names = {k.id: k.text for k in ms.ros_msg.markers if k.type == TEXT_VIEW_FACING}
        for cube in cubes:
            frame = frames[names[cube.id]].transform
            yaw = _yaw(frame.rotation)
            c, s = math.cos(yaw), math.sin(yaw)
            expected = np.array([frame.translation.x + c * BOX_CENTRE[0] - s * BOX_CENTRE[1],
                                 frame.translation.y + s * BOX_CENTRE[0] + c * BOX_CENTRE[1],
                                 frame.translation.z + BOX_CENTRE[2]])
            p = cube.pose.position
            assert [p.x, p.y, p.z] == pytest.approx(expected, abs=1e-9)
            q = cube.pose.orientation
            assert [q.x, q.y, q.z, q.w] == pytest.approx(
                [frame.rotation.x, frame.rotation.y, frame.rotation.z, frame.rotation.w], abs=1e-12)
            assert [cube.scale.x, cube.scale.y, cube.scale.z] == pytest.approx([5.0, 2.0, 1.8])
            assert cube.color.a > 0.0


def test_schema_is_the_ros2_marker_array_definition(recording):
    with open(recording, "rb") as f:
        summary = make_reader(f).get_summary()
    schemas = {s.name: s for s in summary.schemas.values()}
    schema = schemas["visualization_msgs/MarkerArray"]
    assert schema.encoding == "ros2msg"
    text = schema.data.decode()
    assert text.startswith("visualization_msgs/Marker[] markers\n")
    for line in ("int32 CUBE=1", "int32 LINE_STRIP=4", "int32 TEXT_VIEW_FACING=9", "int32 DELETEALL=3",
                 "builtin_interfaces/Duration lifetime",  # ROS 1 would say `duration lifetime`
                 "std_msgs/ColorRGBA[] colors", "visualization_msgs/MeshFile mesh_file",
                 "MSG: std_msgs/ColorRGBA\nfloat32 r\nfloat32 g\nfloat32 b\nfloat32 a",
                 "MSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec"):
        assert line in text, line


def test_road_lane_lines_are_written_once_at_t0_on_a_latched_channel(tmp_path):
    road = scenarios.straight_road(tmp_path / "straight.xodr", length=200.0, lanes=2)
    net = load_opendrive(road)
    table = EntityTable([EntitySpec("Ego", EntityKind.VEHICLE, "car", 5.0, 2.0, 1.8, 1.4, 0.0, 0.9, is_ego=True)])
    rec = McapRecorder(tmp_path / "scene.mcap")
    rec.set_road(net)
    for step in range(3):
        table.x[0] = 10.0 * step
        rec.write(table, 0.5 + 0.1 * step, step)
    rec.close()
    road_msgs = _messages(tmp_path / "scene.mcap", "/scene/road")
    assert len(road_msgs) == 1 and road_msgs[0].log_time_ns == 500_000_000
    lines = road_msgs[0].ros_msg.markers
    # 2 + 2 lanes: four outer borders and the centre line, each a LINE_STRIP sampled every metre
    assert len(lines) == 5 and {k.type for k in lines} == {LINE_STRIP}
    assert len({(k.ns, k.id) for k in lines}) == 5
    for k in lines:
        pts = np.array([[p.x, p.y, p.z] for p in k.points])
        assert len(pts) == 201
        assert pts[0, 0] == pytest.approx(0.0) and pts[-1, 0] == pytest.approx(200.0, abs=1e-5)
        assert np.ptp(pts[:, 1]) < 1e-9  # straight road: each line at a constant y
    ys = sorted(float(k.points[0].y) for k in lines)  # the road runs along +x from the origin: y = t
    borders = [net.lane_boundaries("0", lane, 10.0)[1] for lane in (2, 1, -1, -2)]
    centre = net.lane_boundaries("0", -1, 10.0)[0]
    assert ys == pytest.approx(sorted(borders + [centre]), abs=1e-9)
    with open(tmp_path / "scene.mcap", "rb") as f:
        summary = make_reader(f).get_summary()
    channel = next(c for c in summary.channels.values() if c.topic == "/scene/road")
    assert "durability: 1" in channel.metadata["offered_qos_profiles"]  # transient_local: latched


def test_simplatform_run_record_writes_the_road_lines_too(tmp_path):
    """``run_scenario(record=True)`` (what ``simplatform run --record`` calls) hands the road network to the
    recorder, so the file has the latched lane lines beside the per-step entity markers."""
    path = scenarios.cut_in(tmp_path)
    run_scenario(path, RunConfig(out_dir=tmp_path / "out", record=True, max_time=0.5))
    mcap_file = next((tmp_path / "out").rglob("*.mcap"))
    road = _messages(mcap_file, "/scene/road")
    assert len(road) == 1
    strips = [m for m in road[0].ros_msg.markers if m.type == LINE_STRIP]
    assert strips and all(m.header.frame_id == "map" for m in strips)
    assert len(_messages(mcap_file, "/scene/entities")) == len(_messages(mcap_file, "/clock"))
