"""Stable argsort of float32 keys: a bucket pass and an insertion pass, radix sort as fallback (numba).

Why: a non-repetitive (Livox-like) head draws a new rosette every sweep, and
each frame needs two stable argsorts of 10 000 float32 keys (azimuth for the
actor windows, elevation for the cast order).  numpy sorts floats by
comparison (timsort for ``kind="stable"``); on the 2-core reference machine,
CPU per sort of a new frame's keys (best of rounds over 80 frames' keys):
numpy 152 µs, the three-pass radix sort of session 3 124 µs, this bucket sort
75 µs.

A stable sort's permutation is unique (ties keep index order), so each path
here is ``np.argsort(keys, kind="stable")`` exactly:

- *Bucket pass* (Knuth, *TAOCP* vol. 3, §5.2.1, "address calculation
  sorting"; Cormen et al., *Introduction to Algorithms*, §8.4): key k goes to
  bucket ⌊(k − min)·B/(max − min)⌋ of B = 2N buckets, computed in float64.
  Every step (subtraction, product, clamp, truncation) is monotone
  non-decreasing in k under round-to-nearest, so a smaller key never lands
  in a later bucket.  What is scattered is one 64-bit word per key: the
  key's bits mapped to an unsigned integer that orders as the float does
  (Knuth §5.2.5; Terdiman, "Radix sort revisited", 2000: flip every bit of a
  negative float, set the sign bit of a positive one; −0.0 first made +0.0,
  which numpy compares equal) above the key's index.  The words are
  distinct and order as (key, index): the stable order.
- *Insertion pass* over the scattered words moves each past the greater ones
  to its left; it sorts whatever the buckets did, and since they are
  monotone it only moves words within a bucket: its cost is the inversions
  inside buckets, a handful per key for smooth data such as a rosette's.
- If the keys bunch up so that the insertion pass exceeds ``_MOVE_BUDGET``
  moves per key, the keys are sorted again by a least-significant-digit
  radix sort (``_radix_argsort``), linear whatever the distribution.  Keys
  with NaN or ±inf go to a stable merge sort that puts NaN last as numpy
  does (numpy's own in ``stable_argsort_f32``, numba's in the kernel).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_BITS = 11
_RADIX = 1 << _BITS
_MOVE_BUDGET = 8
"""Insertion moves per key (on average) beyond which the bucket sort hands over to the radix sort."""
_MAX_BUCKET_KEYS = (1 << 30) - 1
"""More keys than this go to the radix sort: the bucket bounds (up to 2N + 1) are int32."""
_BUCKETS_PER_KEY = 2
"""Two buckets per key: fewer keys share one than with one per key, so the insertion pass moves fewer
(rosette keys, best of rounds: 1 per key 82 µs, 2 per key 75, 4 per key 78)."""


def stable_argsort_f32(keys: np.ndarray) -> np.ndarray:
    """Indices that sort the float32 ``keys`` ascending, ties in index order (``np.argsort(kind="stable")``)."""
    if len(keys) < 2:
        return np.arange(len(keys))
    lo, hi = keys.min(), keys.max()                      # numpy's SIMD reductions; NaN if any key is NaN
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return np.argsort(keys, kind="stable")          # NaN last, ±inf: numpy's own sort
    return bucket_argsort_f32(keys, float(lo), float(hi))


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
    if n > _MAX_BUCKET_KEYS:                            # bucket bounds must fit int32
        return _finite_or_merge(keys, _radix_argsort(keys))
    buckets = _BUCKETS_PER_KEY * n
    lo64 = np.float64(lo)
    # lo = hi (all keys equal, if the bounds are theirs): one bucket, which the insertion pass finds sorted
    scale = buckets / (np.float64(hi) - lo64) if lo < hi else 0.0
    if not abs(scale) < np.inf:                         # bounds closer than float64 resolves
        scale = 0.0
    last = np.float64(buckets - 1)
    start = np.zeros(buckets + 1, dtype=np.int32)       # half the bytes of int64: the counts stay in cache
    for i in range(n):
        start[_bucket(keys[i], lo64, scale, last) + 1] += 1
    for b in range(buckets):
        start[b + 1] += start[b]
    bits = keys.view(np.uint32)
    sign = np.uint32(0x80000000)
    words = np.empty(n, dtype=np.uint64)
    for i in range(n):
        b = _bucket(keys[i], lo64, scale, last)
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
                return _finite_or_merge(keys, _radix_argsort(keys))
    order = np.empty(n, dtype=np.int64)
    low = np.uint64(0xFFFFFFFF)
    for i in range(n):
        order[i] = np.int64(words[i] & low)
    return _finite_or_merge(keys, order)


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
