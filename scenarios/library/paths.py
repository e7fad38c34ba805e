"""Where things are on the library maps: lane points and route polylines.

Generators place actors so that conflicts happen where the source says
(Euro NCAP impact points, R157 cut-in distances) *if the ego keeps its
speed*; that needs arc lengths along lanes and junction paths, which the
road model (``simplatform.opendrive``) answers.  Used at generation time only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from scenarios.maps import map_path


@lru_cache(maxsize=None)
def network(map_name: str):
    from simplatform.opendrive import load_opendrive

    return load_opendrive(map_path(map_name))


def lane_point(map_name: str, road: int | str, lane_id: int, s: float, offset: float = 0.0) -> tuple[float, float, float]:
    """World (x, y, travel heading) of a lane point; the heading follows the lane's driving direction."""
    net = network(map_name)
    pose = net.lane_pose(str(road), lane_id, s, offset)
    heading = pose.heading + (math.pi if net.driving_direction(str(road), lane_id) < 0 else 0.0)
    return pose.x, pose.y, heading


@dataclass(frozen=True)
class Path:
    """A travel path sampled every ~0.5 m: points (N, 2), headings (N,), cumulative length (N,)."""

    xy: np.ndarray
    heading: np.ndarray
    s: np.ndarray

    @property
    def length(self) -> float:
        return float(self.s[-1])

    def at(self, d: float) -> tuple[float, float, float]:
        """(x, y, heading) at arc length ``d`` (clamped to the path)."""
        d = min(max(d, 0.0), self.length)
        x = float(np.interp(d, self.s, self.xy[:, 0]))
        y = float(np.interp(d, self.s, self.xy[:, 1]))
        k = int(min(np.searchsorted(self.s, d), len(self.s) - 1))
        return x, y, float(self.heading[k])

    def offset_point(self, d: float, lateral: float) -> tuple[float, float, float]:
        """The point ``lateral`` m to the left of the path at ``d``."""
        x, y, h = self.at(d)
        return x - lateral * math.sin(h), y + lateral * math.cos(h), h


def route_path(map_name: str, start: tuple, goal: tuple, via: tuple = (), step: float = 0.5) -> Path:
    """The lane-centre path of the shortest route from ``start`` to ``goal`` ((road, lane, s) each)."""
    from simplatform.opendrive import LanePosition

    net = network(map_name)
    lp = [LanePosition(str(r), int(l), float(s)) for r, l, s in (start, *via, goal)]
    route = net.route(lp[0], lp[-1], lp[1:-1])
    chunks = []
    for seg in route.segments:
        n = max(2, int(abs(seg.s_end - seg.s_start) / step) + 1)
        s = np.linspace(seg.s_start, seg.s_end, n)
        poses = net.lane_poses(seg.road_id, seg.lane_id, s, np.zeros(n))
        chunks.append(np.column_stack([poses.x, poses.y]))
    xy = np.vstack(chunks)
    seg = np.diff(xy, axis=0)
    length = np.hypot(seg[:, 0], seg[:, 1])
    keep = np.concatenate([[True], length > 1e-6])
    xy = xy[keep]
    seg = np.diff(xy, axis=0)
    cum = np.concatenate([[0.0], np.cumsum(np.hypot(seg[:, 0], seg[:, 1]))])
    heading = np.arctan2(seg[:, 1], seg[:, 0])
    heading = np.concatenate([heading, heading[-1:]])
    return Path(xy, heading, cum)


def crossing(a: Path, b: Path) -> tuple[float, float]:
    """Arc lengths (along a, along b) where the two paths first cross (segment intersection),
    or, for merging paths, where they first come within 0.5 m."""
    p, r = a.xy[:-1], np.diff(a.xy, axis=0)
    for j in range(len(b.xy) - 1):
        q, sv = b.xy[j], b.xy[j + 1] - b.xy[j]
        denom = r[:, 0] * sv[1] - r[:, 1] * sv[0]
        ok = np.abs(denom) > 1e-12
        qp = q - p
        t = np.where(ok, (qp[:, 0] * sv[1] - qp[:, 1] * sv[0]) / np.where(ok, denom, 1), -1)
        u = np.where(ok, (qp[:, 0] * r[:, 1] - qp[:, 1] * r[:, 0]) / np.where(ok, denom, 1), -1)
        hit = np.nonzero(ok & (t >= 0) & (t <= 1) & (u >= 0) & (u <= 1))[0]
        if len(hit):
            i = int(hit[0])
            return float(a.s[i] + t[i] * (a.s[i + 1] - a.s[i])), float(b.s[j] + u[i] * (b.s[j + 1] - b.s[j]))
    # paths that merge (a roundabout entry) touch without crossing: take where they first meet
    d = np.hypot(a.xy[:, None, 0] - b.xy[None, :, 0], a.xy[:, None, 1] - b.xy[None, :, 1])
    close = np.argwhere(d < 0.5)
    if len(close):
        i, j = close[np.argmin(close[:, 0])]
        return float(a.s[i]), float(b.s[j])
    raise ValueError("the paths do not meet")


def route_time(map_name: str, start: tuple, goal: tuple, speed: float, step: float = 5.0) -> float:
    """Seconds to drive the shortest route from ``start`` to ``goal`` ((road, lane, s) each) at
    ``speed`` m/s or the posted limit where that is lower (lane <speed> §11.7.3, else road type
    <speed> §8.4; no limit posted: ``speed``), sampled every ``step`` m of each route segment."""
    from simplatform.opendrive import LanePosition

    net = network(map_name)
    route = net.route(LanePosition(str(start[0]), int(start[1]), float(start[2])),
                      LanePosition(str(goal[0]), int(goal[1]), float(goal[2])), [])
    total = 0.0
    for seg in route.segments:
        n = max(1, int(math.ceil(seg.length / step)))
        ds = seg.length / n
        for k in range(n):
            s = seg.s_start + (seg.s_end - seg.s_start) * (k + 0.5) / n
            limit = net.speed_limit(seg.road_id, seg.lane_id, s)
            total += ds / min(speed, limit if limit else speed)
    return total
