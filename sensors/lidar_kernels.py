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

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.core.extending import intrinsic


@intrinsic
def _fma32(typingctx, a, b, c):
    """float32 fused multiply-add a·b + c, one rounding (LLVM ``llvm.fma``: exact on every target)."""
    sig = types.float32(types.float32, types.float32, types.float32)

    def codegen(context, builder, signature, args):
        f32 = ir.FloatType()
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(f32, [f32, f32, f32]), "llvm.fma.f32")
        return builder.call(fn, args)

    return sig, codegen


@njit(cache=True, nogil=True, boundscheck=False)
def ray_buffer(homogeneous, m, out):
    """out = homogeneous · m, (N, 4) · (4, 6) float32, both C-contiguous, rounded as open3d's CPU matmul.

    Why not ``Tensor.matmul``: inside a sweep (after open3d's cast) MKL's
    product cost 0.4–1.5 ms of CPU for an HDL-64E sweep on the loaded 2-core
    reference machine, 0.27 ms when called back to back; this loop takes
    0.2 ms and wakes no thread team.  MKL's kernel
    accumulates k = 0…3 by fused multiply-adds onto the first product; this
    loop does the same operations in the same order, so the ray buffer (and
    every hit) is bit-identical to the matmul's on FMA hardware
    (``tests/sensors/test_sensors_lidar_parallel.py`` checks it).
    """
    h = homogeneous.reshape(-1)                             # flat (C-contiguous) indexing vectorises
    o = out.reshape(-1)
    mm = np.empty(24, dtype=np.float32)
    for k in range(24):
        mm[k] = m[k // 6, k % 6]
    for i in range(homogeneous.shape[0]):
        h0 = h[4 * i]
        h1 = h[4 * i + 1]
        h2 = h[4 * i + 2]
        h3 = h[4 * i + 3]
        for j in range(6):
            o[6 * i + j] = _fma32(h3, mm[18 + j], _fma32(h2, mm[12 + j], _fma32(h1, mm[6 + j], h0 * mm[j])))


@njit(cache=True, nogil=True, error_model="numpy")
def select_returns(r, echo, uniform, dropout, threshold, sel_out):
    """Indices of the returns whose echo power echo/r² reaches ``threshold`` and that survive dropout
    (``uniform`` ≥ dropout; ``uniform`` empty: no dropout); how many.  The comparisons are numpy's
    for a float32 array against a Python float: in float32."""
    th = np.float32(threshold)
    dp = np.float32(dropout)
    drop = len(uniform) > 0
    n = 0
    for j in range(len(r)):
        rj = r[j]
        if echo[j] / (rj * rj) >= th and (not drop or uniform[j] >= dp):
            sel_out[n] = j
            n += 1
    return n


@njit(cache=True, nogil=True)
def grid_pairs(r0, r1, first, last, columns, full_circle, offsets):
    """Cast-buffer rows (ring-major: row = ring·columns + column) of each box's block of rings × columns.

    Box k covers rings [r0[k], r1[k]) and the columns of the ranges
    [first[k, s], last[k, s]] (s = 0, 1, 2: the window and its copies shifted
    by ±2π), taken modulo ``columns`` for a full circle and clipped to the
    field of view otherwise.  ``offsets`` (M + 1) receives the group bounds.
    Within a group: ring by ring, columns ascending.  The columns of a box
    are marked once and kept as runs, so each ring writes its rows without
    scanning every column of the sweep again.
    """
    m = len(r0)
    mask = np.zeros(columns, dtype=np.bool_)
    run_start = np.empty((m, columns // 2 + 1), dtype=np.int64)   # runs of marked columns alternate with gaps
    run_end = np.empty((m, columns // 2 + 1), dtype=np.int64)
    runs = np.zeros(m, dtype=np.int64)
    count = np.zeros(m, dtype=np.int64)
    for k in range(m):
        if r1[k] <= r0[k]:
            continue
        mask[:] = False
        for s in range(first.shape[1]):
            a = first[k, s]
            b = last[k, s]
            if full_circle:
                if b - a + 1 >= columns:
                    a, b = 0, columns - 1
                for c in range(a, b + 1):
                    mask[c % columns] = True
            else:
                for c in range(max(a, 0), min(b, columns - 1) + 1):
                    mask[c] = True
        n = 0
        c = 0
        while c < columns:
            if mask[c]:
                e = c
                while e < columns and mask[e]:
                    e += 1
                run_start[k, runs[k]] = c
                run_end[k, runs[k]] = e
                runs[k] += 1
                n += e - c
                c = e
            else:
                c += 1
        count[k] = n * (r1[k] - r0[k])
    offsets[0] = 0
    for k in range(m):
        offsets[k + 1] = offsets[k] + count[k]
    out = np.empty(offsets[m], dtype=np.int64)
    for k in range(m):
        q = offsets[k]
        for r in range(r0[k], r1[k]):
            base = r * columns
            for j in range(runs[k]):
                for c in range(run_start[k, j], run_end[k, j]):
                    out[q] = base + c
                    q += 1
    return out


@njit(cache=True, nogil=True)
def window_pairs(elevation, position, i0, i1, j1, el_lo, el_hi, offsets):
    """Cast-buffer rows of the rays at azimuth-sorted places [i0, i1) and, past +π, [0, j1) whose
    elevation lies in [el_lo, el_hi], grouped by box; ``offsets`` receives the group bounds.

    ``elevation`` and ``position`` are the rays' elevations and cast rows in
    azimuth order (``PatternTables.azimuth_elevation``, ``azimuth_position``),
    so a window is two sequential reads (through ``azimuth_order`` they were
    two cache misses per ray on a sweep's cold tables).  One pass into a
    buffer as long as the windows (its untouched tail is never faulted in).
    The pass writes every row and advances past it only if it is inside
    (a window's elevations are in azimuth order, so a branch on them
    mispredicts often: a Livox sweep's 15 000 tests keep ~2 400 rows): each
    write lands at or before the place of the row it tests, inside the buffer.
    """
    m = len(i0)
    bound = 0
    for k in range(m):
        bound += max(i1[k] - i0[k], 0) + j1[k]
    out = np.empty(bound, dtype=np.int64)
    offsets[0] = 0
    w = 0
    for k in range(m):
        lo = el_lo[k]
        hi = el_hi[k]
        for q in range(i0[k], i1[k]):                     # branch-free: write, keep it if inside
            e = elevation[q]
            out[w] = position[q]
            w += (e >= lo) & (e <= hi)
        for q in range(j1[k]):
            e = elevation[q]
            out[w] = position[q]
            w += (e >= lo) & (e <= hi)
        offsets[k + 1] = w
    return out[:w]


@njit(cache=True, nogil=True, error_model="numpy")
def box_windows(rotation, centre, half, world_to_sensor, origin, max_range, margin0, speed, yaw_rate, period,
                lo, hi, el_lo, el_hi):
    """Sensor-frame azimuth [lo, hi] and elevation [el_lo, el_hi] windows of each box (``lidar_actors``).

    A box out of range gets an empty window (el_lo = +inf); one whose
    footprint may hold the sensor's vertical axis gets the whole sphere.
    """
    two_pi = 2.0 * np.pi
    cs = np.empty((8, 3))
    for k in range(len(centre)):
        for c in range(8):
            sx = half[k, 0] if c & 4 else -half[k, 0]            # corner order of actor_boxes._BOX_CORNERS
            sy = half[k, 1] if c & 2 else -half[k, 1]
            sz = half[k, 2] if c & 1 else -half[k, 2]
            w0 = centre[k, 0] + rotation[k, 0, 0] * sx + rotation[k, 0, 1] * sy + rotation[k, 0, 2] * sz - origin[0]
            w1 = centre[k, 1] + rotation[k, 1, 0] * sx + rotation[k, 1, 1] * sy + rotation[k, 1, 2] * sz - origin[1]
            w2 = centre[k, 2] + rotation[k, 2, 0] * sx + rotation[k, 2, 1] * sy + rotation[k, 2, 2] * sz - origin[2]
            for j in range(3):
                cs[c, j] = world_to_sensor[j, 0] * w0 + world_to_sensor[j, 1] * w1 + world_to_sensor[j, 2] * w2
        dist = np.inf
        rho_max = 0.0
        z_lo = np.inf
        z_hi = -np.inf
        mx = 0.0
        my = 0.0
        for c in range(8):
            h = math.hypot(cs[c, 0], cs[c, 1])
            dist = min(dist, math.sqrt(h * h + cs[c, 2] * cs[c, 2]))
            rho_max = max(rho_max, h)
            z_lo = min(z_lo, cs[c, 2])
            z_hi = max(z_hi, cs[c, 2])
            mx += cs[c, 0] / 8.0
            my += cs[c, 1] / 8.0
        diagonal = 2.0 * math.sqrt(half[k, 0] ** 2 + half[k, 1] ** 2 + half[k, 2] ** 2)
        if dist > max_range + diagonal:
            lo[k], hi[k], el_lo[k], el_hi[k] = 0.0, 0.0, np.inf, -np.inf
            continue
        circum = 0.0
        for c in range(8):
            circum = max(circum, math.hypot(cs[c, 0] - mx, cs[c, 1] - my))
        rho_min = max(math.hypot(mx, my) - circum, 0.0)
        margin = margin0
        if speed > 0.0 or yaw_rate != 0.0:
            margin += abs(yaw_rate) * period + math.atan2(speed * period, max(dist, 1e-3))
        mid = math.atan2(my, mx)
        rel_lo = np.inf
        rel_hi = -np.inf
        for c in range(8):
            rel = (math.atan2(cs[c, 1], cs[c, 0]) - mid + np.pi) % two_pi - np.pi
            rel_lo = min(rel_lo, rel)
            rel_hi = max(rel_hi, rel)
        if rho_min <= 0.0 or rel_hi - rel_lo > np.pi - 0.1:        # the footprint may hold the axis
            lo[k] = mid + rel_lo - margin
            hi[k] = lo[k] + two_pi
            el_lo[k] = -np.pi
            el_hi[k] = np.pi
            continue
        lo[k] = mid + rel_lo - margin
        hi[k] = mid + rel_hi + margin
        el_lo[k] = math.atan2(z_lo, rho_min if z_lo < 0.0 else rho_max) - margin
        el_hi[k] = math.atan2(z_hi, rho_min if z_hi > 0.0 else rho_max) + margin



@njit(cache=True, nogil=True)
def cast_tables(directions, order, position, homogeneous, columns, elevation, azimuth_order, azimuth_elevation,
                azimuth_position):
    """The copies ``lidar_patterns.pattern_tables`` makes of a pattern in cast order, in one pass.

    Why: as numpy these are gathers and scatters over the pattern.
    ``order[p]`` is the pattern index of cast row p; fills ``position`` (its
    inverse), the cast-order ``[d, 1]`` rows, the (3, N) pattern-order
    direction columns, and the elevations and cast rows in azimuth order.
    Pure copies: the same values as numpy's.
    """
    one = np.float32(1.0)
    for p in range(len(order)):
        i = order[p]
        position[i] = p
        for k in range(3):
            homogeneous[p, k] = directions[i, k]
            columns[k, p] = directions[p, k]
        homogeneous[p, 3] = one
    for q in range(len(azimuth_order)):
        i = azimuth_order[q]
        azimuth_elevation[q] = elevation[i]
        azimuth_position[q] = position[i]


@njit(cache=True, nogil=True)
def _spans(lo, hi, sorted_azimuth, i0, i1, j1):
    """``lidar_windows.azimuth_spans`` into given arrays (copied: a kernel's cache tracks only its own file)."""
    two_pi = 2 * np.pi
    for k in range(len(lo)):
        if (hi[k] - lo[k]) >= two_pi:
            i0[k], i1[k], j1[k] = 0, len(sorted_azimuth), 0
            continue
        a = (lo[k] + np.pi) % two_pi - np.pi
        b = a + (hi[k] - lo[k])
        i0[k] = np.searchsorted(sorted_azimuth, a, side="left")
        i1[k] = np.searchsorted(sorted_azimuth, b, side="right")
        j1[k] = np.searchsorted(sorted_azimuth, b - two_pi, side="right") if b > np.pi else 0


@njit(cache=True, nogil=True)
def table_pairs(rotation, centre, half, world_to_sensor, origin, max_range, margin0, speed, yaw_rate, period,
                sorted_azimuth, elevation, position, offsets):
    """``lidar_actors.candidate_pairs`` of a pattern without a grid in one call: the boxes' windows
    (``box_windows``), their azimuth-sorted spans (``_spans``) and the rows inside them (``window_pairs``).

    Why: the three were three calls with four window arrays made between them; a sweep of a
    non-repetitive head (a Livox-Mid40's 10 000 rays among twenty cars) paid some 10 µs of calls and
    allocations around 40 µs of work.  The same kernels in the same order: the same pairs.
    """
    m = len(centre)
    lo = np.empty(m)
    hi = np.empty(m)
    el_lo = np.empty(m)
    el_hi = np.empty(m)
    box_windows(rotation, centre, half, world_to_sensor, origin, max_range, margin0, speed, yaw_rate, period,
                lo, hi, el_lo, el_hi)
    i0 = np.empty(m, dtype=np.int64)
    i1 = np.empty(m, dtype=np.int64)
    j1 = np.empty(m, dtype=np.int64)
    _spans(lo, hi, sorted_azimuth, i0, i1, j1)
    return window_pairs(elevation, position, i0, i1, j1, el_lo, el_hi, offsets)
