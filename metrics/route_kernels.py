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
