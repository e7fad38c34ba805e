"""Compiled loops of the batch's default-controller pass (:mod:`batch_motion`).

Why compiled: one lockstep step of 50 variants moves ~100 entities; as numpy
array expressions the lane pose and the kinematics take ~90 small array
operations per step whose call overhead (~1 µs each) is the whole cost.  One
compiled loop per phase does the same arithmetic in a few µs.

Bit-identity with the scalar controller (``DefaultController.lane_step``,
``LaneTable.pose``, ``DefaultController.derive``): the loops spell out the
same IEEE operations in the same order; numba without ``fastmath`` neither
reassociates nor fuses a multiply and an add (checked by the batch tests,
which compare every variant's log byte for byte with a lone run), and its
float ``%`` has Python's sign rule.  Sines, tangents and arc tangents are
taken by the caller with :mod:`math`, as the scalar code does, since another
libm (or a vectorised one) may round the last bit differently; the one
transcendental here, the cosine of a superelevated road's roll in the path
scale, is numba's call of the C library's ``cos``, which :mod:`math` calls too
(as :mod:`lane_kernels` relies on).

``F`` is the shared float table: one row per column of ``F_COLUMNS``, one
column per entity of every variant.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from simplatform.engine.lane_tables import SAMPLE_ROWS

F_COLUMNS = (
    "x", "y", "z", "heading", "pitch", "roll", "speed", "vx", "vy", "ax", "ay", "yaw_rate",
    "length", "width", "height", "bbox_center_x", "bbox_center_y", "bbox_center_z",
    "wheel_angle", "wheel_rot", "odometer", "lane_s", "lane_offset", "road_t", "max_speed",
    "max_acceleration", "max_deceleration", "wheelbase", "prev_speed", "prev_heading",
)
"""The entity table's float columns (and the controller's previous speed and heading), spelled
out here rather than imported: the row numbers below are compiled into the cached loops, and
numba's cache notices a change of this file only (numba issue #1833).  A table column missing
here is simply not shared; a name here the table lacks fails when the batch starts."""
_C = {name: k for k, name in enumerate(F_COLUMNS)}
X, Y, Z, HEADING, PITCH, ROLL = (_C[n] for n in ("x", "y", "z", "heading", "pitch", "roll"))
SPEED, VX, VY, AX, AY, YAW_RATE = (_C[n] for n in ("speed", "vx", "vy", "ax", "ay", "yaw_rate"))
WHEEL_ANGLE, WHEEL_ROT, ODOMETER = _C["wheel_angle"], _C["wheel_rot"], _C["odometer"]
LANE_S, LANE_OFFSET, ROAD_T, WHEELBASE = _C["lane_s"], _C["lane_offset"], _C["road_t"], _C["wheelbase"]
PREV_SPEED, PREV_HEADING = _C["prev_speed"], _C["prev_heading"]

# rows of the lane tables' metadata (one column per table) and of the tables' samples
M_BASE, M_N, M_DS, M_INV_DS, M_LENGTH, M_DIRECTION = range(6)
T_X, T_Y, T_DX, T_DY, T_Z, T_H, T_P, T_R, T_CT = range(9)
TABLE_ROWS = SAMPLE_ROWS  # the lane-table rows the kernels index, in lane_tables' order

_JIT = dict(cache=True, nogil=True, error_model="numpy")


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _path_scale(tab, valid, base, n, inv_ds, s, offset):
    """``LaneTable.path_scale`` on the stacked samples of the table starting at column ``base``
    (``n`` samples): metres travelled at ``offset`` per metre of s, |1 − κ·t|; exactly
    1.0 on a straight cell."""
    u = s * inv_ds
    if u != u:
        return 1.0
    k = int(u)
    if k >= n - 1:
        k = n - 2
    elif k < 0:
        k = 0
    c0 = base + k
    c1 = c0 + 1
    if not (valid[c0] and valid[c1]):
        return 1.0
    kappa = (tab[T_H, c1] - tab[T_H, c0]) * inv_ds
    if kappa == 0.0:
        return 1.0
    f = u - k
    t = tab[T_CT, c0] + (tab[T_CT, c1] - tab[T_CT, c0]) * f + offset
    r = tab[T_R, c0] + (tab[T_R, c1] - tab[T_R, c0]) * f
    if r != 0.0:
        t = t * math.cos(r)
    scale = abs(1.0 - kappa * t)
    if not scale >= 1e-3:
        return 1.0
    return scale


@numba.njit(**_JIT)
def lane_motion(tab, valid, meta, cand_i, cand_f, dt, wheel_radius, F, lane_id, ok, raw) -> int:
    """Move candidate q (row ``cand_i[0, q]``, table ``cand_i[1, q]``, lane id ``cand_i[2, q]``,
    cursor s ``cand_f[0, q]``, offset ``cand_f[1, q]``) along its lane by speed × dt and write its
    pose into ``F``, as ``lane_step`` does when the cursor stays on its table's road and cell
    (speed × dt metres along the entity's own path: s goes that over ``_path_scale``).
    ``ok[q]`` False: not done (the caller takes the scalar path).  ``raw`` gets the table's
    heading and roll at the point (for the offset terms the caller adds) and the new s.
    Returns how many were done."""
    two_pi = 2.0 * math.pi
    done = 0
    for q in range(cand_i.shape[1]):
        g = cand_i[0, q]
        t = cand_i[1, q]
        d = meta[M_DIRECTION, t]
        v = F[SPEED, g]
        ds = v * dt
        n = int(meta[M_N, t])
        scale = _path_scale(tab, valid, int(meta[M_BASE, t]), n, meta[M_INV_DS, t], cand_f[0, q], cand_f[1, q])
        s_new = cand_f[0, q] + d * (ds / scale)
        if d == 0.0 or not (0.0 <= s_new <= meta[M_LENGTH, t]):
            ok[q] = False
            continue
        u = s_new * meta[M_INV_DS, t]
        k = int(u)
        if k >= n - 1:
            k = n - 2
        elif k < 0:
            k = 0
        c0 = int(meta[M_BASE, t]) + k
        c1 = c0 + 1
        if not (valid[c0] and valid[c1]):
            ok[q] = False
            continue
        ok[q] = True
        done += 1
        f = u - k
        f2 = f * f
        f3 = f2 * f
        sds = meta[M_DS, t]
        h00 = 2.0 * f3 - 3.0 * f2 + 1.0
        h10 = (f3 - 2.0 * f2 + f) * sds
        h01 = -2.0 * f3 + 3.0 * f2
        h11 = (f3 - f2) * sds
        x = h00 * tab[T_X, c0] + h10 * tab[T_DX, c0] + h01 * tab[T_X, c1] + h11 * tab[T_DX, c1]
        y = h00 * tab[T_Y, c0] + h10 * tab[T_DY, c0] + h01 * tab[T_Y, c1] + h11 * tab[T_DY, c1]
        h = tab[T_H, c0] + (tab[T_H, c1] - tab[T_H, c0]) * f
        z = tab[T_Z, c0] + (tab[T_Z, c1] - tab[T_Z, c0]) * f
        p = tab[T_P, c0] + (tab[T_P, c1] - tab[T_P, c0]) * f
        r = tab[T_R, c0] + (tab[T_R, c1] - tab[T_R, c0]) * f
        ct = tab[T_CT, c0] + (tab[T_CT, c1] - tab[T_CT, c0]) * f
        offset = cand_f[1, q]
        raw[0, q] = h
        raw[1, q] = r
        raw[2, q] = s_new
        if d < 0:
            F[HEADING, g] = (h + math.pi + math.pi) % two_pi - math.pi
            F[PITCH, g] = -p
            F[ROLL, g] = -r
        else:
            F[HEADING, g] = (h + math.pi) % two_pi - math.pi
            F[PITCH, g] = p
            F[ROLL, g] = r
        F[X, g] = x
        F[Y, g] = y
        F[Z, g] = z
        F[LANE_S, g] = s_new
        F[LANE_OFFSET, g] = offset
        F[ROAD_T, g] = ct + offset
        F[ODOMETER, g] = F[ODOMETER, g] + abs(ds)
        F[WHEEL_ROT, g] = (F[WHEEL_ROT, g] + ds / wheel_radius) % two_pi
        lane_id[g] = cand_i[2, q]
    return done


@numba.njit(**_JIT)
def derive_flags(F, rows, still, off_road, was_off_road, h_cached, flips, stale):
    """What ``derive`` must do per row in Python: standstill (|v| < 1e-4) or off-road states that
    flipped since the last step (``still`` and ``was_off_road`` are updated; their indices into
    ``rows`` go to ``flips``: standstill first, then off-road), and rows whose heading's bits
    differ from ``h_cached`` (their cosine and sine are stale; indices into ``rows`` to ``stale``).
    Returns (standstill flips, off-road flips, stale headings)."""
    n_still = 0
    for q in range(rows.shape[0]):
        g = rows[q]
        now = abs(F[SPEED, g]) < 1e-4
        if now != still[g]:
            still[g] = now
            flips[n_still] = q
            n_still += 1
    n_off = 0
    for q in range(rows.shape[0]):
        g = rows[q]
        if off_road[q] != was_off_road[g]:
            was_off_road[g] = off_road[q]
            flips[n_still + n_off] = q
            n_off += 1
    n_stale = 0
    for q in range(rows.shape[0]):
        g = rows[q]
        h = F[HEADING, g]
        c = h_cached[g]
        if not (h == c and math.copysign(1.0, h) == math.copysign(1.0, c)):
            stale[n_stale] = q
            n_stale += 1
    return n_still, n_off, n_stale


@numba.njit(**_JIT)
def kinematics(F, rows, dt, cos_h, sin_h, ratio) -> None:
    """``derive``'s velocity, acceleration, yaw rate and (before its arc tangent) wheel angle
    for the rows ``rows``; ``cos_h``/``sin_h`` hold the cosine and sine of each row's heading.
    ``ratio[q]`` gets L·ψ̇/v (0 below 0.1 m/s): the caller takes its arc tangent where non-zero."""
    two_pi = 2.0 * math.pi
    for q in range(rows.shape[0]):
        g = rows[q]
        v = F[SPEED, g]
        h = F[HEADING, g]
        yaw_rate = ((h - F[PREV_HEADING, g] + math.pi) % two_pi - math.pi) / dt
        along = (v - F[PREV_SPEED, g]) / dt
        c = cos_h[g]
        s = sin_h[g]
        lateral = v * yaw_rate
        F[YAW_RATE, g] = yaw_rate
        F[VX, g] = v * c
        F[VY, g] = v * s
        F[AX, g] = along * c - lateral * s
        F[AY, g] = along * s + lateral * c
        w = F[WHEELBASE, g] * yaw_rate / v if abs(v) > 0.1 else 0.0
        F[WHEEL_ANGLE, g] = w
        ratio[q] = w


def warm_up() -> None:
    """Compile (or load from numba's cache) both loops with the argument types the batch passes."""
    F = np.zeros((len(F_COLUMNS), 2))
    F[SPEED] = 1.0
    tab = np.zeros((len(TABLE_ROWS), 4))
    valid = np.ones(4, dtype=bool)
    meta = np.array([[0.0], [4.0], [1.0], [1.0], [3.0], [1.0]])
    cand_i = np.zeros((3, 2), dtype=np.int64)
    cand_i[0] = (0, 1)
    lane_motion(tab, valid, meta, cand_i, np.zeros((2, 2)), 0.01, 0.35, F, np.zeros(2, dtype=np.int64),
                np.zeros(2, dtype=bool), np.zeros((3, 2)))
    rows = np.arange(2, dtype=np.int64)
    kinematics(F, rows, 0.01, np.ones(2), np.zeros(2), np.zeros(2))
    derive_flags(F, rows, np.zeros(2, dtype=bool), np.zeros(2, dtype=bool), np.zeros(2, dtype=bool), np.zeros(2),
                 np.zeros(4, dtype=np.int64), np.zeros(2, dtype=np.int64))
