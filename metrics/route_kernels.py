"""Compiled passes of the route metrics over a block of steps (numba).

Why compiled: per block, the Leaderboard route rules (``metrics.route``) walk
the steps where the tracked waypoint moves or a checkpoint closes; written as
numpy calls (slices, concatenations, running sums) or as a Python loop over
those steps, each block pays a fixed cost of dozens of calls.  Each kernel
here performs the float operations of the code it replaced in the same order
(sums left to right, as ``+=`` and ``np.cumsum`` do; no ``fastmath``), so the
results are bit for bit the same (``tests/metrics/test_metrics_s4_road_kernels.py``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def first_beyond(reached, start, current, distance):
    """The first step k ≥ ``start`` with reached[k] − current > distance (a checkpoint closes
    there: ``MinimumSpeedRouteTest``), or len(reached) when none."""
    for k in range(start, reached.shape[0]):
        if reached[k] - current > distance:
            return k
    return reached.shape[0]


@njit(cache=True)
def running_sum(total, values, start, stop):
    """total + values[start] + … + values[stop − 1], added left to right (``np.cumsum``'s order)."""
    for k in range(start, stop):
        total += values[k]
    return total


@njit(cache=True)
def route_steps(cumulative, before, after, total):
    """``OutsideRouteLanesTest``'s driven route length: per step where the tracked waypoint moved
    (``after[k]`` ≠ the index before it), total += cumulative[after[k]] − cumulative[previous],
    in step order.  Returns the new total."""
    previous = before
    for k in range(after.shape[0]):
        index = after[k]
        if index != previous:
            total += cumulative[index] - cumulative[previous]
        previous = index
    return total


SMALL_SUM = 8
"""Below this many values numpy adds a row in order whatever its layout (``pairwise_sum`` sums
fewer than 8 values in a plain loop; a strided row is accumulated column by column), so a plain
sum is its result; from 8 on the association depends on the memory layout numpy's indexing made."""


@njit(cache=True)
def mean_speeds(vx, vy, columns):
    """Per step (row), the mean of hypot(vx, vy) over the fewer than ``SMALL_SUM`` ``columns``:
    ``np.mean(np.hypot(vx[:, columns], vy[:, columns]), axis=1)`` bit for bit (the values added
    left to right, divided by the count; hypot is the C library's in both)."""
    T = vx.shape[0]
    n = columns.shape[0]
    out = np.empty(T)
    for k in range(T):
        total = 0.0
        for j in range(n):
            total += math.hypot(vx[k, columns[j]], vy[k, columns[j]])
        out[k] = total / n
    return out
