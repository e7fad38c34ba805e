"""Compiled rows of the object list's message: the reported actors' motion inputs and the output table.

Why: filling the structured ``OBJECT_DTYPE`` table of the reported actors
was some twenty numpy calls per cycle (gathers, stacks, field by field
assignment with noise) for one or two objects.

What stays in numpy (the caller): the products with the sensor rotation
(BLAS decides their summation order) and ``arctan2`` of the heading vector
(numpy's SIMD ``arctan2`` differs from the C library's in the last bit).
Everything here is elementwise IEEE arithmetic in the numpy path's operand
order, ``math.cos``/``math.sin`` are the C library's as numpy's float64
``cos``/``sin``, and a float64 stored into a float32 field rounds to nearest
as numpy's assignment does — so the table is the numpy path's byte for byte
(tested in ``tests/sensors/test_sensors_objlist_kernels.py``).
"""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True, error_model="numpy")
def motion_rows(sel, vx, vy, heading, velocity, direction):
    """(vx, vy, 0) and (cos ψ, sin ψ, 0) of the entities ``sel``, as C rows for one matrix product each."""
    for j in range(len(sel)):
        i = sel[j]
        velocity[j, 0] = vx[i]
        velocity[j, 1] = vy[i]
        velocity[j, 2] = 0.0
        direction[j, 0] = math.cos(heading[i])
        direction[j, 1] = math.sin(heading[i])
        direction[j, 2] = 0.0


@njit(cache=True, error_model="numpy")
def fill_objects(out, keep, idx, local, noise, velocity, yaw, length, width, height, vis, sigma_pos, sigma_yaw,
                 sigma_vel, ideal, pd):
    """Row j of ``out`` for the j-th kept actor m (``keep[m]``): entity ``idx[m]``, its sensor-frame centre
    ``local[m]`` and velocity ``velocity[j]``, yaw ``yaw[j]``, each plus ``noise[j]`` times its sigma."""
    j = 0
    for m in range(len(keep)):
        if not keep[m]:
            continue
        i = idx[m]
        row = out[j]
        row.actor = i
        row.x = local[m, 0] + noise[j, 0] * sigma_pos
        row.y = local[m, 1] + noise[j, 1] * sigma_pos
        row.z = local[m, 2] + noise[j, 2] * sigma_pos
        row.yaw = yaw[j] + noise[j, 3] * sigma_yaw
        row.vx = velocity[j, 0] + noise[j, 4] * sigma_vel
        row.vy = velocity[j, 1] + noise[j, 5] * sigma_vel
        row.length = length[i]
        row.width = width[i]
        row.height = height[i]
        row.visible_fraction = vis[m]
        row.existence = 1.0 if ideal else pd * vis[m]
        j += 1
