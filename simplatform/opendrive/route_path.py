"""A route as a path: lane-centre points in driving order, headed the way it is driven.

Why here and not in each consumer: a route's segments say which way each lane
is driven (``RouteSegment.direction``), which is not always the lane's own
driving direction — a two-way lane (@direction="both") may be driven against it —
and a route leaving a main road through a virtual junction (OpenDRIVE 1.7
§10.4) ends a segment in the middle of the main road and goes on from the
connecting road's end.  Sampling the segments as they are, and heading each
point by its segment's direction, gets both right; lane changes are left as the
lateral step the route makes (a consumer that wants a smooth change, like the
harness's ``/route``, blends it itself).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simplatform.opendrive.routing import Route


@dataclass(frozen=True)
class RoutePath:
    """Points along a route, start to goal.  ``s`` is the reference-line s on the
    point's road, ``along`` the route distance from the start (sum of s spans),
    ``direction`` +1/-1 as the point's segment is driven with or against s, and
    ``heading`` the direction of travel (the lane's heading turned round against s)."""

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    heading: np.ndarray
    s: np.ndarray
    along: np.ndarray
    direction: np.ndarray
    road_ids: tuple[str, ...]
    lane_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.x)


def route_path(net, route: Route, spacing: float = 1.0) -> RoutePath:
    """Lane-centre points every ``spacing`` m (each segment's ends included, a joint
    where two segments meet at one point once) of ``route`` on ``net`` (a ``RoadNetwork``)."""
    if spacing <= 0.0:
        raise ValueError(f"spacing must be positive, got {spacing:g}")
    cols: dict[str, list] = {k: [] for k in ("x", "y", "z", "heading", "s", "along", "direction", "lane")}
    roads: list[str] = []
    travelled = 0.0
    for seg in route.segments:
        n = max(2, int(math.ceil(seg.length / spacing)) + 1)
        s = np.linspace(seg.s_start, seg.s_end, n)
        poses = net.lane_poses(seg.road_id, seg.lane_id, s, np.zeros_like(s))
        x, y, z, heading = poses.x, poses.y, poses.z, poses.heading
        if cols["x"] and math.hypot(x[0] - cols["x"][-1][-1], y[0] - cols["y"][-1][-1]) < 1e-6:
            # the joint is the previous segment's last point
            s, x, y, z, heading, n = s[1:], x[1:], y[1:], z[1:], heading[1:], n - 1
        turn = 0.0 if seg.direction > 0 else math.pi
        cols["x"].append(x)
        cols["y"].append(y)
        cols["z"].append(z)
        cols["heading"].append(np.mod(heading + turn + math.pi, 2.0 * math.pi) - math.pi)
        cols["s"].append(s)
        cols["along"].append(travelled + np.abs(s - seg.s_start))
        cols["direction"].append(np.full(n, seg.direction, dtype=int))
        cols["lane"].append(np.full(n, seg.lane_id, dtype=int))
        roads.extend([seg.road_id] * n)
        travelled += seg.length
    if not roads:
        empty = np.zeros(0)
        return RoutePath(empty, empty, empty, empty, empty, empty, np.zeros(0, int), (), np.zeros(0, int))
    cat = {k: np.concatenate(v) for k, v in cols.items()}
    return RoutePath(cat["x"], cat["y"], cat["z"], cat["heading"], cat["s"], cat["along"], cat["direction"],
                     tuple(roads), cat["lane"])
