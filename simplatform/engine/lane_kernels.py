"""The default controller's lane step for one entity, compiled: cursor, pose and table row in one call.

Why: in a harness run most of the engine's motion cost is the Python of
``DefaultController.lane_step`` for the few entities that move (the Hermite
pose of ``LaneTable.pose``, a dozen numpy scalar writes, the angle wraps):
~10 µs per entity and step with the caches cold between steps.  This kernel
does the common case — the cursor stays on its road inside the lane's
sampled table — and writes the entity's row of the table itself.

Bit-identity with the Python path (``tests/engine/test_engine_s3_lane_kernel.py``
compares both on curved lanes of both driving directions, with offsets,
tilted roads and lateral motion): the same IEEE operations in the same order
as ``lane_step``, ``LaneTable.path_scale``, ``LaneTable.pose`` and ``road.wrap_angle``; numba without
``fastmath`` neither reassociates nor fuses a multiply and an add, its float
``%`` has Python's sign rule, and its ``sin``, ``cos``, ``tan`` and ``atan2``
are the C library's, which Python's :mod:`math` calls too.
Anything else — a road end, a cell without valid samples, a lane without a
driving direction, a NaN — returns ``_FAILED`` before writing anything, and
the caller runs the Python path from the untouched cursor.
numba's cache notices a change of this file only, so the kernel stays here alone.
"""

from __future__ import annotations

import math

import numba
import numpy as np

_FAILED = (False, 0.0, 0.0, 0.0, 0.0, 0.0)
_TWO_PI = 2 * math.pi


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _wrap(a):
    return (a + math.pi) % (2.0 * math.pi) - math.pi


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _cell(samples, n, u):
    """``LaneTable._cell`` on the packed samples (row 10 valid): the clamped cell index k of the
    grid coordinate ``u``, or -1 where u is NaN or either end of the cell lacks a valid sample."""
    if u != u:
        return -1
    k = int(u)
    if k >= n - 1:
        k = n - 2
    elif k < 0:
        k = 0
    if samples[10, k] == 0.0 or samples[10, k + 1] == 0.0:
        return -1
    return k


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _path_scale(samples, n, inv_cell, s, offset):
    """``LaneTable.path_scale`` on the packed samples (rows 5 h, 7 roll, 8 centre t, 10 valid):
    metres travelled at ``offset`` per metre of s, |1 − κ·t|; 1.0 on a straight cell."""
    u = s * inv_cell
    k = _cell(samples, n, u)
    if k < 0:
        return 1.0
    j = k + 1
    kappa = (samples[5, j] - samples[5, k]) * inv_cell
    if kappa == 0.0:
        return 1.0
    f = u - k
    t = samples[8, k] + (samples[8, j] - samples[8, k]) * f + offset
    r = samples[7, k] + (samples[7, j] - samples[7, k]) * f
    if r != 0.0:
        t = t * math.cos(r)
    scale = abs(1.0 - kappa * t)
    if not scale >= 1e-3:
        return 1.0
    return scale


@numba.njit(cache=True, nogil=True, error_model="numpy")
def lane_move(samples, n, cell, inv_cell, length, direction, s, offset, ds, lateral_rate, v, wheel_radius, i,
              x, y, z, heading, pitch, roll, lane_s, lane_offset, road_t, lane_id, lane, odometer, wheel_rot):
    """Move row ``i`` ``ds`` metres along its own path (the lane centre at ``offset``: the cursor
    goes ds / ``_path_scale`` along s) in its lane (table ``samples``, ``LaneTable.packed``;
    ``cell`` the sample spacing; ``direction`` ±1.0) from cursor ``s``; write its pose, lane
    columns, odometer and wheel rotation (by ds, the distance travelled).  Returns (True, new s,
    x, y, z, heading), or ``_FAILED`` with nothing written."""
    if ds != 0.0:
        s_new = s + direction * (ds / _path_scale(samples, n, inv_cell, s, offset))
        if not (0.0 <= s_new <= length):
            return _FAILED
        s = s_new
    u = s * inv_cell
    k = _cell(samples, n, u)
    if k < 0:
        return _FAILED
    j = k + 1
    f = u - k
    f2 = f * f
    f3 = f2 * f
    h00 = 2 * f3 - 3 * f2 + 1
    h10 = (f3 - 2 * f2 + f) * cell
    h01 = -2 * f3 + 3 * f2
    h11 = (f3 - f2) * cell
    px = h00 * samples[0, k] + h10 * samples[2, k] + h01 * samples[0, j] + h11 * samples[2, j]
    py = h00 * samples[1, k] + h10 * samples[3, k] + h01 * samples[1, j] + h11 * samples[3, j]
    h = samples[5, k] + (samples[5, j] - samples[5, k]) * f
    pz = samples[4, k] + (samples[4, j] - samples[4, k]) * f
    p = samples[6, k] + (samples[6, j] - samples[6, k]) * f
    r = samples[7, k] + (samples[7, j] - samples[7, k]) * f
    ct = samples[8, k] + (samples[8, j] - samples[8, k]) * f
    if offset != 0.0:
        if r != 0.0:  # t in the superelevated cross section (OpenDRIVE 1.8 §8.3), as LaneTable.pose
            across = offset * math.cos(r)
            px -= across * math.sin(h)
            py += across * math.cos(h)
            pz += offset * math.sin(r)
        else:
            px -= offset * math.sin(h)
            py += offset * math.cos(h)
    t = ct + offset
    if direction < 0:
        h = _wrap(h + math.pi)
        p = -p
        r = -r
    else:
        h = _wrap(h)
    if lateral_rate != 0.0 and v != 0.0:
        h = _wrap(h + math.atan2(lateral_rate, abs(v)) * (1 if v > 0 else -1))
    x[i] = px
    y[i] = py
    z[i] = pz
    heading[i] = h
    pitch[i] = p
    roll[i] = r
    lane_id[i] = lane
    lane_s[i] = s
    lane_offset[i] = offset
    road_t[i] = t
    odometer[i] = odometer[i] + abs(ds)
    wheel_rot[i] = (wheel_rot[i] + ds / wheel_radius) % _TWO_PI
    return True, s, px, py, pz, h


def warm_up() -> None:
    """Compile, or load from numba's cache, the kernel for the table's column types."""
    samples = np.zeros((11, 3))
    samples[0] = (0.0, 1.0, 2.0)
    samples[2] = samples[9] = samples[10] = 1.0
    cols = [np.zeros(2) for _ in range(9)]
    lane_move(samples, 3, 1.0, 1.0, 2.0, 1.0, 0.5, 0.0, 0.1, 0.0, 2.0, 0.35, 0, *cols[:9],
              np.zeros(2, dtype=np.int64), -1, np.zeros(2), np.zeros(2))
