"""Our world frame ↔ CARLA's, and our reference point ↔ CARLA's actor origin.

Frames.  Ours is the OpenDRIVE inertial frame (OpenDRIVE 1.8 §2.3: x east,
y north, z up, right-handed; heading counter-clockwise from +x) with ISO 8855
vehicle angles (yaw about z, pitch about the new y, roll about the new x,
intrinsic z-y'-x'' and right-handed: a positive pitch puts the nose *down*).
CARLA inherits Unreal Engine 4's left-handed frame (x forward, y right,
z up; yaw clockwise seen from above, positive pitch nose *up*, degrees).  The
two are one mirror image of each other through the x-z plane, which is what
CARLA itself does when it imports OpenDRIVE: LibCarla's ``Lane::ComputeTransform``
negates y and the road tangent ("Unreal's Y axis hack") and keeps the
elevation slope as pitch, so a road climbing in +s has CARLA pitch > 0.
Hence, with angles in degrees on CARLA's side and radians on ours:

    (x, y, z)               ↔ (x, −y, z)
    (roll, pitch, yaw)      ↔ (roll, −pitch, −yaw)
    velocity, acceleration  ↔ (vx, −vy, vz)
    angular velocity (°/s)  ↔ (ωx, −ωy, −ωz) in rad/s

(the carla-ros-bridge converts to ROS REP-103 the same way).  The test suite
checks the rotation part against the real client's ``Rotation.get_*_vector``.

Reference points.  An OpenSCENARIO vehicle's pose is that of the centre of
its rear axle on the ground, with the bounding box centre at ``center_*`` in
its own frame; a CARLA actor's transform is its blueprint's origin (bottom
centre for vehicles and props, the body centre for walkers), with its bounding
box at ``bounding_box.location``.  The backend keeps the two boxes' centres
on the same vertical line and their bottoms at the same height, so a CARLA
model that is longer or taller than the scenario's box is still centred where
the scenario put the box and stands on the road.  The offset between the
two origins is constant per actor (:func:`origin_offset`).
"""

from __future__ import annotations

import math

import numpy as np

DEG = math.pi / 180.0


def wrap(angle):
    """An angle (scalar or array) in [−π, π)."""
    return (angle + math.pi) % (2 * math.pi) - math.pi


def pose_to_carla(x, y, z, heading, pitch, roll) -> tuple:
    """Our pose (m, rad) → CARLA's (x, y, z, roll°, pitch°, yaw°); works on scalars and arrays."""
    return (x, -y, z,
            np.degrees(roll), -np.degrees(pitch), -np.degrees(heading))


def pose_from_carla(x, y, z, roll_deg, pitch_deg, yaw_deg) -> tuple:
    """CARLA's pose → ours (x, y, z, heading, pitch, roll), heading wrapped to [−π, π)."""
    return (x, -y, z,
            wrap(-np.radians(yaw_deg)), -np.radians(pitch_deg), np.radians(roll_deg))


def vector_from_carla(vx, vy, vz) -> tuple:
    """A free vector (velocity, acceleration) CARLA → ours."""
    return vx, -vy, vz


def vector_to_carla(vx, vy, vz) -> tuple:
    return vector_from_carla(vx, vy, vz)  # the mirror is its own inverse


def angular_velocity_from_carla(wx_deg, wy_deg, wz_deg) -> tuple:
    """CARLA's angular velocity (°/s) → ours (rad/s): roll rate, pitch rate, yaw rate."""
    return np.radians(wx_deg), -np.radians(wy_deg), -np.radians(wz_deg)


def rotation_matrices(heading, pitch, roll) -> np.ndarray:
    """Body→world rotation, shape (N, 3, 3), intrinsic z-y'-x'' (ISO 8855), for arrays of angles."""
    h, p, r = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (heading, pitch, roll))
    ch, sh, cp, sp, cr, sr = np.cos(h), np.sin(h), np.cos(p), np.sin(p), np.cos(r), np.sin(r)
    m = np.empty(h.shape + (3, 3))
    m[:, 0, 0] = ch * cp
    m[:, 0, 1] = ch * sp * sr - sh * cr
    m[:, 0, 2] = ch * sp * cr + sh * sr
    m[:, 1, 0] = sh * cp
    m[:, 1, 1] = sh * sp * sr + ch * cr
    m[:, 1, 2] = sh * sp * cr - ch * sr
    m[:, 2, 0] = -sp
    m[:, 2, 1] = cp * sr
    m[:, 2, 2] = cp * cr
    return m


def origin_offset(center: np.ndarray, height: np.ndarray, carla_location: np.ndarray,
                  carla_extent: np.ndarray) -> np.ndarray:
    """Where CARLA's actor origin sits in our entity frame (ISO 8855, from the reference point), (N, 3).

    ``center`` is our box centre from the reference point, (N, 3); ``height`` our
    box height, (N,); ``carla_location`` / ``carla_extent`` CARLA's
    ``bounding_box.location`` and ``.extent`` as CARLA gives them (left-handed
    actor frame, half sizes), (N, 3).  Box centres on one vertical, bottoms level:
    origin = (cx − bx, cy + by, cz − h/2 + ez − bz).
    """
    c = np.asarray(center, dtype=float).reshape(-1, 3)
    b = np.asarray(carla_location, dtype=float).reshape(-1, 3)
    e = np.asarray(carla_extent, dtype=float).reshape(-1, 3)
    h = np.asarray(height, dtype=float).reshape(-1)
    return np.stack((c[:, 0] - b[:, 0], c[:, 1] + b[:, 1], c[:, 2] - h / 2 + e[:, 2] - b[:, 2]), axis=1)


def reference_to_origin(x, y, z, heading, pitch, roll, offset: np.ndarray) -> np.ndarray:
    """World position (ours) of the CARLA actor origin for reference-point poses, (N, 3)."""
    rot = rotation_matrices(heading, pitch, roll)
    ref = np.stack([np.atleast_1d(np.asarray(v, dtype=float)) for v in (x, y, z)], axis=1)
    return ref + np.einsum("nij,nj->ni", rot, np.asarray(offset, dtype=float).reshape(-1, 3))


def origin_to_reference(x, y, z, heading, pitch, roll, offset: np.ndarray) -> np.ndarray:
    """World position (ours) of the reference point for actor-origin poses, (N, 3)."""
    rot = rotation_matrices(heading, pitch, roll)
    org = np.stack([np.atleast_1d(np.asarray(v, dtype=float)) for v in (x, y, z)], axis=1)
    return org - np.einsum("nij,nj->ni", rot, np.asarray(offset, dtype=float).reshape(-1, 3))
