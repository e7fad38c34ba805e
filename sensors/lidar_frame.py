"""A Risley-prism rosette frame and its pattern tables in two compiled passes (numba, no fastmath).

Why: a non-repetitive head (Livox Mid-40) draws a new frame of 10 000 rays
every sweep (``lidar_frame_rosette.risley_pattern``), and the frame was about
twenty numpy passes and kernel calls — deflections, unit directions, a
strided arctan2, float32 → float64 copies, two argsorts, clip, arcsin, the
cast-order copies — each a full pass over fresh memory.  Here:

1. ``frame_cast_side``: ``frame_columns`` (deflections → the (3, N) unit
   direction columns and each ray's deflection u; the bits of the rosette's
   float64 operations, ``risley_pattern_reference``, and ``lidar_unit``'s
   C-library cos/sin: a polynomial pass under a rounding test, the C
   library where it cannot decide — session 9), then the cast order (the
   stable order of z) and its copies (the deflections in cast order among
   them; the (N, 3) table is built on first read since session 9);
2. numpy's ``arctan2`` (float32) and ``arcsin`` (float64) on the contiguous
   columns, built only when read since session 9 (``lidar_frame_lazy.FrameAngles``:
   a sweep's band pairs decide on the deflections ``frame_cast_side`` keeps
   in cast order, ``lidar_band_pairs.deflection_pairs``): on this platform
   they are SIMD loops (SVML on AVX-512) whose bits a compiled
   ``math.atan2``/``math.asin`` (the C library's) does not reproduce, so they
   stay numpy's; the inputs are the values numpy saw before;
3. ``frame_azimuth_side``: the azimuth order and the tables read in it
   (sorted azimuths, elevations, cast positions) with the elevation range,
   built only when read (session 7, ``lidar_frame_lazy``: a sweep takes its
   actor candidates from the cast order, ``lidar_band_pairs``, with the
   azimuths copied into cast order by ``frame_cast_azimuth``; the cast-order
   directions and times, which only a motion-distorted sweep reads, are
   built on first use too).

The sorts are the stable bucket argsort of ``sensors.lidar_sort`` (its
kernels live here, so the frame passes may call them: numba's on-disk cache
tracks a kernel's own file only), with the rosette's reach as key bounds
(bounds change the speed, never the order).  Two calls without the GIL and
two numpy calls between them let a frame be built on a worker thread beside
a sweep (``lidar_frame_rosette.FrameAhead``) with few hand-overs of the GIL.

Every value is a copy or the same floating-point operation as the numpy
reference path (``lidar_frame_rosette.risley_pattern_reference``), which the
tests compare byte for byte.

CPU per new Mid-40 frame (pattern + tables, 10 000 rays), interleaved with
the session-3 path in one process on the loaded 2-core reference machine,
best of 300: 795 → 569 µs (p25 879 → 616, session 4); per new-frame sweep end
to end 2412 → 1933 µs.  What is left: the two C-library sincos per ray
(LLVM pairs the four cos/sin; about 185 µs, the bits the cloud depends on),
the two sorts (2 × 55–80 µs), the table copies (about 40 µs) and numpy's
arctan2/arcsin (about 20 µs).  Session 7, without the azimuth side (in-process
A/B against e23f302, alternating frame by frame, load 4.8–5.1): 461 → 366 µs
min, 507 → 407 median; 608 → 507, 688 → 560 in a slower minute.  What is
left: the four C-library sin/cos per ray (169 µs warm; numba does not pair
them, and glibc's ``sincos`` — the same bits on 25 M inputs — was no faster:
221 vs 208 µs), the cast-order sort (51 µs) and the copies.  Session 9: the directions by polynomials
under Ziv's rounding test (``frame_columns``; 2 000 frames, 60 M components, 172 fell back): 202 → 59 µs
min per frame (median 340 → 87) in one process on the loaded machine; ``cast_side`` 305 → 158 µs min.
Session 10: the bucket sort's buckets computed once per key (``_sorted_words_into``) and its scratch kept per
thread (``lidar_frame_rosette._scratch``): the z sort alone 78 → 66 µs min (2 000 alternated calls),
``_FrameWork.cast_side`` 156 → 146 and 166 → 157 µs p25 (two runs, 500 frames each, the session-start kernel
alternated in one process).  Tried and dropped: the ``[d, 1]`` rows carried through the sort (written at the
scatter, moved by the insertion pass) instead of gathered after it — 20 µs slower (scattered 24-byte writes).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


SETTLE_BOUND = 1e-13
"""Relative bound on how far a polynomial direction component may lie from the C library's (``frame_columns``)."""
POLY_REACH = 0.5
"""|angle| up to which ``frame_columns`` uses its polynomials (a Mid-40's deflections reach 2δ = 0.335)."""
_TINY = 1e-100
"""Below this |angle| (and at 0) the C library decides: the relative argument needs no float64 underflow."""
_S1, _S2, _S3, _S4, _S5, _S6 = -1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880, -1.0 / 39916800, 1.0 / 6227020800
_C1, _C2, _C3, _C4, _C5, _C6, _C7 = (-1.0 / 2, 1.0 / 24, -1.0 / 720, 1.0 / 40320, -1.0 / 3628800, 1.0 / 479001600,
                                     -1.0 / 87178291200)


