"""Stable argsort of float32 keys: a bucket pass and an insertion pass, radix sort as fallback (numba).

Why: a non-repetitive (Livox-like) head draws a new rosette every sweep, and
each frame needs two stable argsorts of 10 000 float32 keys (azimuth for the
actor windows, elevation for the cast order).  numpy sorts floats by
comparison (timsort for ``kind="stable"``); on the 2-core reference machine,
CPU per sort of a new frame's keys (best of rounds over 80 frames' keys):
numpy 152 µs, the three-pass radix sort of session 3 124 µs, this bucket sort
75 µs (66 µs since session 10: each key's bucket computed once, ``lidar_frame._sorted_words_into``).

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

The kernels live in ``sensors.lidar_frame``, whose frame passes call them
(numba's on-disk cache tracks a kernel's own file only, so a kernel calls no
kernel of another file); they are served from here too.
"""

from __future__ import annotations

import numpy as np

from sensors.lidar_frame import _radix_argsort, bucket_argsort_f32  # noqa: F401  (served from here)


def stable_argsort_f32(keys: np.ndarray) -> np.ndarray:
    """Indices that sort the float32 ``keys`` ascending, ties in index order (``np.argsort(kind="stable")``)."""
    if len(keys) < 2:
        return np.arange(len(keys))
    lo, hi = keys.min(), keys.max()                      # numpy's SIMD reductions; NaN if any key is NaN
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return np.argsort(keys, kind="stable")          # NaN last, ±inf: numpy's own sort
    return bucket_argsort_f32(keys, float(lo), float(hi))
