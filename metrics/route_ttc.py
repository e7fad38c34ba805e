"""Path TTC along the route's Frenet frame over a block, compiled (numba), with its row minima.

Why its own kernel: ``kernels.route_path_ttc`` (kept as the reference this one
is tested against, ``tests/metrics/test_metrics_s4_pairs_route.py``) finds each
entity's route segment by descent from its previous one through helpers that
take the route arrays as arguments.  numba does not inline those calls, and
every call passes the arrays with their reference counts, which cost about
three quarters of the kernel (~50 ns per entity and step against ~12 ns).
Here the helpers take plain floats (a segment's end points and the query
point), which LLVM inlines, and the descent loop reads the route arrays
itself.  Every float operation and comparison is the reference's, in its
order, so the TTC and the segments followed are the same bit for bit.

An entity standing exactly where its segment was last found keeps that
segment without a descent: the descent's result is its own fixed point (it
stops at a segment whose successor is farther and whose predecessor is no
nearer, and starting there it stops at once), so the answer is the same.

The row minima (``np.argmin`` per step, first smallest, a NaN first) come out
of the same pass, so the metric needs no second walk over the (T, N) result;
and so do the near-miss onsets of that TTC (``route_ttc_near``, what
``SurrogateSafetyMetric`` calls): the TTC array was written (after a fill
with inf) only for ``series_kernels.near_onsets`` to read it back beside the
box distance, so with the onsets made where each value is, it is not kept.

The kernels compile with numba's ``error_model="numpy"`` (session 8): it drops the Python
model's zero-divisor checks and their exception paths; each division here is made only where its
divisor is nonzero (0 < num < ll in ``_segment_d2``, closing > 0, the constant 2), so no value
changes.

Sources: Frenet frame of a reference path (Werling et al., "Optimal
trajectory generation for dynamic street scenarios in a Frenét frame", ICRA
2010); time to collision at constant velocity (Hayward 1972).
"""

from __future__ import annotations

import numpy as np
from numba import njit


ONSETS = 256
"""Near-miss onsets ``route_ttc_near`` keeps from one pass (a block rarely has more; it passes again when
it has): a small buffer, where one of a step and an entity each (T·N) took fresh pages every block."""


@njit(cache=True, error_model="numpy")
def _segment_d2(x0, y0, dx, dy, ll, x, y):
    """Squared distance from (x, y) to the segment from (x0, y0) along (dx, dy), ``ll`` =
    max(dx² + dy², 1e-18) (``_segment_tables``): ``kernels._segment_d2``'s operations.

    The projection u = min(max(num / ll, 0), 1) is 0 or −0.0 where num ≤ 0 and exactly 1 where
    num ≥ ll (the quotient is then ≥ 1); w − u·d is then w (up to the sign of a zero, which the
    square drops) or w − d, so the squared distance is the same float, and the division is made
    only where u lies strictly between."""
    wx, wy = x - x0, y - y0
    num = wx * dx + wy * dy
    if num <= 0.0:
        rx, ry = wx, wy
    elif num >= ll:
        rx, ry = wx - dx, wy - dy
    else:
        u = min(max(num / ll, 0.0), 1.0)
        rx, ry = wx - u * dx, wy - u * dy
    return rx * rx + ry * ry


@njit(cache=True, error_model="numpy")
def _segment_tables(px, py):
    """Each segment's (dx, dy) and max(dx² + dy², 1e-18), as ``kernels._segment_d2`` computes them."""
    m = px.shape[0] - 1
    sdx, sdy, sll = np.empty(m), np.empty(m), np.empty(m)
    for i in range(m):
        dx, dy = px[i + 1] - px[i], py[i + 1] - py[i]
        sdx[i], sdy[i], sll[i] = dx, dy, max(dx * dx + dy * dy, 1e-18)
    return sdx, sdy, sll


