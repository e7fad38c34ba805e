"""The reference stack's parts on their own: Frenet route, tracking, lidar perception, planner rules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simplatform.stacks import StackParameters
from simplatform.stacks.inputs import Detections, EgoState
from simplatform.stacks.lidar import cloud_detections, euclidean_clusters, min_area_rectangle, remove_ground
from simplatform.stacks.planner import Planner, idm
from simplatform.stacks.route import RoutePath
from simplatform.stacks.tracking import Tracker


def test_frenet_coordinates_on_a_circular_route():
    theta = np.linspace(0, math.pi / 2, 400)
    route = RoutePath(np.stack([100 * np.sin(theta), 100 - 100 * np.cos(theta)], axis=1))
    f = route.project(np.array([[95 * math.sin(0.5), 100 - 95 * math.cos(0.5)], [0.0, -2.0]]))
    assert f.s[0] == pytest.approx(50.0, abs=0.05) and f.d[0] == pytest.approx(5.0, abs=0.01)  # 5 m inside the left bend
    assert f.d[1] == pytest.approx(-2.0, abs=1e-3)
    x, y, h = route.pose_at(50.0, 5.0)
    assert (float(x), float(y)) == pytest.approx((95 * math.sin(0.5), 100 - 95 * math.cos(0.5)), abs=0.05)
    assert route.curvature_speed(0, 100, 2.5) == pytest.approx(math.sqrt(2.5 * 100), rel=0.02)


def test_idm_rests_at_the_minimum_gap_behind_a_stopped_leader():
    p = StackParameters()
    assert idm(p, 0.0, 14.0, p.idm_min_gap, 0.0) == pytest.approx(0.0, abs=1e-9)
    assert idm(p, 14.0, 14.0) == pytest.approx(0.0, abs=1e-9)
    assert idm(p, 10.0, 14.0, 20.0, 0.0) < -p.idm_decel       # closing in on a stopped car: brake hard


def test_tracker_estimates_velocity_from_object_positions():
    tracker = Tracker(by_id=True)
    for k in range(6):
        t = 0.1 * k
        tracker.update(Detections(t, ("car",), ("car",), np.array([[10 + 8 * t, 3 - 1 * t]]), np.zeros(1),
                                  np.array([[4.5, 1.8, 1.5]])))
    objects = tracker.objects(0.5)
    assert objects.ids == ("car",)
    assert objects.velocity[0] == pytest.approx([8.0, -1.0], abs=0.05)


def test_a_track_is_not_reported_before_its_second_detection():
    tracker = Tracker(by_id=False)
    tracker.update(Detections(0.0, ("",), ("car",), np.array([[5.0, 0.0]]), np.zeros(1), np.ones((1, 3))))
    assert len(tracker.objects(0.0)) == 0
    tracker.update(Detections(0.1, ("",), ("car",), np.array([[5.5, 0.0]]), np.zeros(1), np.ones((1, 3))))
    assert len(tracker.objects(0.1)) == 1


def box_surface_points(cx, cy, length, width, height, yaw, step=0.1):
    u, z = np.meshgrid(np.arange(-0.5, 0.5, step / length), np.arange(0.1, height, step))
    faces = [np.stack([u * length, np.full_like(u, s * width / 2), z], -1) for s in (-1, 1)]
    v, z2 = np.meshgrid(np.arange(-0.5, 0.5, step / width), np.arange(0.1, height, step))
    faces += [np.stack([np.full_like(v, s * length / 2), v * width, z2], -1) for s in (-1, 1)]
    pts = np.concatenate([f.reshape(-1, 3) for f in faces])
    c, s = math.cos(yaw), math.sin(yaw)
    return pts @ np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]]) + [cx, cy, 0]


def test_min_area_rectangle_recovers_a_rotated_box():
    pts = box_surface_points(3.0, -2.0, 4.6, 1.9, 1.5, 0.4)[:, :2]
    centre, length, width, yaw = min_area_rectangle(pts)
    assert centre == pytest.approx([3.0, -2.0], abs=0.05)
    assert (length, width) == pytest.approx((4.6, 1.9), abs=0.1)
    assert math.cos(2 * (yaw - 0.4)) == pytest.approx(1.0, abs=1e-3)


def test_lidar_pipeline_finds_a_car_and_a_pedestrian_on_a_ground_plane():
    rng = np.random.default_rng(1)
    ground = np.column_stack([rng.uniform(-30, 30, 4000), rng.uniform(-10, 10, 4000), rng.normal(0, 0.02, 4000)])
    car = box_surface_points(15.0, 0.0, 4.6, 1.9, 1.5, 0.0)
    walker = box_surface_points(10.0, 5.0, 0.5, 0.5, 1.8, 0.0)
    mount = np.eye(4)
    mount[:3, 3] = (1.5, 0.0, 1.8)                  # the sensor sits 1.8 m up: its frame sees the ground at z=-1.8
    cloud = np.concatenate([ground, car, walker]) - [1.5, 0.0, 1.8]
    assert len(remove_ground(np.concatenate([ground, car]))) == len(car) - np.sum(car[:, 2] <= 0.25)
    assert len(euclidean_clusters(np.concatenate([car, walker]))) == 2
    ego = EgoState(0.0, 100.0, 50.0, 0.0, math.pi / 2, 0.0, 0.0)    # map frame: the ego faces north at (100, 50)
    det = cloud_detections(cloud, 0.0, ego, mount)
    by_class = dict(zip(det.categories, det.xy))
    assert set(by_class) == {"car", "pedestrian"}
    assert by_class["car"] == pytest.approx([100.0, 65.0], abs=0.1)
    assert by_class["pedestrian"] == pytest.approx([95.0, 60.0], abs=0.1)


def test_aeb_fires_after_the_confirmation_cycles_and_releases_at_standstill():
    planner = Planner(StackParameters())
    route = RoutePath(np.array([[0.0, 0.0], [500.0, 0.0]]))
    from simplatform.stacks.tracking import TrackedObjects

    obstacle = TrackedObjects(("car",), ("car",), np.array([[30.0, 0.0]]), np.zeros((1, 2)), np.zeros(1),
                              np.array([[4.5, 1.8, 1.5]]))
    plans = [planner.plan(EgoState(0.1 * k, 0.0, 0.0, 0.0, 0.0, 25.0, 0.0), route, obstacle, {}, [])
             for k in range(3)]
    assert [p.aeb for p in plans] == [False, True, True]          # TTC 0.97 s < 1.2 s, confirmed on the second cycle
    stopped = planner.plan(EgoState(0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0), route, obstacle, {}, [])
    assert not stopped.aeb


def test_unknown_parameters_are_named():
    with pytest.raises(ValueError, match="cruise_sped"):
        StackParameters.from_mapping({"cruise_sped": 10})
