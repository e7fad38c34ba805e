"""Where each actor window lies in a lidar pattern, scalar by scalar (numba).

``lidar_actors.candidate_pairs`` turns each box's azimuth × elevation window
(``lidar_kernels.box_windows``) into the pattern's rings × columns (a
spinning head's grid) or azimuth-sorted places (any pattern), then into
cast-buffer rows (``lidar_kernels.grid_pairs``, ``window_pairs``).  As numpy
those lookups were a dozen calls on arrays of twenty boxes, which cost more
than a small sweep's pair list; here they are one call each, with the
arithmetic of ``lidar_actors.candidate_pairs_numpy`` (the reference they are
tested against).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def grid_blocks(lo, hi, el_lo, el_hi, elevations, azimuth0, step, columns, full_circle):
    """(r0, r1, first, last) of ``grid_pairs`` for the windows [lo, hi] × [el_lo, el_hi]: each window's
    rings and columns (column c points at azimuth0 − c·step), one more on each side."""
    m = len(lo)
    channels = len(elevations)
    two_pi = 2 * np.pi
    ns = 1 if full_circle else 3
    r0 = np.empty(m, dtype=np.int64)
    r1 = np.empty(m, dtype=np.int64)
    first = np.empty((m, ns), dtype=np.int64)
    last = np.empty((m, ns), dtype=np.int64)
    for k in range(m):
        r0[k] = max(np.searchsorted(elevations, el_lo[k], side="left") - 1, 0)
        r1[k] = min(np.searchsorted(elevations, el_hi[k], side="right") + 1, channels) if el_lo[k] <= el_hi[k] else 0
        whole = (hi[k] - lo[k]) >= two_pi
        for s in range(ns):
            shift = 0.0 if full_circle else (s - 1) * two_pi          # the window and its copies at ∓2π
            if whole:
                first[k, s] = 0
                last[k, s] = columns - 1
            else:
                first[k, s] = np.int64(np.floor((azimuth0 - (hi[k] + shift)) / step)) - 1
                last[k, s] = np.int64(np.ceil((azimuth0 - (lo[k] + shift)) / step)) + 1
    return r0, r1, first, last


@njit(cache=True, nogil=True)
def azimuth_spans(lo, hi, sorted_azimuth):
    """(i0, i1, j1) of ``window_pairs`` for the azimuth windows [lo, hi]: the window start wrapped into
    [−π, π), its end unclamped (float32 directions put the rear at ±3.14159274, just past ±π), the
    part past +π looked up again; the arithmetic of ``lidar_actors.candidate_pairs_numpy``."""
    m = len(lo)
    two_pi = 2 * np.pi
    i0 = np.empty(m, dtype=np.int64)
    i1 = np.empty(m, dtype=np.int64)
    j1 = np.empty(m, dtype=np.int64)
    for k in range(m):
        if (hi[k] - lo[k]) >= two_pi:
            i0[k], i1[k], j1[k] = 0, len(sorted_azimuth), 0
            continue
        a = (lo[k] + np.pi) % two_pi - np.pi
        b = a + (hi[k] - lo[k])
        i0[k] = np.searchsorted(sorted_azimuth, a, side="left")
        i1[k] = np.searchsorted(sorted_azimuth, b, side="right")
        j1[k] = np.searchsorted(sorted_azimuth, b - two_pi, side="right") if b > np.pi else 0
    return i0, i1, j1
