"""A lidar sweep's random draws from its generator's raw 32-bit words, drawn ahead (numba).

Why: a sweep draws one sequential stream from the sensor's
``numpy.random.Generator`` (PCG64): the dropout uniforms, then the range-noise
normals, all as float32.  numpy draws them one call per value through the
bit generator's function pointer (about 12 ns a normal on the reference
machine), and as one stream they could only run after the cast, on one thread.
Yet every float32 draw is a function of the generator's stream of 32-bit words
(``next_uint32``: each 64-bit PCG64 output gives its low then its high half;
a half left over is kept in the state as ``has_uint32`` / ``uinteger``), and
the words depend only on the state the sweep starts from.  So the words are
drawn ahead as raw 64-bit outputs — numpy's own ``PCG64.random_raw`` on a
scratch generator set to that state (it releases the GIL, so a worker draws
them beside the cast) — and the draws are decoded from them inside the
compiled passes:

- a float32 uniform is ``(word >> 8) · 2⁻²⁴`` (numpy's ``next_float``), one word each;
- a float32 normal is numpy's 256-layer ziggurat (``random_standard_normal_f``,
  Marsaglia & Tsang, *J. Stat. Softw.* 5(8), 2000, as numpy implements it):
  one word when it lands inside a layer (about 98.5 %), more in the wedges
  and the tail, so the normals are decoded in order (``normals``: the
  layer's inside inline, the rest by ``_normal``);
- afterwards the sensor's generator is set to the state those draws leave
  (``WordStream.commit``: numpy's ``PCG64.advance`` by the outputs used, and
  the left-over half), so the next sweep continues the same stream.

Only the decoding is written here, because no library offers it: numpy's
Generator draws one value per call through its bit generator and cannot be
handed words drawn ahead, and numba's port of the same distributions rounds
differently (below), which would change every cloud.  The words and the
state after them are numpy's (``random_raw``, ``advance``).

numpy's tables and constants are taken from numba's port of the same
distributions (``numba.np.random._constants``); numba's own
``random_standard_normal_f`` rounds its wedge test differently (float32 exp),
so the decoding here follows numpy's C: ``exp(-0.5 * x * x)`` in float64,
``log1pf`` in the tail.  Tests compare every value and the generator state
with numpy's draws (``tests/sensors/test_sensors_s5_returns_draws.py``).
"""

from __future__ import annotations

import math
import sys

import numpy as np
from numba import njit

try:                                    # numpy's ziggurat tables, as numba ships them for its own port
    from numba.np.random._constants import (
        fi_float as _FI, ki_float as _KI, wi_float as _WI, ziggurat_nor_inv_r_f as _INV_R, ziggurat_nor_r_f as _R,
    )
    TABLES = True
except ImportError:                     # pragma: no cover - another numba layout: the numpy draws stay
    _FI = np.ones(256, np.float32)
    _KI = np.zeros(256, np.uint32)
    _WI = np.zeros(256, np.float32)
    _INV_R = _R = np.float32(1.0)
    TABLES = False



@njit(cache=True, nogil=True, inline="always")
def _word(raw, first, head, i):
    """Word i of the stream: the generator's left-over half when there is one (head = 1), then raw's halves."""
    return np.uint32(first) if i < head else raw[i - head]


@njit(cache=True, nogil=True, error_model="numpy")
def _normal(raw, first, head, w, available):
    """(value, next word) of the float32 normal whose first word is w; next word −1 when the words run out.

    numpy's ``random_standard_normal_f`` step by step: layer idx = low 8
    bits, sign bit 8, 23-bit rabs; inside the layer when rabs < ki[idx];
    the wedge test compares in float64 with ``exp(-0.5 * x * x)``; the tail
    draws Marsaglia's exponential pair with ``log1pf``.
    """
    one24 = np.float32(1.0 / 16777216.0)
    while True:
        if w >= available:
            return np.float32(0.0), -1
        r = _word(raw, first, head, w)
        w += 1
        idx = r & np.uint32(0xFF)
        rabs = (r >> np.uint32(9)) & np.uint32(0x007FFFFF)
        x = np.float32(rabs) * _WI[idx]
        if (r >> np.uint32(8)) & np.uint32(1):
            x = -x
        if rabs < _KI[idx]:
            return x, w
        if idx == 0:
            while True:
                if w + 2 > available:
                    return np.float32(0.0), -1
                u1 = np.float32(_word(raw, first, head, w) >> np.uint32(8)) * one24
                u2 = np.float32(_word(raw, first, head, w + 1) >> np.uint32(8)) * one24
                w += 2
                xx = -_INV_R * np.float32(math.log1p(-u1))
                yy = -np.float32(math.log1p(-u2))
                if yy + yy > xx * xx:
                    if (rabs >> np.uint32(8)) & np.uint32(1):
                        return -(_R + xx), w
                    return _R + xx, w
        else:
            if w >= available:
                return np.float32(0.0), -1
            u = np.float32(_word(raw, first, head, w) >> np.uint32(8)) * one24
            w += 1
            xd = np.float64(x)
            if np.float64((_FI[idx - 1] - _FI[idx]) * u + _FI[idx]) < math.exp(-0.5 * xd * xd):
                return x, w


