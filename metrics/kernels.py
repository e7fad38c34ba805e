"""Compiled pair geometry over blocks of steps (numba).

Why compiled: the metrics run every step with a few dozen actors, where numpy
spends more time entering a call than computing on 20 elements; looping over
steps × actors × actors in machine code costs about a nanosecond per pair.
Each kernel repeats the float operations of the numpy reference in
``metrics.geometry`` (corner order, separating axes, vertex-to-edge distance)
so that decisions at exact contact come out the same.

Sources: separating axis theorem for oriented boxes (Gottschalk, Lin &
Manocha 1996; Ericson, *Real-Time Collision Detection* §4.4); closest points
of disjoint convex polygons at a vertex (Ericson §5.1.9); time to collision
at constant velocity (Hayward 1972) and of bounding discs.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_SX = (1.0, -1.0, -1.0, 1.0)   # front-left, rear-left, rear-right, front-right (metrics.geometry._CORNER_SIGNS)
_SY = (1.0, 1.0, -1.0, -1.0)


@njit(cache=True)
def block_corners(cx, cy, cos_h, sin_h, length, width):
    """World corners (T, N, 4, 2) of every box of a block, as ``geometry.box_corners``."""
    T, N = cx.shape
    out = np.empty((T, N, 4, 2))
    for k in range(T):
        for i in range(N):
            c, s = cos_h[k, i], sin_h[k, i]
            hl, hw = length[k, i] / 2, width[k, i] / 2
            for m in range(4):
                lx, ly = _SX[m] * hl, _SY[m] * hw
                out[k, i, m, 0] = cx[k, i] + c * lx - s * ly
                out[k, i, m, 1] = cy[k, i] + s * lx + c * ly
    return out


@njit(cache=True)
def _separated_on(corners, k, i, j, ax, ay):
    """Whether the projections of boxes (k, i) and (k, j) on axis (ax, ay) are disjoint."""
    amin, amax, bmin, bmax = np.inf, -np.inf, np.inf, -np.inf
    for m in range(4):
        pa = corners[k, i, m, 0] * ax + corners[k, i, m, 1] * ay
        pb = corners[k, j, m, 0] * ax + corners[k, j, m, 1] * ay
        amin, amax = min(amin, pa), max(amax, pa)
        bmin, bmax = min(bmin, pb), max(bmax, pb)
    return amax < bmin or bmax < amin


@njit(cache=True)
def boxes_touch(corners, k, i, j):
    """SAT for boxes i and j of step k, on the two edge directions of each; touching counts as overlap."""
    for box in (i, j):
        for e in range(2):
            ax = corners[k, box, e, 0] - corners[k, box, e + 1, 0]
            ay = corners[k, box, e, 1] - corners[k, box, e + 1, 1]
            if _separated_on(corners, k, i, j, ax, ay):
                return False
    return True


@njit(cache=True)
def _vertex_edge_sq(corners, k, p, q):
    """Smallest squared distance from a corner of box p to an edge of box q (step k)."""
    best = np.inf
    for v in range(4):
        for e in range(4):
            f = (e + 1) % 4
            dx, dy = corners[k, q, f, 0] - corners[k, q, e, 0], corners[k, q, f, 1] - corners[k, q, e, 1]
            wx, wy = corners[k, p, v, 0] - corners[k, q, e, 0], corners[k, p, v, 1] - corners[k, q, e, 1]
            dd = max(dx * dx + dy * dy, 1e-12)
            t = min(max((wx * dx + wy * dy) / dd, 0.0), 1.0)
            rx, ry = wx - t * dx, wy - t * dy
            best = min(best, rx * rx + ry * ry)
    return best


@njit(cache=True)
def box_distance(corners, k, i, j):
    """Distance between boxes i and j of step k; 0 where they overlap (``geometry.boxes_distance``)."""
    if boxes_touch(corners, k, i, j):
        return 0.0
    return math.sqrt(min(_vertex_edge_sq(corners, k, i, j), _vertex_edge_sq(corners, k, j, i)))


@njit(cache=True)
def _contact_pass(cx, cy, radius, corners, out):
    """Count the pairs in contact; also write them (step, i, j) when ``out`` has room for them."""
    T, N = cx.shape
    n = 0
    for k in range(T):
        for i in range(N):
            for j in range(i + 1, N):
                dx = cx[k, i] - cx[k, j]
                dy = cy[k, i] - cy[k, j]
                rr = radius[k, i] + radius[k, j]
                if dx * dx + dy * dy <= rr * rr:
                    if boxes_touch(corners, k, i, j):
                        if n < out.shape[0]:
                            out[n, 0] = k
                            out[n, 1] = i
                            out[n, 2] = j
                        n += 1
    return n


def block_contacts(cx, cy, radius, corners) -> np.ndarray:
    """(step, i, j) with i < j of every pair of boxes in contact: disc broad phase, SAT narrow phase.

    Contacts are rare, so a counting pass comes first and a second pass writes
    them only when the first found more than the guess had room for (room for
    one pair in contact all along the block, e.g. two parked cars overlapping)."""
    out = np.empty((max(64, 2 * cx.shape[0]), 3), dtype=np.int64)
    n = _contact_pass(cx, cy, radius, corners, out)
    if n > len(out):
        out = np.empty((n, 3), dtype=np.int64)
        _contact_pass(cx, cy, radius, corners, out)
    return out[:n]


@njit(cache=True)
def ego_pairs(e, cx, cy, vx, vy, cos_h, sin_h, length, width, radius, corners, near_range, horizon):
    """The ego against every other entity, per step of a block (``frame.EgoNeighbours`` + surrogate safety).

    The reference ``metrics.ego_pass.ego_pass`` (what ``StepBlock.neighbours`` runs) is tested
    against, bit for bit, with ``lead_values`` and ``row_argmin``.

    Returns (T, N) arrays — box distance, bumper gap, closing speed, in-path
    mask, path TTC, 2-D disc TTC, predicted miss distance — with the ego's
    own column neutral (inf / False), and the in-path leader per step (−1 if
    none).  Box distance is exact for every entity whose disc lower bound is
    within max(nearest centre distance, ``near_range``), the disc bound
    elsewhere (larger than the true distance, so minima and near thresholds
    are exact).
    """
    T, N = cx.shape
    dist = np.full((T, N), np.inf)
    gap = np.full((T, N), np.inf)
    closing = np.zeros((T, N))
    in_path = np.zeros((T, N), dtype=np.bool_)
    ttc = np.full((T, N), np.inf)
    ttc2 = np.full((T, N), np.inf)
    miss = np.full((T, N), np.inf)
    lead = np.full(T, -1, dtype=np.int64)
    centre = np.empty(N)
    for k in range(T):
        ch, sh = cos_h[k, e], sin_h[k, e]
        ex, ey, evx, evy = cx[k, e], cy[k, e], vx[k, e], vy[k, e]
        half_le, half_we = length[k, e] / 2, width[k, e] / 2
        nearest = np.inf
        for j in range(N):
            if j == e:
                continue
            dx, dy = cx[k, j] - ex, cy[k, j] - ey
            dvx, dvy = vx[k, j] - evx, vy[k, j] - evy
            rel_x = ch * dx + sh * dy
            rel_y = ch * dy - sh * dx
            rel_vx = ch * dvx + sh * dvy
            rel_vy = ch * dvy - sh * dvx
            co, so = cos_h[k, j], sin_h[k, j]
            cos_d = abs(co * ch + so * sh)
            sin_d = abs(so * ch - co * sh)
            hl, hw = length[k, j] / 2, width[k, j] / 2
            half_long = hl * cos_d + hw * sin_d
            half_lat = hl * sin_d + hw * cos_d
            path = rel_x > 0 and abs(rel_y) < half_we + half_lat
            g = rel_x - half_le - half_long
            cl = -rel_vx
            in_path[k, j], gap[k, j], closing[k, j] = path, g, cl
            if path and cl > 0 and g > 0:
                ttc[k, j] = g / cl
            rs = radius[k, e] + radius[k, j]
            centre[j] = math.hypot(dx, dy)
            nearest = min(nearest, centre[j])
            dist[k, j] = max(centre[j] - rs, 0.0)
            # 2-D disc TTC and closest approach (metrics.safety._disc_ttc)
            a = rel_vx * rel_vx + rel_vy * rel_vy
            pv = rel_x * rel_vx + rel_y * rel_vy
            b = 2 * pv
            c = rel_x * rel_x + rel_y * rel_y - rs * rs
            disc = b * b - 4 * a * c
            if c <= 0:
                ttc2[k, j] = 0.0
            elif a > 1e-12 and disc >= 0:
                root = (-b - math.sqrt(max(disc, 0.0))) / (2 * a)
                if root >= 0:
                    ttc2[k, j] = root
            if a > 1e-12:
                t_star = -pv / a
                if t_star > 0 and t_star <= horizon:
                    miss[k, j] = math.hypot(rel_x + rel_vx * t_star, rel_y + rel_vy * t_star)
        reach = max(nearest, near_range)
        best = np.inf
        for j in range(N):
            if j == e:
                continue
            if dist[k, j] <= reach:
                dist[k, j] = box_distance(corners, k, e, j)
            if in_path[k, j] and gap[k, j] < best:
                best, lead[k] = gap[k, j], j
    return dist, gap, closing, in_path, ttc, ttc2, miss, lead


@njit(cache=True)
def lead_values(lead, gap, closing):
    """The in-path leader's gap and closing speed per step (inf and 0 where there is none), read out of
    ``ego_pairs``'s (T, N) arrays: what ``np.where(lead >= 0, gap[rows, lead], inf)`` gives."""
    T = lead.shape[0]
    lead_gap, lead_closing = np.full(T, np.inf), np.zeros(T)
    for k in range(T):
        j = lead[k]
        if j >= 0:
            lead_gap[k], lead_closing[k] = gap[k, j], closing[k, j]
    return lead_gap, lead_closing


