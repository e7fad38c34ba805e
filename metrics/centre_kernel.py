"""World box centres of a block in one compiled pass (numba).

Why: ``StepBlock.centers`` as numpy, ``x + cos·bx − sin·by`` and ``y + sin·bx
+ cos·by`` over (T, N), makes three temporaries per coordinate and reads every
input again for each operation; here each element costs its four float
operations once.  The operations and their order are numpy's (multiply,
add, multiply, subtract; no fused multiply-add: numba without fastmath does
not contract them), so the centres are the same floats
(``tests/metrics/test_metrics_s3b_centres.py``).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

AHEAD = 4
"""Steps ahead whose state rows (and result rows) ``state_geometry`` asks the cache for (``_prefetch``)."""


def _prefetcher(write: int):
    """An intrinsic ``(array, index tuple) -> None`` that asks the cache for the line of
    ``array[index]`` (``llvm.prefetch``, kept close; ``write`` 1 for a line about to be written).

    Why: the block's stacked state (T, rows, N) is read here for the first time since the
    engine wrote it, step after step, with rows far apart (a step's record is ``rows`` × N floats),
    so each step's rows come from memory one miss after another, and the four results are fresh
    memory; asked for a few steps ahead the lines arrive while the steps before are computed.
    (A copy of ``metrics.ego_pass._prefetcher``: numba's cache tracks a kernel's own file only.)
    A prefetch changes no value and cannot fault; the indices given are in bounds anyway."""

    @intrinsic
    def prefetch(typingctx, arr, index):
        sig = types.void(arr, index)

        def codegen(context, builder, signature, args):
            aryty, idxty = signature.args
            ary = context.make_array(aryty)(context, builder, args[0])
            index = [context.cast(builder, v, t, types.intp)
                     for v, t in zip(cgutils.unpack_tuple(builder, args[1]), idxty)]
            ptr = cgutils.get_item_pointer2(context, builder, ary.data, cgutils.unpack_tuple(builder, ary.shape),
                                            cgutils.unpack_tuple(builder, ary.strides), aryty.layout, index,
                                            wraparound=False, boundscheck=False)
            byte = ir.IntType(8).as_pointer()
            i32 = ir.IntType(32)
            fn = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.VoidType(), [byte, i32, i32, i32]), "llvm.prefetch.p0i8")
            builder.call(fn, [builder.bitcast(ptr, byte), i32(write), i32(3), i32(1)])
            return context.get_dummy_value()

        return sig, codegen

    return prefetch


_prefetch = _prefetcher(0)
_prefetch_write = _prefetcher(1)


@njit(cache=True)
def block_centres(x, y, cos_h, sin_h, bx, by):
    """(cx, cy), each (T, N): ``WorldSnapshot.bbox_centers`` per step, as ``StepBlock.centers`` wrote it in numpy."""
    T, N = x.shape
    cx, cy = np.empty((T, N)), np.empty((T, N))
    for k in range(T):
        for i in range(N):
            c, s, u, v = cos_h[k, i], sin_h[k, i], bx[k, i], by[k, i]
            cx[k, i] = x[k, i] + c * u - s * v
            cy[k, i] = y[k, i] + s * u + c * v
    return cx, cy


@njit(cache=True)
def state_geometry(kin, bits, rx, ry, rh, bx, by):
    """Box centres and heading cosines/sines of a block in one pass over its stacked state.

    ``kin`` (T, rows, N) holds x, y and heading at rows ``rx``, ``ry``, ``rh``;
    ``bits`` is the same memory viewed as int64.  Returns (cx, cy, cos, sin),
    each (T, N): ``np.cos``/``np.sin`` of the heading and ``block_centres``'s
    centres (its operations in its order, x and y read in place, no copy of
    the heading column and no numpy pass per function).  ``math.cos`` and
    ``math.sin`` here and numpy's ufuncs both call the C library's functions
    (tested bit for bit in ``tests/metrics/test_metrics_s4_pairs_geometry.py``,
    which fails where a numpy build vectorises them differently).  An entity whose heading has
    the very bits of its previous step's takes that step's cosine and sine:
    the functions are pure, so the values are the same, and an entity that
    keeps its heading (a parked car, a straight road) costs no call.
    """
    T, N = kin.shape[0], kin.shape[2]
    cx, cy = np.empty((T, N)), np.empty((T, N))
    cos_h, sin_h = np.empty((T, N)), np.empty((T, N))
    step_x, step_y = bx.shape[0] > 1, by.shape[0] > 1
    for k in range(T):
        if k + AHEAD < T and N > 0:   # a step ahead: its state rows, and the result rows, 8 floats a line
            for i in range(0, N + 7, 8):
                j = min(i, N - 1)
                _prefetch(kin, (k + AHEAD, rx, j))
                _prefetch(kin, (k + AHEAD, ry, j))
                _prefetch(kin, (k + AHEAD, rh, j))
                _prefetch_write(cx, (k + AHEAD, j))
                _prefetch_write(cy, (k + AHEAD, j))
                _prefetch_write(cos_h, (k + AHEAD, j))
                _prefetch_write(sin_h, (k + AHEAD, j))
        kx, ky = (k if step_x else 0), (k if step_y else 0)
        for i in range(N):
            if k > 0 and bits[k, rh, i] == bits[k - 1, rh, i]:
                c, s = cos_h[k - 1, i], sin_h[k - 1, i]
            else:
                h = kin[k, rh, i]
                c, s = math.cos(h), math.sin(h)
            cos_h[k, i], sin_h[k, i] = c, s
            u, v = bx[kx, i], by[ky, i]
            cx[k, i] = kin[k, rx, i] + c * u - s * v
            cy[k, i] = kin[k, ry, i] + s * u + c * v
    return cx, cy, cos_h, sin_h


_SX = (1.0, -1.0, -1.0, 1.0)   # front-left, rear-left, rear-right, front-right (metrics.geometry._CORNER_SIGNS)
_SY = (1.0, 1.0, -1.0, -1.0)


@njit(cache=True)
def corners_from_rows(cx, cy, cos_h, sin_h, length, width):
    """``kernels.block_corners`` (T, N, 4, 2), its operations in its order, with ``length`` and
    ``width`` (T, N) or one (1, N) row for every step (no repeated columns)."""
    T, N = cx.shape
    out = np.empty((T, N, 4, 2))
    step_l, step_w = length.shape[0] > 1, width.shape[0] > 1
    for k in range(T):
        kl, kw = (k if step_l else 0), (k if step_w else 0)
        for i in range(N):
            c, s = cos_h[k, i], sin_h[k, i]
            hl, hw = length[kl, i] / 2, width[kw, i] / 2
            for m in range(4):
                lx, ly = _SX[m] * hl, _SY[m] * hw
                out[k, i, m, 0] = cx[k, i] + c * lx - s * ly
                out[k, i, m, 1] = cy[k, i] + s * lx + c * ly
    return out