MARK = 1024
"""``normals`` records the first word of every MARK-th normal, so the end of any prefix is found fast."""


@njit(cache=True, nogil=True, error_model="numpy")
def normals(raw, first, head, start, out, marks):
    """``out`` ← float32 standard normals decoded from word ``start`` on; (how many, the next word): fewer
    than ``len(out)`` when the words run out (the next word is then the first of the normal not made).

    A word inside its layer (about 98.5 %) is its normal, decoded here
    inline; the others go through ``_normal``.  ``marks[k // MARK]``
    receives the first word of normal k for every k that is a multiple of
    MARK (``marks`` may be empty).
    """
    available = head + len(raw)
    n = len(out)
    w = start
    for block in range(0, n, MARK):
        if len(marks) > 0:
            marks[block // MARK] = w
        for k in range(block, min(block + MARK, n)):
            if w >= available:
                return k, w
            r = _word(raw, first, head, w)
            idx = r & np.uint32(0xFF)
            rabs = (r >> np.uint32(9)) & np.uint32(0x007FFFFF)
            if rabs < _KI[idx]:
                x = np.float32(rabs) * _WI[idx]
                out[k] = -x if (r >> np.uint32(8)) & np.uint32(1) else x
                w += 1
                continue
            value, after = _normal(raw, first, head, w, available)
            if after < 0:
                return k, w
            out[k] = value
            w = after
    return n, w


@njit(cache=True, nogil=True, error_model="numpy")
def skip_normals(raw, first, head, start, count):
    """The word after ``count`` normals decoded from word ``start`` (−1 when the words run out)."""
    available = head + len(raw)
    w = start
    for _ in range(count):
        _, w = _normal(raw, first, head, w, available)
        if w < 0:
            return -1
    return w


@njit(cache=True, nogil=True, error_model="numpy")
def select_words(r, echo, raw, first, head, dropout, threshold, drop, sel_out):
    """``lidar_kernels.select_returns`` with return j's dropout uniform decoded from word j (``drop``:
    dropout applies; the words are numpy's ``random(count, float32)``): the returns whose echo power
    echo/r² reaches ``threshold`` and whose uniform is ≥ dropout, float32 comparisons; how many."""
    th = np.float32(threshold)
    dp = np.float32(dropout)
    scale = np.float32(1.0 / 16777216.0)
    n = 0
    for j in range(len(r)):
        rj = r[j]
        if echo[j] / (rj * rj) >= th:
            if not drop or np.float32(_word(raw, first, head, j) >> np.uint32(8)) * scale >= dp:
                sel_out[n] = j
                n += 1
    return n


class WordStream:
    """The 32-bit words a PCG64 generator's float32 draws will read, drawn ahead from a copy of its state.

    ``ensure(n)`` makes words [0, n) available (more raw outputs from the
    copy, which continues the stream); ``commit(rng, used)`` sets the
    generator to the state numpy's own draws of those ``used`` words leave.
    """

    def __init__(self, state: dict, scratch: np.random.PCG64) -> None:
        self.state = state
        self.head = int(state["has_uint32"])
        self.first = int(state["uinteger"])
        self._scratch = scratch
        # the raw outputs are numpy's own ``random_raw`` of the scratch generator set to the sweep's state
        # (it steps the LCG alone: the buffered half is ``head``/``first`` above); it releases the GIL, so a
        # worker draws them beside the cast
        scratch.state = state
        self.raw32 = np.zeros(0, np.uint32)
        self._raw = np.zeros(0, np.uint64)

    @property
    def available(self) -> int:
        return self.head + len(self.raw32)

    def ensure(self, words: int) -> None:
        """Draw raw outputs until words [0, ``words``) exist (at least one more output per call)."""
        missing = words - self.available
        if missing <= 0:
            return
        more = self._scratch.random_raw((missing + 1) // 2)
        self._raw = more if len(self._raw) == 0 else np.concatenate([self._raw, more])
        self.raw32 = self._raw.view(np.uint32)

    def commit(self, bit_generator: np.random.PCG64, used: int) -> None:
        """Leave ``bit_generator`` as numpy's ``next_uint32`` leaves it after ``used`` words of this stream."""
        state = self.state
        if used == 0:                                           # nothing drawn: the generator stays as it is
            return
        if used <= self.head:                                   # only the left-over half was read
            bit_generator.state = dict(state, has_uint32=0)
            return
        c = used - self.head                                    # words from raw outputs: their low, high halves
        outputs = (c + 1) // 2
        scratch = self._scratch
        scratch.state = state
        scratch.advance(outputs)
        after = scratch.state
        after["has_uint32"] = c & 1
        after["uinteger"] = int(self._raw[outputs - 1] >> np.uint64(32))
        bit_generator.state = after


    @property
    def scratch(self) -> np.random.PCG64:
        return self._scratch


def supported(rng: np.random.Generator) -> bool:
    """Whether ``rng``'s draws can be decoded from raw words here: a PCG64 generator, numpy's tables
    found, and a little-endian machine (a raw output's low half is the first uint32 of its view)."""
    return TABLES and type(getattr(rng, "bit_generator", None)) is np.random.PCG64 and sys.byteorder == "little"
