"""The route as the stack knows it: a lane-centre polyline with a Frenet frame.

The platform publishes the route on ``/route`` (nav_msgs/Path, lane-centre
waypoints from start to goal, computed with the road model's routing) and
the per-waypoint attributes on ``/route/info`` (see :mod:`.inputs`).  Every
decision of the planner is taken in the Frenet frame of this polyline
(Werling et al., "Optimal trajectory generation for dynamic street scenarios
in a Frenét frame", ICRA 2010): ``s`` along the route, ``d`` to its left.
Projection is vectorised over points and done against a window of segments
around a hint, so a 10 km route costs the same per step as a 100 m one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Frenet:
    """Points in the route frame: arc length ``s``, signed lateral offset ``d`` (left +), route heading."""

    s: np.ndarray
    d: np.ndarray
    heading: np.ndarray


class RoutePath:
    """A polyline (M >= 2 points) with cumulative arc length and per-vertex attributes."""

    def __init__(self, points: np.ndarray, speed_limit: np.ndarray | None = None,
                 lanes_left: np.ndarray | None = None, lanes_right: np.ndarray | None = None,
                 lane_width: np.ndarray | None = None) -> None:
        pts = np.asarray(points, dtype=float)[:, :2]
        keep = np.concatenate([[True], np.hypot(*np.diff(pts, axis=0).T) > 1e-6])
        self.points = pts[keep]
        if len(self.points) < 2:
            raise ValueError("a route needs at least two distinct points")
        seg = np.diff(self.points, axis=0)
        self.seg_len = np.hypot(seg[:, 0], seg[:, 1])
        self.tangent = seg / self.seg_len[:, None]
        self.cumulative = np.concatenate([[0.0], np.cumsum(self.seg_len)])
        self.seg_heading = np.arctan2(self.tangent[:, 1], self.tangent[:, 0])
        n = len(pts)

        def attr(values: np.ndarray | None, default: float) -> np.ndarray:
            if values is None or len(values) != n:
                return np.full(len(self.points), default)
            return np.asarray(values, dtype=float)[keep]

        self.speed_limit = attr(speed_limit, np.inf)
        self.lanes_left = attr(lanes_left, 0.0)
        self.lanes_right = attr(lanes_right, 0.0)
        self.lane_width = attr(lane_width, 3.5)

    @property
    def length(self) -> float:
        return float(self.cumulative[-1])

    def project(self, xy: np.ndarray, s_hint: float | None = None, window: float = 150.0) -> Frenet:
        """Frenet coordinates of (N, 2) world points; beyond either end ``s`` extrapolates linearly."""
        p = np.atleast_2d(np.asarray(xy, dtype=float))
        lo, hi = 0, len(self.seg_len)
        if s_hint is not None:
            lo = max(0, int(np.searchsorted(self.cumulative, s_hint - window)) - 1)
            hi = min(len(self.seg_len), int(np.searchsorted(self.cumulative, s_hint + window)) + 1)
        a = self.points[lo:hi]
        t = self.tangent[lo:hi]
        rel = p[:, None, :] - a[None, :, :]                                  # (N, K, 2)
        along = np.einsum("nkj,kj->nk", rel, t)
        u = np.clip(along, 0.0, self.seg_len[lo:hi][None, :])
        foot = a[None] + u[..., None] * t[None]
        dist2 = np.sum((p[:, None, :] - foot) ** 2, axis=2)
        k = np.argmin(dist2, axis=1)
        rows = np.arange(len(p))
        seg = lo + k
        along_k = along[rows, k]
        # beyond the ends the frame extends straight (s < 0 behind the start, s > length past the goal)
        u_k = np.where((seg == 0) & (along_k < 0), along_k,
                       np.where((seg == len(self.seg_len) - 1) & (along_k > self.seg_len[-1]), along_k,
                                u[rows, k]))
        tk = self.tangent[seg]
        relk = p - self.points[seg]
        d = tk[:, 0] * relk[:, 1] - tk[:, 1] * relk[:, 0]
        return Frenet(self.cumulative[seg] + u_k, d, self.seg_heading[seg])

    def pose_at(self, s: np.ndarray | float, d: np.ndarray | float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """World (x, y, heading) at arc length ``s`` and offset ``d`` (clamped to the route's ends for s)."""
        s_arr = np.clip(np.asarray(s, dtype=float), 0.0, self.length)
        seg = np.clip(np.searchsorted(self.cumulative, s_arr, side="right") - 1, 0, len(self.seg_len) - 1)
        u = s_arr - self.cumulative[seg]
        t = self.tangent[seg]
        base = self.points[seg] + u[..., None] * t
        d_arr = np.asarray(d, dtype=float)
        x = base[..., 0] - t[..., 1] * d_arr
        y = base[..., 1] + t[..., 0] * d_arr
        return x, y, self.seg_heading[seg]

    def attribute_at(self, name: str, s: float) -> float:
        """A per-vertex attribute (``speed_limit``, ``lanes_left``, ...) at the vertex at or before ``s``."""
        values = getattr(self, name)
        i = int(np.clip(np.searchsorted(self.cumulative, s, side="right") - 1, 0, len(values) - 1))
        return float(values[i])

    def attribute_min(self, name: str, s0: float, s1: float) -> float:
        """The smallest value of an attribute over the vertices in [s0, s1] (and the one at s0)."""
        values = getattr(self, name)
        i0 = int(np.clip(np.searchsorted(self.cumulative, s0, side="right") - 1, 0, len(values) - 1))
        i1 = int(np.clip(np.searchsorted(self.cumulative, s1, side="right"), i0 + 1, len(values)))
        return float(np.min(values[i0:i1]))

    def curvature_speed(self, s0: float, s1: float, lateral_accel: float) -> float:
        """The highest speed that keeps |κ| v² <= ``lateral_accel`` over [s0, s1].

        Curvature per vertex is the turning angle over the mean adjacent
        segment length (the discrete curvature of a polyline).
        """
        if len(self.seg_heading) < 2:
            return np.inf
        i0 = max(0, int(np.searchsorted(self.cumulative, s0)) - 1)
        i1 = min(len(self.seg_heading) - 1, int(np.searchsorted(self.cumulative, s1)) + 1)
        if i1 - i0 < 1:
            return np.inf
        turn = np.angle(np.exp(1j * np.diff(self.seg_heading[i0:i1 + 1])))
        ds = 0.5 * (self.seg_len[i0:i1] + self.seg_len[i0 + 1:i1 + 1])
        kappa = np.max(np.abs(turn) / ds)
        return float(np.sqrt(lateral_accel / kappa)) if kappa > 1e-6 else np.inf
