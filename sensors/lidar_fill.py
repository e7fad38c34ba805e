"""The per-return passes of a two-thread lidar sweep, cut where the random draws need them (numba).

Why: the sweep's random draws (dropout uniforms, then range-noise normals)
are one sequential stream of the sensor's ``numpy.random.Generator``; numpy
draws without the GIL, so a worker thread can draw while the calling thread
runs a ``nogil`` kernel.  ``lidar_kernels.select_returns`` and
``fill_points`` need the draws at their start; split here:

- ``power_candidates`` (echo power test, needs no draw) runs while the
  uniforms are drawn, ``survivors`` then applies the dropout: together the
  set and order ``select_returns`` gives;
- ``fill_fields`` (intensity, ring, time: no noise) runs while the normals
  are drawn, ``fill_xyz`` then places the points: together the records
  ``fill_points`` writes.

Same float32 expressions in the same order as the one-pass kernels, no
fastmath, so every bit is theirs (``tests/sensors/test_sensors_lidar_s3_kernels.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")
def power_candidates(r, echo, threshold, out):
    """Indices of the returns whose echo power echo/r² reaches ``threshold`` (float32 comparison); how many."""
    th = np.float32(threshold)
    n = 0
    for j in range(len(r)):
        rj = r[j]
        if echo[j] / (rj * rj) >= th:
            out[n] = j
            n += 1
    return n


@njit(cache=True, nogil=True)
def survivors(candidates, uniform, dropout, out):
    """The candidates j with ``uniform[j]`` ≥ dropout, in order, into ``out`` (may be ``candidates``
    itself: the write index never passes the read index); how many."""
    dp = np.float32(dropout)
    n = 0
    for q in range(len(candidates)):
        j = candidates[q]
        if uniform[j] >= dp:
            out[n] = j
            n += 1
    return n


@njit(cache=True, nogil=True, error_model="numpy")
def fill_fields(intensity, ring_out, time_out, sel, idx, r, echo, scale, reference2, ring, time):
    """Intensity = min(echo·scale / max(r², reference²), 255), ring and firing time of the returns ``sel``."""
    s = np.float32(scale)
    ref2 = np.float32(reference2)
    cap = np.float32(255.0)
    for k in range(len(sel)):
        j = sel[k]
        i = idx[j]
        rj = r[j]
        intensity[k] = min(echo[j] * (s / max(rj * rj, ref2)), cap)
        ring_out[k] = ring[i]
        time_out[k] = time[i]


@njit(cache=True, nogil=True, error_model="numpy")
def fill_xyz(x, y, z, columns, sel, idx, r, noise, sigma):
    """Point = direction × max(r + σ·noise, 0) of the returns ``sel`` (``noise`` empty: no noise)."""
    sg = np.float32(sigma)
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
