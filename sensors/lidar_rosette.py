"""The two-prism rosette's deflections for one frame, in one pass (numba).

Why: a non-repetitive head draws a new frame every sweep
(``lidar_patterns.risley_pattern``), and as numpy the deflections
u = δ·Re(e^{iω₁t} + e^{iω₂t}), v = δ·Im(…) of a frame are fourteen
temporaries over the frame.  Here they are one loop with the same float64
operations in the same order (products, then the two sums, then δ; no
fastmath, so no fused multiply-adds): the same bits as the numpy expression
(``tests/sensors/test_sensors_lidar_s3_kernels.py``).

Since session 4 a frame is built by ``lidar_frame.frame_directions``, which
does these operations inline before the unit directions (a kernel calls no
kernel of another file); this standalone form is kept as the tested
statement of the deflections.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, nogil=True)
def rosette_deflections(c1, s1, c2, s2, a1, b1, a2, b2, delta, u, v):
    """u = δ·((a1·c1 − b1·s1) + (a2·c2 − b2·s2)), v = δ·((b1·c1 + a1·s1) + (b2·c2 + a2·s2)), per ray."""
    for j in range(len(c1)):
        u[j] = delta * ((a1 * c1[j] - b1 * s1[j]) + (a2 * c2[j] - b2 * s2[j]))
        v[j] = delta * ((b1 * c1[j] + a1 * s1[j]) + (b2 * c2[j] + a2 * s2[j]))
