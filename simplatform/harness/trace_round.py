"""Compiled ``round(v, d)`` of a trace sample's pose columns, bit for bit Python's ``round``.

Python's ``round(x, d)`` (``float.__round__``: ``_Py_dg_dtoa`` mode 3, then ``_Py_dg_strtod``) is
the double nearest to ``N · 10^-d`` with ``N = round_half_even(x · 10^d)`` taken on the *exact*
binary value of ``x``, the sign of ``x`` kept (``round(-0.0001, 3)`` is ``-0.0``).  It costs ~1 µs a
value — the trace's x, y and heading of ~20 entities per sample made the trace recorder cost more
than the metrics.  Here ``N`` comes from the CSV formatter's exact scaled rounding
(:func:`simplatform.recording.csv_format._scaled_round`, Dekker's TwoProduct: the same digits as
``"%.<d>f"``, which Python formats with the same dtoa mode), and ``N / 10^d`` is one IEEE division
of two exact doubles (``N < 2^50``, ``10^d`` exact for ``d <= 22``), hence correctly rounded to the
nearest double with ties to even (IEEE 754-2008 §4.3.1, §5.4.1) — what ``strtod`` returns for the
decimal ``N e-d``.  Values outside the exact range (``|x| · 10^d >= 2^50``, NaN, ±inf) are left to
Python: the kernel reports it and the caller rounds that sample with ``round``.  Tested against
``round`` on random, halfway and edge values (``tests/harness/test_harness_s3_trace.py``).
"""

from __future__ import annotations

import numpy as np

# the kernel lives beside the scaled rounding it calls: numba's on-disk cache checks only the
# file a kernel is defined in, so a kernel calling into another file could load a stale copy
from simplatform.recording.csv_format import round_sample

__all__ = ["round_sample", "warm_up"]


def warm_up() -> None:
    """Compiles (or loads) the kernel for the snapshot's float64 columns."""
    z = np.zeros(2)
    round_sample(np.empty(7), z, z, z, z, 0)