@njit(cache=True, nogil=True, inline="always")
def _sin_poly(x, x2):
    """sin x by its Taylor polynomial to x¹³ (|x| ≤ ``POLY_REACH``)."""
    return x * (1.0 + x2 * (_S1 + x2 * (_S2 + x2 * (_S3 + x2 * (_S4 + x2 * (_S5 + x2 * _S6))))))


@njit(cache=True, nogil=True, inline="always")
def _cos_poly(x2):
    """cos x by its Taylor polynomial to x¹⁴ (|x| ≤ ``POLY_REACH``)."""
    return 1.0 + x2 * (_C1 + x2 * (_C2 + x2 * (_C3 + x2 * (_C4 + x2 * (_C5 + x2 * (_C6 + x2 * _C7))))))


@njit(cache=True, nogil=True, inline="always")
def _settled(q, bound):
    """Whether every float64 within ``bound``·|q| of ``q`` rounds to the same float32 (NaN: no)."""
    d = abs(q) * bound
    return np.float32(q - d) == np.float32(q + d)


@njit(cache=True, nogil=True, inline="always")
def _deflections(c1, s1, c2, s2, a1, b1, a2, b2, delta, j):
    """(u, v) of ray j: the rosette's float64 operations in ``risley_pattern_reference``'s order."""
    u = delta * ((a1 * c1[j] - b1 * s1[j]) + (a2 * c2[j] - b2 * s2[j]))
    v = delta * ((b1 * c1[j] + a1 * s1[j]) + (b2 * c2[j] + a2 * s2[j]))
    return u, v


