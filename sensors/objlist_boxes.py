"""Compiled ``actor_boxes``: each listed entity's box frame, centre and half extents in one pass.

Why: ``scene.actor_boxes`` is built once per sensor step (the object list at
10 Hz in every library scenario) for a dozen entities; in numpy it is some
thirty array calls (the gathers, ``frames.rotation_matrices``, the centre's
einsum), each costing more than its arithmetic.  This loop does the same
arithmetic per entity and stores the same float64 values.

Bit-identity with the numpy path (``sensors.actor_boxes.actor_boxes_numpy``,
tested in ``tests/sensors/test_sensors_objlist_kernels.py``): no fastmath,
so LLVM keeps every product and sum as written (IEEE 754 §5.4 operations,
no contraction into fused multiply-adds); ``math.cos``/``math.sin`` are the
C library's, as numpy's float64 ``cos``/``sin``; the rotation entries are
written in ``frames.rotation_matrices``' operand order, and the centre's
three-term dot product in the order numpy's einsum sums ``mij,mj->mi``
(from a zero accumulator: 0 + p0, then + p2, then + p1).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy")
def box_frames_kernel(idx, roll, pitch, yaw, bx, by, bz, x, y, z, length, width, height, rotation, centre, half):
    """Fill ``rotation`` (M, 3, 3), ``centre`` (M, 3) and ``half`` (M, 3) for the entities ``idx``.

    The snapshot columns are the full (N,) float64 arrays; ``idx`` (M,) int64 picks the entities.
    """
    for m in range(len(idx)):
        i = idx[m]
        cr = math.cos(roll[i])
        sr = math.sin(roll[i])
        cp = math.cos(pitch[i])
        sp = math.sin(pitch[i])
        cy = math.cos(yaw[i])
        sy = math.sin(yaw[i])
        r = rotation[m]
        r[0, 0] = cy * cp
        r[0, 1] = cy * sp * sr - sy * cr
        r[0, 2] = cy * sp * cr + sy * sr
        r[1, 0] = sy * cp
        r[1, 1] = sy * sp * sr + cy * cr
        r[1, 2] = sy * sp * cr - cy * sr
        r[2, 0] = -sp
        r[2, 1] = cp * sr
        r[2, 2] = cp * cr
        lx = bx[i]
        ly = by[i]
        lz = bz[i]
        centre[m, 0] = (((0.0 + r[0, 0] * lx) + r[0, 2] * lz) + r[0, 1] * ly) + x[i]
        centre[m, 1] = (((0.0 + r[1, 0] * lx) + r[1, 2] * lz) + r[1, 1] * ly) + y[i]
        centre[m, 2] = (((0.0 + r[2, 0] * lx) + r[2, 2] * lz) + r[2, 1] * ly) + z[i]
        half[m, 0] = 0.5 * length[i]
        half[m, 1] = 0.5 * width[i]
        half[m, 2] = 0.5 * height[i]


def entity_box_frames(snapshot, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rotation (M, 3, 3), centre (M, 3), half (M, 3)) of the entities ``idx`` (int64) of ``snapshot``."""
    m = len(idx)
    rotation = np.empty((m, 3, 3))
    centre = np.empty((m, 3))
    half = np.empty((m, 3))
    if m:
        s = snapshot
        box_frames_kernel(idx, s.roll, s.pitch, s.heading, s.bbox_center_x, s.bbox_center_y, s.bbox_center_z,
                          s.x, s.y, s.z, s.length, s.width, s.height, rotation, centre, half)
    return rotation, centre, half
