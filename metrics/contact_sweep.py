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
pair kept goes through that same test and the same ``boxes_touch`` call with
i < j.  An entity whose x is NaN fails the disc test with anyone and is left
out of the sweep; NaN radii fail it on their own and are no bound (an
infinite one turns the pruning off).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from metrics.kernels import boxes_touch


@njit(cache=True)
def _sort_by_x(order, n, xs):
    """Insertion sort of ``order[:n]`` by ``xs`` (the previous step's order: nearly sorted)."""
    for a in range(1, n):
        v = order[a]
        key = xs[v]
        b = a - 1
        while b >= 0 and xs[order[b]] > key:
            order[b + 1] = order[b]
            b -= 1
        order[b + 1] = v


@njit(cache=True)
def _contact_sweep(cx, cy, radius, corners, out):
    """``kernels._contact_pass`` by sweep and prune: the count of pairs in contact, written to
    ``out`` (step, i, j) while it has room."""
    T, N = cx.shape
    n = 0
    order = np.arange(N)
    kept = np.empty(N, dtype=np.int64)
    hits = np.empty(max(1, N * (N - 1) // 2), dtype=np.int64)
    for k in range(T):
        xs = cx[k]
        m, w = 0, N
        rmax = -np.inf
        for a in range(N):           # the previous order, NaN x moved to the end (they are not swept)
            v = order[a]
            r = abs(radius[k, v])
            if r > rmax:
                rmax = r
            if xs[v] == xs[v]:
                kept[m] = v
                m += 1
            else:
                w -= 1
                kept[w] = v
        order, kept = kept, order
        _sort_by_x(order, m, xs)
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
                rr = radius[k, i] + radius[k, j]
                if dx * dx + dy * dy <= rr * rr:
                    if boxes_touch(corners, k, i, j):
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


def block_contacts_sweep(cx, cy, radius, corners) -> np.ndarray:
    """``kernels.block_contacts`` (same pairs, same order) by sweep and prune along x."""
    out = np.empty((max(64, 2 * cx.shape[0]), 3), dtype=np.int64)
    n = _contact_sweep(cx, cy, radius, corners, out)
    if n > len(out):
        out = np.empty((n, 3), dtype=np.int64)
        _contact_sweep(cx, cy, radius, corners, out)
    return out[:n]