@njit(cache=True)
def row_argmin(a):
    """``np.argmin(a, axis=1)`` of a (T, N) array (N > 0) and the minima: the first smallest entry
    of each row, or the row's first NaN when it has one, as numpy answers."""
    T, N = a.shape
    index = np.zeros(T, dtype=np.int64)
    value = np.empty(T)
    for k in range(T):
        best, at = a[k, 0], 0
        if best == best:
            for j in range(1, N):
                v = a[k, j]
                if v != v:
                    best, at = v, j
                    break
                if v < best:
                    best, at = v, j
        index[k], value[k] = at, best
    return index, value


@njit(cache=True)
def route_progress(px, py, dx, dy, index, window, xs, ys, first_offset):
    """Per step, the last route waypoint passed by ScenarioRunner's windowed rule (``route._Progress``).

    Waypoint k is passed when (ego − waypoint)·forward > 0, searching from the
    current index (+``first_offset`` on each step) to index + window."""
    M = px.shape[0]
    out = np.empty(xs.shape[0], dtype=np.int64)
    for n in range(xs.shape[0]):
        x, y = xs[n], ys[n]
        hi = min(index + window + 1, M)
        for k in range(index + first_offset, hi):
            if (x - px[k]) * dx[k] + (y - py[k]) * dy[k] > 0:
                index = k
        out[n] = index
    return out


