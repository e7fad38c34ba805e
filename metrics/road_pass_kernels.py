"""One compiled road pass for a block on one lane (issue #7: fewer calls and arrays per block).

Why: on the usual block (every step on one lane of one road, the reference line made of lines,
arcs and spirals) ``EgoRoadBlock`` answered the lane-departure, sidewalk and wrong-way questions
with five kernels and a dozen numpy calls between them — the reference heading and curvature
(``road_kernels.reference_headings``), ``np.cos``/``np.sin`` of the heading, the ego's box corners
(``road_kernels.entity_corners``), the lane-frame corner rule (``road_lane_kernels.one_lane_corners``)
and the wrong-way test (``road_lane_kernels.one_lane_wrong_way``) — each handing back its own
arrays (nine in all), each read again by the next.  ``one_lane_pass`` does all of it in one loop
over the steps and hands back two arrays, one row per quantity.

Every float operation is the one of the kernel it replaces, in its order (copied statement for
statement, since numba's ``cache=True`` tracks only a kernel's own file), so every value is the
same bit for bit (tested against the separate kernels in ``tests/metrics/test_metrics_roadpass.py``).
The cosine and sine of the reference heading are ``math.cos``/``math.sin``: numpy's ufuncs and
these both call the C library's functions (as ``centre_kernel.state_geometry`` relies on; the test
above fails where a numpy build vectorises them differently).  A step whose reference heading
equals the previous step's (a straight road: the heading of a line is constant) reuses its cosine
and sine; zero is excluded, since cos/sin of 0.0 and −0.0 differ in the sine's sign bit.

Sources: OpenDRIVE 1.8 §9 (lane frame: t from the reference line), §7.4–7.6 (line, arc and
spiral headings), ISO 17361 (lane departure: the box crossing the lane border), ScenarioRunner
``WrongLaneTest`` (more than 120° from the lane's direction).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

ROW_HEADING, ROW_KAPPA, ROW_MARGIN = range(3)
"""Rows of ``one_lane_pass``'s float output: reference heading, curvature, corner margin."""
ROW_DEPARTED, ROW_TRUSTED, ROW_WRONG, ROW_KNOWN = range(4)
"""Rows of its bool output: departed (all False: every step is on the road), settled in the lane
frame, wrong way (all False in a junction), curvature known (all True once the pass is done)."""

_SX = (1.0, -1.0, -1.0, 1.0)   # front-left, rear-left, rear-right, front-right (road_kernels._SX)
_SY = (1.0, 1.0, -1.0, -1.0)


