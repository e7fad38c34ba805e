"""The ego against every other entity over a block, in one compiled pass with its reductions (numba).

Why its own kernel: ``kernels.ego_pairs`` (kept as the reference this one is
tested against, ``tests/metrics/test_metrics_s4_pairs_ego.py``) writes seven
(T, N) arrays of which the metrics read four through a row minimum each and
three through the in-path leader; and it measures the box distance of the
near entities through helpers that take the block's (T, N, 4, 2) corner
array, which numba does not inline and which pass the array with its
reference count.  Here each step's rows are reduced as they are made (the
row minima of distance, path TTC, 2-D TTC and miss distance with their
``np.argmin`` positions, the leader's gap and closing speed), only the
distance and path TTC rows that the near-miss rule reads are kept, and a
box's corners are computed where the box distance needs them, as plain
floats (``kernels.block_corners``'s operations, so the same floats).  Every
float operation and comparison is the reference's, in its order: the results
are the same bit for bit.

Two shortcuts leave work out where its result is known (the same floats):
a pair moving apart (p·v > 0) has no disc-touch root ≥ 0 and no closest
approach ahead (the numerator −b − √disc is ≤ −b < 0; with p·v > 1e-250 and
|v|² < 1e50 the quotient is a negative normal number, never −0.0; and
t* = −p·v/|v|² ≤ 0), so its square root, divisions and hypot are skipped; and
a closest-approach distance is not computed where max(|u|, |v|) is no smaller
than the row's minimum so far (the C library's hypot is faithfully rounded,
so hypot(u, v) ≥ max(|u|, |v|), a float below the exact value: the running
``np.argmin`` would not take it).

Two changes of form that keep every value (session 8, 2–10 % less CPU on the in-situ blocks, in
process): the centre distances of a step are taken first, in a loop of their own (``math.hypot``
is a call into the C library; in the main loop every float live across it is kept around the
call, with the row reductions that is most of them); and the
kernels compile with numba's ``error_model="numpy"``, which drops the zero-divisor checks (and
their exception paths) of the Python model: every division here has a divisor that is nonzero
where its quotient is used (a guard before it, or 2, or max(·, 1e-12)), so no quotient changes.

Sources as ``metrics.kernels``: separating axis theorem (Gottschalk, Lin &
Manocha 1996; Ericson, *Real-Time Collision Detection* §4.4), closest points
of disjoint convex polygons at a vertex (Ericson §5.1.9), time to collision
at constant velocity (Hayward 1972) and of bounding discs.
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

AHEAD = 2
"""Steps ahead whose rows ``ego_pass`` asks the cache for (``_prefetch``)."""


def _prefetcher(write: int):
    """An intrinsic ``(array, index tuple) -> None`` that asks the cache for the line of
    ``array[index]`` (``llvm.prefetch``, kept close; ``write`` 1 for a line about to be written).

    Why: the block's stacked state (T, rows, N) is read here for the first time since the
    engine wrote it, step after step, with rows far apart (a step's record is ``rows`` × N floats),
    so each step's vx and vy rows come from memory one miss after another, and the geometry rows
    (``centre_kernel.state_geometry``'s) may have left the cache since; asked for a step or two
    ahead they arrive while the pairs of this step are measured.
    A prefetch changes no value and cannot fault; the indices given are in bounds anyway."""

    @intrinsic
    def prefetch(typingctx, arr, index):
        sig = types.void(arr, index)

        def codegen(context, builder, signature, args):
            aryty, idxty = signature.args
            ary = context.make_array(aryty)(context, builder, args[0])
            index = [context.cast(builder, v, t, types.intp)
                     for v, t in zip(cgutils.unpack_tuple(builder, args[1]), idxty)]
            ptr = cgutils.get_item_pointer2(context, builder, ary.data, cgutils.unpack_tuple(builder, ary.shape),
                                            cgutils.unpack_tuple(builder, ary.strides), aryty.layout, index,
                                            wraparound=False, boundscheck=False)
            byte = ir.IntType(8).as_pointer()
            i32 = ir.IntType(32)
            fn = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.VoidType(), [byte, i32, i32, i32]), "llvm.prefetch.p0i8")
            builder.call(fn, [builder.bitcast(ptr, byte), i32(write), i32(3), i32(1)])
            return context.get_dummy_value()

        return sig, codegen

    return prefetch


_prefetch = _prefetcher(0)


@njit(cache=True, error_model="numpy")
def box_corners(cx, cy, c, s, length, width):
    """The four corners of one box as (x0, y0, …, x3, y3): ``kernels.block_corners``'s operations
    (front-left, rear-left, rear-right, front-right)."""
    hl, hw = length / 2, width / 2
    lx0, ly0 = 1.0 * hl, 1.0 * hw
    lx1, ly1 = -1.0 * hl, 1.0 * hw
    lx2, ly2 = -1.0 * hl, -1.0 * hw
    lx3, ly3 = 1.0 * hl, -1.0 * hw
    return (cx + c * lx0 - s * ly0, cy + s * lx0 + c * ly0,
            cx + c * lx1 - s * ly1, cy + s * lx1 + c * ly1,
            cx + c * lx2 - s * ly2, cy + s * lx2 + c * ly2,
            cx + c * lx3 - s * ly3, cy + s * lx3 + c * ly3)


@njit(cache=True, error_model="numpy")
def _separated_on(a, b, ax, ay):
    """``kernels._separated_on`` for two corner tuples."""
    amin, amax, bmin, bmax = np.inf, -np.inf, np.inf, -np.inf
    for m in range(4):
        pa = a[2 * m] * ax + a[2 * m + 1] * ay
        pb = b[2 * m] * ax + b[2 * m + 1] * ay
        amin, amax = min(amin, pa), max(amax, pa)
        bmin, bmax = min(bmin, pb), max(bmax, pb)
    return amax < bmin or bmax < amin


@njit(cache=True, error_model="numpy")
def boxes_touch(a, b):
    """``kernels.boxes_touch`` for two corner tuples: SAT on both edge directions of each box."""
    for q in range(2):
        box = a if q == 0 else b
        for e in range(2):
            ax = box[2 * e] - box[2 * e + 2]
            ay = box[2 * e + 1] - box[2 * e + 3]
            if _separated_on(a, b, ax, ay):
                return False
    return True


@njit(cache=True, error_model="numpy")
def _vertex_edge_sq(p, q):
    """``kernels._vertex_edge_sq``: smallest squared distance from a corner of p to an edge of q."""
    best = np.inf
    for v in range(4):
        for e in range(4):
            f = (e + 1) % 4
            dx, dy = q[2 * f] - q[2 * e], q[2 * f + 1] - q[2 * e + 1]
            wx, wy = p[2 * v] - q[2 * e], p[2 * v + 1] - q[2 * e + 1]
            dd = max(dx * dx + dy * dy, 1e-12)
            t = min(max((wx * dx + wy * dy) / dd, 0.0), 1.0)
            rx, ry = wx - t * dx, wy - t * dy
            best = min(best, rx * rx + ry * ry)
    return best


@njit(cache=True, error_model="numpy")
def box_distance(a, b):
    """``kernels.box_distance`` of two corner tuples; 0 where they overlap."""
    if boxes_touch(a, b):
        return 0.0
    return math.sqrt(min(_vertex_edge_sq(a, b), _vertex_edge_sq(b, a)))


@njit(cache=True, error_model="numpy")
def _fold(best, at, done, v, j):
    """One more entry of a row for ``np.argmin`` (``kernels.row_argmin``): the first smallest, or the
    first NaN, after which the row's answer is ``done``."""
    if done:
        return best, at, done
    if j == 0:
        return v, 0, v != v
    if v != v:
        return v, j, True
    if v < best:
        return v, j, False
    return best, at, False


@njit(cache=True, error_model="numpy")
def ego_pass(e, cx, cy, kin, rvx, rvy, cos_h, sin_h, length, width, radius, near_range, horizon, path_ttc=True):
    """``kernels.ego_pairs`` reduced per step, reading vx and vy out of the block's stacked state
    ``kin`` (T, rows, N) at rows ``rvx``, ``rvy``; ``length``, ``width`` and ``radius`` are (T, N)
    or (1, N) (one row for every step).

    Returns the (T, N) box distance and path TTC (as ``ego_pairs``: exact box
    distance within max(nearest centre distance, ``near_range``), the disc
    bound beyond; the ego's column inf); per step the ``np.argmin`` positions
    (4, T) and values (4, T) of the rows of distance, path TTC, 2-D TTC and
    miss distance (the ego's column inf in each); and the in-path leader (T,)
    (−1: none) with its gap (inf) and closing speed (0).

    ``path_ttc`` False (a context with a route, whose path TTC ``metrics.safety`` takes along the
    route instead, ``metrics.route_ttc``): the path TTC along the heading is left out — the TTC
    array is (T, 0), and row 1 of the positions and values is 0 and inf at every step — and every
    other output is the same, bit for bit (the in-path test, gap and closing speed that the
    leader needs are still made)."""
    T, N = cx.shape
    dist = np.empty((T, N))   # every element is written below (the ego's column inf): no fill pass
    ttc = np.empty((T, N if path_ttc else 0))
    at = np.zeros((4, T), dtype=np.int64)
    low = np.empty((4, T))
    lead = np.full(T, -1, dtype=np.int64)
    lead_gap = np.full(T, np.inf)
    lead_closing = np.zeros(T)
    inf = np.inf
    s_centre = np.empty(N)
    step_l, step_w, step_r = length.shape[0] > 1, width.shape[0] > 1, radius.shape[0] > 1
    for k in range(T):
        if k + AHEAD < T and N > 0:   # the rows of a step ahead, a line (8 floats) at a time
            for j in range(0, N + 7, 8):
                i = min(j, N - 1)
                _prefetch(kin, (k + AHEAD, rvx, i))
                _prefetch(kin, (k + AHEAD, rvy, i))
                _prefetch(cx, (k + AHEAD, i))
                _prefetch(cy, (k + AHEAD, i))
                _prefetch(cos_h, (k + AHEAD, i))
                _prefetch(sin_h, (k + AHEAD, i))
        kl, kw, kr = (k if step_l else 0), (k if step_w else 0), (k if step_r else 0)
        ch, sh = cos_h[k, e], sin_h[k, e]
        ex, ey, evx, evy = cx[k, e], cy[k, e], kin[k, rvx, e], kin[k, rvy, e]
        half_le, half_we = length[kl, e] / 2, width[kw, e] / 2
        for j in range(N):   # the centre distances first: a loop of library calls with little live
            s_centre[j] = math.hypot(cx[k, j] - ex, cy[k, j] - ey)
        nearest = inf
        b1, a1, d1 = inf, 0, False   # row minima of path TTC, 2-D TTC, miss distance
        b2, a2, d2 = inf, 0, False
        b3, a3, d3 = inf, 0, False
        best, who, lg, lc = inf, -1, inf, 0.0
        for j in range(N):
            if j == e:
                dist[k, j] = inf
                if path_ttc:
                    ttc[k, j] = inf
                    b1, a1, d1 = _fold(b1, a1, d1, inf, j)
                b2, a2, d2 = _fold(b2, a2, d2, inf, j)
                b3, a3, d3 = _fold(b3, a3, d3, inf, j)
                continue
            dx, dy = cx[k, j] - ex, cy[k, j] - ey
            dvx, dvy = kin[k, rvx, j] - evx, kin[k, rvy, j] - evy
            rel_x = ch * dx + sh * dy
            rel_y = ch * dy - sh * dx
            rel_vx = ch * dvx + sh * dvy
            rel_vy = ch * dvy - sh * dvx
            co, so = cos_h[k, j], sin_h[k, j]
            cos_d = abs(co * ch + so * sh)
            sin_d = abs(so * ch - co * sh)
            hl, hw = length[kl, j] / 2, width[kw, j] / 2
            half_long = hl * cos_d + hw * sin_d
            half_lat = hl * sin_d + hw * cos_d
            path = rel_x > 0 and abs(rel_y) < half_we + half_lat
            g = rel_x - half_le - half_long
            cl = -rel_vx
            t1 = inf
            if path_ttc:
                if path and cl > 0 and g > 0:
                    t1 = g / cl
                ttc[k, j] = t1
            if path and g < best:   # the in-path leader: the smallest gap, the first on ties
                best, who, lg, lc = g, j, g, cl
            rs = radius[kr, e] + radius[kr, j]
            centre = s_centre[j]
            nearest = min(nearest, centre)
            dist[k, j] = max(centre - rs, 0.0)
            # 2-D disc TTC and closest approach (metrics.safety._disc_ttc)
            t2, ms = inf, inf
            a = rel_vx * rel_vx + rel_vy * rel_vy
            pv = rel_x * rel_vx + rel_y * rel_vy
            b = 2 * pv
            c = rel_x * rel_x + rel_y * rel_y - rs * rs
            disc = b * b - 4 * a * c
            # separating (pv > 0): the root's numerator is ≤ −b < 0 and, with these bounds on pv and
            # a, the quotient is negative, not −0.0; so no root ≥ 0, and t* = −pv/a ≤ 0: the same
            # t2 and ms without the square root, the divisions and the hypot (module docstring)
            apart = pv > 0
            if c <= 0:
                t2 = 0.0
            elif a > 1e-12 and disc >= 0 and not (pv > 1e-250 and a < 1e50):
                root = (-b - math.sqrt(max(disc, 0.0))) / (2 * a)
                if root >= 0:
                    t2 = root
            if a > 1e-12 and not apart:
                t_star = -pv / a
                if t_star > 0 and t_star <= horizon:
                    u, v = rel_x + rel_vx * t_star, rel_y + rel_vy * t_star
                    # hypot(u, v) ≥ max(|u|, |v|) (faithful rounding of a value ≥ a float): a value
                    # no smaller than the row's minimum so far cannot change it (module docstring)
                    if d3 or j == 0 or u != u or v != v or (abs(u) < b3 and abs(v) < b3):
                        ms = math.hypot(u, v)
                    else:
                        ms = b3
            if path_ttc:
                b1, a1, d1 = _fold(b1, a1, d1, t1, j)
            b2, a2, d2 = _fold(b2, a2, d2, t2, j)
            b3, a3, d3 = _fold(b3, a3, d3, ms, j)
        reach = max(nearest, near_range)
        b0, a0, d0 = inf, 0, False
        ego_box = (0.0,) * 8
        boxed = False
        for j in range(N):
            if j != e and dist[k, j] <= reach:
                if not boxed:
                    ego_box = box_corners(ex, ey, ch, sh, length[kl, e], width[kw, e])
                    boxed = True
                dist[k, j] = box_distance(ego_box, box_corners(cx[k, j], cy[k, j], cos_h[k, j], sin_h[k, j],
                                                               length[kl, j], width[kw, j]))
            b0, a0, d0 = _fold(b0, a0, d0, dist[k, j], j)
        lead[k], lead_gap[k], lead_closing[k] = who, lg, lc
        at[0, k], at[1, k], at[2, k], at[3, k] = a0, a1, a2, a3
        low[0, k], low[1, k], low[2, k], low[3, k] = b0, b1, b2, b3
    return dist, ttc, at, low, lead, lead_gap, lead_closing