@njit(cache=True)
def in_route(px, py, cumulative, index, window, xs, ys, offroute_min, offroute_max, max_percentage, out_distance):
    """ScenarioRunner ``InRouteTest`` over a block of ego positions.

    Per step: the closest waypoint in [index, index + window] (the later one on
    ties); moving the tracker there adds the skipped route length to the
    out-of-route distance when the ego is ``offroute_min`` or more away.  A
    deviation is a distance ≥ ``offroute_max`` or out-of-route distance above
    ``max_percentage`` of the route.  Returns (index, out_distance, first
    deviating step or −1, the distance there).
    """
    M = px.shape[0]
    length = cumulative[M - 1]
    for n in range(xs.shape[0]):
        x, y = xs[n], ys[n]
        best, best_d = index, np.inf
        for k in range(index, min(index + window + 1, M)):
            d = math.hypot(x - px[k], y - py[k])
            if d <= best_d:
                best, best_d = k, d
        off = best_d >= offroute_max
        if best != index:
            if best_d >= offroute_min:
                out_distance += cumulative[best] - cumulative[index]
                off = off or 100 * out_distance / length > max_percentage
            index = best
        if off:
            return index, out_distance, n, best_d
    return index, out_distance, -1, 0.0


@njit(cache=True)
def _segment_d2(px, py, i, x, y):
    """Squared distance from (x, y) to route segment i (points i → i+1)."""
    dx, dy = px[i + 1] - px[i], py[i + 1] - py[i]
    ll = max(dx * dx + dy * dy, 1e-18)
    u = min(max(((x - px[i]) * dx + (y - py[i]) * dy) / ll, 0.0), 1.0)
    rx, ry = x - px[i] - u * dx, y - py[i] - u * dy
    return rx * rx + ry * ry


