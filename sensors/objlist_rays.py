"""Compiled object-list sample rays: the rays, their box hits and which still need the static query.

Why: the object list casts 15 sample rays per reportable actor (a dozen
actors, so some hundred rays) at 10 Hz in every library scenario.  In numpy
the sample points, the bounding-sphere cull (``object_list._box_candidates``),
the slab test (``actor_boxes.merge_box_hits``) and the owner logic of
``object_list._first_meets_owner`` were some sixty array calls per cycle, each
costing more than its arithmetic; here they are one loop over the rays.

What stays outside: the static world's occlusion query on the segments
(open3d ``test_occlusions``), which the caller runs on the segments written
here, and the final share of visible rays.

Bit-identity with the numpy path (tested in
``tests/sensors/test_sensors_objlist_kernels.py``): no fastmath, so every
product and sum is rounded as written; the sample point's three-term sum is
in the order numpy's einsum ``sk,mkj->msj`` uses (0 + p0, + p2, + p1), the
squared distance in that of ``ij,ij->i`` (p0 + p2, + p1); the float32
casts, the slab test and its strict "nearer" rule (lower box index wins a
tie) are those of ``actor_boxes._merge_kernel``.  The bounding-sphere cull
only drops pairs the slab test cannot hit (its 1 cm slack), so it need not
round as the numpy cull does.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

CLEAR = 0
"""Nothing comes before the ray's end: visible (no static query needed)."""
BLOCKED = 1
"""Another actor's box comes first."""
QUERY = 2
"""Clear of boxes up to its limit: visible unless the static world has a hit on the segment."""


@njit(cache=True, error_model="numpy")
def sample_rays(samples, sel, rotation, centre, half, entity, origin):
    """``sample_rays_kernel`` with its buffers made here: (rays, state, segments, segment_actor, clear, count)."""
    n = len(sel) * len(samples)
    rays = np.empty((n, 6), dtype=np.float32)
    state = np.empty(n, dtype=np.int8)
    segments = np.empty((n, 6), dtype=np.float32)
    segment_actor = np.empty(n, dtype=np.int64)
    clear = np.zeros(len(sel), dtype=np.int64)
    count = sample_rays_kernel(samples, sel, rotation, centre, half, entity, origin, rays, state, segments,
                               segment_actor, clear)
    return rays, state, segments, segment_actor, clear, count


