"""Compiled lane-frame checks of the ego's box corners over a block of steps (numba).

Why compiled: the lane-frame test of ``metrics.road_block`` is a dozen array
operations on (steps × 4) arrays per road run; as one loop in machine code it
costs less than entering two of them.  The float operations are those of the
numpy expressions they replace, in the same order (no fused multiply-add:
numba leaves ``fastmath`` off), and the trigonometry is computed by numpy
outside, so the decisions and margins come out bit for bit the same.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def lane_frame_corners(rows, corners, ref_x, ref_y, cos_h, sin_h, kappa, s, t, low, high,
                       road_length, guard, ok, margin):
    """For each step k in ``rows``: the corners in the lane frame at the reference point,
    t_c = t_ref + (c − ref)·n and u_c = (c − ref)·tangent, their margins inside the lane
    borders min(t_c − low, high − t_c), and whether the step is settled without a locate:
    every margin above twice the sagitta bound κu²/(2(1 − κ|t_c|)) plus ``guard``, every
    s + u_c on the road, and κ|t_c| < 0.5.  Writes ``ok[k]`` and, where ok, ``margin[k]``
    (the smallest corner margin)."""
    for n in range(rows.shape[0]):
        k = rows[n]
        c, sn = cos_h[k], sin_h[k]
        k_abs = abs(kappa[k])
        settled = True
        smallest = math.inf
        for j in range(4):
            rx = corners[k, j, 0] - ref_x[k]
            ry = corners[k, j, 1] - ref_y[k]
            u = rx * c + ry * sn
            tc = t[k] + ry * c - rx * sn
            a = tc - low[k]
            b = high[k] - tc
            if a != a or b != b:          # np.minimum propagates NaN (a lane without borders there)
                settled = False
                continue
            m = a if a < b else b
            bend = 0.0
            if k_abs > 0:
                bend = k_abs * u * u / (2 * max(1 - k_abs * abs(tc), 1e-9))
            su = s[k] + u
            if not (m > 2 * bend + guard and su >= 0 and su <= road_length and k_abs * abs(tc) < 0.5):
                settled = False
            smallest = min(smallest, m)
        ok[k] = settled
        if settled:
            margin[k] = smallest


@njit(cache=True)
def wrong_way_mask(heading, travel, on_road, in_junction, angle):
    """Per step: on the road, outside junctions, and |((heading − travel + π) mod 2π) − π| > angle,
    with numpy's operations in its order (``%`` is the floored modulo of both, C's fmod then the
    sign correction), so each decision is numpy's."""
    out = np.zeros(heading.shape[0], dtype=np.bool_)
    two_pi = 2 * np.pi
    for k in range(heading.shape[0]):
        if on_road[k] and not in_junction[k]:
            d = (heading[k] - travel[k] + np.pi) % two_pi - np.pi
            out[k] = abs(d) > angle
    return out


@njit(cache=True)
def lane_t(low, high, offset):
    """t = 0.5·(low + high) + offset (the lane centre plus the offset from it) and whether
    low ≤ t ≤ high, per step, with numpy's operations in its order (NaN borders: not inside);
    and whether every step is inside."""
    n = low.shape[0]
    t = np.empty(n)
    inside = np.empty(n, dtype=np.bool_)
    every = True
    for k in range(n):
        v = 0.5 * (low[k] + high[k]) + offset[k]
        t[k] = v
        ok = low[k] <= v and v <= high[k]
        inside[k] = ok
        every = every and ok
    return t, inside, every


@njit(cache=True)
def _last_start(starts, lo, hi, v):
    """``np.searchsorted(starts[lo:hi], v, side="right") − 1`` (NaN after everything, as numpy sorts it)."""
    if v != v:
        return hi - lo - 1
    a, b = lo, hi
    while a < b:
        mid = (a + b) >> 1
        if starts[mid] <= v:
            a = mid + 1
        else:
            b = mid
    return a - lo - 1


@njit(cache=True)
def lane_borders(s, side, ranks, offset_s, offset_coef, start, origin, coef, border, rank_start):
    """(low, high) t of one lane's borders at each s: ``RoadView.boundaries`` on the road model's
    ``lane_boundaries_many`` (``simplatform.opendrive.LaneBorderTables`` lists the operations),
    in its order: the lane offset, each rank's width or border polynomial, inner NaN where outer
    is, then numpy's minimum and maximum (NaN propagated; on a tie the second argument)."""
    n = s.shape[0]
    low = np.empty(n)
    high = np.empty(n)
    n_off = offset_s.shape[0]
    for k in range(n):
        v = s[k]
        off = 0.0
        if n_off:
            i = _last_start(offset_s, 0, n_off, v)
            if i >= 0:
                ds = v - offset_s[i]
                off = offset_coef[i, 0] + ds * (offset_coef[i, 1] + ds * (offset_coef[i, 2] + ds * offset_coef[i, 3]))
        if ranks < 0:
            inner = outer = np.nan
        else:
            inner = outer = off
            for j in range(ranks):
                lo = rank_start[j]
                r = lo + max(_last_start(start, lo, rank_start[j + 1], v), 0)
                ds = v - origin[r]
                value = coef[r, 0] + ds * (coef[r, 1] + ds * (coef[r, 2] + ds * coef[r, 3]))
                inner = outer
                outer = off + value if border[r] else outer + side * value
        if outer != outer:
            inner = np.nan
        if inner != inner:
            low[k] = high[k] = inner
        elif outer != outer:
            low[k] = high[k] = outer
        else:
            low[k] = inner if inner < outer else outer
            high[k] = inner if inner > outer else outer
    return low, high


