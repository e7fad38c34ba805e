"""World box centres of a block in one compiled pass (numba).

Why: ``StepBlock.centers`` as numpy, ``x + cos·bx − sin·by`` and ``y + sin·bx
+ cos·by`` over (T, N), makes three temporaries per coordinate and reads every
input again for each operation; here each element costs its four float
operations once.  The operations and their order are numpy's (multiply,
add, multiply, subtract; no fused multiply-add: numba without fastmath does
not contract them), so the centres are the same floats
(``tests/metrics/test_metrics_s3b_centres.py``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def block_centres(x, y, cos_h, sin_h, bx, by):
    """(cx, cy), each (T, N): ``WorldSnapshot.bbox_centers`` per step, as ``StepBlock.centers`` wrote it in numpy."""
    T, N = x.shape
    cx, cy = np.empty((T, N)), np.empty((T, N))
    for k in range(T):
        for i in range(N):
            c, s, u, v = cos_h[k, i], sin_h[k, i], bx[k, i], by[k, i]
            cx[k, i] = x[k, i] + c * u - s * v
            cy[k, i] = y[k, i] + s * u + c * v
    return cx, cy


@njit(cache=True)
def state_geometry(kin, bits, rx, ry, rh, bx, by):
    """Box centres and heading cosines/sines of a block in one pass over its stacked state.

    ``kin`` (T, rows, N) holds x, y and heading at rows ``rx``, ``ry``, ``rh``;
    ``bits`` is the same memory viewed as int64.  Returns (cx, cy, cos, sin),
    each (T, N): ``np.cos``/``np.sin`` of the heading and ``block_centres``'s
    centres (its operations in its order, x and y read in place, no copy of
    the heading column and no numpy pass per function).  ``math.cos`` and
    ``math.sin`` here and numpy's ufuncs both call the C library's functions
    (tested bit for bit in ``tests/metrics/test_metrics_s4_pairs_geometry.py``,
    which fails where a numpy build vectorises them differently).  An entity whose heading has
    the very bits of its previous step's takes that step's cosine and sine:
    the functions are pure, so the values are the same, and an entity that
    keeps its heading (a parked car, a straight road) costs no call.
    """
    T, N = kin.shape[0], kin.shape[2]
    cx, cy = np.empty((T, N)), np.empty((T, N))
    cos_h, sin_h = np.empty((T, N)), np.empty((T, N))
    step_x, step_y = bx.shape[0] > 1, by.shape[0] > 1
    for k in range(T):
        kx, ky = (k if step_x else 0), (k if step_y else 0)
        for i in range(N):
            if k > 0 and bits[k, rh, i] == bits[k - 1, rh, i]:
                c, s = cos_h[k - 1, i], sin_h[k - 1, i]
            else:
                h = kin[k, rh, i]
                c, s = math.cos(h), math.sin(h)
            cos_h[k, i], sin_h[k, i] = c, s
            u, v = bx[kx, i], by[ky, i]
            cx[k, i] = kin[k, rx, i] + c * u - s * v
            cy[k, i] = kin[k, ry, i] + s * u + c * v
    return cx, cy, cos_h, sin_h


_SX = (1.0, -1.0, -1.0, 1.0)   # front-left, rear-left, rear-right, front-right (metrics.geometry._CORNER_SIGNS)
_SY = (1.0, 1.0, -1.0, -1.0)


@njit(cache=True)
def corners_from_rows(cx, cy, cos_h, sin_h, length, width):
    """``kernels.block_corners`` (T, N, 4, 2), its operations in its order, with ``length`` and
    ``width`` (T, N) or one (1, N) row for every step (no repeated columns)."""
    T, N = cx.shape
    out = np.empty((T, N, 4, 2))
    step_l, step_w = length.shape[0] > 1, width.shape[0] > 1
    for k in range(T):
        kl, kw = (k if step_l else 0), (k if step_w else 0)
        for i in range(N):
            c, s = cos_h[k, i], sin_h[k, i]
            hl, hw = length[kl, i] / 2, width[kw, i] / 2
            for m in range(4):
                lx, ly = _SX[m] * hl, _SY[m] * hw
                out[k, i, m, 0] = cx[k, i] + c * lx - s * ly
                out[k, i, m, 1] = cy[k, i] + s * lx + c * ly
    return out
