"""Compiled kernels of ``EgoRoadBlock`` for a block on one lane (issue #7: fewer calls per block).

Why its own file: numba's ``cache=True`` tracks only the kernel's own file, so the
per-row rule of ``road_kernels.lane_frame_corners`` is copied here, statement for
statement (the same float operations in the same order), rather than called.  The
general path (any block) keeps ``lane_frame_corners``; this one replaces the handful of
numpy calls around it (the NaN margins, the all-False departures and trust flags, the
row list, ``trusted.all()`` and ``departed.any()``) by one call for the usual block:
every step on one lane of one road whose curvature the road model gives.  Likewise
``one_lane_frame`` is ``road_kernels.lane_borders`` then ``road_kernels.lane_t`` in one pass.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def one_lane_corners(corners, ref_x, ref_y, cos_h, sin_h, kappa, s, t, low, high, road_length, guard):
    """``lane_frame_corners`` over every step of the block (rows 0 … T−1), with the arrays it
    writes made here: (margin (NaN where not settled), departed (all False: every step is on
    the road), trusted, whether every step is trusted).  The corner rule is the lane frame at
    the reference point, t_c = t_ref + (c − ref)·n, u_c = (c − ref)·tangent, margin
    min(t_c − low, high − t_c), settled when every margin exceeds twice the sagitta bound
    κu²/(2(1 − κ|t_c|)) plus ``guard``, s + u_c stays on the road and κ|t_c| < 0.5."""
    T = t.shape[0]
    margin = np.empty(T)
    departed = np.zeros(T, dtype=np.bool_)
    ok = np.empty(T, dtype=np.bool_)
    every = True
    for k in range(T):
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
        else:
            margin[k] = math.nan
            every = False
    return margin, departed, ok, every


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
def one_lane_frame(s, offset, side, ranks, offset_s, offset_coef, start, origin, coef, border, rank_start):
    """(low, high, t, inside, every) of one lane at each step: ``road_kernels.lane_borders``
    (the lane's border t from the road's ``LaneBorderTables``: lane offset, each rank's width or
    border polynomial, NaN propagated, numpy's minimum and maximum) and then, on those values,
    ``road_kernels.lane_t`` (t = 0.5·(low + high) + offset, low ≤ t ≤ high), statement for statement."""
    n = s.shape[0]
    low = np.empty(n)
    high = np.empty(n)
    t = np.empty(n)
    inside = np.empty(n, dtype=np.bool_)
    every = True
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
        w = 0.5 * (low[k] + high[k]) + offset[k]
        t[k] = w
        ok = low[k] <= w and w <= high[k]
        inside[k] = ok
        every = every and ok
    return low, high, t, inside, every


@njit(cache=True)
def one_lane_wrong_way(heading, reference, against, angle):
    """``road_kernels.wrong_way_mask`` for a block on one lane outside junctions (every step on
    the road): the travel heading made per step as ``EgoRoadBlock.travel_heading`` makes it (the
    reference heading, + π where the lane runs against s), then |((heading − travel + π) mod 2π) − π|
    > angle with numpy's operations in its order."""
    n = heading.shape[0]
    out = np.zeros(n, dtype=np.bool_)
    two_pi = 2 * np.pi
    for k in range(n):
        travel = reference[k] + np.pi if against else reference[k]
        d = (heading[k] - travel + np.pi) % two_pi - np.pi
        out[k] = abs(d) > angle
    return out