@njit(cache=True, nogil=True)
def frame_columns(c1, s1, c2, s2, a1, b1, a2, b2, delta, columns, deflection, bound=SETTLE_BOUND):
    """The rosette's unit directions u = δ·Re(e^{iω₁t} + e^{iω₂t}), v = δ·Im(…) for one frame as (3, N)
    float32 ``columns``: the float32 of cos v·cos u, cos v·sin u and sin v with the C library's cos and
    sin (``lidar_unit``), bit for bit, at about a third of their cost; ``deflection`` ← each ray's float64
    u (its azimuth, ``lidar_band_pairs``).  Returns how many rays needed the C library.

    (a1, b1), (a2, b2) are cos/sin of each prism's phase at the frame start,
    c·/s· the per-sweep phase tables (``lidar_patterns._risley_phases``).

    Why exact: each component is a float64 p rounded once to float32.  A
    vectorised pass computes q, the same expression with Taylor polynomials
    for cos and sin (to x¹⁴ and x¹³ for |x| ≤ ``POLY_REACH``: truncation
    below 5·10⁻¹⁷ relative, Horner's rounding below 3·10⁻¹⁵ — γ₁₄ times
    Σ|terms|/|value| ≤ cosh 0.5/cos 0.5), and the C library's within 1 ulp,
    so |p − q| ≤ 10⁻¹⁴·|q| with the two products' roundings.  Rounding to
    float32 is monotone, so where q − b·|q| and q + b·|q| (b =
    ``SETTLE_BOUND`` = 10⁻¹³, computed with 2 ulps to spare) round to the
    same float32, so does p: that float32 is written (Ziv's rounding test,
    "Fast evaluation of elementary mathematical functions with correctly
    rounded last bit", ACM TOMS 17(3), 1991).  Any other ray — unsettled
    (about 3 in 10⁶ components), an angle past ``POLY_REACH``, below
    ``_TINY`` or not finite — is marked (a NaN x, which a settled ray never
    has) and computed again with the C library's cos and sin, as before.
    """
    n = len(c1)
    unsettled = 0
    nan = np.float32(np.nan)
    for j in range(n):                                   # no calls, no branches: SIMD
        u, v = _deflections(c1, s1, c2, s2, a1, b1, a2, b2, delta, j)
        u2 = u * u
        v2 = v * v
        ce = _cos_poly(v2)
        x = ce * _cos_poly(u2)
        y = ce * _sin_poly(u, u2)
        z = _sin_poly(v, v2)
        au = abs(u)
        av = abs(v)
        ok = ((au <= POLY_REACH) & (av <= POLY_REACH) & (au >= _TINY) & (av >= _TINY)
              & _settled(x, bound) & _settled(y, bound) & _settled(z, bound))
        columns[0, j] = np.float32(x) if ok else nan
        columns[1, j] = np.float32(y)
        columns[2, j] = np.float32(z)
        deflection[j] = u
        unsettled += np.int64(not ok)
    if unsettled:
        for j in range(n):
            if columns[0, j] != columns[0, j]:
                u, v = _deflections(c1, s1, c2, s2, a1, b1, a2, b2, delta, j)
                ce = math.cos(v)
                columns[0, j] = np.float32(ce * math.cos(u))
                columns[1, j] = np.float32(ce * math.sin(u))
                columns[2, j] = np.float32(math.sin(v))
    return unsettled


@njit(cache=True, nogil=True)
def frame_cast_side(c1, s1, c2, s2, a1, b1, a2, b2, delta, z_lo, z_hi, columns, deflection, position,
                    homogeneous, cast_deflection, bucket, start, words):
    """The frame's direction columns and deflections (``frame_columns``) and what its cast needs, in one call
    without the GIL: the cast order (the stable order of the z components, ``bucket_argsort_f32`` with the
    bounds [z_lo, z_hi]), its inverse ``position``, the cast-order ``[d, 1]`` rows ``homogeneous`` and the
    deflections in cast order ``cast_deflection``.  Returns (cast order, min, max of the deflections):
    NaN bounds if one is NaN, (0, 0) for none.  Pure copies besides ``frame_columns``' arithmetic.

    ``deflection`` (the pattern-order deflections, n float64), ``bucket`` (n int32), ``start`` (2n + 1
    int32) and ``words`` (n uint64) are scratch, kept by the caller from frame to frame (session 10)."""
    frame_columns(c1, s1, c2, s2, a1, b1, a2, b2, delta, columns, deflection)
    keys = columns[2]
    n = len(keys)
    if 2 <= n <= _MAX_BUCKET_KEYS and _sorted_words_into(keys, z_lo, z_hi, bucket, start, words):
        order = np.empty(n, dtype=np.int64)
        low = np.uint64(0xFFFFFFFF)
        for p in range(n):
            order[p] = np.int64(words[p] & low)
        order = _finite_or_merge(keys, order)
    else:                                               # n < 2, or bunched keys: ``bucket_argsort_f32``'s way
        order = bucket_argsort_f32(keys, z_lo, z_hi)
    one = np.float32(1.0)
    lo = np.inf
    hi = -np.inf
    nan = False
    for p in range(n):
        i = order[p]
        position[i] = p
        homogeneous[p, 0] = columns[0, i]
        homogeneous[p, 1] = columns[1, i]
        homogeneous[p, 2] = columns[2, i]
        homogeneous[p, 3] = one
        u = deflection[i]
        cast_deflection[p] = u
        lo = min(lo, u)
        hi = max(hi, u)
        nan |= u != u
    if n == 0:
        return order, 0.0, 0.0
    if nan:
        return order, np.nan, np.nan
    return order, lo, hi


