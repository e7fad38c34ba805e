"""Pairs of boxes in contact over a block, by sort and sweep along x (numba).

Why: ``kernels._contact_pass`` puts every pair of every step through the disc
test, N(N−1)/2 pairs a step (190 with 20 actors), though traffic spreads along
the road and only a few pairs are ever close.  Sorting the entities by centre
x each step (insertion sort from the previous step's order: almost sorted
already, so about N comparisons) and sweeping each one only over those within
the largest possible disc sum of it along x leaves the few close pairs (sweep
and prune: Baraff 1992, ch. 7; Ericson, *Real-Time Collision Detection* §7.5).

Exact: the same pairs come out, in the same order ((step, i, j), i < j, i then
j ascending), as ``_contact_pass``.  A pair is left out only when
``fl(dx·dx) > fl(B·B)`` with ``B = fl(r_max + r_max)``, r_max the largest |radius| of
the step: every disc sum has ``|rr| = |fl(r_i + r_j)| ≤ B`` (rounding is monotone), so ``fl(rr·rr) ≤ fl(B·B) <
fl(dx·dx) ≤ fl(fl(dx·dx) + fl(dy·dy))`` and ``_contact_pass``'s test
``dx·dx + dy·dy <= rr·rr`` fails for it too; along the sorted order ``|dx| =
fl(x_j − x_i)`` only grows, so the sweep stops at the first such pair.  Every
pair kept goes through that same test and the separating-axis test of
``kernels.boxes_touch`` (``_touch``, on corner tuples) with i < j.  An entity whose x is NaN fails the disc test with anyone and is left
out of the sweep; NaN radii fail it on their own and are no bound (an
infinite one turns the pruning off).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def _corners(cx, cy, c, s, length, width):
    """(x0, y0, …, x3, y3): front-left, rear-left, rear-right, front-right (``kernels.block_corners``)."""
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
    """``kernels._separated_on`` for two corner tuples."""
    amin, amax, bmin, bmax = np.inf, -np.inf, np.inf, -np.inf
    for m in range(4):
        pa = a[2 * m] * ax + a[2 * m + 1] * ay
        pb = b[2 * m] * ax + b[2 * m + 1] * ay
        amin, amax = min(amin, pa), max(amax, pa)
        bmin, bmax = min(bmin, pb), max(bmax, pb)
    return amax < bmin or bmax < amin


@njit(cache=True)
def _touch(a, b):
    """``kernels.boxes_touch`` for two corner tuples."""
    for q in range(2):
        box = a if q == 0 else b
        for e in range(2):
            if _separated_on(a, b, box[2 * e] - box[2 * e + 2], box[2 * e + 1] - box[2 * e + 3]):
                return False
    return True


_MARGIN = 1e-4   # m: ``_decided`` leaves to ``_touch`` every axis whose gap is within this of 0


@njit(cache=True)
def _decided(xi, yi, ci, si, li, wi, xj, yj, cj, sj, lj, wj):
    """1 where the boxes touch, 0 where they do not, −1 where ``_touch`` must decide.

    The separating-axis test from the centres (Gottschalk et al. 1996): on each of the four edge
    directions u, the gap |(c_j − c_i)·u| − r_i(u) − r_j(u), r the box's half extent along u.
    It is the exact geometry of ``_touch``'s test (whose axes are corner differences along the
    same directions), so where every gap is clear of 0 by ``_MARGIN`` both decide alike: under
    the bounds checked here (|coordinates| ≤ 1e5 m, half sizes 0.05–100 m, (cos, sin) of unit
    length) the rounding of either computation moves a gap by less than 1e-6 m (``_touch``'s
    corner-difference axes point within ~1e-9 rad of the exact ones, over distances below
    1 km).  Outside the bounds, NaN included, and within the margin: −1."""
    total = xi + yi + ci + si + li + wi + xj + yj + cj + sj + lj + wj
    if total - total != 0.0:   # a NaN or an infinity among them (min/max below may drop a NaN)
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
def _sweep_boxes(cx, cy, radius, cos_h, sin_h, length, width, out):
    """``_contact_sweep`` with corners computed per candidate pair; ``radius``, ``length`` and
    ``width`` are (T, N) or (1, N)."""
    T, N = cx.shape
    n = 0
    order = np.arange(N)
    kept = np.empty(N, dtype=np.int64)
    hits = np.empty(max(1, N * (N - 1) // 2), dtype=np.int64)
    step_r, step_l, step_w = radius.shape[0] > 1, length.shape[0] > 1, width.shape[0] > 1
    for k in range(T):
        kr, kl, kw = (k if step_r else 0), (k if step_l else 0), (k if step_w else 0)
        xs = cx[k]
        m, w = 0, N
        rmax = -np.inf
        for a in range(N):           # the previous order, NaN x moved to the end (they are not swept)
            v = order[a]
            r = abs(radius[kr, v])
            if r > rmax:
                rmax = r
            if xs[v] == xs[v]:
                kept[m] = v
                m += 1
            else:
                w -= 1
                kept[w] = v
        order, kept = kept, order
        for a in range(1, m):        # insertion sort by x from the previous step's order
            v = order[a]
            key = xs[v]
            b = a - 1
            while b >= 0 and xs[order[b]] > key:
                order[b + 1] = order[b]
                b -= 1
            order[b + 1] = v
        bound = rmax + rmax
        bb = bound * bound
        h = 0
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
                        hits[h] = i * N + j
                        h += 1
        for a in range(1, h):        # i then j ascending, as the all-pairs loop finds them
            v = hits[a]
            b = a - 1
            while b >= 0 and hits[b] > v:
                hits[b + 1] = hits[b]
                b -= 1
            hits[b + 1] = v
        for a in range(h):
            if n < out.shape[0]:
                out[n, 0] = k
                out[n, 1] = hits[a] // N
                out[n, 2] = hits[a] % N
            n += 1
    return n


def block_contacts_boxes(cx, cy, radius, cos_h, sin_h, length, width) -> np.ndarray:
    """``kernels.block_contacts`` (same pairs, same order) by sweep and prune along x, from the box
    rows: ``radius``, ``length``, ``width`` (T, N) or (1, N) for every step."""
    out = np.empty((max(64, 2 * cx.shape[0]), 3), dtype=np.int64)
    n = _sweep_boxes(cx, cy, radius, cos_h, sin_h, length, width, out)
    if n > len(out):
        out = np.empty((n, 3), dtype=np.int64)
        _sweep_boxes(cx, cy, radius, cos_h, sin_h, length, width, out)
    return out[:n]
