"""Where two junction lanes cross: the conflict areas of one OpenDRIVE junction.

A conflict area is the overlap of two driving lanes of a junction's
connecting roads whose directions of travel there differ by at least
``CROSSING_ANGLE`` (30°): paths that cross, as the conflict points of an
intersection are drawn in traffic engineering (crossing, and left turns
against oncoming traffic).  Overlaps at smaller angles — a turning lane and
the straight lane it splits from at the entry, or joins at the exit — are
following situations, which headway and TTC measure; lanes of one road never
cross.  PET (Allen, Shin & Cooper 1978) is defined at such a crossing: the
time between the first road user leaving it and the second arriving.

Each lane is a ring: its two borders sampled every ``SAMPLE_STEP`` along s,
closed by the end caps.  The overlap of two rings is bounded by the vertices
of each inside the other and the crossings of their edges; the area is the
convex hull of those points (the PET metric tests convex zones), kept when
it is at least ``MIN_AREA``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import ConvexHull, QhullError

SAMPLE_STEP = 1.0                   # m between border samples (chord error ≈ step² / (8 radius): 1 cm at 13 m)
CROSSING_ANGLE = math.radians(30)   # smallest angle between the two travel directions of a crossing
MIN_AREA = 0.5                      # m², smaller overlaps are grazes of two border lines
INSIDE_TOLERANCE = 0.01             # m, a vertex this close to the other ring's border is on it, not inside


@dataclass(frozen=True)
class LaneRing:
    """One lane of a connecting road as a closed polygon, with its travel heading per border sample."""

    road: str
    lane: int
    ring: np.ndarray      # (K, 2), closed implicitly (last → first)
    samples: np.ndarray   # (n, 2) centre line
    heading: np.ndarray   # (n,) direction of travel along the centre line
    half_width: np.ndarray  # (n,)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        lo, hi = self.ring.min(axis=0), self.ring.max(axis=0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


def lane_rings(road: Any, rid: str, r: Any, lane_types: frozenset[str]) -> list[LaneRing]:
    """Every lane of ``lane_types`` of one road as a :class:`LaneRing` (one per lane section)."""
    out = []
    length = float(r.length)
    for section in r.lane_sections:
        end = min(float(section.s_end), length)
        n = max(2, math.ceil((end - section.s) / SAMPLE_STEP) + 1)
        s = np.linspace(section.s, max(section.s, end - 1e-6), n)
        for lane in (*section.left, *section.right):
            if str(lane.type).lower() not in lane_types:
                continue
            inner, outer = road.lane_boundaries_many(rid, lane.id, s)
            ok = ~(np.isnan(inner) | np.isnan(outer))
            if ok.sum() < 2:
                continue
            ss, a, b = s[ok], inner[ok], outer[ok]
            pa, pb = road.road_poses(rid, ss, a), road.road_poses(rid, ss, b)
            pc = road.road_poses(rid, ss, 0.5 * (a + b))
            ring = np.concatenate([np.stack([pa.x, pa.y], 1), np.stack([pb.x, pb.y], 1)[::-1]])
            flip = 0.0 if road.driving_direction(rid, lane.id) > 0 else math.pi
            out.append(LaneRing(rid, lane.id, ring, np.stack([pc.x, pc.y], 1), np.asarray(pc.heading) + flip,
                                0.5 * np.abs(b - a)))
    return out


def crossing_area(a: LaneRing, b: LaneRing) -> np.ndarray | None:
    """Vertices (counter-clockwise) of the convex hull of where ``a`` and ``b`` cross, or None."""
    ax0, ay0, ax1, ay1 = a.bounds
    bx0, by0, bx1, by1 = b.bounds
    if ax1 < bx0 or bx1 < ax0 or ay1 < by0 or by1 < ay0 or not _may_cross(a, b):
        return None
    points = np.vstack([a.ring[_inside(a.ring, b.ring)], b.ring[_inside(b.ring, a.ring)],
                        _edge_crossings(a.ring, b.ring)])
    if len(points) < 3:
        return None
    try:
        hull = ConvexHull(points)
    except QhullError:   # collinear: the rings only touch
        return None
    if hull.volume < MIN_AREA:   # in 2-D ``volume`` is the area
        return None
    verts = points[hull.vertices]
    centre = verts.mean(axis=0)
    if _angle_between(_heading_near(a, centre), _heading_near(b, centre)) < CROSSING_ANGLE:
        return None
    return verts


def _inside(points: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Points strictly inside a closed ring (even-odd rule), farther than the tolerance from its edges."""
    out = np.zeros(len(points), dtype=bool)
    lo, hi = ring.min(axis=0), ring.max(axis=0)
    cand = np.flatnonzero(np.all((points > lo) & (points < hi), axis=1))
    if cand.size == 0:
        return out
    p0, p1 = ring, np.roll(ring, -1, axis=0)
    x, y = points[cand, 0:1], points[cand, 1:2]
    straddle = (p0[None, :, 1] > y) != (p1[None, :, 1] > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_cross = p0[None, :, 0] + (y - p0[None, :, 1]) * (p1[None, :, 0] - p0[None, :, 0]) / (
            p1[None, :, 1] - p0[None, :, 1])
    cand = cand[(np.count_nonzero(straddle & (x < x_cross), axis=1) % 2) == 1]
    if cand.size == 0:
        return out
    d = p1 - p0
    w = points[cand, None, :] - p0[None, :, :]
    u = np.clip(np.einsum("psd,sd->ps", w, d) / np.maximum(np.einsum("sd,sd->s", d, d), 1e-12), 0.0, 1.0)
    gap = np.hypot(*(w - u[..., None] * d[None]).transpose(2, 0, 1)).min(axis=1)
    out[cand[gap > INSIDE_TOLERANCE]] = True
    return out


def _edge_crossings(ra: np.ndarray, rb: np.ndarray) -> np.ndarray:
    """Points where an edge of ring ``ra`` crosses an edge of ring ``rb`` (parallel edges never do)."""
    a0, b0 = ra[:, None, :], rb[None, :, :]
    r = (np.roll(ra, -1, axis=0) - ra)[:, None, :]
    s = (np.roll(rb, -1, axis=0) - rb)[None, :, :]
    denom = r[..., 0] * s[..., 1] - r[..., 1] * s[..., 0]
    q = b0 - a0
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (q[..., 0] * s[..., 1] - q[..., 1] * s[..., 0]) / denom
        v = (q[..., 0] * r[..., 1] - q[..., 1] * r[..., 0]) / denom
    norms = np.hypot(r[..., 0], r[..., 1]) * np.hypot(s[..., 0], s[..., 1])
    hit = (np.abs(denom) > 1e-9 * norms) & (t >= 0) & (t <= 1) & (v >= 0) & (v <= 1)
    i, j = np.nonzero(hit)
    return ra[i] + t[i, j, None] * r[i, 0]


def _may_cross(a: LaneRing, b: LaneRing) -> bool:
    """Cheap necessary test: some centre-line samples of the two lanes are within their half widths
    (plus a sample step) of each other while their travel directions differ by the crossing angle."""
    gap = np.hypot(a.samples[:, None, 0] - b.samples[None, :, 0], a.samples[:, None, 1] - b.samples[None, :, 1])
    near = gap < a.half_width[:, None] + b.half_width[None, :] + SAMPLE_STEP
    if not near.any():
        return False
    i, j = np.nonzero(near)
    turn = np.abs((a.heading[i] - b.heading[j] + math.pi) % (2 * math.pi) - math.pi)
    return bool(np.any(turn >= CROSSING_ANGLE))


def _heading_near(lane: LaneRing, point: np.ndarray) -> float:
    k = int(np.argmin(np.hypot(*(lane.samples - point).T)))
    return float(lane.heading[k])


def _angle_between(h1: float, h2: float) -> float:
    return abs((h1 - h2 + math.pi) % (2 * math.pi) - math.pi)