@njit(cache=True, error_model="numpy")
def sample_rays_kernel(samples, sel, rotation, centre, half, entity, origin, rays, state, segments, segment_actor,
                       clear):
    """Cast the ``len(samples)`` sample rays of each box ``sel[m]`` against every box; returns the segment count.

    ``rays`` (M·S, 6) float32 receives the rays ``[origin, unit direction]``; ``state`` (M·S,) int8
    CLEAR / BLOCKED / QUERY; ``segments`` (M·S, 6) float32 the first rows: the QUERY rays with the
    direction scaled by the limit (t in [0, 1] spans [origin, limit]), ``segment_actor`` their m;
    ``clear`` (M,) int64 the rays of each m that are not BLOCKED.
    """
    n_s = len(samples)
    n_m = len(sel)
    n = n_m * n_s
    dist = np.empty(n)
    o32x = np.float32(origin[0])
    o32y = np.float32(origin[1])
    o32z = np.float32(origin[2])
    longest = 0.0
    for m in range(n_m):                      # the sample points: box centre + Σ_k sample_k · edge_k
        b = sel[m]
        e0 = 2.0 * half[b, 0]
        e1 = 2.0 * half[b, 1]
        e2 = 2.0 * half[b, 2]
        for s in range(n_s):
            q = m * n_s + s
            s0 = samples[s, 0]
            s1 = samples[s, 1]
            s2 = samples[s, 2]
            vx = (centre[b, 0] + (((0.0 + s0 * (rotation[b, 0, 0] * e0)) + s2 * (rotation[b, 0, 2] * e2))
                                  + s1 * (rotation[b, 0, 1] * e1))) - origin[0]
            vy = (centre[b, 1] + (((0.0 + s0 * (rotation[b, 1, 0] * e0)) + s2 * (rotation[b, 1, 2] * e2))
                                  + s1 * (rotation[b, 1, 1] * e1))) - origin[1]
            vz = (centre[b, 2] + (((0.0 + s0 * (rotation[b, 2, 0] * e0)) + s2 * (rotation[b, 2, 2] * e2))
                                  + s1 * (rotation[b, 2, 1] * e1))) - origin[2]
            d = math.sqrt((vx * vx + vz * vz) + vy * vy)
            dist[q] = d
            if d > longest:
                longest = d
            rays[q, 0] = o32x
            rays[q, 1] = o32y
            rays[q, 2] = o32z
            rays[q, 3] = vx / d
            rays[q, 4] = vy / d
            rays[q, 5] = vz / d
    n_k = len(entity)
    radius2 = np.empty(n_k)
    for k in range(n_k):
        rad = math.sqrt(half[k, 0] * half[k, 0] + half[k, 1] * half[k, 1] + half[k, 2] * half[k, 2])
        rad = rad + 0.01 + 1e-6 * longest
        radius2[k] = rad * rad
    n_seg = 0
    for m in range(n_m):
        owner = entity[sel[m]]
        for s in range(n_s):
            q = m * n_s + s
            dx = float(rays[q, 3])
            dy = float(rays[q, 4])
            dz = float(rays[q, 5])
            dq = dist[q]
            t_box = np.float32(np.inf)
            first = -1
            for k in range(n_k):
                wx = centre[k, 0] - origin[0]          # the bounding-sphere cull of the segment [0, dist]
                wy = centre[k, 1] - origin[1]
                wz = centre[k, 2] - origin[2]
                along = dx * wx + dy * wy + dz * wz
                foot = min(max(along, 0.0), dq)
                gap2 = (wx * wx + wy * wy + wz * wz) - 2.0 * foot * along + foot * foot
                if not gap2 <= radius2[k]:
                    continue
                r = rotation[k]                          # the slab test, as actor_boxes._merge_kernel
                ox = rays[q, 0] - centre[k, 0]
                oy = rays[q, 1] - centre[k, 1]
                oz = rays[q, 2] - centre[k, 2]
                t_in = -np.inf
                t_out = np.inf
                for j in range(3):
                    o = ox * r[0, j] + oy * r[1, j] + oz * r[2, j]
                    d = dx * r[0, j] + dy * r[1, j] + dz * r[2, j]
                    if d == 0.0:
                        if o < -half[k, j] or o > half[k, j]:
                            t_in = np.inf
                        continue
                    t1 = (-half[k, j] - o) / d
                    t2 = (half[k, j] - o) / d
                    lo = min(t1, t2)
                    hi = max(t1, t2)
                    if lo > t_in:
                        t_in = lo
                    if hi < t_out:
                        t_out = hi
                if not (t_in <= t_out and t_out > 0.0):
                    continue
                th32 = np.float32(t_in if t_in > 0.0 else t_out)
                if th32 < t_box:
                    t_box = th32
                    first = entity[k]
            end = dq - 1e-3
            own = first == owner
            if not own and first >= 0 and float(t_box) < end:
                state[q] = BLOCKED
                continue
            limit = min(float(t_box), end) if own else end
            if limit > 0.0:
                state[q] = QUERY
                lim32 = np.float32(limit)
                segments[n_seg, 0] = rays[q, 0]
                segments[n_seg, 1] = rays[q, 1]
                segments[n_seg, 2] = rays[q, 2]
                segments[n_seg, 3] = rays[q, 3] * lim32
                segments[n_seg, 4] = rays[q, 4] * lim32
                segments[n_seg, 5] = rays[q, 5] * lim32
                segment_actor[n_seg] = m
                n_seg += 1
            else:
                state[q] = CLEAR
            clear[m] += 1
    return n_seg