@njit(cache=True)
def _descend(px, py, x, y, i):
    """The route segment nearest to (x, y), by descent from segment i (a warm start: the previous
    step's segment, so a route passing the same place twice is followed, not jumped)."""
    last = px.shape[0] - 2
    i = min(max(i, 0), last)
    best = _segment_d2(px, py, i, x, y)
    while i < last:
        d = _segment_d2(px, py, i + 1, x, y)
        if d > best:
            break
        i, best = i + 1, d
    while i > 0:
        d = _segment_d2(px, py, i - 1, x, y)
        if d >= best:
            break
        i, best = i - 1, d
    return i


@njit(cache=True)
def _nearest_point(px, py, x, y):
    best, at = np.inf, 0
    for i in range(px.shape[0] - 1):
        d = _segment_d2(px, py, i, x, y)
        if d < best:
            best, at = d, i
    return at


@njit(cache=True)
def route_tangents(px, py):
    """Unit tangent of each route segment, computed once per route as ``route_path_ttc`` did per use."""
    m = px.shape[0] - 1
    tx, ty = np.empty(m), np.empty(m)
    for i in range(m):
        ux, uy = px[i + 1] - px[i], py[i + 1] - py[i]
        norm = math.hypot(ux, uy)
        tx[i], ty[i] = ux / norm, uy / norm
    return tx, ty


@njit(cache=True)
def route_path_ttc(e, cx, cy, vx, vy, cos_h, sin_h, length, width, px, py, tx_all, ty_all, cumulative, hint):
    """Time to collision along the route (Frenet frame of the route polyline), per step and entity.

    Each box centre is projected on the route: s (arc length) and d (signed
    lateral offset, left positive).  An entity is in the ego's path when it
    is ahead in s and the lateral extents (box extents across the route
    tangent at each one's own s) overlap in d; the gap is the difference in
    s less both longitudinal half extents, and the closing speed the
    difference of the velocities along each one's tangent.  On a straight
    route driven along it this is the ego-heading construction of
    ``ego_pairs``; on a curve it follows the road where the heading would
    leave it.  ``hint`` is the ego's segment before the block (−1: unknown); ``tx_all``, ``ty_all``
    the segments' unit tangents (``route_tangents``).
    Returns (T, N) TTC (inf where no collision course) and the last ego segment.
    The reference ``metrics.route_ttc.route_path_ttc`` (what the surrogate-safety metric runs) is
    tested against, bit for bit.
    """
    T, N = cx.shape
    ttc = np.full((T, N), np.inf)
    seg = np.zeros(N, dtype=np.int64)
    for k in range(T):
        x, y = cx[k, e], cy[k, e]
        ie = _nearest_point(px, py, x, y) if hint < 0 else _descend(px, py, x, y, hint)
        hint = ie
        tx, ty = tx_all[ie], ty_all[ie]
        s_e = cumulative[ie] + (x - px[ie]) * tx + (y - py[ie]) * ty
        d_e = tx * (y - py[ie]) - ty * (x - px[ie])
        ca, sa = abs(cos_h[k, e] * tx + sin_h[k, e] * ty), abs(sin_h[k, e] * tx - cos_h[k, e] * ty)
        long_e = length[k, e] / 2 * ca + width[k, e] / 2 * sa
        lat_e = length[k, e] / 2 * sa + width[k, e] / 2 * ca
        v_e = vx[k, e] * tx + vy[k, e] * ty
        for j in range(N):
            if j == e:
                continue
            xj, yj = cx[k, j], cy[k, j]
            if k == 0:
                guess = s_e + (xj - x) * tx + (yj - y) * ty
                seg[j] = np.searchsorted(cumulative, guess) - 1
            ij = _descend(px, py, xj, yj, seg[j])
            seg[j] = ij
            ux, uy = tx_all[ij], ty_all[ij]
            s_j = cumulative[ij] + (xj - px[ij]) * ux + (yj - py[ij]) * uy
            if s_j <= s_e:
                continue
            d_j = ux * (yj - py[ij]) - uy * (xj - px[ij])
            ca, sa = abs(cos_h[k, j] * ux + sin_h[k, j] * uy), abs(sin_h[k, j] * ux - cos_h[k, j] * uy)
            long_j = length[k, j] / 2 * ca + width[k, j] / 2 * sa
            lat_j = length[k, j] / 2 * sa + width[k, j] / 2 * ca
            if abs(d_j - d_e) >= lat_e + lat_j:
                continue
            gap = s_j - s_e - long_e - long_j
            closing = v_e - (vx[k, j] * ux + vy[k, j] * uy)
            if closing > 0 and gap > 0:
                ttc[k, j] = gap / closing
    return ttc, hint
