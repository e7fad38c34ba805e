"""A block's geometry, box contacts and ego pairs in one pass over its steps (numba).

Why: ``centre_kernel.state_geometry``, ``contact_sweep._sweep_boxes`` and
``ego_pass.ego_pass`` each walk the whole block, and the block's stacked state
(T, rows, N) was written by the engine some 9 s of simulation earlier: read
step after step, out of the cache.  Run one after another, each pass finds
its inputs gone again (the geometry rows of ~1,000 steps no longer fit the
cache when the next pass starts).  Here step k's state is read once, its
geometry row is made and, while it is in the cache, its pairs are swept and
the ego measured against every entity (issue #7).

Exact: each step's work is the three kernels' own, every float operation and
comparison in their order (the helpers below are copies of theirs: numba's
cache tracks a kernel's own file only), so the results are the same bit for
bit (``tests/metrics/test_metrics_s7_fused_pass.py``).  Sources as those
modules: separating axis theorem (Gottschalk, Lin & Manocha 1996; Ericson,
*Real-Time Collision Detection* §4.4, §5.1.9), sweep and prune (Baraff 1992;
Ericson §7.5), time to collision at constant velocity (Hayward 1972).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

AHEAD = 4
"""Steps ahead whose state rows (and result rows) the pass asks the cache for (``_prefetch``)."""


def _prefetcher(write: int):
    """``centre_kernel._prefetcher``: an intrinsic ``(array, index tuple) -> None`` that asks the
    cache for the line of ``array[index]`` (``llvm.prefetch``); changes no value, cannot fault."""

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
_prefetch_write = _prefetcher(1)


@njit(cache=True)
def _corners(cx, cy, c, s, length, width):
    """``ego_pass.box_corners`` / ``contact_sweep._corners``."""
    hl, hw = length / 2, width / 2
    lx0, ly0 = 1.0 * hl, 1.0 * hw
    lx1, ly1 = -1.0 * hl, 1.0 * hw
    lx2, ly2 = -1.0 * hl, -1.0 * hw
    lx3, ly3 = 1.0 * hl, -1.0 * hw
    return (cx + c * lx0 - s * ly0, cy + s * lx0 + c * ly0,
            cx + c * lx1 - s * ly1, cy + s * lx1 + c * ly1,
            cx + c * lx2 - s * ly2, cy + s * lx2 + c * ly2,
            cx + c * lx3 - s * ly3, cy + s * lx3 + c * ly3)


@njit(cache=True)
def _separated_on(a, b, ax, ay):
    """``ego_pass._separated_on``."""
    amin, amax, bmin, bmax = np.inf, -np.inf, np.inf, -np.inf
    for m in range(4):
        pa = a[2 * m] * ax + a[2 * m + 1] * ay
        pb = b[2 * m] * ax + b[2 * m + 1] * ay
        amin, amax = min(amin, pa), max(amax, pa)
        bmin, bmax = min(bmin, pb), max(bmax, pb)
    return amax < bmin or bmax < amin


@njit(cache=True)
def _touch(a, b):
    """``ego_pass.boxes_touch`` / ``contact_sweep._touch``."""
    for q in range(2):
        box = a if q == 0 else b
        for e in range(2):
            if _separated_on(a, b, box[2 * e] - box[2 * e + 2], box[2 * e + 1] - box[2 * e + 3]):
                return False
    return True


@njit(cache=True)
def _vertex_edge_sq(p, q):
    """``ego_pass._vertex_edge_sq``."""
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


@njit(cache=True)
def _box_distance(a, b):
    """``ego_pass.box_distance``."""
    if _touch(a, b):
        return 0.0
    return math.sqrt(min(_vertex_edge_sq(a, b), _vertex_edge_sq(b, a)))


@njit(cache=True)
def _fold(best, at, done, v, j):
    """``ego_pass._fold``: one more entry of a row for ``np.argmin``."""
    if done:
        return best, at, done
    if j == 0:
        return v, 0, v != v
    if v != v:
        return v, j, True
    if v < best:
        return v, j, False
    return best, at, False


_MARGIN = 1e-4   # ``contact_sweep._MARGIN``


@njit(cache=True)
def _decided(xi, yi, ci, si, li, wi, xj, yj, cj, sj, lj, wj):
    """``contact_sweep._decided``: 1 touch, 0 apart, −1 where ``_touch`` must decide."""
    total = xi + yi + ci + si + li + wi + xj + yj + cj + sj + lj + wj
    if total - total != 0.0:
        return -1
    hli, hwi, hlj, hwj = li / 2, wi / 2, lj / 2, wj / 2
    scale = max(max(abs(xi), abs(yi)), max(abs(xj), abs(yj)))
    if not (scale <= 1e5 and min(min(hli, hwi), min(hlj, hwj)) >= 0.05 and max(max(hli, hwi), max(hlj, hwj)) <= 100.0
            and abs(ci * ci + si * si - 1.0) <= 1e-12 and abs(cj * cj + sj * sj - 1.0) <= 1e-12):
        return -1
    dx, dy = xj - xi, yj - yi
    close = False
    for q in range(4):
        if q == 0:
            ux, uy = ci, si
        elif q == 1:
            ux, uy = -si, ci
        elif q == 2:
            ux, uy = cj, sj
        else:
            ux, uy = -sj, cj
        ri = hli * abs(ci * ux + si * uy) + hwi * abs(ci * uy - si * ux)
        rj = hlj * abs(cj * ux + sj * uy) + hwj * abs(cj * uy - sj * ux)
        gap = abs(dx * ux + dy * uy) - ri - rj
        if gap > _MARGIN:
            return 0
        if gap >= -_MARGIN:
            close = True
    return -1 if close else 1


@njit(cache=True)
def step_pass(kin, bits, rx, ry, rh, rvx, rvy, bx, by, length, width, radius, e, near_range, horizon):
    """``state_geometry``, ``_sweep_boxes`` and ``ego_pass`` step by step in one loop.

    ``kin`` (T, rows, N) the stacked state (x, y, heading, vx, vy at rows ``rx`` … ``rvy``),
    ``bits`` the same memory as int64; ``bx``, ``by``, ``length``, ``width``, ``radius`` (T, N) or
    (1, N); ``e`` the ego's column (≥ 0).  Returns (cx, cy, cos, sin) as ``state_geometry``, the
    contacts (n, 3) as ``contact_sweep.block_contacts_boxes`` and the seven arrays of ``ego_pass``."""
    T, N = kin.shape[0], kin.shape[2]
    inf = np.inf
    cx, cy = np.empty((T, N)), np.empty((T, N))
    cos_h, sin_h = np.empty((T, N)), np.empty((T, N))
    step_x, step_y = bx.shape[0] > 1, by.shape[0] > 1
    step_r, step_l, step_w = radius.shape[0] > 1, length.shape[0] > 1, width.shape[0] > 1
    # the sweep's state (``_sweep_boxes``)
    found = np.empty((max(64, 2 * T), 3), dtype=np.int64)
    n = 0
    order = np.arange(N)
    kept = np.empty(N, dtype=np.int64)
    hits = np.empty(max(1, N * (N - 1) // 2), dtype=np.int64)
    # the ego pass's results (``ego_pass``)
    dist = np.empty((T, N))
    ttc = np.empty((T, N))
    at = np.zeros((4, T), dtype=np.int64)
    low = np.empty((4, T))
    lead = np.full(T, -1, dtype=np.int64)
    lead_gap = np.full(T, np.inf)
    lead_closing = np.zeros(T)
    for k in range(T):
        if k + AHEAD < T and N > 0:   # a step ahead: its state rows and result rows, 8 floats a line
            for i in range(0, N + 7, 8):
                j = min(i, N - 1)
                _prefetch(kin, (k + AHEAD, rx, j))
                _prefetch(kin, (k + AHEAD, ry, j))
                _prefetch(kin, (k + AHEAD, rh, j))
                _prefetch(kin, (k + AHEAD, rvx, j))
                _prefetch(kin, (k + AHEAD, rvy, j))
                _prefetch_write(cx, (k + AHEAD, j))
                _prefetch_write(cy, (k + AHEAD, j))
                _prefetch_write(cos_h, (k + AHEAD, j))
                _prefetch_write(sin_h, (k + AHEAD, j))
                _prefetch_write(dist, (k + AHEAD, j))
                _prefetch_write(ttc, (k + AHEAD, j))
        kr, kl, kw = (k if step_r else 0), (k if step_l else 0), (k if step_w else 0)
        # ---- geometry (``centre_kernel.state_geometry``)
        kx, ky = (k if step_x else 0), (k if step_y else 0)
        for i in range(N):
            if k > 0 and bits[k, rh, i] == bits[k - 1, rh, i]:
                c, s = cos_h[k - 1, i], sin_h[k - 1, i]
            else:
                h = kin[k, rh, i]
                c, s = math.cos(h), math.sin(h)
            cos_h[k, i], sin_h[k, i] = c, s
            gu, gv = bx[kx, i], by[ky, i]
            cx[k, i] = kin[k, rx, i] + c * gu - s * gv
            cy[k, i] = kin[k, ry, i] + s * gu + c * gv
        # ---- contacts (``contact_sweep._sweep_boxes``)
        xs = cx[k]
        m, w = 0, N
        rmax = -np.inf
        for a in range(N):
            ov = order[a]
            r = abs(radius[kr, ov])
            if r > rmax:
                rmax = r
            if xs[ov] == xs[ov]:
                kept[m] = ov
                m += 1
            else:
                w -= 1
                kept[w] = ov
        order, kept = kept, order
        for a in range(1, m):
            ov = order[a]
            key = xs[ov]
            b = a - 1
            while b >= 0 and xs[order[b]] > key:
                order[b + 1] = order[b]
                b -= 1
            order[b + 1] = ov
        bound = rmax + rmax
        bb = bound * bound
        hc = 0
        for a in range(m):
            p = order[a]
            for b in range(a + 1, m):
                q = order[b]
                i, j = (p, q) if p < q else (q, p)
                dx = cx[k, i] - cx[k, j]
                if dx * dx > bb:
                    break
                dy = cy[k, i] - cy[k, j]
                rr = radius[kr, i] + radius[kr, j]
                if dx * dx + dy * dy <= rr * rr:
                    touch = _decided(cx[k, i], cy[k, i], cos_h[k, i], sin_h[k, i], length[kl, i], width[kw, i],
                                     cx[k, j], cy[k, j], cos_h[k, j], sin_h[k, j], length[kl, j], width[kw, j])
                    if touch < 0:
                        touch = _touch(_corners(cx[k, i], cy[k, i], cos_h[k, i], sin_h[k, i], length[kl, i], width[kw, i]),
                                       _corners(cx[k, j], cy[k, j], cos_h[k, j], sin_h[k, j], length[kl, j], width[kw, j]))
                    if touch:
                        hits[hc] = i * N + j
                        hc += 1
        for a in range(1, hc):
            ov = hits[a]
            b = a - 1
            while b >= 0 and hits[b] > ov:
                hits[b + 1] = hits[b]
                b -= 1
            hits[b + 1] = ov
        if n + hc > found.shape[0]:   # more contacts than room: a larger array, the rows so far copied
            grown = np.empty((max(2 * found.shape[0], n + hc), 3), dtype=np.int64)
            grown[:n] = found[:n]
            found = grown
        for a in range(hc):
            found[n, 0] = k
            found[n, 1] = hits[a] // N
            found[n, 2] = hits[a] % N
            n += 1
        # ---- the ego against every entity (``ego_pass.ego_pass``)
        ch, sh = cos_h[k, e], sin_h[k, e]
        ex, ey, evx, evy = cx[k, e], cy[k, e], kin[k, rvx, e], kin[k, rvy, e]
        half_le, half_we = length[kl, e] / 2, width[kw, e] / 2
        nearest = inf
        b1, a1, d1 = inf, 0, False
        b2, a2, d2 = inf, 0, False
        b3, a3, d3 = inf, 0, False
        best, who, lg, lc = inf, -1, inf, 0.0
        for j in range(N):
            if j == e:
                dist[k, j] = inf
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
            if path and cl > 0 and g > 0:
                t1 = g / cl
            ttc[k, j] = t1
            if path and g < best:
                best, who, lg, lc = g, j, g, cl
            rs = radius[kr, e] + radius[kr, j]
            centre = math.hypot(dx, dy)
            nearest = min(nearest, centre)
            dist[k, j] = max(centre - rs, 0.0)
            t2, ms = inf, inf
            aa = rel_vx * rel_vx + rel_vy * rel_vy
            pv = rel_x * rel_vx + rel_y * rel_vy
            bq = 2 * pv
            cq = rel_x * rel_x + rel_y * rel_y - rs * rs
            disc = bq * bq - 4 * aa * cq
            apart = pv > 0
            if cq <= 0:
                t2 = 0.0
            elif aa > 1e-12 and disc >= 0 and not (pv > 1e-250 and aa < 1e50):
                root = (-bq - math.sqrt(max(disc, 0.0))) / (2 * aa)
                if root >= 0:
                    t2 = root
            if aa > 1e-12 and not apart:
                t_star = -pv / aa
                if t_star > 0 and t_star <= horizon:
                    u, v = rel_x + rel_vx * t_star, rel_y + rel_vy * t_star
                    if d3 or j == 0 or u != u or v != v or (abs(u) < b3 and abs(v) < b3):
                        ms = math.hypot(u, v)
                    else:
                        ms = b3
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
                    ego_box = _corners(ex, ey, ch, sh, length[kl, e], width[kw, e])
                    boxed = True
                dist[k, j] = _box_distance(ego_box, _corners(cx[k, j], cy[k, j], cos_h[k, j], sin_h[k, j],
                                                             length[kl, j], width[kw, j]))
            b0, a0, d0 = _fold(b0, a0, d0, dist[k, j], j)
        lead[k], lead_gap[k], lead_closing[k] = who, lg, lc
        at[0, k], at[1, k], at[2, k], at[3, k] = a0, a1, a2, a3
        low[0, k], low[1, k], low[2, k], low[3, k] = b0, b1, b2, b3
    return cx, cy, cos_h, sin_h, found[:n], dist, ttc, at, low, lead, lead_gap, lead_closing
