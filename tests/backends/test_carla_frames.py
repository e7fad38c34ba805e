"""Our frame ↔ CARLA's: round trips, and agreement with the real client's own rotation maths."""

from __future__ import annotations

import numpy as np
import pytest

from simplatform.backends.carla.frames import (angular_velocity_from_carla, origin_offset, origin_to_reference,
                                               pose_from_carla, pose_to_carla, reference_to_origin,
                                               rotation_matrices)

carla = pytest.importorskip("carla")  # the real client: its Rotation/Transform maths run without a server

RNG = np.random.default_rng(7)
MIRROR = np.diag([1.0, -1.0, 1.0])


def random_poses(n=50):
    return (RNG.uniform(-3000, 3000, n), RNG.uniform(-3000, 3000, n), RNG.uniform(-20, 50, n),
            RNG.uniform(-np.pi, np.pi, n), RNG.uniform(-0.5, 0.5, n), RNG.uniform(-0.5, 0.5, n))


def test_a_pose_survives_the_round_trip_through_carla():
    ours = random_poses()
    back = pose_from_carla(*pose_to_carla(*ours))
    for a, b in zip(ours, back):
        np.testing.assert_allclose(b, a, atol=1e-12)


def test_heading_comes_back_wrapped():
    h = pose_from_carla(0.0, 0.0, 0.0, 0.0, 0.0, -270.0)[3]  # CARLA yaw −270° is +90°: our heading −90°
    assert h == pytest.approx(-np.pi / 2)


def test_east_north_up_maps_to_carla_x_minus_y():
    x, y, z, roll, pitch, yaw = pose_to_carla(10.0, 5.0, 1.0, np.pi / 2, 0.0, 0.0)
    assert (x, y, z) == (10.0, -5.0, 1.0)
    assert yaw == pytest.approx(-90.0)  # facing north = counter-clockwise in ours = clockwise −90° in CARLA


@pytest.mark.parametrize("k", range(12))
def test_our_rotation_is_the_mirror_image_of_carlas(k):
    """CARLA's forward/right/up vectors (LibCarla geom::Rotation) mirrored through x-z are our body
    x, −y (y is left in ISO 8855, right in CARLA) and z axes of the converted angles."""
    x, y, z, h, p, r = (v[k] for v in random_poses(12))
    _, _, _, roll, pitch, yaw = pose_to_carla(x, y, z, h, p, r)
    rot = carla.Rotation(pitch=float(pitch), yaw=float(yaw), roll=float(roll))
    ours = rotation_matrices(h, p, r)[0]
    vec = lambda v: MIRROR @ np.array([v.x, v.y, v.z])
    np.testing.assert_allclose(vec(rot.get_forward_vector()), ours[:, 0], atol=1e-5)
    np.testing.assert_allclose(vec(rot.get_right_vector()), -ours[:, 1], atol=1e-5)
    np.testing.assert_allclose(vec(rot.get_up_vector()), ours[:, 2], atol=1e-5)


def test_a_climbing_road_is_positive_pitch_in_carla_and_negative_in_ours():
    """LibCarla Lane::ComputeTransform uses the elevation slope as pitch (nose up > 0); ISO 8855 pitch
    is positive nose down."""
    rot = carla.Rotation(pitch=5.0, yaw=0.0, roll=0.0)
    assert rot.get_forward_vector().z > 0
    assert pose_from_carla(0, 0, 0, 0.0, 5.0, 0.0)[4] < 0


def test_yaw_rate_of_a_right_turn_is_negative_in_ours():
    assert angular_velocity_from_carla(0.0, 0.0, 30.0)[2] == pytest.approx(-np.radians(30.0))


def test_box_centres_line_up_and_bottoms_are_level():
    """Our box (5 × 2 × 1.5, centre 1.4 m ahead of the rear axle) and a CARLA model of other size:
    the CARLA box centre, computed by the real client's Transform, is where ours is, its bottom on the road."""
    center, height = np.array([[1.4, 0.1, 0.75]]), np.array([1.5])
    b_loc, b_ext = np.array([[0.2, 0.05, 0.9]]), np.array([[2.6, 1.1, 0.9]])
    offset = origin_offset(center, height, b_loc, b_ext)
    for pose in zip(*random_poses(5)):
        x, y, z, h, p, r = pose
        origin = reference_to_origin(x, y, z, h, p, r, offset)[0]
        cx, cy, cz, roll, pitch, yaw = pose_to_carla(*origin, h, p, r)
        tf = carla.Transform(carla.Location(x=float(cx), y=float(cy), z=float(cz)),
                             carla.Rotation(pitch=float(pitch), yaw=float(yaw), roll=float(roll)))
        c = tf.transform(carla.Location(x=0.2, y=0.05, z=0.9))  # CARLA's box centre in the world
        ours = np.array([x, y, z]) + rotation_matrices(h, p, r)[0] @ np.array([1.4, 0.1, 0.9])  # bottom-aligned
        np.testing.assert_allclose(MIRROR @ np.array([c.x, c.y, c.z]), ours, atol=2e-3)  # float32 at 3 km
        back = origin_to_reference(*origin, h, p, r, offset)[0]
        np.testing.assert_allclose(back, [x, y, z], atol=1e-9)
