"""Compiled zone tests of the conflict-zone (PET) metric (numba).

Why compiled: a zone group is looked at only in blocks where some box centre
comes within its bounding disc (``metrics.pet``); asked with numpy, that test
is five passes over the block's (steps × entities) centres even in the usual
block where nobody is near, and it stops at the first centre inside here.
The float operations are numpy's: (cx − x0)², (cy − y0)², their sum compared
with r² (no fused multiply-add: ``fastmath`` off), so the answer is the same.

The overlap of every box with a zone is likewise one pass over the block's
cells instead of a dozen (steps × entities) arrays and three einsums per
zone: the projections are einsum's two products and their sum (commutative,
exact; einsum is built for numpy's x86-64 baseline, which has no fused
multiply-add), and each decision is one of numpy's comparisons of them, so
the cells in a zone come out the same (``tests/metrics/test_metrics_s4_road_kernels.py``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def any_within(cx, cy, x0, y0, r2):
    """Whether any (cx, cy) satisfies (cx − x0)² + (cy − y0)² ≤ r2 (NaN never does)."""
    for i in range(cx.shape[0]):
        for j in range(cx.shape[1]):
            dx = cx[i, j] - x0
            dy = cy[i, j] - y0
            if dx * dx + dy * dy <= r2:
                return True
    return False


@njit(cache=True)
def _projection_range(px, py, nx, ny, count):
    """(min, max) of p·n over the first ``count`` points, NaN for both when one product sum is NaN
    (``np.min``/``np.max``); p·n = px·nx + py·ny, einsum's two products and one sum."""
    lo, hi = math.inf, -math.inf
    for c in range(count):
        v = px[c] * nx + py[c] * ny
        if v != v:
            return math.nan, math.nan
        lo = min(lo, v)
        hi = max(hi, v)
    return lo, hi


@njit(cache=True)
def zone_overlap(corners, bounds, normals, extent, vertices):
    """(T, N) whether each box of ``corners`` (T, N, 4, 2) overlaps a convex zone polygon: the
    axis-aligned bounds first (a NaN corner: not near, as numpy's NaN extremes compare), then the
    separating axis theorem on the zone's edge normals (``extent``: the polygon's (min, max) along
    each) and the box's two edge directions, ``metrics.pet._overlap_numpy``'s test cell by cell."""
    T, N = corners.shape[0], corners.shape[1]
    K, V = normals.shape[0], vertices.shape[0]
    inside = np.zeros((T, N), dtype=np.bool_)
    bx, by = np.empty(4), np.empty(4)
    vx, vy = np.ascontiguousarray(vertices[:, 0]), np.ascontiguousarray(vertices[:, 1])
    for t in range(T):
        for i in range(N):
            x_lo, x_hi, y_lo, y_hi = math.inf, -math.inf, math.inf, -math.inf
            finite = True
            for c in range(4):
                x, y = corners[t, i, c, 0], corners[t, i, c, 1]
                if x != x or y != y:
                    finite = False
                    break
                bx[c], by[c] = x, y
                x_lo, x_hi = min(x_lo, x), max(x_hi, x)
                y_lo, y_hi = min(y_lo, y), max(y_hi, y)
            if not finite or not (x_hi >= bounds[0, 0] and x_lo <= bounds[1, 0]
                                  and y_hi >= bounds[0, 1] and y_lo <= bounds[1, 1]):
                continue
            apart = False
            for k in range(K):
                lo, hi = _projection_range(bx, by, normals[k, 0], normals[k, 1], 4)
                if hi < extent[0, k] or lo > extent[1, k]:
                    apart = True
                    break
            if not apart:
                for a in range(2):
                    ax, ay = bx[a] - bx[a + 1], by[a] - by[a + 1]
                    p_lo, p_hi = _projection_range(vx, vy, ax, ay, V)
                    b_lo, b_hi = _projection_range(bx, by, ax, ay, 4)
                    if p_hi < b_lo or b_hi < p_lo:
                        apart = True
                        break
            inside[t, i] = not apart
    return inside
