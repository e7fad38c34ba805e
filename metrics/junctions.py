"""Conflict zones from the road network: one per OpenDRIVE junction, for post-encroachment time.

A junction (ASAM OpenDRIVE 1.8 §12) is where the paths of its connecting
roads overlap; PET (Allen, Shin & Cooper 1978, ``metrics.safety``) measures
the time between one road user leaving such an area and another entering
it.  The zone of a junction is the convex hull of the driving lanes of its
connecting roads (the roads whose ``junction`` attribute names it): convex
because the PET metric tests box/zone overlap with the separating axis
theorem, and the hull of a junction's lanes is the area the stop lines or
the incoming roads' ends bound.  Direct junctions (§12.8) link roads end to
end without a shared area and get no zone.

The zone is coarse on purpose (the whole junction): two vehicles in the
junction at once give PET 0 even where their lanes do not cross (oncoming
traffic going straight); scenarios that need lane-level conflict areas
should pass ``ScenarioContext.conflict_zones`` explicitly.
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from metrics.context import ConflictZone
from metrics.road_block import DRIVABLE_LANE_TYPES

SAMPLE_STEP = 1.0   # m along each connecting road between outline samples
ZONE_LANE_TYPES = DRIVABLE_LANE_TYPES - {"parking"}
_CACHE: "weakref.WeakKeyDictionary[Any, tuple[ConflictZone, ...]]" = weakref.WeakKeyDictionary()


def conflict_zones_from_road(road: Any) -> tuple[ConflictZone, ...]:
    """One :class:`ConflictZone` per non-direct junction of ``road`` (id ``"junction <id>"``),
    in junction id order; a junction without driving lanes on its connecting roads gets none.

    ``road`` is a ``simplatform.opendrive.RoadNetwork`` (``roads``, ``junctions``,
    ``lane_boundaries_many``, ``road_poses``); the result is cached per network.
    """
    try:
        cached = _CACHE.get(road)
    except TypeError:   # not weak-referenceable: compute every time
        return _zones(road)
    if cached is None:
        cached = _CACHE[road] = _zones(road)
    return cached


def _zones(road: Any) -> tuple[ConflictZone, ...]:
    junctions = getattr(road, "junctions", None) or {}
    points: dict[str, list[np.ndarray]] = {}
    for rid, r in getattr(road, "roads", {}).items():
        jid = getattr(r, "junction", None)
        junction = junctions.get(jid) if jid is not None else None
        if junction is None or str(getattr(junction, "type", "default")).lower() == "direct":
            continue
        points.setdefault(jid, []).extend(_lane_outline_points(road, rid, r))
    zones = []
    for jid in sorted(points, key=_natural):
        pts = np.vstack(points[jid]) if points[jid] else np.zeros((0, 2))
        if len(pts) < 3:
            continue
        try:
            hull = ConvexHull(pts)
        except QhullError:   # all points on a line: no area
            continue
        verts = pts[hull.vertices]   # counter-clockwise in 2-D
        zones.append(ConflictZone(f"junction {jid}", tuple((float(x), float(y)) for x, y in verts)))
    return tuple(zones)


def _lane_outline_points(road: Any, rid: str, r: Any) -> list[np.ndarray]:
    """Both borders of every driving lane of one road, sampled every ``SAMPLE_STEP`` metres (N, 2)."""
    out = []
    length = float(r.length)
    for section in r.lane_sections:
        end = min(float(section.s_end), length)
        n = max(2, math.ceil((end - section.s) / SAMPLE_STEP) + 1)
        s = np.linspace(section.s, max(section.s, end - 1e-6), n)
        for lane in (*section.left, *section.right):
            if str(lane.type).lower() not in ZONE_LANE_TYPES:
                continue
            inner, outer = road.lane_boundaries_many(rid, lane.id, s)
            ok = ~(np.isnan(inner) | np.isnan(outer))
            if not ok.any():
                continue
            ss = np.concatenate([s[ok], s[ok]])
            poses = road.road_poses(rid, ss, np.concatenate([inner[ok], outer[ok]]))
            out.append(np.stack([poses.x, poses.y], axis=1))
    return out


def _natural(jid: str) -> tuple:
    return (0, int(jid), "") if jid.lstrip("-").isdigit() else (1, 0, jid)
