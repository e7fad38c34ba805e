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
drawn ahead as raw 64-bit outputs — numpy's ``random_raw``, computed by
``pcg64_raw`` from a copy of the state as four interleaved LCG chains
(1.2 ns an output instead of 3.4 through numpy's per-output call; tested
against ``random_raw``) — and the draws are decoded from them inside the
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

PCG64: O'Neill, "PCG: A family of simple fast space-efficient statistically
good algorithms for random number generation", HMC-CS-2014-0905 (XSL-RR
output of a 128-bit LCG), as numpy's ``PCG64``.

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
from llvmlite import ir
from numba import njit, types
from numba.core.extending import intrinsic

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


PCG64_MULTIPLIER = 0x2360ED051FC65DA44385DF649FCCF645
"""The 128-bit LCG multiplier of numpy's PCG64 (O'Neill's default ``PCG_DEFAULT_MULTIPLIER_128``)."""
_MASK128 = (1 << 128) - 1


@intrinsic
def _muladd128(typingctx, a_hi, a_lo, b_hi, b_lo, c_hi, c_lo):
    """(a·b + c) mod 2¹²⁸ of 128-bit numbers given as (high, low) uint64 halves, as LLVM i128 arithmetic."""
    u64 = types.uint64
    sig = types.UniTuple(u64, 2)(u64, u64, u64, u64, u64, u64)

    def codegen(context, builder, signature, args):
        i128 = ir.IntType(128)

        def join(hi, lo):
            return builder.or_(builder.shl(builder.zext(hi, i128), ir.Constant(i128, 64)), builder.zext(lo, i128))

        v = builder.add(builder.mul(join(args[0], args[1]), join(args[2], args[3])), join(args[4], args[5]))
        lo = builder.trunc(v, ir.IntType(64))
        hi = builder.trunc(builder.lshr(v, ir.Constant(i128, 64)), ir.IntType(64))
        return context.make_tuple(builder, signature.return_type, [hi, lo])

    return sig, codegen


@njit(cache=True, nogil=True, inline="always")
def _xsl_rr(hi, lo):
    """PCG's XSL-RR output of a 128-bit state: (high ^ low) rotated right by the top 6 bits."""
    x = hi ^ lo
    rot = hi >> np.uint64(58)
    return (x >> rot) | (x << ((np.uint64(64) - rot) & np.uint64(63)))


@njit(cache=True, nogil=True)
def pcg64_raw(s_hi, s_lo, inc_hi, inc_lo, m_hi, m_lo, m4_hi, m4_lo, c4_hi, c4_lo, out):
    """``out`` ← the next raw outputs of a PCG64 at state s (numpy's ``random_raw``: step s ← m·s + inc, then
    output XSL-RR of s); the state after them, (high, low).

    Four interleaved chains (states 1…4 steps ahead, each stepped by the
    four-step map s ← m⁴·s + c₄) so the 128-bit multiplies of one output do
    not wait for the last's: about 1.2 ns an output instead of numpy's 3.4.
    """
    a_hi, a_lo = _muladd128(s_hi, s_lo, m_hi, m_lo, inc_hi, inc_lo)
    b_hi, b_lo = _muladd128(a_hi, a_lo, m_hi, m_lo, inc_hi, inc_lo)
    c_hi, c_lo = _muladd128(b_hi, b_lo, m_hi, m_lo, inc_hi, inc_lo)
    d_hi, d_lo = _muladd128(c_hi, c_lo, m_hi, m_lo, inc_hi, inc_lo)
    last_hi, last_lo = s_hi, s_lo
    n = len(out)
    q = 0
    while q + 4 <= n:
        out[q] = _xsl_rr(a_hi, a_lo)
        out[q + 1] = _xsl_rr(b_hi, b_lo)
        out[q + 2] = _xsl_rr(c_hi, c_lo)
        out[q + 3] = _xsl_rr(d_hi, d_lo)
        last_hi, last_lo = d_hi, d_lo
        a_hi, a_lo = _muladd128(a_hi, a_lo, m4_hi, m4_lo, c4_hi, c4_lo)
        b_hi, b_lo = _muladd128(b_hi, b_lo, m4_hi, m4_lo, c4_hi, c4_lo)
        c_hi, c_lo = _muladd128(c_hi, c_lo, m4_hi, m4_lo, c4_hi, c4_lo)
        d_hi, d_lo = _muladd128(d_hi, d_lo, m4_hi, m4_lo, c4_hi, c4_lo)
        q += 4
    if q < n:
        out[q] = _xsl_rr(a_hi, a_lo)
        last_hi, last_lo = a_hi, a_lo
    if q + 1 < n:
        out[q + 1] = _xsl_rr(b_hi, b_lo)
        last_hi, last_lo = b_hi, b_lo
    if q + 2 < n:
        out[q + 2] = _xsl_rr(c_hi, c_lo)
        last_hi, last_lo = c_hi, c_lo
    return last_hi, last_lo


def _halves(v: int) -> tuple[np.uint64, np.uint64]:
    return np.uint64(v >> 64), np.uint64(v & 0xFFFFFFFFFFFFFFFF)


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
        lcg = state["state"]
        inc = lcg["inc"]
        self._lcg = _halves(lcg["state"])                   # the state after the outputs drawn so far
        m4 = pow(PCG64_MULTIPLIER, 4, 1 << 128)
        c4 = inc * (1 + PCG64_MULTIPLIER + PCG64_MULTIPLIER ** 2 + PCG64_MULTIPLIER ** 3) & _MASK128
        self._constants = (*_halves(inc), *_halves(PCG64_MULTIPLIER), *_halves(m4), *_halves(c4))
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
        more = np.empty((missing + 1) // 2, np.uint64)
        hi, lo = pcg64_raw(*self._lcg, *self._constants, more)
        self._lcg = (np.uint64(hi), np.uint64(lo))          # numba returns ints; a dispatch of one ≥ 2⁶³ overflows
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