@njit(cache=True)
def reference_headings(s, s0, h0, k0, rate, kind):
    """Heading and curvature of the reference line at each s from the road's
    ``reference_line_tables`` (the operations of ``reference_headings_many``, in its order: a
    line/arc h0 + 2·(0.5·κ0·ds), κ0 + 0·ds; a spiral h0 + κ0·ds + 0.5·rate·ds·ds, κ0 + rate·ds),
    and whether every s fell on a line, arc or spiral (False: a parametric geometry, which the
    caller asks the road model for)."""
    n = s.shape[0]
    last = s0.shape[0]
    h = np.empty(n)
    k = np.empty(n)
    for j in range(n):
        v = s[j]
        i = _last_start(s0, 0, last, v)
        i = min(max(i, 0), last - 1)
        ds = v - s0[i]
        if kind[i] == 0:
            half = 0.5 * k0[i] * ds
            h[j] = h0[i] + 2.0 * half
            k[j] = k0[i] + 0.0 * ds
        elif kind[i] == 1:
            h[j] = h0[i] + k0[i] * ds + 0.5 * rate[i] * ds * ds
            k[j] = k0[i] + rate[i] * ds
        else:
            return h, k, False
    return h, k, True


@njit(cache=True)
def record_interval(lanes, s, breaks, margin):
    """``RoadView.interval``'s test in one pass: the index i of the interval between ``breaks``
    (``np.searchsorted(breaks, v, "right")``) holding every s, at least ``margin`` from both ends,
    with every lane id equal to the first; −1 where it says None (lanes differ, a NaN or infinite
    s, the s spread over intervals, or too near an end).  Its comparisons and subtractions on
    s.min() and s.max(), so the same answer."""
    lane = lanes[0]
    lo = s[0]
    hi = s[0]
    for k in range(s.shape[0]):
        v = s[k]
        if lanes[k] != lane or not (v - v == 0.0):
            return -1
        if v < lo:
            lo = v
        if v > hi:
            hi = v
    n = breaks.shape[0]
    i = _last_start(breaks, 0, n, lo) + 1
    if i != _last_start(breaks, 0, n, hi) + 1:
        return -1
    if (i > 0 and lo - breaks[i - 1] < margin) or (i < n and breaks[i] - hi < margin):
        return -1
    return i


_SX = (1.0, -1.0, -1.0, 1.0)   # front-left, rear-left, rear-right, front-right (metrics.geometry._CORNER_SIGNS)
_SY = (1.0, 1.0, -1.0, -1.0)


@njit(cache=True)
def entity_corners(cx, cy, cos_h, sin_h, length, width, e):
    """One entity's box corners (T, 4, 2): ``centre_kernel.corners_from_rows(...)[:, e]``, its
    operations in its order, read in place from the block's (T, N) centre and heading arrays and
    its (1, N) or (T, N) box rows (a copy of its loop for one column, as numba's cache tracks a
    kernel's own file only).  Why: the ego's lane-frame checks need its corners alone, and
    copying six columns out of the block's arrays first cost more than the corners."""
    T = cx.shape[0]
    out = np.empty((T, 4, 2))
    step_l, step_w = length.shape[0] > 1, width.shape[0] > 1
    for k in range(T):
        kl, kw = (k if step_l else 0), (k if step_w else 0)
        c, s = cos_h[k, e], sin_h[k, e]
        hl, hw = length[kl, e] / 2, width[kw, e] / 2
        for m in range(4):
            lx, ly = _SX[m] * hl, _SY[m] * hw
            out[k, m, 0] = cx[k, e] + c * lx - s * ly
            out[k, m, 1] = cy[k, e] + s * lx + c * ly
    return out


@njit(cache=True)
def all_equal(values):
    """Whether every value equals the first (``(values == values[0]).all()`` for a non-empty
    integer array, in one call)."""
    first = values[0]
    for k in range(values.shape[0]):
        if values[k] != first:
            return False
    return True
