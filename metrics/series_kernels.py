"""The per-step series of the ego metrics over a block, each in one compiled pass (numba).

Why: on a 1,000-step block the comfort, kinematics, ACC and near-miss rules
were each a dozen numpy calls over (T,) or (T, N) arrays (concatenations,
differences, masks, ``np.where``), every call a pass and a temporary; here
each metric's series come out of one loop.  Every value is the numpy
expression's: the same operations in the same order (``np.diff``'s
subtraction, the left-to-right sum of ``np.cumsum``, ``np.maximum``'s NaN
rule written out, the C library's ``hypot`` that ``np.hypot`` calls too), so
the series are the same bit for bit (``tests/metrics/test_metrics_s4_pairs_series.py``
runs each against the numpy code it replaces).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def near_onsets(ttc, dist, near_ttc, near_dist, before):
    """Onsets of the near-miss condition ((TTC < ``near_ttc`` or distance < ``near_dist``) and
    distance > 0) per entity over a block: (steps, entities) in ``np.nonzero``'s order (step, then
    entity), and the condition at the last step (N,).  ``before`` (N,) is the condition at the step
    before the block."""
    T, N = dist.shape
    prev = before.copy()
    n = 0
    for k in range(T):
        for j in range(N):
            d = dist[k, j]
            near = (ttc[k, j] < near_ttc or d < near_dist) and d > 0
            if near and not prev[j]:
                n += 1
            prev[j] = near
    steps, who = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    prev[:] = before
    n = 0
    for k in range(T):
        for j in range(N):
            d = dist[k, j]
            near = (ttc[k, j] < near_ttc or d < near_dist) and d > 0
            if near and not prev[j]:
                steps[n], who[n] = k, j
                n += 1
            prev[j] = near
    return steps, who, prev


@njit(cache=True)
def comfort_series(t, a_long, a_lat, yaw_rate, t0, a0, l0, lo, hi, lat_max, jerk_max, yaw_max):
    """``ComfortMetric``'s series of a block: jerks as backward differences over the step (NaN at a
    first step or a repeated time), absolute values, and the nuPlan comfort test.  (t0, a0, l0) are
    the step before's time and accelerations (inf, NaN, NaN for none).  Returns (decel, lat_abs,
    jerk_long, jerk_long_abs, jerk_lat, jerk_lat_abs, yaw_abs, uncomfortable as 0/1)."""
    T = t.shape[0]
    decel, lat_abs, yaw_abs, bad = np.empty(T), np.empty(T), np.empty(T), np.empty(T)
    jl, jla, jt, jta = np.empty(T), np.empty(T), np.empty(T), np.empty(T)
    tp, ap, lp = t0, a0, l0
    for k in range(T):
        tk, ak, lk = t[k], a_long[k], a_lat[k]
        dt = tk - tp if tk > tp else math.nan
        j1 = (ak - ap) / dt
        j2 = (lk - lp) / dt
        la, ja, y = abs(lk), abs(j1), abs(yaw_rate[k])
        decel[k], lat_abs[k], yaw_abs[k] = -ak, la, y
        jl[k], jla[k], jt[k], jta[k] = j1, ja, j2, abs(j2)
        bad[k] = 1.0 if (ak < lo or ak > hi or la > lat_max or ja > jerk_max or y > yaw_max) else 0.0
        tp, ap, lp = tk, ak, lk
    return decel, lat_abs, jl, jla, jt, jta, yaw_abs, bad


@njit(cache=True)
def path_length(x, y, x0, y0, first, distance):
    """The ego path length after a block: ``distance`` plus each step's ``hypot`` of its
    differences, summed in step order (``np.cumsum``); (x0, y0) is the position before the block,
    ignored when ``first`` (the block's first step then adds nothing)."""
    px, py = x0, y0
    for k in range(x.shape[0]):
        if k == 0 and first:
            px, py = x[0], y[0]
            continue
        distance = distance + math.hypot(x[k] - px, y[k] - py)
        px, py = x[k], y[k]
    return distance


@njit(cache=True)
def acc_series(v, gap, set_speed):
    """``AdaptiveCruiseMetric``'s series of a block: following when the gap is within 2.2 s × speed
    (``np.maximum(v, 0)``: NaN stays NaN) + 10 m; (gap, time gap) while following, (speed error,
    its absolute value) while not, NaN otherwise."""
    T = v.shape[0]
    g_out, thw_out, err_out, abs_out = np.empty(T), np.empty(T), np.empty(T), np.empty(T)
    nan = math.nan
    for k in range(T):
        vk, gk = v[k], gap[k]
        m = vk if (vk >= 0.0 or vk != vk) else 0.0
        following = gk <= 2.2 * m + 10.0
        thw = gk / vk if vk > 0.1 else math.inf
        err = vk - set_speed
        if following:
            g_out[k], thw_out[k], err_out[k], abs_out[k] = gk, thw, nan, nan
        else:
            g_out[k], thw_out[k], err_out[k], abs_out[k] = nan, nan, err, abs(err)
    return g_out, thw_out, err_out, abs_out


@njit(cache=True)
def surrogate_rows(nearest, minima, ttc_at, ttc_min, lead, lead_gap, lead_closing, speed):
    """``SurrogateSafetyMetric``'s per-step values past the pair kernels: whose row minimum each
    of distance, path TTC (``ttc_at``/``ttc_min``: the route's or the heading's), 2-D TTC and miss
    distance is (−1 where the minimum is not finite), the time headway to the in-path leader
    (gap / ego speed, leader ahead at a positive gap, speed > 0.1 m/s; inf otherwise) and the DRAC
    (closing² / (2 gap), closing > 0; 0 otherwise) with their leader (−1).  Returns (who (6, T):
    distance, TTC, 2-D TTC, miss, THW, DRAC; thw (T,); drac (T,))."""
    T = speed.shape[0]
    who = np.empty((6, T), dtype=np.int64)
    thw, drac = np.empty(T), np.empty(T)
    for k in range(T):
        who[0, k] = nearest[0, k] if math.isfinite(minima[0, k]) else -1
        who[1, k] = ttc_at[k] if math.isfinite(ttc_min[k]) else -1
        who[2, k] = nearest[2, k] if math.isfinite(minima[2, k]) else -1
        who[3, k] = nearest[3, k] if math.isfinite(minima[3, k]) else -1
        j, gap, closing = lead[k], lead_gap[k], lead_closing[k]
        has = j >= 0 and gap > 0
        if has and speed[k] > 0.1:
            thw[k], who[4, k] = gap / speed[k], j
        else:
            thw[k], who[4, k] = math.inf, -1
        if has and closing > 0:
            drac[k], who[5, k] = closing * closing / (2 * gap), j
        else:
            drac[k], who[5, k] = 0.0, -1
    return who, thw, drac


@njit(cache=True)
def nan_extreme_index(values, want_max):
    """``SeriesRecorder.extreme_index``: the index of the max (``want_max``) or min of a 1-D float
    array with NaN ignored, −1 when it is empty or all NaN.  numpy's ``nanargmax``/``nanargmin``
    decision for decision: NaN stands for −inf (max) or +inf (min), then the first index of the
    extreme (``argmax``/``argmin`` keep the first of equal values, 0.0 and −0.0 included), so a
    run whose only numbers are −inf (max) answers with a NaN's index when one comes first, as
    numpy does.  One compiled call instead of a min, an argmin and, with NaN, a mask and a filled copy.

    Two passes: the extreme of the numbers (NaN compares False, so it never wins), kept in four
    running values so that the comparisons do not wait on each other (the extreme of a set is
    that whatever the order, and ±0 compare equal in the second pass: the same index), then the
    first index equal to it.  When the extreme is the fill (every number is −inf for a max, or
    there is none), the scan with NaN as the fill takes index 0 if there is a number, else −1."""
    n = values.shape[0]
    m = n - n % 4
    fill = -math.inf if want_max else math.inf
    b0 = b1 = b2 = b3 = fill
    if want_max:
        for i in range(0, m, 4):
            v0, v1, v2, v3 = values[i], values[i + 1], values[i + 2], values[i + 3]
            b0 = v0 if v0 > b0 else b0
            b1 = v1 if v1 > b1 else b1
            b2 = v2 if v2 > b2 else b2
            b3 = v3 if v3 > b3 else b3
        for i in range(m, n):
            v = values[i]
            b0 = v if v > b0 else b0
        best = max(max(b0, b1), max(b2, b3))
    else:
        for i in range(0, m, 4):
            v0, v1, v2, v3 = values[i], values[i + 1], values[i + 2], values[i + 3]
            b0 = v0 if v0 < b0 else b0
            b1 = v1 if v1 < b1 else b1
            b2 = v2 if v2 < b2 else b2
            b3 = v3 if v3 < b3 else b3
        for i in range(m, n):
            v = values[i]
            b0 = v if v < b0 else b0
        best = min(min(b0, b1), min(b2, b3))
    if best == fill:
        for i in range(n):
            if values[i] == values[i]:
                return 0
        return -1
    for i in range(n):
        if values[i] == best:
            return i
    return -1


@njit(cache=True)
def has_nan(values):
    """Whether a 1-D float array holds a NaN (``np.isnan(values).any()``, stopping at the first)."""
    for i in range(values.shape[0]):
        v = values[i]
        if v != v:
            return True
    return False


@njit(cache=True)
def mask_runs(mask):
    """Start and end step (inclusive) of each run of True in a 1-D bool mask, in order: the
    rising and falling edges of ``np.diff`` of the mask padded with False at both ends."""
    n = 0
    prev = False
    for k in range(mask.shape[0]):
        m = mask[k]
        if m and not prev:
            n += 1
        prev = m
    starts, ends = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    prev = False
    r = 0
    for k in range(mask.shape[0]):
        m = mask[k]
        if m and not prev:
            starts[r] = k
        elif prev and not m:
            ends[r] = k - 1
            r += 1
        prev = m
    if prev:
        ends[r] = mask.shape[0] - 1
    return starts, ends


@njit(cache=True)
def any_abs_below(values, limit):
    """Whether some |value| < ``limit`` (``(np.abs(values) < limit).any()``: NaN is not below)."""
    for i in range(values.shape[0]):
        if abs(values[i]) < limit:
            return True
    return False


@njit(cache=True)
def speed_excess(speed, limit, tol, was_over):
    """``SpeedLimitMetric``'s series of a block in one pass: excess = max(0, |speed| − limit) where
    the limit is finite (0 elsewhere), over = finite and excess > ``tol`` (as 0/1), the limit with
    NaN as +inf, and the steps where ``over`` turns on (``was_over``: at the step before).  The
    numpy code's operations on each step (``np.abs``, the subtraction, ``np.where``)."""
    T = speed.shape[0]
    excess, over, shown = np.empty(T), np.empty(T), np.empty(T)
    n = 0
    prev = was_over
    for k in range(T):
        lim = limit[k]
        finite = math.isfinite(lim)
        d = abs(speed[k]) - lim
        e = d if (finite and d > 0.0) else 0.0
        o = finite and e > tol
        excess[k], over[k], shown[k] = e, 1.0 if o else 0.0, lim if finite else math.inf
        if o and not prev:
            n += 1
        prev = o
    onsets = np.empty(n, dtype=np.int64)
    prev = was_over
    n = 0
    for k in range(T):
        o = over[k] > 0.0
        if o and not prev:
            onsets[n] = k
            n += 1
        prev = o
    return excess, over, shown, onsets
