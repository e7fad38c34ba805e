"""Rigs from YAML, the render command and the ROS 2 adapters."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sensors.ros_messages import to_ros
from sensors.render import render_rig
from sensors.rig import build_rig, load_rig, parse_rig
from sensors.scene import SensorScene, static_world_for
from sensors.snapshot_io import snapshot_to_json
from simplatform.errors import ConfigError

from sensors_testworld import entity, plane, snapshot

RIGS = Path(__file__).resolve().parents[2] / "launch" / "rigs"


@pytest.mark.parametrize("path", sorted(RIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_example_rigs_load_and_build(path):
    rig = load_rig(path)
    sensors = build_rig(rig)
    assert set(sensors) == {s.name for s in rig.sensors}


def test_rig_errors_name_file_line_and_key():
    text = "sensors:\n  - name: a\n    type: lidar\n    preset: VLP-16\n  - name: b\n    type: sonar\n"
    with pytest.raises(ConfigError) as err:
        parse_rig(text, "rig.yaml")
    assert "rig.yaml:5" in str(err.value) and "sensors[b].type" in str(err.value) and "sonar" in str(err.value)
    with pytest.raises(ConfigError, match="two sensors are named"):
        parse_rig("sensors:\n  - {name: a, type: imu}\n  - {name: a, type: gnss}\n")
    with pytest.raises(ConfigError, match="unknown parameter"):
        build_rig(parse_rig("sensors:\n  - {name: r, type: radar, parameters: {fov: 3}}\n", "x.yaml"))


def test_render_rig_writes_every_sensor_and_ros_messages_convert(tmp_path):
    rig = parse_rig("""
sensors:
  - {name: lidar, type: lidar, preset: VLP-16, mount: {z: 1.8}}
  - {name: radar, type: radar, mount: {x: 3.5, z: 0.5}, parameters: {tracks: true}}
  - {name: cam, type: camera, mount: {x: 2.0, z: 1.4}, parameters: {width: 160, height: 120}}
  - {name: objects, type: objects, mount: {x: 2.0, z: 1.5}, parameters: {ideal: true}}
  - {name: imu, type: imu, rate_hz: 100}
  - {name: v2x, type: v2x, parameters: {latency_s: 0.0, jitter_s: 0.0, base_loss: 0.0}}
""")
    snap = snapshot(entity("ego", ego=True), entity("car", x=20.0, vx=5.0))
    road = plane(200.0, material="driving")
    written = render_rig(snap, road, rig, tmp_path)
    names = {p.name for paths in written.values() for p in paths}
    assert {"lidar.pcd", "radar.json", "cam_rgb.png", "cam_depth.png", "cam_semantic.png", "cam_instance.png",
            "cam_boxes.json", "objects.json", "imu.json", "v2x.json"} <= names
    import open3d as o3d
    assert len(o3d.t.io.read_point_cloud(str(tmp_path / "lidar.pcd")).point.positions) > 1000
    radar = json.loads((tmp_path / "radar.json").read_text())
    assert any(r["actor"] == "car" for r in radar["returns"])
    image = np.asarray(o3d.io.read_image(str(tmp_path / "cam_rgb.png")))
    assert image.shape == (120, 160, 3)
    scene = SensorScene(static_world_for([road]), snap)
    sensors = build_rig(rig)
    cloud = to_ros(sensors["lidar"].sense(snap, scene))
    assert cloud.point_step == 22 and [f.name for f in cloud.fields] == ["x", "y", "z", "intensity", "ring", "time"]
    assert cloud.to_array()["ring"].max() == 7    # the eight upward beams of a VLP-16 see only sky here
    images = to_ros(sensors["cam"].sense(snap, scene))
    assert images["rgb"].encoding == "rgb8" and len(images["depth"].data) == 160 * 120 * 4
    assert images["camera_info"].distortion_model == "plumb_bob"
    assert len(to_ros(sensors["radar"].sense(snap, scene)).returns) > 0
    assert to_ros(sensors["objects"].sense(snap, scene)).detections[0].id == "car"


def test_cli_render_from_a_snapshot(tmp_path):
    from simplatform.cli import main

    snap = snapshot(entity("ego", ego=True), entity("car", x=15.0))
    (tmp_path / "snap.json").write_text(json.dumps(snapshot_to_json(snap)))
    rig = tmp_path / "rig.yaml"
    rig.write_text("sensors:\n  - {name: cam, type: camera, mount: {x: 2, z: 1.4}, parameters: {width: 64, height: 48}}\n")
    code = main(["sensors", "render", "--snapshot", str(tmp_path / "snap.json"), "--rig", str(rig),
                 "--out", str(tmp_path / "out")])
    assert code == 0 and (tmp_path / "out" / "cam_rgb.png").exists()
    assert main(["sensors", "render", "--rig", str(tmp_path / "missing.yaml"), "--out", str(tmp_path)]) == 2
