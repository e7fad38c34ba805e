"""Conflict zones from the road network, for post-encroachment time.

A junction (ASAM OpenDRIVE 1.8 §12) is where the paths of its connecting
roads (the roads whose ``junction`` attribute names it) overlap; PET
(Allen, Shin & Cooper 1978, ``metrics.pet``) measures the time between
one road user leaving such an area and another entering it.  Two levels:

* ``"lane"`` (the default, what ``MetricSuite`` uses): one zone where two
  connecting lanes cross (``metrics.conflict_areas``), carrying those two
  lanes (``ConflictZone.lanes``).  A car waiting inside the junction for
  crossing traffic to pass is then not "in conflict" with it, and oncoming
  traffic going straight does not meet a car going straight.  Connecting
  roads lie on top of each other (every lane of every connecting road, both
  directions), so a zone's polygon is also driven over by users of other
  lanes; the lanes let the PET metric count only the two movements that
  cross there;
* ``"junction"``: one zone per junction, the convex hull of its connecting
  roads' driving lanes.  Coarse: any two road users in the junction at once
  give PET 0.  A junction whose lanes only split and join (no crossing at
  30° or more: a roundabout's entries and exits) gets this zone at the lane
  level too, so that gap acceptance there is still measured.

Zones are convex because the PET metric tests box/zone overlap with the
separating axis theorem.  Direct junctions (§12.8) link roads end to end
without a shared area and get no zone.  Each zone's ``group`` is its
junction, which the PET metric uses as a broad phase.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from metrics.conflict_areas import LaneRing, crossing_area, lane_rings
from metrics.context import ConflictZone
from metrics.road_block import DRIVABLE_LANE_TYPES

ZONE_LANE_TYPES = DRIVABLE_LANE_TYPES - {"parking"}
LEVELS = ("lane", "junction")
_CACHE: "weakref.WeakKeyDictionary[Any, dict[str, tuple[ConflictZone, ...]]]" = weakref.WeakKeyDictionary()


def conflict_zones_from_road(road: Any, level: str = "lane") -> tuple[ConflictZone, ...]:
    """The conflict zones of every non-direct junction of ``road``, in junction id order.

    ``level="lane"``: one zone per pair of crossing connecting lanes, id
    ``"junction <j>: <road>/<lane> x <road>/<lane>"`` and ``lanes`` those two
    lanes (the whole junction, without lanes, where none cross);
    ``level="junction"``: one per junction, id ``"junction <j>"``.  ``road`` is a
    ``simplatform.opendrive.RoadNetwork`` (``roads``, ``junctions``,
    ``lane_boundaries_many``, ``road_poses``, ``driving_direction``); the
    result is cached per network.
    """
    if level not in LEVELS:
        raise ValueError(f"conflict zone level must be one of {LEVELS}, got {level!r}")
    try:
        cached = _CACHE.setdefault(road, {})
    except TypeError:   # not weak-referenceable: compute every time
        return _zones(road, level)
    if level not in cached:
        cached[level] = _zones(road, level)
    return cached[level]


def _zones(road: Any, level: str) -> tuple[ConflictZone, ...]:
    junctions = getattr(road, "junctions", None) or {}
    rings: dict[str, list[LaneRing]] = {}
    for rid, r in getattr(road, "roads", {}).items():
        jid = getattr(r, "junction", None)
        junction = junctions.get(jid) if jid is not None else None
        if junction is None or str(getattr(junction, "type", "default")).lower() == "direct":
            continue
        rings.setdefault(jid, []).extend(lane_rings(road, rid, r, ZONE_LANE_TYPES))
    zones: list[ConflictZone] = []
    for jid in sorted(rings, key=_natural):
        group = f"junction {jid}"
        lanes = rings[jid]
        found = []
        if level == "lane":
            for i, a in enumerate(lanes):
                for b in lanes[i + 1:]:
                    verts = crossing_area(a, b) if a.road != b.road else None
                    if verts is not None:
                        found.append(ConflictZone(f"{group}: {a.road}/{a.lane} x {b.road}/{b.lane}", _tuple(verts),
                                                  group, ((a.road, a.lane), (b.road, b.lane))))
        if not found:   # level "junction", or lanes that only split and join (a roundabout entry)
            verts = _hull(np.vstack([lane.ring for lane in lanes])) if lanes else None
            if verts is not None:
                found.append(ConflictZone(group, _tuple(verts), group))
        zones.extend(found)
    return tuple(zones)


def _hull(points: np.ndarray) -> np.ndarray | None:
    if len(points) < 3:
        return None
    try:
        return points[ConvexHull(points).vertices]   # counter-clockwise in 2-D
    except QhullError:   # all points on a line: no area
        return None


def _tuple(verts: np.ndarray) -> tuple[tuple[float, float], ...]:
    return tuple((float(x), float(y)) for x, y in verts)


def _natural(jid: str) -> tuple:
    return (0, int(jid), "") if jid.lstrip("-").isdigit() else (1, 0, jid)
