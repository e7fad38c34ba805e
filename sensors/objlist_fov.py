"""Compiled field-of-view test of the object list: which actors are inside range and both half-angles.

Why: the test is a dozen numpy calls on a dozen actors every object-list
cycle (norm, two ratios, clip, ``arcsin``, ``arctan2``, six comparisons).

Why not the same arithmetic compiled: numpy's float64 ``arcsin`` and
``arctan2`` are its own SIMD versions (SVML), which differ from the C
library's in the last bit, so an angle exactly at a limit could be judged
differently.  Only the yes/no answer leaves this test, though, so the loop
decides each actor with the C library's functions where the answer cannot
depend on the last bits — the range, the azimuth and the elevation are
farther than a margin (10⁻⁹ relative for the range, 10⁻⁶ rad for the
angles, far above the few ulps between the two libraries and the rounding
of the norm, even where ``arcsin`` is steep near ±1) from their limits — and
flags the rest (and any NaN) as undecided.  A 360° (180°) field of view
holds every azimuth (elevation): numpy's ``arctan2`` (``arcsin`` of the
clipped ratio) never returns more than float π (π/2) in magnitude — at the
negative x axis it returns float π itself (tested on a dense sample there),
so an actor straight behind is decided too.  For undecided actors the
caller runs the numpy test (``object_list.fov_mask_numpy``) for that cycle.
The mask is the numpy test's (tested in
``tests/sensors/test_sensors_objlist_kernels.py``).
"""

from __future__ import annotations

import math

from numba import njit

_RANGE_MARGIN = 1e-9
_ANGLE_MARGIN = 1e-6


@njit(cache=True, error_model="numpy")
def fov_kernel(local, max_range, half_h, half_v, inside):
    """``inside[m]`` = actor m (sensor-frame centre ``local[m]``) is inside; returns False if any is undecided."""
    for m in range(len(local)):
        x = local[m, 0]
        y = local[m, 1]
        z = local[m, 2]
        r = math.sqrt(x * x + y * y + z * z)
        if r <= max_range * (1.0 - _RANGE_MARGIN):
            in_range = True
        elif r > max_range * (1.0 + _RANGE_MARGIN):
            in_range = False
        else:
            return False                       # at the range limit, or NaN
        az = abs(math.atan2(y, x))
        if half_h >= math.pi:                  # a 360° sensor: numpy's |arctan2| never exceeds float π
            in_h = True
        elif az <= half_h - _ANGLE_MARGIN:
            in_h = True
        elif az > half_h + _ANGLE_MARGIN:
            in_h = False
        else:
            return False
        el = abs(math.asin(min(max(z / max(r, 1e-9), -1.0), 1.0)))
        if half_v >= math.pi / 2:              # 180°: numpy's |arcsin| of a clipped ratio never exceeds float π/2
            in_v = True
        elif el <= half_v - _ANGLE_MARGIN:
            in_v = True
        elif el > half_v + _ANGLE_MARGIN:
            in_v = False
        else:
            return False
        inside[m] = in_range and in_h and in_v
    return True
