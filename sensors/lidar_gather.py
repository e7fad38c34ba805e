"""A sweep's returns gathered and selected in one pass, then their records filled (numba).

Why: the per-return work after the cast used to be four passes over the
returns — gather (cast order → pattern order, range, material, ρ·|n·d|),
dropout uniforms, selection (echo power, dropout), records — each writing
arrays the next one read.  Here the gather applies the selection as it packs
each tile of returns: a return's dropout uniform is decoded from the
generator's word at its return index (``lidar_draws``: the word numpy's
``random(count, float32)`` would read for it), so only the kept returns are
written, already compact, and the record passes read them in order (no
selection index).  The pack is branch-free: every slot is written at the
next free place and the place advances only when the slot is kept (its
tests are computed for every slot), so the outputs need one slot of slack.

Same float32 expressions in the same order as ``gather_returns``,
``select_returns`` and numpy's records (the references the tests compare
with), no fastmath.  The echo power test here is the one for a clear
atmosphere: with extinction the echo is first attenuated by numpy's exp
(``lidar_sweep_passes``), whose SIMD rounding a kernel would not repeat.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, inline="always")
def _uniform(raw, first, head, i):
    """The float32 uniform of word i of a stream (``lidar_draws._word``, ``next_float``): copied here, as a
    kernel calls no kernel of another file."""
    w = np.uint32(first) if i < head else raw[i - head]
    return np.float32(w >> np.uint32(8)) * np.float32(1.0 / 16777216.0)


@njit(cache=True, nogil=True, inline="always")
def _load_tile(t, material, normal, rays, reflectivity, lo, hi, channels, columns, c0, width, flag, tr, tm, te):
    """Tile [c0, c0 + width) of a ring-major cast into pattern order: slot j = dc·channels + r flags a
    return within [lo, hi] and holds its range, material and ρ·|n·d| (the gathers' shared first step)."""
    for r in range(channels):
        base = r * columns + c0
        for dc in range(width):
            p = base + dc
            j = dc * channels + r                               # pattern index − c0·channels
            ti = t[p]
            if ti >= lo and ti <= hi:
                m = material[p]
                dot = normal[p, 0] * rays[p, 3] + normal[p, 1] * rays[p, 4] + normal[p, 2] * rays[p, 5]
                flag[j] = True
                tr[j] = ti
                tm[j] = m
                te[j] = reflectivity[m] * abs(dot)
            else:
                flag[j] = False


@njit(cache=True, nogil=True, inline="always")
def _scatter(t, material, normal, rays, order, reflectivity, lo, hi, r_out, mat_out, echo_out):
    """The returns of a cast in any order put at their pattern index (``order[p]``) of the outputs; the flags
    of the pattern indices that have one (the permuted gathers' shared first pass)."""
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
    return flag


@njit(cache=True, nogil=True, error_model="numpy")
def gather_returns(t, material, normal, rays, channels, columns, reflectivity, min_range, max_range,
                   idx_out, r_out, mat_out, echo_out, c_begin, c_end):
    """Returns within [min_range, max_range] of columns [c_begin, c_end), in pattern order; how many
    were written (from index 0 of the outputs).  ``c_begin`` is a multiple of 16 (a tile edge), so
    two column ranges gathered by two threads concatenate to the whole sweep's gather.  The gather of
    sweeps whose draws numpy makes (rain or fog, another bit generator: ``lidar_sweep_passes``).

    The cast buffer is ring-major (row r·columns + c holds pattern ray
    c·channels + r).  It is read in tiles of 16 columns: 16 consecutive rows
    of each ring, so reads stream and the tile's returns, put in pattern order
    in a small buffer, are packed in order — a plain transposing read misses
    the cache on every ring.  Each return gets its pattern index, range,
    material and ρ·|n·d| (reflectivity times the incidence cosine).
    """
    lo = np.float32(min_range)
    hi = np.float32(max_range)
    tile = 16
    flag = np.zeros(tile * channels, dtype=np.bool_)
    tr = np.empty(tile * channels, dtype=np.float32)
    tm = np.empty(tile * channels, dtype=np.int32)
    te = np.empty(tile * channels, dtype=np.float32)
    count = 0
    for c0 in range(c_begin, c_end, tile):
        width = min(tile, c_end - c0)
        _load_tile(t, material, normal, rays, reflectivity, lo, hi, channels, columns, c0, width, flag, tr, tm, te)
        for j in range(width * channels):
            if flag[j]:
                idx_out[count] = c0 * channels + j
                r_out[count] = tr[j]
                mat_out[count] = tm[j]
                echo_out[count] = te[j]
                count += 1
    return count


@njit(cache=True, error_model="numpy")
def gather_permuted(t, material, normal, rays, order, reflectivity, min_range, max_range,
                    idx_out, r_out, mat_out, echo_out):
    """``gather_returns`` for any cast order: ``order[p]`` is the pattern index of cast row p.

    The cast-order arrays are read front to back and each return put at its
    pattern index of the (length-N) outputs; a second pass packs them.
    """
    flag = _scatter(t, material, normal, rays, order, reflectivity, np.float32(min_range), np.float32(max_range),
                    r_out, mat_out, echo_out)
    count = 0
    for i in range(len(order)):
        if flag[i]:
            idx_out[count] = i
            r_out[count] = r_out[i]
            mat_out[count] = mat_out[i]
            echo_out[count] = echo_out[i]
            count += 1
    return count


@njit(cache=True, nogil=True)
def count_returns(t, channels, columns, min_range, max_range, c_begin, c_end):
    """How many of columns [c_begin, c_end) of a ring-major cast have a hit within [min_range, max_range]
    (float32 comparisons, as the gather): the return index the gather of the next column range starts at."""
    lo = np.float32(min_range)
    hi = np.float32(max_range)
    n = 0
    for r in range(channels):
        base = r * columns
        for c in range(c_begin, c_end):
            ti = t[base + c]
            n += (ti >= lo) & (ti <= hi)
    return n


@njit(cache=True, nogil=True, error_model="numpy")
def gather_select(t, material, normal, rays, channels, columns, reflectivity, min_range, max_range, threshold,
                  raw, first, head, dropout, drop, j0, idx_out, r_out, mat_out, echo_out, c_begin, c_end):
    """The kept returns of columns [c_begin, c_end) in pattern order, written from index 0: (kept, returns).

    ``gather_returns``'s tiles (ring-major rows read 16 columns at a time),
    then each return j (j0 + its index here) kept when echo/r² ≥ threshold
    and, with ``drop``, its uniform (word j of the stream) ≥ dropout.  The
    outputs need room for one slot more than is kept.
    """
    lo = np.float32(min_range)
    hi = np.float32(max_range)
    th = np.float32(threshold)
    dp = np.float32(dropout)
    tile = 16
    flag = np.zeros(tile * channels, dtype=np.bool_)
    tr = np.empty(tile * channels, dtype=np.float32)
    tm = np.empty(tile * channels, dtype=np.int32)
    te = np.empty(tile * channels, dtype=np.float32)
    kept = 0
    returns = 0
    for c0 in range(c_begin, c_end, tile):
        width = min(tile, c_end - c0)
        _load_tile(t, material, normal, rays, reflectivity, lo, hi, channels, columns, c0, width, flag, tr, tm, te)
        for j in range(width * channels):
            if flag[j]:
                rj = tr[j]
                e = te[j]
                keep = e / (rj * rj) >= th
                if drop:
                    keep &= _uniform(raw, first, head, j0 + returns) >= dp
                idx_out[kept] = c0 * channels + j
                r_out[kept] = rj
                mat_out[kept] = tm[j]
                echo_out[kept] = e
                kept += keep
                returns += 1
    return kept, returns


@njit(cache=True, error_model="numpy")
def gather_select_permuted(t, material, normal, rays, order, reflectivity, min_range, max_range, threshold,
                           raw, first, head, dropout, drop, idx_out, r_out, mat_out, echo_out):
    """``gather_select`` for any cast order (``order[p]``: the pattern index of cast row p), as
    ``gather_permuted``: the returns are put at their pattern index, then packed and selected in order.
    The outputs are as long as the pattern; (kept, returns)."""
    lo = np.float32(min_range)
    hi = np.float32(max_range)
    th = np.float32(threshold)
    dp = np.float32(dropout)
    flag = _scatter(t, material, normal, rays, order, reflectivity, lo, hi, r_out, mat_out, echo_out)
    kept = 0
    returns = 0
    for i in range(len(order)):
        if flag[i]:
            rj = r_out[i]
            e = echo_out[i]
            if e / (rj * rj) >= th and (not drop or _uniform(raw, first, head, returns) >= dp):
                idx_out[kept] = i
                r_out[kept] = rj
                mat_out[kept] = mat_out[i]
                echo_out[kept] = e
                kept += 1
            returns += 1
    return kept, returns


@njit(cache=True, nogil=True, error_model="numpy")
def fill_compact(x, y, z, intensity, ring_out, time_out, columns, idx, r, echo, noise, sigma, scale, reference2,
                 ring, time):
    """The PointXYZIRT fields (``x``… are the structured array's field views) of compact returns, record k
    from return k in one pass.

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
    for k in range(len(idx)):
        i = idx[k]
        rj = r[k]
        m = max(rj + sg * noise[k], zero) if noisy else max(rj, zero)
        x[k] = columns[0, i] * m
        y[k] = columns[1, i] * m
        z[k] = columns[2, i] * m
        intensity[k] = min(echo[k] * (s / max(rj * rj, ref2)), cap)
        ring_out[k] = ring[i]
        time_out[k] = time[i]



@njit(cache=True, nogil=True, error_model="numpy")
def gather_select_positions(t, material, normal, rays, position, reflectivity, min_range, max_range, threshold,
                            raw, first, head, dropout, drop, idx_out, r_out, mat_out, echo_out):
    """``gather_select_permuted`` read the other way round: pattern ray i's hit from its cast row
    ``position[i]`` (``PatternTables.cast_position``), in pattern order, in one pass; the same kept returns,
    in the same order, from the same float32 expressions (each return's echo is the value the permuted
    gather stored and read back), and the same (kept, returns).

    Why: the permuted gather writes every return at its pattern index, allocates and fills a flag per ray,
    then packs in a second pass over every ray: for a Livox-Mid40 sweep (10 000 rays, ~4 400 returns) two
    passes and a third of its time.  Here each ray's t is read where the cast left it (a random read into
    one array the cast just wrote), and only a return reads its material, normal and ray.
    """
    lo = np.float32(min_range)
    hi = np.float32(max_range)
    th = np.float32(threshold)
    dp = np.float32(dropout)
    kept = 0
    returns = 0
    for i in range(len(position)):
        p = position[i]
        ti = t[p]
        if ti >= lo and ti <= hi:
            m = material[p]
            dot = normal[p, 0] * rays[p, 3] + normal[p, 1] * rays[p, 4] + normal[p, 2] * rays[p, 5]
            e = reflectivity[m] * abs(dot)
            if e / (ti * ti) >= th and (not drop or _uniform(raw, first, head, returns) >= dp):
                idx_out[kept] = i
                r_out[kept] = ti
                mat_out[kept] = m
                echo_out[kept] = e
                kept += 1
            returns += 1
    return kept, returns


@njit(cache=True, nogil=True, error_model="numpy")
def fill_records(points, columns, idx, r, echo, noise, sigma, scale, reference2, ring, time):
    """``fill_compact`` writing the PointXYZIRT records themselves (``points``: a structured array of
    ``pointcloud.POINT_DTYPE``, packed): the same values in the same fields, from the same float32 expressions.

    Why: ``fill_compact`` takes the six fields as six strided views, which Python makes and numba types one by
    one at every call (~5 µs of a Livox sweep's ~25 µs fill); one record array is one argument.
    """
    sg = np.float32(sigma)
    s = np.float32(scale)
    ref2 = np.float32(reference2)
    cap = np.float32(255.0)
    zero = np.float32(0.0)
    noisy = len(noise) > 0
    for k in range(len(idx)):
        i = idx[k]
        rj = r[k]
        m = max(rj + sg * noise[k], zero) if noisy else max(rj, zero)
        point = points[k]
        point.x = columns[0, i] * m
        point.y = columns[1, i] * m
        point.z = columns[2, i] * m
        point.intensity = min(echo[k] * (s / max(rj * rj, ref2)), cap)
        point.ring = ring[i]
        point.time = time[i]
