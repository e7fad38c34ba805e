"""Compiled all-pairs box overlap for the per-step collision check.

Why: a test run asks for collisions every step (the metrics and
CollisionConditions need the pairs in contact), and with twenty vehicles on a
road the bounding-circle broad phase always lets a few side-by-side pairs
through; the numpy separating-axis test then costs ~100 µs per step in small
array operations, more than the rest of the engine step.  This loop does the
same broad phase, height test and SAT (Gottschalk et al. 1996, in 2-D) per
pair in a few hundred nanoseconds, with the same arithmetic per corner and
projection as :func:`simplatform.engine.collision.obb_overlap`.
numba's cache notices a change of this file only, so the kernel stays here alone.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def overlapping_pairs_kernel(cx, cy, heading, length, width, out):
    """Write the (i, j), i < j, pairs in contact into ``out`` (rows in row-major pair order,
    as numpy.nonzero of the upper triangle gives them); returns how many."""
    n = cx.shape[0]
    count = 0
    for i in range(n):
        for j in range(i + 1, n):
            if not _in_contact(cx, cy, heading, length, width, i, j):
                continue
            out[count, 0] = i
            out[count, 1] = j
            count += 1
    return count


@numba.njit(cache=True, nogil=True)
def table_pairs_kernel(x, y, heading, center_x, center_y, length, width, active, out):
    """:func:`overlapping_pairs_kernel` on the entity table's columns: the active rows only (pairs
    in table row numbers, in the order the kernel gives them on the gathered active rows), box
    centres from the reference points as ``EntityTable.bbox_centers`` computes them (same
    operations in the same order; numba's cos/sin are the libm's, as numpy's are here).  One
    compiled call instead of ~10 small array operations, a gather and the kernel: the engine asks
    for collisions every step of a test run."""
    n = x.shape[0]
    cx = np.empty(n)
    cy = np.empty(n)
    for i in range(n):
        c, s = math.cos(heading[i]), math.sin(heading[i])
        cx[i] = x[i] + c * center_x[i] - s * center_y[i]
        cy[i] = y[i] + s * center_x[i] + c * center_y[i]
    count = 0
    for i in range(n):
        if not active[i]:
            continue
        for j in range(i + 1, n):
            if not active[j] or not _in_contact(cx, cy, heading, length, width, i, j):
                continue
            out[count, 0] = i
            out[count, 1] = j
            count += 1
    return count


@numba.njit(cache=True, nogil=True, inline="always")
def _in_contact(cx, cy, heading, length, width, i, j) -> bool:
    """Boxes i and j overlap: their bounding discs meet (NaN poses are near nothing), then no
    separating axis.  One rule for both pair kernels."""
    ri = 0.5 * math.hypot(length[i], width[i])
    rj = 0.5 * math.hypot(length[j], width[j])
    dx = cx[i] - cx[j]
    dy = cy[i] - cy[j]
    if not (dx * dx + dy * dy <= (ri + rj) ** 2):
        return False
    return not _separated(cx[i], cy[i], heading[i], length[i], width[i],
                          cx[j], cy[j], heading[j], length[j], width[j])


@numba.njit(cache=True, nogil=True, inline="always")
def _separated(ax, ay, ah, al, aw, bx, by, bh, bl, bw) -> bool:
    ca = np.empty((4, 2))
    cb = np.empty((4, 2))
    _corners(ax, ay, ah, al, aw, ca)
    _corners(bx, by, bh, bl, bw, cb)
    axes = ((math.cos(ah), math.sin(ah)), (-math.sin(ah), math.cos(ah)),
            (math.cos(bh), math.sin(bh)), (-math.sin(bh), math.cos(bh)))
    for ux, uy in axes:
        amin = bmin = math.inf
        amax = bmax = -math.inf
        for k in range(4):
            pa = ca[k, 0] * ux + ca[k, 1] * uy
            pb = cb[k, 0] * ux + cb[k, 1] * uy
            amin, amax = min(amin, pa), max(amax, pa)
            bmin, bmax = min(bmin, pb), max(bmax, pb)
        if amax < bmin or bmax < amin:
            return True
    return False


@numba.njit(cache=True, nogil=True, inline="always")
def _corners(x, y, h, length, width, out) -> None:
    c, s = math.cos(h), math.sin(h)
    hl, hw = 0.5 * length, 0.5 * width
    ox = (hl, -hl, -hl, hl)
    oy = (hw, hw, -hw, -hw)
    for k in range(4):
        out[k, 0] = x + c * ox[k] - s * oy[k]
        out[k, 1] = y + s * ox[k] + c * oy[k]
