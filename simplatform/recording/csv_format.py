"""Compiled fixed-decimal formatting of CSV rows, byte-identical to C ``printf("%.<d>f")``.

Python's ``"%.6f" % x`` (``PyOS_double_to_string``, David Gay's correctly rounded dtoa) and glibc's
``printf`` both print the decimal nearest to the *exact* binary value of ``x``, ties to even, with
the sign of ``x`` kept (``-0.0`` and ``-1e-9`` print ``-0.000000``).  Formatting ~20 floats per
entity per step that way costs ~0.3 µs each in Python, most of the CSV log's cost; this kernel
reproduces the same digits in compiled code:

``N = round_half_even(|x| * 10^d)`` computed exactly.  ``p = fl(|x| * 10^d)`` and its exact
rounding error ``e`` (Dekker's TwoProduct with Veltkamp's split, exact in binary64 round-to-nearest
without underflow or overflow: Dekker, "A floating-point technique for extending the available
precision", Numer. Math. 18, 1971) give ``|x| * 10^d = p + e`` exactly.  With ``p < 2^50`` we have
``|e| <= ulp(p)/2 <= 2^-4``, so with ``n0 = floor(p)`` and ``f = p - n0`` (exact):
``f < 1/4`` → ``n0``; ``f > 3/4`` → ``n0 + 1``; otherwise ``f - 1/2`` is exact (Sterbenz) and the
sign of ``(f - 1/2) + e`` (an exact comparison) decides, a zero being the tie that goes to even.
Values outside that range (``|x| * 10^d >= 2^50``, NaN, ±inf) are not formatted here: the kernel
returns -1 and the caller formats the step in Python.  Tiny values (``|x| < 1e-100``) print 0 with
their sign, where the products could underflow.  Tested against Python's formatting on millions
of random, halfway and edge values (``tests/engine/test_engine_csv_log_format.py``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types

_LIMIT = float(2 ** 50)
_SPLIT = 134217729.0  # 2^27 + 1, Veltkamp's splitter for binary64
_SCALES = np.array([10.0 ** d for d in range(16)])
_TEN = np.uint64(10)
_USCALES = np.array([10 ** d for d in range(16)], dtype=np.uint64)


@njit(cache=True, nogil=True)
def _scaled_round(a: float, scale: float) -> int:
    """round_half_even(a * scale) for 0 <= a, a * scale < 2^50, computed exactly."""
    if a < 1e-100:
        return 0
    p = a * scale
    n0 = math.floor(p)
    f = p - n0
    n = np.int64(n0)
    if f < 0.25:
        return n
    if f > 0.75:
        return n + 1
    # near a tie: the exact error of the product decides
    c = _SPLIT * a
    ah = c - (c - a)
    al = a - ah
    c = _SPLIT * scale
    bh = c - (c - scale)
    bl = scale - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    d = f - 0.5
    if d > -e:
        return n + 1
    if d < -e:
        return n
    return n + (n & 1)


@njit(cache=True, nogil=True)
def _put_fixed(out, pos: int, x: float, decimals: int, scale: float) -> int:
    """``"%.<decimals>f" % x`` at out[pos:]; -1 when x is out of the exact range."""
    a = abs(x)
    if not (a * scale < _LIMIT):  # also NaN and inf
        return -1
    if math.copysign(1.0, x) < 0.0:
        out[pos] = 45  # '-'
        pos += 1
    v = np.uint64(_scaled_round(a, scale))  # unsigned: division by 10 without sign fix-ups
    digits = 1
    while digits < 16 and v >= _USCALES[digits]:
        digits += 1
    if digits <= decimals:
        digits = decimals + 1  # "0.000123"
    end = pos + digits + (1 if decimals > 0 else 0)
    k = end - 1
    for _ in range(decimals):
        q = v // _TEN
        out[k] = np.uint8(v - q * _TEN) + np.uint8(48)
        v = q
        k -= 1
    if decimals > 0:
        out[k] = 46  # '.'
        k -= 1
    while k >= pos:
        q = v // _TEN
        out[k] = np.uint8(v - q * _TEN) + np.uint8(48)
        v = q
        k -= 1
    return end


@njit(cache=True, nogil=True)
def _copy(out, pos: int, src, start: int, stop: int) -> int:
    for k in range(start, stop):
        out[pos] = src[k]
        pos += 1
    return pos


N_COLUMNS = 20
"""Float columns a row holds (the kernel takes them as a tuple of that many table columns)."""

_SIGNATURE = types.int64(
    types.uint8[::1], types.float64, types.int64, types.uint8[::1], types.int64[:, ::1], types.int64[::1],
    types.uint8[::1], types.UniTuple(types.float64[::1], N_COLUMNS), types.int64[::1], types.int64[::1],
)


@njit(_SIGNATURE, cache=True, nogil=True)
def format_rows(out, time, time_decimals, pieces, offsets, rows, zero_lane, cols, groups, decimals):
    """Writes one row per entity ``rows[r]`` into ``out`` and returns the byte count, or -1 when a
    value is outside the exact range (the caller then formats the step in Python).

    Row r is ``time`` (``time_decimals`` decimals; no time when negative) + piece[r, 0] + group 0 of the columns + piece[r, 1] + group 1 + ... + the
    last piece, values within a group joined by ", ".  ``pieces``/``offsets``: the concatenated
    bytes of every row's pieces and their bounds (``offsets[r, g]`` .. ``offsets[r, g + 1]``);
    ``cols[j][rows[r]]``: value j of row r, printed with ``decimals[j]`` decimals, or 0 where
    ``zero_lane[r]`` and j is 6, 7 or 8 (lane offset, road t, lane s of an entity off road);
    ``groups[g]``: the number of values in group g.
    """
    for j in range(decimals.shape[0]):
        if decimals[j] >= _SCALES.shape[0]:
            return -1
    if time_decimals >= _SCALES.shape[0]:
        return -1
    m = rows.shape[0]
    vals_head = np.empty(48, dtype=np.uint8)
    vals = np.empty((m, N_COLUMNS))  # gathered once: a tuple indexed by a variable is slow to index
    for j in range(N_COLUMNS):
        col = cols[j]
        for r in range(m):
            vals[r, j] = col[rows[r]]
    for r in range(m):
        if zero_lane[r]:
            vals[r, 6] = 0.0
            vals[r, 7] = 0.0
            vals[r, 8] = 0.0
    pos = 0
    ng = groups.shape[0]
    nh = 0
    if time_decimals >= 0:  # the time, printed once, copied into every row
        nh = _put_fixed(out, 0, time, time_decimals, _SCALES[time_decimals])
        if nh < 0:
            return -1
        for k in range(nh):
            vals_head[k] = out[k]
    for r in range(m):
        for k in range(nh):
            out[pos + k] = vals_head[k]
        pos += nh
        j = 0
        for g in range(ng):
            pos = _copy(out, pos, pieces, offsets[r, g], offsets[r, g + 1])
            for k in range(groups[g]):
                if k > 0:
                    out[pos] = 44  # ','
                    out[pos + 1] = 32
                    pos += 2
                dec = decimals[j]
                pos = _put_fixed(out, pos, vals[r, j], dec, _SCALES[dec])
                if pos < 0:
                    return -1
                j += 1
        pos = _copy(out, pos, pieces, offsets[r, ng], offsets[r, ng + 1])
    return pos


def format_column(values: np.ndarray, decimals: int) -> str | None:
    """``"%.<decimals>f\\n"`` of each value through the kernel, None if it declines one (for tests)."""
    col = np.ascontiguousarray(values, dtype=np.float64)
    m = len(col)
    cols = (col,) + (np.zeros(max(m, 1)),) * (N_COLUMNS - 1)
    offsets = np.zeros((m, 3), dtype=np.int64)
    offsets[:, 2] = 1  # no text before the value; "\n" after it
    out = np.empty(m * 48 + 16, dtype=np.uint8)
    n = format_rows(out, 0.0, -1, np.array([10], np.uint8), offsets,
                    np.arange(m, dtype=np.int64), np.zeros(m, np.uint8), cols, np.array([1], np.int64),
                    np.full(N_COLUMNS, decimals, np.int64))
    return None if n < 0 else out[:n].tobytes().decode("ascii")


# the trace's round(v, d), bit for bit Python's round (harness.trace_round says why it is exact)
@njit(cache=True, nogil=True)
def _round_like_python(v: float, scale: float) -> float:
    return math.copysign(_scaled_round(abs(v), scale) / scale, v)


@njit(cache=True, nogil=True)
def round_sample(out, x, y, heading, speed, ego_at) -> bool:
    """``out[:n] = round(x, 3)``, ``out[n:2n] = round(y, 3)``, ``out[2n:3n] = round(heading, 4)`` and, when
    ``ego_at >= 0``, ``out[3n] = round(speed[ego_at], 3)``; False (``out`` partly written) when a value is
    outside the exact range."""
    n = x.shape[0]
    for i in range(n):
        a, b, c = x[i], y[i], heading[i]
        if not (abs(a) * 1e3 < _LIMIT and abs(b) * 1e3 < _LIMIT and abs(c) * 1e4 < _LIMIT):
            return False
        out[i] = _round_like_python(a, 1e3)
        out[n + i] = _round_like_python(b, 1e3)
        out[2 * n + i] = _round_like_python(c, 1e4)
    if ego_at >= 0:
        v = speed[ego_at]
        if not abs(v) * 1e3 < _LIMIT:
            return False
        out[3 * n] = _round_like_python(v, 1e3)
    return True