@njit(cache=True, nogil=True)
def frame_azimuth_side(azimuth, az_lo, az_hi, elevation, position, sorted_azimuth, azimuth_elevation,
                       azimuth_position):
    """The azimuth order (stable order of ``azimuth``, bounds [az_lo, az_hi]) and the tables read in it:
    the sorted azimuths (float32 → float64), the elevations and ``position`` in azimuth order.  Returns
    (azimuth order, min, max of ``elevation``): NaN bounds if any is NaN, as ``np.min``/``np.max`` (a
    bound of zero may carry the other sign than numpy's reduction picks, which no comparison sees)."""
    azimuth_order = bucket_argsort_f32(azimuth, az_lo, az_hi)
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
        return azimuth_order, np.nan, np.nan
    return azimuth_order, lo, hi


@njit(cache=True, nogil=True)
def frame_cast_azimuth(order, azimuth, cast_azimuth):
    """``cast_azimuth`` ← the float32 ``azimuth`` of each cast row (``order``: pattern index per row), for
    the frame's candidate pairs (``lidar_band_pairs``), which read a run of cast rows in a row; returns
    the azimuths' (min, max), (NaN, NaN) if one is NaN, (0, 0) for none.  Pure copies and comparisons."""
    n = len(order)
    if n == 0:
        return 0.0, 0.0
    lo = np.inf
    hi = -np.inf
    nan = False
    for r in range(n):
        x = azimuth[order[r]]
        cast_azimuth[r] = x
        v = np.float64(x)
        if v < lo:
            lo = v
        if v > hi:
            hi = v
        if v != v:
            nan = True
    if nan:
        return np.nan, np.nan
    return lo, hi


# ---------------------------------------------------------------- stable argsort (``sensors.lidar_sort``)
_BITS = 11
_RADIX = 1 << _BITS
_MOVE_BUDGET = 8
"""Insertion moves per key (on average) beyond which the bucket sort hands over to the radix sort."""
_MAX_BUCKET_KEYS = (1 << 30) - 1
"""More keys than this go to the radix sort: the bucket bounds (up to 2N + 1) are int32."""
_BUCKETS_PER_KEY = 2
"""Two buckets per key: fewer keys share one than with one per key, so the insertion pass moves fewer
(rosette keys, best of rounds: 1 per key 82 µs, 2 per key 75, 4 per key 78)."""


@njit(cache=True, nogil=True)
def bucket_argsort_f32(keys, lo, hi):
    """``stable_argsort_f32`` of float32 ``keys`` whose least and greatest are ``lo`` and ``hi``.

    Each key travels as one 64-bit word: its bits mapped to an unsigned
    integer that orders as the float does (``_radix_argsort``'s map, −0.0
    made +0.0) above its index.  The words are distinct and order as
    (key, index), so the final insertion pass needs no separate tie rule and
    its result is the stable order whatever the buckets were; bounds other
    than the keys' own (finite ones) only make it slower: keys outside
    [lo, hi] fall in the end buckets.  NaN or infinite keys hand over to
    numba's merge sort, stable and NaN last as numpy (``_finite_or_merge``).
    """
    n = len(keys)
    if n < 2:
        return np.arange(n)
    words = _sorted_words(keys, lo, hi)
    if len(words) != n:                                 # bunched keys or too many: the radix sort
        return _finite_or_merge(keys, _radix_argsort(keys))
    order = np.empty(n, dtype=np.int64)
    low = np.uint64(0xFFFFFFFF)
    for i in range(n):
        order[i] = np.int64(words[i] & low)
    return _finite_or_merge(keys, order)


