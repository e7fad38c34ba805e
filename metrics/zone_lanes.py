"""Which lanes a road user is on, for the lane-level conflict zones of the PET metric.

The connecting roads of an OpenDRIVE junction (ASAM OpenDRIVE 1.8 §12) lie
on top of each other: the same square metre of asphalt belongs to a straight
lane, to two turning lanes and to their reverse-direction twins.  A conflict
zone where lanes A and B cross is therefore also crossed by users of other
lanes, who are parties to other conflicts, not to this one (Allen, Shin &
Cooper 1978 define PET between the two conflicting movements).  The
snapshot's ``LaneLocation`` (the lane the backend tracks the entity's
reference point on) says which movement a vehicle belongs to; two corrections
make it say so for the whole box:

* **straddling** — a box that reaches across its lane's border is on the
  neighbouring lane of the same road too (lane change, corner cutting,
  a wide vehicle).  The box corners are put into the road's (s, t) frame at
  the entity's s, to second order in the reference line's curvature
  (t ≈ t_tangent − κ d²/2 at distance d along the tangent), and every lane
  whose [t_inner, t_outer] the corners' t range overlaps by more than
  ``COVER_TOLERANCE`` is covered;
* **entering and leaving** — the reference point (the rear axle of an
  OpenSCENARIO vehicle) is still on the approach lane while the front is
  already in a zone at the junction's edge, and already on the exit lane
  while the rear is still in one.  A zone lane's *members* are the lane, its
  predecessors and its successors (``RoadNetwork.predecessors`` /
  ``successors``, through the junction's lane links).

Entities whose lane says nothing about their path — no lane (off the road
network, or not located) or not a vehicle (a pedestrian crosses lanes rather
than following one) — are left to the zone geometry alone.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from simplatform.errors import SimplatformError
from simplatform.world import EntityKind, LaneLocation

LaneKey = tuple[str, int]

COVER_TOLERANCE = 0.01
"""m a box must reach across a lane border to be on the lane beyond (touching the line is not)."""


def lane_members(road: Any, lane: LaneKey) -> frozenset[LaneKey]:
    """``lane`` with the lanes that lead into it and those it leads into (only ``lane`` without a road)."""
    out = {lane}
    for query in ("predecessors", "successors"):
        linked = getattr(road, query, None)
        if linked is None:
            continue
        try:
            out.update((str(r), int(l)) for r, l in linked(*lane))
        except (SimplatformError, LookupError, ValueError):   # a lane the network does not know: itself only
            continue
    return frozenset(out)


def follows_lanes(kind: EntityKind, lane: LaneLocation | None) -> bool:
    """Whether the snapshot lane of an entity tells its path (a located vehicle)."""
    return lane is not None and kind is EntityKind.VEHICLE


def covered_lanes(road: Any, lanes: Sequence[LaneLocation], corners: np.ndarray,
                  candidates: Mapping[str, Iterable[int]]) -> list[frozenset[LaneKey]]:
    """Per entity (``lanes[p]``, box ``corners[p]`` (P, 4, 2)): its own lane and those of the
    ``candidates`` lanes of its road (road id → lane ids) its box straddles at its s.

    Without a road (or one that cannot give lane borders) only the own lane is known.
    """
    # one frozenset per distinct lane, shared by its cells (equal sets; thousands at a busy junction)
    own: dict[tuple[str, int], frozenset[LaneKey]] = {}
    out = []
    for loc in lanes:
        key = (loc.road_id, int(loc.lane_id))
        lane_set = own.get(key)
        if lane_set is None:
            lane_set = own[key] = frozenset({key})
        out.append(lane_set)
    if road is None:
        return out
    by_road: dict[str, list[int]] = defaultdict(list)
    others: dict[tuple[str, object], bool] = {}   # (road, lane id as given): a candidate lane other than it
    for p, loc in enumerate(lanes):
        key = (loc.road_id, loc.lane_id)
        beside = others.get(key)
        if beside is None:
            beside = others[key] = any(lane != loc.lane_id for lane in candidates.get(loc.road_id, ()))
        if beside:
            by_road[loc.road_id].append(p)
    extra: dict[int, set[LaneKey]] = defaultdict(set)
    for rid, rows in by_road.items():
        s = np.array([lanes[p].s for p in rows], dtype=float)
        frame = _reference_frames(road, rid, s)
        if frame is None:
            continue
        t_lo, t_hi = _box_t_range(corners[rows], *frame)
        for lane in sorted(set(candidates[rid])):
            bounds = _lane_bounds(road, rid, lane, s)
            if bounds is None:
                continue
            lo, hi = np.minimum(*bounds), np.maximum(*bounds)
            with np.errstate(invalid="ignore"):
                reach = np.minimum(t_hi, hi) - np.maximum(t_lo, lo)
            for p in np.asarray(rows)[reach > COVER_TOLERANCE].tolist():
                extra[p].add((rid, lane))
    for p, more in extra.items():
        out[p] = out[p] | more
    return out


def _box_t_range(corners: np.ndarray, x0: np.ndarray, y0: np.ndarray, heading: np.ndarray,
                 curvature: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest road t of each box's corners, relative to the reference line at s."""
    c, s = np.cos(heading)[:, None], np.sin(heading)[:, None]
    dx, dy = corners[..., 0] - x0[:, None], corners[..., 1] - y0[:, None]
    along = dx * c + dy * s
    t = -dx * s + dy * c - 0.5 * curvature[:, None] * along * along
    return t.min(axis=1), t.max(axis=1)


def _reference_frames(road: Any, rid: str, s: np.ndarray) -> tuple[np.ndarray, ...] | None:
    """(x, y, heading, curvature) of road ``rid``'s reference line at each s."""
    try:
        many = getattr(road, "reference_poses_many", None)
        if many is not None:
            x, y, h, k = many(rid, s)
            return (np.asarray(x, float), np.asarray(y, float), np.asarray(h, float), np.asarray(k, float))
        poses = [road.road_pose(rid, float(v)) for v in s]   # duck-typed roads: scalar poses, no curvature
        return (np.array([p.x for p in poses]), np.array([p.y for p in poses]),
                np.array([p.heading for p in poses]), np.zeros(len(s)))
    except (SimplatformError, LookupError, ValueError, AttributeError):
        return None


def _lane_bounds(road: Any, rid: str, lane: int, s: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(t_inner, t_outer) of a lane at each s, NaN where it does not exist."""
    many = getattr(road, "lane_boundaries_many", None)
    try:
        if many is not None:
            inner, outer = many(rid, lane, s)
            return np.asarray(inner, float), np.asarray(outer, float)
    except (SimplatformError, LookupError, ValueError):
        return None
    inner, outer = np.full(len(s), np.nan), np.full(len(s), np.nan)
    for i, v in enumerate(s.tolist()):
        try:
            inner[i], outer[i] = road.lane_boundaries(rid, lane, v)
        except (SimplatformError, LookupError, ValueError, AttributeError):
            continue
    return inner, outer
