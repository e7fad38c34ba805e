"""Compiled broad phase of the traffic-control metric (numba).

Why compiled: a stop line is looked at only in blocks where the ego's front
comes within reach of it (``metrics.signals._PathBox``); the front's path box
asked with numpy is half a dozen passes over the block and two arrays, in the
usual block where no line is near.  Here it is one pass without arrays: the
front x = centre x + cos·(length / 2) (and y likewise) with numpy's float
operations in its order (no fused multiply-add: ``fastmath`` off), and the
extremes as ``np.min``/``np.max`` give them (NaN when any value is NaN).
"""

from __future__ import annotations

import math

from numba import njit


@njit(cache=True)
def front_path(cx, cy, cos_h, sin_h, length, e):
    """For entity ``e`` of (T, N) centres and cos/sin of headings, with its (T,) lengths: the front's
    (x min, x max, y min, y max, x at the last step, y at the last step, largest half length)."""
    inf, nan = math.inf, math.nan
    x_lo, x_hi, y_lo, y_hi, h_hi = inf, -inf, inf, -inf, -inf
    x_nan = y_nan = h_nan = False
    fx = fy = nan
    for k in range(cx.shape[0]):
        half = length[k] / 2
        fx = cx[k, e] + cos_h[k, e] * half
        fy = cy[k, e] + sin_h[k, e] * half
        if half != half:
            h_nan = True
        elif half > h_hi:
            h_hi = half
        if fx != fx:
            x_nan = True
        else:
            x_lo = min(x_lo, fx)
            x_hi = max(x_hi, fx)
        if fy != fy:
            y_nan = True
        else:
            y_lo = min(y_lo, fy)
            y_hi = max(y_hi, fy)
    if x_nan:
        x_lo = x_hi = nan
    if y_nan:
        y_lo = y_hi = nan
    if h_nan:
        h_hi = nan
    return x_lo, x_hi, y_lo, y_hi, fx, fy, h_hi