@njit(cache=True, nogil=True)
def _sorted_words(keys, lo, hi):
    """The bucket sort of ``bucket_argsort_f32`` (n ≥ 2) up to its sorted words (key map << 32 | index), or
    an empty array where the radix sort must take over (``_sorted_words_into``)."""
    n = len(keys)
    if n > _MAX_BUCKET_KEYS:                            # bucket bounds must fit int32
        return np.empty(0, dtype=np.uint64)
    words = np.empty(n, dtype=np.uint64)
    if _sorted_words_into(keys, lo, hi, np.empty(n, dtype=np.int32),
                          np.empty(_BUCKETS_PER_KEY * n + 1, dtype=np.int32), words):
        return words
    return np.empty(0, dtype=np.uint64)


@njit(cache=True, nogil=True)
def _sorted_words_into(keys, lo, hi, bucket, start, words):
    """The bucket sort of ``bucket_argsort_f32`` (2 ≤ n ≤ ``_MAX_BUCKET_KEYS``) into ``words`` (n): the
    sorted words (key map << 32 | index); False where the radix sort must take over (the insertion pass
    past ``_MOVE_BUDGET`` moves per key).  ``bucket`` (n int32) and ``start`` (2n + 1 int32) are scratch:
    a frame's build passes arrays it keeps (``lidar_frame_rosette``), so their pages stay warm.

    Session 10: each key's bucket is computed once, in a pass of its own
    (selects, no stores to shared places: it vectorises), and read back by
    the count and the scatter, which until then each computed it (a float
    product and two branches per key per pass): rosette z keys, best of
    2 000 alternated on the 2-core machine, 78 → 66 µs per sort.  The same
    buckets (``_bucket``'s expression, written as selects), so the same
    words in the same places: the insertion pass, and the order, are unchanged.
    """
    n = len(keys)
    buckets = _BUCKETS_PER_KEY * n
    lo64 = np.float64(lo)
    # lo = hi (all keys equal, if the bounds are theirs): one bucket, which the insertion pass finds sorted
    scale = buckets / (np.float64(hi) - lo64) if lo < hi else 0.0
    if not abs(scale) < np.inf:                         # bounds closer than float64 resolves
        scale = 0.0
    last = np.float64(buckets - 1)
    top = np.int32(buckets - 1)
    zero = np.int32(0)
    for i in range(n):                                  # ``_bucket`` as selects: NaN → 0
        x = (np.float64(keys[i]) - lo64) * scale
        inside = (x > 0.0) & (x < last)
        b = np.int32(x if inside else 0.0)             # converts an in-range value only
        bucket[i] = b if inside else (top if x >= last else zero)
    start[:] = 0                                        # int32: half the bytes of int64, the counts stay in cache
    for i in range(n):
        start[bucket[i] + 1] += 1
    for b in range(buckets):
        start[b + 1] += start[b]
    bits = keys.view(np.uint32)
    sign = np.uint32(0x80000000)
    for i in range(n):
        b = bucket[i]
        p = start[b]
        start[b] = p + np.int32(1)
        u = bits[i]
        if u == sign:                                   # −0.0 ties with +0.0
            u = np.uint32(0)
        m = ~u if u & sign else u | sign
        words[p] = (np.uint64(m) << np.uint64(32)) | np.uint64(i)
    budget = _MOVE_BUDGET * n
    moves = 0
    for i in range(1, n):
        w = words[i]
        if words[i - 1] > w:
            j = i
            while j > 0 and words[j - 1] > w:
                words[j] = words[j - 1]
                j -= 1
            words[j] = w
            moves += i - j
            if moves > budget:                          # bunched keys: linear time whatever the distribution
                return False
    return True


