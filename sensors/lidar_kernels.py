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
def gather_returns(t, material, normal, rays, order, reflectivity, min_range, max_range,
                   idx_out, r_out, mat_out, echo_out):
    """Returns within [min_range, max_range], in pattern order; how many were written.

    ``order[p]`` is the pattern index of cast-buffer row p.  The cast-order
    arrays are read once, front to back (the hit arrays are large and were
    just written: sequential reads stream, a transposing read misses on every
    row), and each return's range, material and ρ·|n·d| (reflectivity times
    the incidence cosine) are put at its pattern index of the (length-N)
    outputs; a second, sequential pass packs them in pattern order.
    """
    lo = np.float32(min_range)
    hi = np.float32(max_range)
    n = len(order)
    flag = np.zeros(n, dtype=np.bool_)
    for p in range(n):
        ti = t[p]
        if ti >= lo and ti <= hi:
            i = order[p]
            m = material[p]
            dot = normal[p, 0] * rays[p, 3] + normal[p, 1] * rays[p, 4] + normal[p, 2] * rays[p, 5]
            flag[i] = True
            r_out[i] = ti
            mat_out[i] = m
            echo_out[i] = reflectivity[m] * abs(dot)
    count = 0
    for i in range(n):
        if flag[i]:
            idx_out[count] = i
            r_out[count] = r_out[i]
            mat_out[count] = mat_out[i]
            echo_out[count] = echo_out[i]
            count += 1
    return count


@njit(cache=True, error_model="numpy")
def fill_points(x, y, z, intensity, ring_out, time_out, columns, sel, idx, r, echo, noise, sigma, scale,
                reference2, ring, time):
    """The PointXYZIRT fields (``x``… are the structured array's field views) of the returns ``sel``.

    Range noise: measured = max(r + σ·noise, 0) with ``noise`` the sensor's
    standard normal draws (empty when σ = 0); intensity = min(echo·scale /
    max(r², reference²), 255) — the numpy code's float32 operations.
    """
    sg = np.float32(sigma)
    s = np.float32(scale)
    ref2 = np.float32(reference2)
    cap = np.float32(255.0)
    zero = np.float32(0.0)
    noisy = len(noise) > 0
    for k in range(len(sel)):
        j = sel[k]
        i = idx[j]
        rj = r[j]
        m = max(rj + sg * noise[k], zero) if noisy else max(rj, zero)
        x[k] = columns[0, i] * m
        y[k] = columns[1, i] * m
        z[k] = columns[2, i] * m
        intensity[k] = min(echo[j] * (s / max(rj * rj, ref2)), cap)
        ring_out[k] = ring[i]
        time_out[k] = time[i]


@njit(cache=True)
def grid_pairs(r0, r1, first, last, columns, full_circle, offsets):
    """Cast-buffer rows (ring-major: row = ring·columns + column) of each box's block of rings × columns.

    Box k covers rings [r0[k], r1[k]) and the columns of the ranges
    [first[k, s], last[k, s]] (s = 0, 1, 2: the window and its copies shifted
    by ±2π), taken modulo ``columns`` for a full circle and clipped to the
    field of view otherwise.  ``offsets`` (M + 1) receives the group bounds.
    """
    m = len(r0)
    mask = np.zeros((m, columns), dtype=np.bool_)
    count = np.zeros(m, dtype=np.int64)
    for k in range(m):
        if r1[k] <= r0[k]:
            continue
        for s in range(first.shape[1]):
            a = first[k, s]
            b = last[k, s]
            if full_circle:
                if b - a + 1 >= columns:
                    a, b = 0, columns - 1
                for c in range(a, b + 1):
                    mask[k, c % columns] = True
            else:
                for c in range(max(a, 0), min(b, columns - 1) + 1):
                    mask[k, c] = True
        n = 0
        for c in range(columns):
            if mask[k, c]:
                n += 1
        count[k] = n * (r1[k] - r0[k])
    offsets[0] = 0
    for k in range(m):
        offsets[k + 1] = offsets[k] + count[k]
    out = np.empty(offsets[m], dtype=np.int64)
    for k in range(m):
        q = offsets[k]
        for r in range(r0[k], r1[k]):
            base = r * columns
            for c in range(columns):
                if mask[k, c]:
                    out[q] = base + c
                    q += 1
    return out


@njit(cache=True)
def window_pairs(azimuth_order, elevation, i0, i1, j1, el_lo, el_hi, position, offsets):
    """Cast-buffer rows of the rays (pattern indices ``azimuth_order[i0:i1]`` and, past +π, ``[:j1]``)
    whose elevation lies in [el_lo, el_hi], grouped by box; ``offsets`` receives the group bounds."""
    m = len(i0)
    offsets[0] = 0
    for k in range(m):
        n = 0
        for q in range(i0[k], i1[k]):
            e = elevation[azimuth_order[q]]
            if e >= el_lo[k] and e <= el_hi[k]:
                n += 1
        for q in range(j1[k]):
            e = elevation[azimuth_order[q]]
            if e >= el_lo[k] and e <= el_hi[k]:
                n += 1
        offsets[k + 1] = offsets[k] + n
    out = np.empty(offsets[m], dtype=np.int64)
    for k in range(m):
        w = offsets[k]
        for q in range(i0[k], i1[k]):
            i = azimuth_order[q]
            if elevation[i] >= el_lo[k] and elevation[i] <= el_hi[k]:
                out[w] = position[i]
                w += 1
        for q in range(j1[k]):
            i = azimuth_order[q]
            if elevation[i] >= el_lo[k] and elevation[i] <= el_hi[k]:
                out[w] = position[i]
                w += 1
    return out