@njit(cache=True, error_model="numpy")
def _route_pass(e, cx, cy, kin, rvx, rvy, cos_h, sin_h, length, width, px, py, tx_all, ty_all, cumulative, hint,
                keep, near, dist, near_ttc, near_dist, before, cap):
    """The pass of ``route_path_ttc`` (``keep``: the (T, N) TTC written; else a (0, N) array) and,
    with ``near``, ``series_kernels.near_onsets`` of its TTC and ``dist`` made as each value is,
    the first ``cap`` of them kept.  The pass changes none of its inputs.

    Returns (ttc, last ego segment, argmin (T,), min (T,), onset steps, onset entities, the TTC
    at each onset (the first ``cap``), the near-miss condition at the last step (N,), the number
    of onsets)."""
    T, N = cx.shape
    last = px.shape[0] - 2
    inf = np.inf
    sdx, sdy, sll = _segment_tables(px, py)
    ttc = np.empty((T if keep else 0, N))   # with ``keep`` every element is written below
    at = np.zeros(T, dtype=np.int64)
    low = np.full(T, np.inf)
    seg = np.zeros(N, dtype=np.int64)
    last_x, last_y = np.full(N, np.nan), np.full(N, np.nan)   # where each entity's segment was found
    step_l, step_w = length.shape[0] > 1, width.shape[0] > 1
    prev = before.copy()
    on_k, on_j, on_ttc = np.empty(cap, dtype=np.int64), np.empty(cap, dtype=np.int64), np.empty(cap)
    n_on = 0
    for k in range(T):
        kl, kw = (k if step_l else 0), (k if step_w else 0)
        x, y = cx[k, e], cy[k, e]
        if hint < 0:                      # no segment known: the nearest of all (first on ties)
            best, ie = np.inf, 0
            for i in range(last + 1):
                d = _segment_d2(px[i], py[i], sdx[i], sdy[i], sll[i], x, y)
                if d < best:
                    best, ie = d, i
        else:
            ie = min(max(hint, 0), last)   # kernels._descend, written out (see the module docstring)
            best = _segment_d2(px[ie], py[ie], sdx[ie], sdy[ie], sll[ie], x, y)
            while ie < last:
                d = _segment_d2(px[ie + 1], py[ie + 1], sdx[ie + 1], sdy[ie + 1], sll[ie + 1], x, y)
                if d > best:
                    break
                ie, best = ie + 1, d
            while ie > 0:
                d = _segment_d2(px[ie - 1], py[ie - 1], sdx[ie - 1], sdy[ie - 1], sll[ie - 1], x, y)
                if d >= best:
                    break
                ie, best = ie - 1, d
        hint = ie
        tx, ty = tx_all[ie], ty_all[ie]
        s_e = cumulative[ie] + (x - px[ie]) * tx + (y - py[ie]) * ty
        d_e = tx * (y - py[ie]) - ty * (x - px[ie])
        ca, sa = abs(cos_h[k, e] * tx + sin_h[k, e] * ty), abs(sin_h[k, e] * tx - cos_h[k, e] * ty)
        long_e = length[kl, e] / 2 * ca + width[kw, e] / 2 * sa
        lat_e = length[kl, e] / 2 * sa + width[kw, e] / 2 * ca
        v_e = kin[k, rvx, e] * tx + kin[k, rvy, e] * ty
        # np.argmin of the row (kernels.row_argmin), folded as the values come: the first smallest,
        # or the row's first NaN
        row_best, row_at, row_done = inf, 0, False
        for j in range(N):
            v = inf
            if j != e:
                xj, yj = cx[k, j], cy[k, j]
                if k == 0:
                    guess = s_e + (xj - x) * tx + (yj - y) * ty
                    seg[j] = np.searchsorted(cumulative, guess) - 1
                if xj == last_x[j] and yj == last_y[j]:
                    # standing where its segment was found: the descent from a segment it ended on stays
                    # there (it left the segment before it for a strictly smaller distance, or started
                    # there, and stopped at one no smaller before and a larger one after)
                    ij = seg[j]
                else:
                    last_x[j], last_y[j] = xj, yj
                    ij = min(max(seg[j], 0), last)   # kernels._descend, written out (see the module docstring)
                    best = _segment_d2(px[ij], py[ij], sdx[ij], sdy[ij], sll[ij], xj, yj)
                    while ij < last:
                        d = _segment_d2(px[ij + 1], py[ij + 1], sdx[ij + 1], sdy[ij + 1], sll[ij + 1], xj, yj)
                        if d > best:
                            break
                        ij, best = ij + 1, d
                    while ij > 0:
                        d = _segment_d2(px[ij - 1], py[ij - 1], sdx[ij - 1], sdy[ij - 1], sll[ij - 1], xj, yj)
                        if d >= best:
                            break
                        ij, best = ij - 1, d
                seg[j] = ij
                ux, uy = tx_all[ij], ty_all[ij]
                s_j = cumulative[ij] + (xj - px[ij]) * ux + (yj - py[ij]) * uy
                if not s_j <= s_e:
                    d_j = ux * (yj - py[ij]) - uy * (xj - px[ij])
                    ca, sa = abs(cos_h[k, j] * ux + sin_h[k, j] * uy), abs(sin_h[k, j] * ux - cos_h[k, j] * uy)
                    long_j = length[kl, j] / 2 * ca + width[kw, j] / 2 * sa
                    lat_j = length[kl, j] / 2 * sa + width[kw, j] / 2 * ca
                    if not abs(d_j - d_e) >= lat_e + lat_j:
                        gap = s_j - s_e - long_e - long_j
                        closing = v_e - (kin[k, rvx, j] * ux + kin[k, rvy, j] * uy)
                        if closing > 0 and gap > 0:
                            v = gap / closing
            if keep:
                ttc[k, j] = v
            if not row_done:
                if j == 0:
                    row_best, row_done = v, v != v
                elif v != v:
                    row_best, row_at, row_done = v, j, True
                elif v < row_best:
                    row_best, row_at = v, j
            if near:                       # series_kernels.near_onsets, this value as it comes
                dk = dist[k, j]
                now = (v < near_ttc or dk < near_dist) and dk > 0
                if now and not prev[j]:
                    if n_on < cap:
                        on_k[n_on], on_j[n_on], on_ttc[n_on] = k, j, v
                    n_on += 1
                prev[j] = now
        at[k], low[k] = row_at, row_best
    kept = min(n_on, cap)
    return ttc, hint, at, low, on_k[:kept], on_j[:kept], on_ttc[:kept], prev, n_on


