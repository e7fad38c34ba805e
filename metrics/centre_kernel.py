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
def state_centres(kin, rx, ry, cos_h, sin_h, bx, by):
    """``block_centres`` reading x and y straight out of the block's stacked state ``kin`` (T, rows,
    N) at rows ``rx``, ``ry`` (no copy of either column), with box offsets ``bx``, ``by`` of shape
    (T, N) or (1, N) (one row shared by every step, as the engine's box columns are): the same
    operations in the same order, so the same floats."""
    T, N = kin.shape[0], kin.shape[2]
    cx, cy = np.empty((T, N)), np.empty((T, N))
    step_x, step_y = bx.shape[0] > 1, by.shape[0] > 1
    for k in range(T):
        kx, ky = (k if step_x else 0), (k if step_y else 0)
        for i in range(N):
            c, s, u, v = cos_h[k, i], sin_h[k, i], bx[kx, i], by[ky, i]
            cx[k, i] = kin[k, rx, i] + c * u - s * v
            cy[k, i] = kin[k, ry, i] + s * u + c * v
    return cx, cy
