"""The analytic actor boxes of a sweep in two passes: every pair's slab test on vectors, then the merge.

Why: ``actor_boxes._merge_kernel`` tests the (ray, box) candidate pairs one
by one with early exits, so its branches depend on the data and the
divisions run one at a time (~18 ns a pair; an HDL-64E sweep among twenty
cars has some 30 000 pairs).  Split in two:

- ``slab_hits``: each pair's hit distance rounded to float32 (inf: missed)
  and which face it enters or leaves by, computed for every slab of every
  pair without a branch (the "full pass": the early exits only shorten it,
  ``tests/sensors/test_sensors_livox_s3_fixed_cost.py``), a chunk of pairs
  at a time with their rays gathered into contiguous rows, so the compiler
  runs the divisions four to a vector (~8 ns a pair);
- ``apply_slab_hits``: box by box and pair by pair in the merge's order, a
  pair's hit replaces what is there when strictly nearer (``th32 < t[i]``).

Same order, same comparison, same values: the static world wins a tie and
so does the lower box index, as in the one-pass merge, whose early exit on
the static t only skips pairs this comparison rejects (once t_in > 0 and
t_in ≥ t[i], the float32 rounding of the final t_in, which only grows, is
not below the float32 t[i]).  ``slab_hits`` needs only the rays and the
boxes and runs without the GIL.  Slab method: Kay & Kajiya, SIGGRAPH 1986;
Williams et al., J. Graphics Tools 10(1), 2005.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.core.extending import intrinsic


@intrinsic
def _fma32(typingctx, a, b, c):
    """float32 fused multiply-add a·b + c, one rounding (``lidar_kernels._fma32``, copied: a kernel's cache
    tracks only its own file)."""
    sig = types.float32(types.float32, types.float32, types.float32)

    def codegen(context, builder, signature, args):
        f32 = ir.FloatType()
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(f32, [f32, f32, f32]), "llvm.fma.f32")
        return builder.call(fn, args)

    return sig, codegen


CHUNK = 256
"""Pairs ``slab_hits`` tests per vector loop (their rays are gathered into contiguous rows first)."""


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _slab(o, d, h, axis, t_in, t_out, axis_in, axis_out, missed):
    """One axis of the slab test (box-frame origin o, direction d, half extent h): the entering and leaving
    t and their axes so far, and whether a ray parallel to the slab lies outside it — selects, not branches."""
    par = d == 0.0
    missed |= par & ((o < -h) | (o > h))
    t1 = (-h - o) / d
    t2 = (h - o) / d
    lo = min(t1, t2)
    hi = max(t1, t2)
    up = (not par) & (lo > t_in)
    t_in = lo if up else t_in
    axis_in = axis if up else axis_in
    up = (not par) & (hi < t_out)
    t_out = hi if up else t_out
    axis_out = axis if up else axis_out
    return t_in, t_out, axis_in, axis_out, missed


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _test_chunk(ox, oy, oz, dxs, dys, dzs, m, rotation, half, k, start, t_out_pairs, code_out_pairs):
    """The slab tests of pairs [start, start + m) of box k, their rays' origins (box-centred, float64) and
    directions gathered into rows (``slab_hits``, ``slab_hits_pattern``): selects, not branches."""
    r00, r01, r02 = rotation[k, 0, 0], rotation[k, 0, 1], rotation[k, 0, 2]
    r10, r11, r12 = rotation[k, 1, 0], rotation[k, 1, 1], rotation[k, 1, 2]
    r20, r21, r22 = rotation[k, 2, 0], rotation[k, 2, 1], rotation[k, 2, 2]
    h0, h1, h2 = half[k, 0], half[k, 1], half[k, 2]
    for u in range(m):
        a = ox[u]
        b = oy[u]
        c = oz[u]
        dx = dxs[u]
        dy = dys[u]
        dz = dzs[u]
        o = a * r00 + b * r10 + c * r20
        d0 = dx * r00 + dy * r10 + dz * r20
        t_in, t_out, axis_in, axis_out, missed = _slab(o, d0, h0, 0, -np.inf, np.inf, 0, 0, False)
        o = a * r01 + b * r11 + c * r21
        d1 = dx * r01 + dy * r11 + dz * r21
        t_in, t_out, axis_in, axis_out, missed = _slab(o, d1, h1, 1, t_in, t_out, axis_in, axis_out, missed)
        o = a * r02 + b * r12 + c * r22
        d2 = dx * r02 + dy * r12 + dz * r22
        t_in, t_out, axis_in, axis_out, missed = _slab(o, d2, h2, 2, t_in, t_out, axis_in, axis_out, missed)
        hit = (not missed) & (t_in <= t_out) & (t_out > 0.0)
        entering = t_in > 0.0
        th = t_in if entering else t_out
        axis = axis_in if entering else axis_out
        d_axis = d0 if axis == 0 else (d1 if axis == 1 else d2)
        flip = (d_axis > 0.0) == entering                  # s = sign if d_axis > 0 else −sign; −1: flip
        t_out_pairs[start + u] = np.float32(th) if hit else np.float32(np.inf)
        code_out_pairs[start + u] = 2 * axis + (1 if flip else 0)


@njit(cache=True, nogil=True, error_model="numpy")
def slab_hits(rays, ray, offsets, rotation, centre, half, t_out_pairs, code_out_pairs):
    """Each pair's box hit: ``t_out_pairs[q]`` = float32 t (inf when missed), ``code_out_pairs[q]`` =
    2·axis + (1 when the normal is −R[:, axis]); the expressions of ``actor_boxes._merge_kernel`` (t in
    float64 in the box frame, rounded once), as selects instead of branches."""
    ox = np.empty(CHUNK)
    oy = np.empty(CHUNK)
    oz = np.empty(CHUNK)
    dxs = np.empty(CHUNK)
    dys = np.empty(CHUNK)
    dzs = np.empty(CHUNK)
    for k in range(len(offsets) - 1):
        c0, c1, c2 = centre[k, 0], centre[k, 1], centre[k, 2]
        for start in range(offsets[k], offsets[k + 1], CHUNK):
            m = min(CHUNK, offsets[k + 1] - start)
            for u in range(m):
                i = ray[start + u]
                ox[u] = rays[i, 0] - c0
                oy[u] = rays[i, 1] - c1
                oz[u] = rays[i, 2] - c2
                dxs[u] = rays[i, 3]
                dys[u] = rays[i, 4]
                dzs[u] = rays[i, 5]
            _test_chunk(ox, oy, oz, dxs, dys, dzs, m, rotation, half, k, start, t_out_pairs, code_out_pairs)


@njit(cache=True, nogil=True, error_model="numpy")
def slab_hits_pattern(homogeneous, mat, ray, offsets, rotation, centre, half, t_out_pairs, code_out_pairs):
    """``slab_hits`` with each pair's ray made from its pattern row instead of read from the ray buffer:
    row i = ``homogeneous[i] · mat`` by ``lidar_kernels.ray_buffer``'s fused multiply-adds in its order, so
    the same float32 ray.  Why: the slab tests then need no ray buffer, and run while another thread
    fills it (``sensors.lidar``)."""
    ox = np.empty(CHUNK)
    oy = np.empty(CHUNK)
    oz = np.empty(CHUNK)
    dxs = np.empty(CHUNK)
    dys = np.empty(CHUNK)
    dzs = np.empty(CHUNK)
    a0, a1, a2, a3, a4, a5 = mat[0, 0], mat[0, 1], mat[0, 2], mat[0, 3], mat[0, 4], mat[0, 5]
    b0, b1, b2, b3, b4, b5 = mat[1, 0], mat[1, 1], mat[1, 2], mat[1, 3], mat[1, 4], mat[1, 5]
    c0, c1, c2, c3, c4, c5 = mat[2, 0], mat[2, 1], mat[2, 2], mat[2, 3], mat[2, 4], mat[2, 5]
    e0, e1, e2, e3, e4, e5 = mat[3, 0], mat[3, 1], mat[3, 2], mat[3, 3], mat[3, 4], mat[3, 5]
    for k in range(len(offsets) - 1):
        x0, y0, z0 = centre[k, 0], centre[k, 1], centre[k, 2]
        for start in range(offsets[k], offsets[k + 1], CHUNK):
            m = min(CHUNK, offsets[k + 1] - start)
            for u in range(m):
                i = ray[start + u]
                h0 = homogeneous[i, 0]
                h1 = homogeneous[i, 1]
                h2 = homogeneous[i, 2]
                h3 = homogeneous[i, 3]
                ox[u] = _fma32(h3, e0, _fma32(h2, c0, _fma32(h1, b0, h0 * a0))) - x0
                oy[u] = _fma32(h3, e1, _fma32(h2, c1, _fma32(h1, b1, h0 * a1))) - y0
                oz[u] = _fma32(h3, e2, _fma32(h2, c2, _fma32(h1, b2, h0 * a2))) - z0
                dxs[u] = _fma32(h3, e3, _fma32(h2, c3, _fma32(h1, b3, h0 * a3)))
                dys[u] = _fma32(h3, e4, _fma32(h2, c4, _fma32(h1, b4, h0 * a4)))
                dzs[u] = _fma32(h3, e5, _fma32(h2, c5, _fma32(h1, b5, h0 * a5)))
            _test_chunk(ox, oy, oz, dxs, dys, dzs, m, rotation, half, k, start, t_out_pairs, code_out_pairs)


def pattern_slab_hits(boxes, homogeneous: np.ndarray, mat: np.ndarray, ray: np.ndarray, offsets: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(pair_t, pair_code) of ``actor_boxes.box_slab_hits`` for a sweep whose ray buffer is
    ``homogeneous · mat`` (``lidar_kernels.ray_buffer``), made without reading that buffer
    (``slab_hits_pattern``); ``SensorScene.cast_rays`` merges them (its ``pair_hits``)."""
    pair_t = np.empty(len(ray), np.float32)
    pair_code = np.empty(len(ray), np.int8)
    if len(ray):
        slab_hits_pattern(homogeneous, mat, np.asarray(ray, dtype=np.int64), np.asarray(offsets, dtype=np.int64),
                          np.ascontiguousarray(boxes.rotation, dtype=np.float64),
                          np.ascontiguousarray(boxes.centre, dtype=np.float64),
                          np.ascontiguousarray(boxes.half, dtype=np.float64), pair_t, pair_code)
    return pair_t, pair_code


@njit(cache=True, nogil=True)
def apply_slab_hits(ray, offsets, pair_t, pair_code, rotation, entity, n_static, t, normal, material, actor):
    """The pairs' hits into the hit arrays where strictly nearer, box by box in order (the merge's order);
    normal = ±R[:, axis] rounded to float32, as the merge writes it."""
    for k in range(len(offsets) - 1):
        e = entity[k]
        for q in range(offsets[k], offsets[k + 1]):
            i = ray[q]
            th = pair_t[q]
            if th < t[i]:
                axis = pair_code[q] >> 1
                s = -1.0 if pair_code[q] & 1 else 1.0
                t[i] = th
                normal[i, 0] = s * rotation[k, 0, axis]
                normal[i, 1] = s * rotation[k, 1, axis]
                normal[i, 2] = s * rotation[k, 2, axis]
                actor[i] = e
                material[i] = n_static + e