@njit(cache=True, nogil=True)
def _finite_or_merge(keys, order):
    """``order``, or numba's stable merge sort (NaN last, as numpy) if any key is NaN or infinite.

    The word map sends −NaN, −inf below every finite key and +inf, +NaN above,
    so after the sort a non-finite key sits at one end: two reads find it.
    """
    if abs(keys[order[0]]) < np.inf and abs(keys[order[len(order) - 1]]) < np.inf:
        return order
    return np.argsort(keys, kind="mergesort")


@njit(cache=True, nogil=True, inline="always")
def _bucket(key, lo64, scale, last):
    """Bucket of ``key``: ⌊(key − lo)·scale⌋ clamped to [0, last] — monotone in the key, and NaN-safe (bucket 0)."""
    x = (np.float64(key) - lo64) * scale
    if x > 0.0 and x < last:
        return np.int64(x)
    return np.int64(last) if x >= last else np.int64(0)


@njit(cache=True, nogil=True)
def _radix_argsort(keys):
    """``stable_argsort_f32`` by LSD radix sort on the keys' bits, for finite keys.

    Keys are mapped to unsigned integers that order as the floats do: flip
    every bit of a negative float, set the sign bit of a positive one; −0.0
    is first made +0.0, because numpy compares them equal (so they tie).
    Three passes of 11 bits; a pass whose digit is the same for every key
    (e.g. the high bits of angles within a narrow field of view) is skipped.
    """
    n = len(keys)
    bits = keys.view(np.uint32)
    mapped = np.empty(n, dtype=np.uint32)
    counts = np.zeros((3, _RADIX), dtype=np.int64)           # the three digit histograms, from one read
    sign = np.uint32(0x80000000)
    mask = np.uint32(_RADIX - 1)
    for i in range(n):
        b = bits[i]
        if b == sign:                                        # −0.0 ties with +0.0
            b = np.uint32(0)
        m = ~b if b & sign else b | sign
        mapped[i] = m
        counts[0, m & mask] += 1
        counts[1, (m >> np.uint32(_BITS)) & mask] += 1
        counts[2, m >> np.uint32(2 * _BITS)] += 1
    order = np.empty(n, dtype=np.int64)
    scratch = np.empty(n, dtype=np.int64)
    first = True
    for p in range(3):
        shift = np.uint32(p * _BITS)
        if counts[p, (mapped[0] >> shift) & mask] == n:      # one digit for all keys: the pass keeps the order
            continue
        total = 0
        for d in range(_RADIX):
            c = counts[p, d]
            counts[p, d] = total
            total += c
        if first:
            for i in range(n):
                d = (mapped[i] >> shift) & mask
                order[counts[p, d]] = i
                counts[p, d] += 1
            first = False
        else:
            for i in range(n):
                j = order[i]
                d = (mapped[j] >> shift) & mask
                scratch[counts[p, d]] = j
                counts[p, d] += 1
            order, scratch = scratch, order
    if first:
        return np.arange(n)
    return order


@njit(cache=True, nogil=True)
def frame_cast_side_done(c1, s1, c2, s2, a1, b1, a2, b2, delta, z_lo, z_hi, columns, deflection, position,
                         homogeneous, cast_deflection, bucket, start, words, order, extent, done):
    """``frame_cast_side`` with every result in the caller's arrays — the cast order into ``order`` (n),
    (min, max) of the deflections into ``extent`` (2) — and ``done[0]`` ← 1 last, for a frame built on a
    worker thread that its reader collects without waiting for the worker to take the GIL back
    (``lidar_frame_next``).  The same arithmetic and copies, so the same arrays bit for bit."""
    got, lo, hi = frame_cast_side(c1, s1, c2, s2, a1, b1, a2, b2, delta, z_lo, z_hi, columns, deflection,
                                  position, homogeneous, cast_deflection, bucket, start, words)
    for p in range(len(got)):
        order[p] = got[p]
    extent[0] = lo
    extent[1] = hi
    done[0] = 1                                     # stores to the caller's arrays stay in program order