@njit(cache=True, error_model="numpy")
def route_path_ttc(e, cx, cy, kin, rvx, rvy, cos_h, sin_h, length, width, px, py, tx_all, ty_all, cumulative, hint):
    """``kernels.route_path_ttc`` (same (T, N) TTC and last ego segment), and per step the
    ``np.argmin`` of the TTC row and its value.  vx and vy are read out of the block's stacked
    state ``kin`` (T, rows, N) at rows ``rvx``, ``rvy``; ``length`` and ``width`` are (T, N) or
    (1, N) (one row for every step).

    Returns (ttc, last ego segment, argmin (T,), min (T,))."""
    none = np.zeros((0, cx.shape[1]))
    ttc, hint, at, low, _, _, _, _, _ = _route_pass(e, cx, cy, kin, rvx, rvy, cos_h, sin_h, length, width, px, py,
                                                    tx_all, ty_all, cumulative, hint, True, False, none, 0.0, 0.0,
                                                    np.zeros(cx.shape[1], dtype=np.bool_), 0)
    return ttc, hint, at, low


@njit(cache=True, error_model="numpy")
def route_ttc_near(e, cx, cy, kin, rvx, rvy, cos_h, sin_h, length, width, px, py, tx_all, ty_all, cumulative, hint,
                   dist, near_ttc, near_dist, before):
    """``route_path_ttc`` without its (T, N) TTC, and ``series_kernels.near_onsets(ttc, dist,
    near_ttc, near_dist, before)`` of that TTC made in the same pass (what
    ``SurrogateSafetyMetric`` reads of it: the same onsets in the same order, the same last
    condition).  Why: the TTC array was written (and filled with inf first) only for a second
    pass over it and ``dist`` to read it back.

    Returns (last ego segment, argmin (T,), min (T,), onset steps, onset entities, the TTC at
    each onset, the condition at the last step (N,))."""
    _, last_seg, at, low, on_k, on_j, on_ttc, last, n = _route_pass(
        e, cx, cy, kin, rvx, rvy, cos_h, sin_h, length, width, px, py, tx_all, ty_all, cumulative, hint, False, True,
        dist, near_ttc, near_dist, before, ONSETS)
    if n > ONSETS:   # more onsets than the buffer held: the same pass again (it changes no input), all kept
        _, last_seg, at, low, on_k, on_j, on_ttc, last, n = _route_pass(
            e, cx, cy, kin, rvx, rvy, cos_h, sin_h, length, width, px, py, tx_all, ty_all, cumulative, hint, False,
            True, dist, near_ttc, near_dist, before, n)
    return last_seg, at, low, on_k, on_j, on_ttc, last
