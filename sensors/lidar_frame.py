"""A Risley-prism rosette frame and its pattern tables in two compiled passes (numba, no fastmath).

Why: a non-repetitive head (Livox Mid-40) draws a new frame of 10 000 rays
every sweep (``lidar_frame_rosette.risley_pattern``), and the frame was about
twenty numpy passes and kernel calls — deflections, unit directions, a
strided arctan2, float32 → float64 copies, two argsorts, clip, arcsin, the
cast-order copies — each a full pass over fresh memory.  Here:

1. ``frame_directions``: deflections → unit directions (the (N, 3) table
   and its (3, N) columns at once) → the clipped float64 z the elevation
   is taken of; the float64 operations of the rosette (``risley_pattern_reference``) and
   ``lidar_unit`` in their order, so the same bits.
2. numpy's ``arctan2`` (float32) and ``arcsin`` (float64) on the contiguous
   columns: on this platform they are SIMD loops (SVML on AVX-512) whose
   bits a compiled ``math.atan2``/``math.asin`` (the C library's) does not
   reproduce, so they stay numpy's; the inputs are the values numpy saw
   before.
3. the two stable orders (``lidar_sort.bucket_argsort_f32``, called
   between the kernels: a kernel calls no kernel of another file), with
   the rosette's reach as key bounds (bounds change the speed, never the
   order);
4. ``frame_tables``: the cast-order and azimuth-order copies of
   ``lidar_patterns.PatternTables`` and the sorted azimuths, in one pass,
   with the elevation range (the cast-order directions and times, which
   only a motion-distorted sweep reads, are built on first use).

Every value is a copy or the same floating-point operation as the numpy
reference path (``lidar_frame_rosette.risley_pattern_reference``), which the
tests compare byte for byte.

CPU per new Mid-40 frame (pattern + tables, 10 000 rays), interleaved with
the session-3 path in one process on the loaded 2-core reference machine,
best of 300: 795 → 569 µs (p25 879 → 616); per new-frame sweep end to end
2412 → 1933 µs.  What is left: the four C-library cos/sin per ray (about
200 µs, the bits the cloud depends on), the two sorts (2 × 60–80 µs), the
table pass (about 55 µs) and numpy's arctan2/arcsin (about 20 µs).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def frame_directions(c1, s1, c2, s2, a1, b1, a2, b2, delta, directions, columns, z64):
    """Unit directions of the rosette u = δ·Re(e^{iω₁t} + e^{iω₂t}), v = δ·Im(…) for one frame.

    (a1, b1), (a2, b2) are cos/sin of each prism's phase at the frame start,
    c·/s· the per-sweep phase tables (``lidar_patterns._risley_phases``).
    Writes ``directions`` (N, 3) and ``columns`` (3, N) float32 (the same
    values) and ``z64`` = the z component as float64 clipped to [−1, 1]
    (``np.clip``: NaN stays NaN).
    """
    for j in range(len(c1)):
        u = delta * ((a1 * c1[j] - b1 * s1[j]) + (a2 * c2[j] - b2 * s2[j]))
        v = delta * ((b1 * c1[j] + a1 * s1[j]) + (b2 * c2[j] + a2 * s2[j]))
        ce = math.cos(v)
        x = np.float32(ce * math.cos(u))
        y = np.float32(ce * math.sin(u))
        z = np.float32(math.sin(v))
        directions[j, 0] = x
        directions[j, 1] = y
        directions[j, 2] = z
        columns[0, j] = x
        columns[1, j] = y
        columns[2, j] = z
        z_wide = np.float64(z)
        if z_wide < -1.0:
            z_wide = -1.0
        elif z_wide > 1.0:
            z_wide = 1.0
        z64[j] = z_wide


@njit(cache=True, nogil=True)
def frame_tables(directions, azimuth, elevation, azimuth_order, order, sorted_azimuth, position, homogeneous,
                 azimuth_elevation, azimuth_position):
    """The copies of ``lidar_patterns.pattern_tables`` for a pattern whose two orders are known.

    ``order[p]`` is the pattern index of cast row p, ``azimuth_order[q]`` of
    azimuth place q.  Fills ``position`` (the inverse of ``order``), the
    cast-order ``[d, 1]`` rows, the sorted
    azimuths (float32 → float64) and the elevations and cast rows in azimuth
    order; returns (min, max) of ``elevation`` (NaN if any is NaN, as
    ``np.min``/``np.max``; a bound of zero may carry the other sign than
    numpy's reduction picks, which no comparison sees).  Pure copies and
    exact conversions.
    """
    one = np.float32(1.0)
    for p in range(len(order)):
        i = order[p]
        position[i] = p
        homogeneous[p, 0] = directions[i, 0]
        homogeneous[p, 1] = directions[i, 1]
        homogeneous[p, 2] = directions[i, 2]
        homogeneous[p, 3] = one
    lo = np.inf
    hi = -np.inf
    nan = False
    for q in range(len(azimuth_order)):
        i = azimuth_order[q]
        sorted_azimuth[q] = np.float64(azimuth[i])
        e = elevation[i]
        azimuth_elevation[q] = e
        azimuth_position[q] = position[i]
        if e < lo:
            lo = e
        if e > hi:
            hi = e
        if e != e:
            nan = True
    if nan:
        return np.nan, np.nan
    return lo, hi
