"""Unit ray directions from azimuth and elevation in one compiled pass (numba, no fastmath).

Why: numpy's expression (``lidar_patterns.unit_directions_numpy``) writes four
float64 transcendental arrays and two products to temporaries before the
float32 table.  The four C-library calls per ray are the bulk of the cost
either way; the loop saves the temporaries: a new Mid-40 frame (pattern +
tables) 826–848 → 769–799 µs of CPU, best of 295 frames, on the 2-core
reference machine.  Spinning patterns use it; a rosette frame does the
same operations in ``lidar_frame.frame_columns`` (by polynomials under a rounding test since session 9, the same bits).
The loop does the same float64 operations per ray in the same order
(cos e · cos a, cos e · sin a, sin e) and rounds each to float32 on store,
as numpy's float64 → float32 assignment does.  ``math.cos``/``math.sin``
compile to the C library's ``cos``/``sin``, the functions numpy's float64
loops call on this platform (numba's SVML path is off without fastmath and
without Intel's runtime); the test compares the bytes with numpy's.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def unit_directions(azimuth, elevation, out):
    """out[i] = (cos e·cos a, cos e·sin a, sin e) rounded to float32, for float64 angles a, e."""
    for i in range(len(azimuth)):
        a = azimuth[i]
        e = elevation[i]
        ce = math.cos(e)
        out[i, 0] = np.float32(ce * math.cos(a))
        out[i, 1] = np.float32(ce * math.sin(a))
        out[i, 2] = np.float32(math.sin(e))
