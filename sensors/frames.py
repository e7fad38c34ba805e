"""Rigid transforms between the world, the ego vehicle and a sensor.

Frames (DESIGN.md): the world is the OpenDRIVE inertial frame; the ego and every
sensor use ISO 8855 / ROS REP-103 axes (x forward, y left, z up).  Orientations
are intrinsic z-y'-x'' (yaw, pitch, roll) Tait-Bryan angles, the convention of
ISO 8855 §2 and of OpenSCENARIO's Orientation (h, p, r), so the rotation matrix
is R = Rz(yaw) · Ry(pitch) · Rx(roll) and maps body vectors into the parent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simplatform.world import WorldSnapshot


def rotation_matrix(roll: float, pitch: float, yaw: float) -> np.ndarray:
    """3×3 body→parent rotation for intrinsic z-y'-x'' angles (radians).

    In plain floats (every sensor step builds the ego's and the mount's): the
    entries of ``rotation_matrices`` with the same operands in the same order,
    and ``math.cos``/``math.sin`` are the C library's, as numpy's float64
    ``cos``/``sin`` — so the matrix is the same bit for bit (tested).
    """
    cr, sr = math.cos(roll), math.sin(roll)
    cp, sp = math.cos(pitch), math.sin(pitch)
    cy, sy = math.cos(yaw), math.sin(yaw)
    return np.array([[cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
                     [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
                     [-sp, cp * sr, cp * cr]])


def rotation_matrices(roll: np.ndarray, pitch: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    """Vectorised ``rotation_matrix``: (N,) angles → (N, 3, 3)."""
    cr, sr = np.cos(roll), np.sin(roll)
    cp, sp = np.cos(pitch), np.sin(pitch)
    cy, sy = np.cos(yaw), np.sin(yaw)
    out = np.empty((len(roll), 3, 3))
    out[:, 0, 0] = cy * cp
    out[:, 0, 1] = cy * sp * sr - sy * cr
    out[:, 0, 2] = cy * sp * cr + sy * sr
    out[:, 1, 0] = sy * cp
    out[:, 1, 1] = sy * sp * sr + cy * cr
    out[:, 1, 2] = sy * sp * cr - cy * sr
    out[:, 2, 0] = -sp
    out[:, 2, 1] = cp * sr
    out[:, 2, 2] = cp * cr
    return out


def euler_from_matrix(r: np.ndarray) -> tuple[float, float, float]:
    """(roll, pitch, yaw) of a body→parent rotation, inverse of ``rotation_matrix``."""
    pitch = float(np.arcsin(np.clip(-r[2, 0], -1.0, 1.0)))
    roll = float(np.arctan2(r[2, 1], r[2, 2]))
    yaw = float(np.arctan2(r[1, 0], r[0, 0]))
    return roll, pitch, yaw


def quaternion_from_matrix(r: np.ndarray) -> tuple[float, float, float, float]:
    """(x, y, z, w) unit quaternion, the order of geometry_msgs/Quaternion.

    Markley's method (F. L. Markley, "Unit Quaternion from Rotation Matrix",
    J. Guidance, Control, and Dynamics 31(2), 2008): build the quaternion from
    the largest of the trace and the diagonal, so the division is well
    conditioned.  Closed form in plain floats because the IMU converts one
    matrix per sample; it is the algorithm (and sign choice) of scipy's
    ``Rotation.from_matrix``, so results are unchanged.
    """
    m = r.tolist()
    trace = m[0][0] + m[1][1] + m[2][2]
    decision = (m[0][0], m[1][1], m[2][2], trace)
    choice = max(range(4), key=decision.__getitem__)
    q = [0.0, 0.0, 0.0, 0.0]
    if choice != 3:
        i = choice
        j = (i + 1) % 3
        k = (j + 1) % 3
        q[i] = 1.0 - trace + 2.0 * m[i][i]
        q[j] = m[j][i] + m[i][j]
        q[k] = m[k][i] + m[i][k]
        q[3] = m[k][j] - m[j][k]
    else:
        q[0] = m[2][1] - m[1][2]
        q[1] = m[0][2] - m[2][0]
        q[2] = m[1][0] - m[0][1]
        q[3] = 1.0 + trace
    norm = math.sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3])
    return q[0] / norm, q[1] / norm, q[2] / norm, q[3] / norm


@dataclass(frozen=True)
class Transform:
    """x_parent = rotation · x_child + translation."""

    rotation: np.ndarray
    translation: np.ndarray

    @staticmethod
    def identity() -> "Transform":
        return Transform(np.eye(3), np.zeros(3))

    @staticmethod
    def from_pose(x: float, y: float, z: float, roll: float, pitch: float, yaw: float) -> "Transform":
        return Transform(rotation_matrix(roll, pitch, yaw), np.array([x, y, z], dtype=float))

    def __matmul__(self, other: "Transform") -> "Transform":
        return Transform(self.rotation @ other.rotation, self.rotation @ other.translation + self.translation)

    def inverse(self) -> "Transform":
        rt = self.rotation.T
        return Transform(rt, -rt @ self.translation)

    def apply(self, points: np.ndarray) -> np.ndarray:
        """Transform (N, 3) points child → parent."""
        return points @ self.rotation.T + self.translation

    def apply_vectors(self, vectors: np.ndarray) -> np.ndarray:
        return vectors @ self.rotation.T


@dataclass(frozen=True)
class MountPose:
    """Where a sensor sits on the ego: relative to the reference point (rear-axle centre), ISO 8855."""

    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    roll: float = 0.0
    pitch: float = 0.0
    yaw: float = 0.0

    def transform(self) -> Transform:
        return Transform.from_pose(self.x, self.y, self.z, self.roll, self.pitch, self.yaw)


def entity_transform(snapshot: WorldSnapshot, index: int) -> Transform:
    """Entity reference frame → world."""
    return Transform.from_pose(
        float(snapshot.x[index]), float(snapshot.y[index]), float(snapshot.z[index]),
        float(snapshot.roll[index]), float(snapshot.pitch[index]), float(snapshot.heading[index]),
    )


def ego_index(snapshot: WorldSnapshot) -> int | None:
    return snapshot.index(snapshot.ego) if snapshot.ego is not None else None


def sensor_transform(snapshot: WorldSnapshot, mount: MountPose) -> Transform:
    """Sensor frame → world for the ego of ``snapshot`` (identity ego pose if there is none)."""
    i = ego_index(snapshot)
    ego = entity_transform(snapshot, i) if i is not None else Transform.identity()
    return ego @ _mount_transform(mount)


def _mount_transform(mount: MountPose) -> Transform:
    """``mount.transform()``, built once per mount object (read-only arrays; a rig's mounts never change).

    Kept on the instance, not in a cache keyed by equality: 0.0 == −0.0, and
    the sign of a zero angle can reach the bits of the matrix.
    """
    t = mount.__dict__.get("_transform")
    if t is None:
        t = mount.transform()
        t.rotation.flags.writeable = False
        t.translation.flags.writeable = False
        object.__setattr__(mount, "_transform", t)     # not a field: eq, hash and repr are unchanged
    return t


def point_velocities(snapshot: WorldSnapshot, index: np.ndarray, points_world: np.ndarray) -> np.ndarray:
    """World velocity (N, 3) of points rigidly attached to entities ``index``.

    v_p = v_ref + ω × (p − p_ref) with ω = (0, 0, yaw_rate): the snapshot carries the
    planar motion only (vx, vy, yaw_rate), so vertical velocity is zero.
    """
    vx = snapshot.vx[index]
    vy = snapshot.vy[index]
    r = snapshot.yaw_rate[index]
    dx = points_world[:, 0] - snapshot.x[index]
    dy = points_world[:, 1] - snapshot.y[index]
    return np.stack([vx - r * dy, vy + r * dx, np.zeros_like(vx)], axis=1)
