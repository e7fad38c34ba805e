"""Compiled per-return passes of a lidar sweep (numba, as ``metrics.kernels``).

Why compiled: after the cast, every return needs its range, material,
normal and direction gathered from the cast-order hit arrays (ring-major, see
``lidar_patterns.PatternTables``) into the point cloud's pattern order, then
its echo power, then its PointXYZIRT record.  In numpy those are a dozen
gathers of (N, 3) rows and strided writes into the 22-byte records, each a
full pass; here they are two loops.  The random draws (dropout, range noise)
stay with the sensor's ``numpy.random.Generator`` between the two loops, so
the noise stream is the one the numpy code drew.  The float32 operations are
the numpy code's, in its order (``|n·d|`` as a left-to-right sum), no
fastmath.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy")
def gather_returns(t, material, normal, rays, position, reflectivity, min_range, max_range,
                   idx_out, r_out, mat_out, echo_out):
    """Returns within [min_range, max_range], in pattern order; how many were written.

    ``position[i]`` is the cast-buffer row of pattern ray i; the outputs (of
    length N at least) get the pattern index, range, material and
    ρ·|n·d| (reflectivity times the incidence cosine) of each return.
    """
    n = 0
    lo = np.float32(min_range)
    hi = np.float32(max_range)
    for i in range(len(position)):
        p = position[i]
        ti = t[p]
        if ti >= lo and ti <= hi:
            m = material[p]
            dot = normal[p, 0] * rays[p, 3] + normal[p, 1] * rays[p, 4] + normal[p, 2] * rays[p, 5]
            idx_out[n] = i
            r_out[n] = ti
            mat_out[n] = m
            echo_out[n] = reflectivity[m] * abs(dot)
            n += 1
    return n


@njit(cache=True, error_model="numpy")
def fill_points(x, y, z, intensity, ring_out, time_out, columns, idx, measured, echo, r2, scale, reference2,
                ring, time):
    """The PointXYZIRT fields of each kept return (``x``… are the structured array's field views)."""
    s = np.float32(scale)
    ref2 = np.float32(reference2)
    cap = np.float32(255.0)
    for k in range(len(idx)):
        i = idx[k]
        m = measured[k]
        x[k] = columns[0, i] * m
        y[k] = columns[1, i] * m
        z[k] = columns[2, i] * m
        intensity[k] = min(echo[k] * (s / max(r2[k], ref2)), cap)
        ring_out[k] = ring[i]
        time_out[k] = time[i]
