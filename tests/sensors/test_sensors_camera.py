"""Camera: a known box lands on the pixels the pinhole model says; depth is range; boxes know occlusion."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sensors.base import SensorConfig
from sensors.camera import Camera
from sensors.camera_model import Intrinsics
from sensors.frames import MountPose
from sensors.materials import SemanticTag
from sensors.scene import SensorScene, static_world_for

from sensors_testworld import entity, plane, snapshot


def camera(**parameters) -> Camera:
    return Camera(SensorConfig(name="cam", type="camera", mount=MountPose(x=2.0, z=1.5), parameters=parameters))


def test_box_projects_to_the_analytic_pixels_and_depth_is_range():
    ego = entity("ego", ego=True)
    # a 2 m cube centred 20 m ahead of the camera on its optical axis: front face at x = 2 + 19
    cube = entity("cube", x=22.0, z=0.5, category="car", bbox=(2.0, 2.0, 2.0, 0.0, 0.0, 1.0))
    snap = snapshot(ego, cube)
    cam = camera(width=640, height=480, horizontal_fov_deg=90.0)
    frame = cam.sense(snap, SensorScene(static_world_for(None), snap))
    f = 320.0 / math.tan(math.radians(45.0))
    cx, cy = 319.5, 239.5
    # front face: distance 19 m, half size 1 m → u = cx ± f/19, v = cy ± f/19
    half = f * 1.0 / 19.0
    cols = np.flatnonzero((frame.instance == 2).any(axis=0))
    rows = np.flatnonzero((frame.instance == 2).any(axis=1))
    assert abs(cols.min() - (cx - half)) <= 1 and abs(cols.max() - (cx + half)) <= 1
    assert abs(rows.min() - (cy - half)) <= 1 and abs(rows.max() - (cy + half)) <= 1
    box = frame.boxes_2d[0]
    assert box.u_min == pytest.approx(cx - half, abs=1) and box.v_max == pytest.approx(cy + half, abs=1)
    assert box.occlusion == pytest.approx(0.0, abs=0.02) and box.truncation == pytest.approx(0.0, abs=1e-9)
    assert frame.depth[240, 320] == pytest.approx(19.0, abs=1e-3)
    # off-axis pixel on the face: REP 118 depth is along the optical axis, so it is still 19 m
    assert frame.depth[240, 310] == pytest.approx(19.0, abs=1e-3)
    assert frame.semantic[240, 320] == SemanticTag.CAR and frame.semantic[5, 5] == SemanticTag.SKY
    assert frame.boxes_3d[0].center == pytest.approx((0.0, 0.0, 20.0), abs=1e-6)


def test_distortion_round_trip():
    intr = Intrinsics(800, 600, 500.0, 510.0, 401.0, 298.0, (-0.28, 0.07, 0.001, -0.0005, 0.0))
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-0.6, 0.6, 500), rng.uniform(-0.45, 0.45, 500)
    u, v = intr.project(np.stack([x, y, np.ones_like(x)], axis=1))
    xu, yu = intr.undistort(u, v)
    np.testing.assert_allclose(xu, x, atol=1e-6)
    np.testing.assert_allclose(yu, y, atol=1e-6)


def test_distorted_camera_renders_box_where_projection_says():
    ego = entity("ego", ego=True)
    cube = entity("cube", x=12.0, y=3.0, z=0.5, bbox=(1.0, 1.0, 1.0, 0.0, 0.0, 1.0))
    snap = snapshot(ego, cube)
    cam = camera(width=320, height=240, horizontal_fov_deg=100.0, distortion=[-0.2, 0.05, 0.0, 0.0, 0.0])
    frame = cam.sense(snap, SensorScene(static_world_for(None), snap))
    box = frame.boxes_2d[0]
    cols = np.flatnonzero((frame.instance == 2).any(axis=0))
    rows = np.flatnonzero((frame.instance == 2).any(axis=1))
    assert abs(cols.min() - box.u_min) <= 1.5 and abs(cols.max() - box.u_max) <= 1.5
    assert abs(rows.min() - box.v_min) <= 1.5 and abs(rows.max() - box.v_max) <= 1.5


def test_occlusion_and_truncation_and_road_rendering():
    ego = entity("ego", ego=True)
    front = entity("front", x=15.0, y=0.0, bbox=(4.0, 1.8, 1.5, 0.0, 0.0, 0.75))
    behind = entity("behind", x=30.0, y=2.0, bbox=(4.0, 1.8, 1.5, 0.0, 0.0, 0.75))
    edge = entity("edge", x=8.0, y=8.0, bbox=(4.0, 1.8, 1.5, 0.0, 0.0, 0.75))
    snap = snapshot(ego, front, behind, edge)
    cam = camera(width=320, height=240, horizontal_fov_deg=90.0)
    frame = cam.sense(snap, SensorScene(static_world_for([plane(200.0, material="asphalt")]), snap))
    boxes = {b.actor: b for b in frame.boxes_2d}
    assert boxes["front"].occlusion < 0.05
    assert 0.3 < boxes["behind"].occlusion < 1.0
    assert boxes["edge"].truncation > 0.2
    road = frame.semantic[230, 160]
    assert road == SemanticTag.ROAD
    assert frame.rgb.shape == (240, 320, 3) and frame.rgb.dtype == np.uint8
    night = snapshot(ego, front, behind, edge, environment={"time_of_day_s": 23 * 3600})
    dark = cam.sense(night, SensorScene(static_world_for([plane(200.0)]), night))
    assert dark.rgb.mean() < 0.3 * frame.rgb.mean()
    foggy = snapshot(ego, front, behind, edge, environment={"fog_visual_range_m": 20.0})
    fog = cam.sense(foggy, SensorScene(static_world_for([plane(200.0)]), foggy))
    # the far car fades into the fog colour: less contrast to the sky than in clear weather
    assert np.std(fog.rgb.astype(float)) < np.std(frame.rgb.astype(float))
