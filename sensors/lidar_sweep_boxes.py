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
from numba import njit


CHUNK = 256
"""Pairs ``slab_hits`` tests per vector loop (their rays are gathered into contiguous rows first)."""


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
        r00, r01, r02 = rotation[k, 0, 0], rotation[k, 0, 1], rotation[k, 0, 2]
        r10, r11, r12 = rotation[k, 1, 0], rotation[k, 1, 1], rotation[k, 1, 2]
        r20, r21, r22 = rotation[k, 2, 0], rotation[k, 2, 1], rotation[k, 2, 2]
        c0, c1, c2 = centre[k, 0], centre[k, 1], centre[k, 2]
        h0, h1, h2 = half[k, 0], half[k, 1], half[k, 2]
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
            for u in range(m):
                a = ox[u]
                b = oy[u]
                c = oz[u]
                dx = dxs[u]
                dy = dys[u]
                dz = dzs[u]
                t_in = -np.inf
                t_out = np.inf
                axis_in = 0
                axis_out = 0
                missed = False
                o = a * r00 + b * r10 + c * r20
                d0 = dx * r00 + dy * r10 + dz * r20
                par = d0 == 0.0
                missed |= par & ((o < -h0) | (o > h0))
                t1 = (-h0 - o) / d0
                t2 = (h0 - o) / d0
                lo = min(t1, t2)
                hi = max(t1, t2)
                up = (not par) & (lo > t_in)
                t_in = lo if up else t_in
                axis_in = 0 if up else axis_in
                up = (not par) & (hi < t_out)
                t_out = hi if up else t_out
                axis_out = 0 if up else axis_out
                o = a * r01 + b * r11 + c * r21
                d1 = dx * r01 + dy * r11 + dz * r21
                par = d1 == 0.0
                missed |= par & ((o < -h1) | (o > h1))
                t1 = (-h1 - o) / d1
                t2 = (h1 - o) / d1
                lo = min(t1, t2)
                hi = max(t1, t2)
                up = (not par) & (lo > t_in)
                t_in = lo if up else t_in
                axis_in = 1 if up else axis_in
                up = (not par) & (hi < t_out)
                t_out = hi if up else t_out
                axis_out = 1 if up else axis_out
                o = a * r02 + b * r12 + c * r22
                d2 = dx * r02 + dy * r12 + dz * r22
                par = d2 == 0.0
                missed |= par & ((o < -h2) | (o > h2))
                t1 = (-h2 - o) / d2
                t2 = (h2 - o) / d2
                lo = min(t1, t2)
                hi = max(t1, t2)
                up = (not par) & (lo > t_in)
                t_in = lo if up else t_in
                axis_in = 2 if up else axis_in
                up = (not par) & (hi < t_out)
                t_out = hi if up else t_out
                axis_out = 2 if up else axis_out
                hit = (not missed) & (t_in <= t_out) & (t_out > 0.0)
                entering = t_in > 0.0
                th = t_in if entering else t_out
                axis = axis_in if entering else axis_out
                d_axis = d0 if axis == 0 else (d1 if axis == 1 else d2)
                flip = (d_axis > 0.0) == entering                  # s = sign if d_axis > 0 else −sign; −1: flip
                t_out_pairs[start + u] = np.float32(th) if hit else np.float32(np.inf)
                code_out_pairs[start + u] = 2 * axis + (1 if flip else 0)


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