@njit(cache=True)
def _last_start(starts, lo, hi, v):
    """``np.searchsorted(starts[lo:hi], v, side="right") − 1`` (``road_kernels._last_start``)."""
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
def one_lane_pass(s, t, low, high, s0, h0, k0, rate, kind, ref_x, ref_y, heading, cx, cy, cos_b, sin_b,
                  length, width, e, road_length, guard, junction, against, angle):
    """The reference heading and curvature, the box-corner rule in the lane frame and the wrong-way
    test of a block on one lane, per step, in one pass.

    ``s``, ``t``, ``low``, ``high``: the ego reference point's s and t and its lane's borders;
    ``s0`` … ``kind``: the road's ``reference_line_tables``; ``ref_x``, ``ref_y``, ``heading``: the
    ego's columns; ``cx`` … ``width``, ``e``: the block's (T, N) centres and heading cosines/sines,
    its (1, N) or (T, N) box rows and the ego's column; ``junction``: the road is a junction's
    (no wrong-way test); ``against``: the lane runs against s.

    Returns (floats (3, T): ``ROW_HEADING``, ``ROW_KAPPA``, ``ROW_MARGIN``; bools (4, T):
    ``ROW_DEPARTED`` … ``ROW_KNOWN``; whether every step is settled; done).  Not done (a parametric
    geometry, which ``road_kernels.reference_headings`` leaves to the road model): the caller takes
    the separate path, and the arrays are not to be read.

    Per step, as the kernels it replaces: ``reference_headings`` (line/arc h0 + 2·(0.5·κ0·ds),
    κ0 + 0·ds; spiral h0 + κ0·ds + 0.5·rate·ds·ds, κ0 + rate·ds); ``entity_corners`` (centre ±
    the rotated half length and width); ``one_lane_corners`` (t_c = t + (c − ref)·n, u_c = (c − ref)·
    tangent, margin min(t_c − low, high − t_c), settled when every margin exceeds twice the sagitta
    bound κu²/(2(1 − κ|t_c|)) plus ``guard``, s + u_c on the road and κ|t_c| < 0.5; margin NaN where
    not settled); ``one_lane_wrong_way`` (|((heading − travel + π) mod 2π) − π| > angle, travel the
    reference heading, + π against s)."""
    T = s.shape[0]
    fout = np.empty((3, T))
    bout = np.zeros((4, T), dtype=np.bool_)
    last = s0.shape[0]
    step_l, step_w = length.shape[0] > 1, width.shape[0] > 1
    two_pi = 2 * np.pi
    every = True
    prev_h = np.nan
    c = 1.0
    sn = 0.0
    for k in range(T):
        # the reference heading and curvature (road_kernels.reference_headings)
        v = s[k]
        i = _last_start(s0, 0, last, v)
        i = min(max(i, 0), last - 1)
        ds = v - s0[i]
        if kind[i] == 0:
            half = 0.5 * k0[i] * ds
            h = h0[i] + 2.0 * half
            kap = k0[i] + 0.0 * ds
        elif kind[i] == 1:
            h = h0[i] + k0[i] * ds + 0.5 * rate[i] * ds * ds
            kap = k0[i] + rate[i] * ds
        else:
            return fout, bout, False, False
        fout[0, k] = h
        fout[1, k] = kap
        bout[3, k] = True
        if not (h == prev_h and h != 0.0):   # the same nonzero heading: the same cosine and sine
            c, sn = math.cos(h), math.sin(h)
            prev_h = h
        # the ego's box corners (road_kernels.entity_corners) in the lane frame (one_lane_corners)
        kl, kw = (k if step_l else 0), (k if step_w else 0)
        bc, bs = cos_b[k, e], sin_b[k, e]
        hl, hw = length[kl, e] / 2, width[kw, e] / 2
        ecx, ecy = cx[k, e], cy[k, e]
        rxk, ryk = ref_x[k], ref_y[k]
        k_abs = abs(kap)
        settled = True
        smallest = math.inf
        for j in range(4):
            lx, ly = _SX[j] * hl, _SY[j] * hw
            rx = (ecx + bc * lx - bs * ly) - rxk
            ry = (ecy + bs * lx + bc * ly) - ryk
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
        bout[1, k] = settled
        if settled:
            fout[2, k] = smallest
        else:
            fout[2, k] = math.nan
            every = False
        # the wrong-way test (road_lane_kernels.one_lane_wrong_way)
        if not junction:
            travel = h + np.pi if against else h
            d = (heading[k] - travel + np.pi) % two_pi - np.pi
            bout[2, k] = abs(d) > angle
    return fout, bout, every, True


_INT64_MIN = -(2 ** 63)


@njit(cache=True)
def ego_lane_rows(state, e, r_lane, r_s, r_t):
    """The ego's lane id, s and t per step out of the block's stacked state (T, rows, N), in one pass
    (``EgoViews.ego_lanes`` of a block whose every step has its lane): (lane ids (T,) int64 as
    numpy's ``astype(np.int64)`` makes them, (2, T) float64 rows s and t, all-True known mask (T,)).

    Why: three strided gathers and an ``np.ones`` (four numpy calls, four arrays) were a tenth of the
    road metrics' cost per block; the three rows of a step lie a few cache lines apart.
    ``astype`` truncates toward zero; a NaN, ±inf or a value outside int64 gives INT64_MIN (the x86
    conversion's "integer indefinite" that numpy's cast returns), made explicit here rather than left
    to the conversion, whose result LLVM does not define there."""
    T = state.shape[0]
    ids = np.empty(T, dtype=np.int64)
    rows = np.empty((2, T))
    known = np.ones(T, dtype=np.bool_)
    for k in range(T):
        v = state[k, r_lane, e]
        if v != v or not (-9.223372036854775808e18 <= v < 9.223372036854775808e18):
            ids[k] = _INT64_MIN
        else:
            ids[k] = np.int64(v)
        rows[0, k] = state[k, r_s, e]
        rows[1, k] = state[k, r_t, e]
    return ids, rows, known
