"""Stable argsort of float32 keys by least-significant-digit radix sort (numba).

Why: a non-repetitive (Livox-like) head draws a new rosette every sweep, and
each frame needs two stable argsorts of 10 000 float32 keys (azimuth for the
actor windows, elevation for the cast order).  numpy sorts floats by
comparison (timsort for ``kind="stable"``): about 130 µs each on the 2-core
reference machine; a radix sort is linear, about 30 µs.

A stable sort's permutation is unique (ties keep index order), so this one is
``np.argsort(keys, kind="stable")`` exactly.  Keys are mapped to unsigned
integers that order as the floats do (Knuth, *TAOCP* vol. 3, §5.2.5; Terdiman,
"Radix sort revisited", 2000): flip every bit of a negative float, set the
sign bit of a positive one.  −0.0 is first made +0.0, because numpy compares
them equal (so they tie).  NaN keys are not supported (numpy puts them last;
pattern directions are finite).  Three passes of 11 bits; a pass whose digit
is the same for every key (e.g. the high bits of angles within a narrow
field of view) is skipped.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_BITS = 11
_RADIX = 1 << _BITS


@njit(cache=True, nogil=True)
def stable_argsort_f32(keys):
    """Indices that sort the float32 ``keys`` ascending, ties in index order (``np.argsort(kind="stable")``)."""
    n = len(keys)
    if n < 2:
        return np.arange(n)
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
