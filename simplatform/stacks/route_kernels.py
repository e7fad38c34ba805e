"""Compiled Frenet projection onto a window of the route polyline (:class:`.route.RoutePath`).

Why: the planner projects the ego against ±150 m of route (≈ 150 segments of a 2 m lane-centre
sampling) every cycle, the scene projects its objects against ±250 m, and the controller projects
the ego every step; the whole-array numpy path spends ~20 µs per call in a dozen small array
operations, a Python loop ~0.4 µs per segment.  These loops evaluate, per segment, the very
expressions of ``RoutePath._project_arrays`` (the numpy reference, kept beside it) in the same
order — only ``+ - *``, ``min``/``max`` and comparisons, no transcendental function, and numba
without fastmath neither reassociates nor contracts into FMAs — so the results are bit for bit
the same (``tests/stacks/test_stacks_kernels.py``).  Ties and NaN follow ``numpy.argmin``: the
first smallest squared distance wins, a NaN wins over every number.

The route's per-segment columns travel as one (7, K) table (``ROWS``), so a call pays numba's
argument dispatch for a single array.  numba's cache notices a change of this file only, so the
kernels stay here alone.
"""

from __future__ import annotations

import time

import numba
import numpy as np

ROWS = ("x", "y", "tangent_x", "tangent_y", "length", "s_start", "heading")
"""Rows of the segment table: start point, unit tangent, length, arc length at the start, heading."""


@numba.njit(cache=True, nogil=True, inline="always")
def _foot(x, y, table, k):
    """(along, clamped along, squared distance) of (x, y) against segment ``k``, in the array path's
    order: along = (x - ax)·tx + (y - ay)·ty, u = min(max(along, 0), length)."""
    tx = table[2, k]
    ty = table[3, k]
    along = (x - table[0, k]) * tx + (y - table[1, k]) * ty
    u = 0.0 if along < 0.0 else along          # numpy.maximum(along, 0.0) (a NaN stays NaN)
    length = table[4, k]
    u = length if u > length else u            # numpy.minimum(u, length)
    dx = x - (table[0, k] + u * tx)
    dy = y - (table[1, k] + u * ty)
    return along, u, dx * dx + dy * dy


@numba.njit(cache=True, nogil=True, inline="always")
def _project_one(x, y, table, lo, hi):
    """(s, d, heading) of one point against segments [lo, hi) of ``table``."""
    best_k = lo
    best_along, best_u, best = _foot(x, y, table, lo)
    if best == best:                           # numpy.argmin: the first NaN wins outright
        for k in range(lo + 1, hi):
            along, u, dist2 = _foot(x, y, table, k)
            if dist2 < best or dist2 != dist2:
                best_k, best_along, best_u, best = k, along, u, dist2
                if dist2 != dist2:
                    break
    last = table.shape[1] - 1
    if (best_k == 0 and best_along < 0.0) or (best_k == last and best_along > table[4, last]):
        best_u = best_along                    # beyond the ends the frame extends straight
    tx = table[2, best_k]
    ty = table[3, best_k]
    d = tx * (y - table[1, best_k]) - ty * (x - table[0, best_k])
    return table[5, best_k] + best_u, d, table[6, best_k]


@numba.njit(cache=True, nogil=True, inline="always")
def _bisect_left(table, value):
    """``bisect.bisect_left`` on the segments' start arc lengths (row 5): CPython's loop, so a NaN
    ``value`` gives 0 as it does there.  Past the last start it answers K where bisecting the full
    arc-length list may answer K + 1; ``_window`` clamps both to the same window."""
    lo = 0
    hi = table.shape[1]
    while lo < hi:
        mid = (lo + hi) // 2
        if table[5, mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(cache=True, nogil=True, inline="always")
def _window(table, s_hint, window, hinted):
    """``RoutePath._window``: segments [lo, hi) within ``window`` of ``s_hint`` (all when not hinted)."""
    n_seg = table.shape[1]
    if not hinted:
        return 0, n_seg
    lo = min(max(0, _bisect_left(table, s_hint - window) - 1), n_seg - 1)
    hi = max(min(n_seg, _bisect_left(table, s_hint + window) + 1), lo + 1)
    return lo, hi


@numba.njit(cache=True, nogil=True)
def project_point_kernel(x, y, table, s_hint, window, hinted):
    """``RoutePath.project_point`` of (x, y): (s, d, heading)."""
    lo, hi = _window(table, s_hint, window, hinted)
    return _project_one(x, y, table, lo, hi)


@numba.njit(cache=True, nogil=True)
def project_kernel(xy, table, s_hint, window, hinted, out):
    """``RoutePath.project`` of the (N, 2) points ``xy``: rows s, d, heading of the (3, N) ``out``."""
    lo, hi = _window(table, s_hint, window, hinted)
    for i in range(xy.shape[0]):
        s, d, heading = _project_one(xy[i, 0], xy[i, 1], table, lo, hi)
        out[0, i] = s
        out[1, i] = d
        out[2, i] = heading


def segment_table(points: np.ndarray, tangent: np.ndarray, seg_len: np.ndarray, cumulative: np.ndarray,
                  seg_heading: np.ndarray) -> np.ndarray:
    """The (7, K) contiguous table the kernels read (rows as in :data:`ROWS`)."""
    return np.ascontiguousarray(np.stack([points[:-1, 0], points[:-1, 1], tangent[:, 0], tangent[:, 1], seg_len,
                                          cumulative[:-1], seg_heading]), dtype=np.float64)


def warm_up() -> float:
    """Compile (or load from the cache) both kernels for the argument types the route uses; seconds taken."""
    start = time.perf_counter()
    pts = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 1.0]])
    seg = np.diff(pts, axis=0)
    length = np.hypot(seg[:, 0], seg[:, 1])
    tangent = seg / length[:, None]
    table = segment_table(pts, tangent, length, np.concatenate([[0.0], np.cumsum(length)]),
                          np.arctan2(tangent[:, 1], tangent[:, 0]))
    project_point_kernel(0.5, 0.2, table, 0.0, 150.0, True)
    project_kernel(np.zeros((1, 2)), table, 0.0, 150.0, False, np.empty((3, 1)))
    return time.perf_counter() - start
