"""The route as the stack knows it: a lane-centre polyline with a Frenet frame.

The platform publishes the route on ``/route`` (nav_msgs/Path, lane-centre
waypoints from start to goal, computed with the road model's routing) and
the per-waypoint attributes on ``/route/info`` (see :mod:`.inputs`).  Every
decision of the planner is taken in the Frenet frame of this polyline
(Werling et al., "Optimal trajectory generation for dynamic street scenarios
in a Frenét frame", ICRA 2010): ``s`` along the route, ``d`` to its left.
Projection is vectorised over points and done against a window of segments
around a hint, so a 10 km route costs the same per step as a 100 m one.

Per-step cost: the controller and the planner ask about one point (the ego)
several times per step, and the planner about every tracked object each
cycle.  Projection runs in compiled loops (:mod:`.route_kernels`) over a
per-route segment table built once; ``pose_at`` for a scalar, the attribute
queries and the curve speed take scalar paths (``bisect`` on the arc lengths,
per-vertex curvature computed once per route).  All of them evaluate the same
floating-point expressions in the same order as the numpy array paths
(``_project_arrays`` is kept as the reference), so the results are bit for
bit the same (``tests/stacks``).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import numpy as np

from .route_kernels import project_kernel, project_point_kernel, segment_table


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
        # scalar-path tables: arc lengths as a list (bisect), coordinates as contiguous columns
        self._cum = self.cumulative.tolist()
        self._px, self._py = np.ascontiguousarray(self.points[:, 0]), np.ascontiguousarray(self.points[:, 1])
        self._tx, self._ty = np.ascontiguousarray(self.tangent[:, 0]), np.ascontiguousarray(self.tangent[:, 1])
        self._seg_len = self.seg_len.tolist()
        self._pose_lists = (self._px.tolist(), self._py.tolist(), self._tx.tolist(), self._ty.tolist(),
                            self.seg_heading.tolist())
        self._table = segment_table(self.points, self.tangent, self.seg_len, self.cumulative, self.seg_heading)
        self._attributes = {name: getattr(self, name).tolist()
                            for name in ("speed_limit", "lanes_left", "lanes_right", "lane_width")}
        self._run_end = {name: _run_ends(values) for name, values in self._attributes.items()}
        # discrete curvature at each interior vertex v (between segments v-1 and v), for curvature_speed
        if len(self.seg_heading) >= 2:
            turn = np.angle(np.exp(1j * np.diff(self.seg_heading)))
            self._kappa = np.abs(turn) / (0.5 * (self.seg_len[:-1] + self.seg_len[1:]))
        else:
            self._kappa = np.zeros(0)
        self._kappa_list = self._kappa.tolist() if not np.isnan(self._kappa).any() else None

    @property
    def length(self) -> float:
        return float(self.cumulative[-1])

    def _window(self, s_hint: float | None, window: float) -> tuple[int, int]:
        """Segments [lo, hi) within ``window`` of ``s_hint`` (all without a hint; at least the last one
        for a hint more than ``window`` past the goal)."""
        n_seg = len(self._seg_len)
        if s_hint is None:
            return 0, n_seg
        lo = min(max(0, bisect_left(self._cum, s_hint - window) - 1), n_seg - 1)
        hi = max(min(n_seg, bisect_left(self._cum, s_hint + window) + 1), lo + 1)
        return lo, hi

    def project(self, xy: np.ndarray, s_hint: float | None = None, window: float = 150.0) -> Frenet:
        """Frenet coordinates of (N, 2) world points; beyond either end ``s`` extrapolates linearly.

        With ``s_hint`` only the segments within ``window`` of it are searched (at least the last
        one, for a hint more than ``window`` past the goal)."""
        p = np.ascontiguousarray(np.atleast_2d(np.asarray(xy, dtype=float))[:, :2])
        out = np.empty((3, len(p)))
        project_kernel(p, self._table, 0.0 if s_hint is None else float(s_hint), float(window), s_hint is not None,
                       out)
        return Frenet(out[0], out[1], out[2])

    def _project_arrays(self, xy: np.ndarray, s_hint: float | None = None, window: float = 150.0) -> Frenet:
        """``project`` in whole-array numpy operations: the reference the compiled loops are tested
        against bit for bit (the expressions, and their order, that :mod:`.route_kernels` mirrors)."""
        p = np.atleast_2d(np.asarray(xy, dtype=float))
        lo, hi = self._window(s_hint, window)
        px, py = p[:, 0:1], p[:, 1:2]                                        # (N, 1) against (K,) segments
        ax, ay = self._px[lo:hi], self._py[lo:hi]
        tx, ty = self._tx[lo:hi], self._ty[lo:hi]
        along = (px - ax) * tx + (py - ay) * ty                              # (N, K)
        u = np.minimum(np.maximum(along, 0.0), self.seg_len[lo:hi])
        dx = px - (ax + u * tx)
        dy = py - (ay + u * ty)
        k = np.argmin(dx * dx + dy * dy, axis=1)
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

    def project_point(self, x: float, y: float, s_hint: float | None = None,
                      window: float = 150.0) -> tuple[float, float, float]:
        """``project`` of the one point (x, y): (s, d, heading) as floats, bit for bit the same."""
        if s_hint is None:
            return project_point_kernel(float(x), float(y), self._table, 0.0, float(window), False)
        return project_point_kernel(float(x), float(y), self._table, float(s_hint), float(window), True)

    def pose_at(self, s: np.ndarray | float, d: np.ndarray | float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """World (x, y, heading) at arc length ``s`` and offset ``d`` (clamped to the route's ends for s);
        floats for a float ``s`` and ``d``."""
        if isinstance(s, (float, int)) and isinstance(d, (float, int)):
            return self._pose_at_scalar(float(s), float(d))
        s_arr = np.clip(np.asarray(s, dtype=float), 0.0, self.length)
        seg = np.clip(np.searchsorted(self.cumulative, s_arr, side="right") - 1, 0, len(self.seg_len) - 1)
        u = s_arr - self.cumulative[seg]
        t = self.tangent[seg]
        base = self.points[seg] + u[..., None] * t
        d_arr = np.asarray(d, dtype=float)
        x = base[..., 0] - t[..., 1] * d_arr
        y = base[..., 1] + t[..., 0] * d_arr
        return x, y, self.seg_heading[seg]

    def _pose_at_scalar(self, s: float, d: float) -> tuple[float, float, float]:
        cum = self._cum
        s = min(max(s, 0.0), cum[-1])
        seg = min(max(bisect_right(cum, s) - 1, 0), len(cum) - 2)
        u = s - cum[seg]
        px, py, tx, ty, heading = self._pose_lists
        t0, t1 = tx[seg], ty[seg]
        bx = px[seg] + u * t0
        by = py[seg] + u * t1
        return bx - t1 * d, by + t0 * d, heading[seg]

    def attribute_at(self, name: str, s: float) -> float:
        """A per-vertex attribute (``speed_limit``, ``lanes_left``, ...) at the vertex at or before ``s``."""
        values = self._attributes[name]
        i = min(max(bisect_right(self._cum, s) - 1, 0), len(values) - 1)
        return float(values[i])

    def attribute_min(self, name: str, s0: float, s1: float) -> float:
        """The smallest value of an attribute over the vertices in [s0, s1] (and the one at s0)."""
        values = self._attributes[name]
        i0 = min(max(bisect_right(self._cum, s0) - 1, 0), len(values) - 1)
        i1 = min(max(bisect_right(self._cum, s1), i0 + 1), len(values))
        if i1 <= self._run_end[name][i0]:     # one run of equal values (a route's lane counts mostly are)
            return float(values[i0])          # = min(): the first of equal smallest values
        return float(min(values[i0:i1]))

    def curvature_speed(self, s0: float, s1: float, lateral_accel: float) -> float:
        """The highest speed that keeps |κ| v² <= ``lateral_accel`` over [s0, s1].

        Curvature per vertex is the turning angle over the mean adjacent
        segment length (the discrete curvature of a polyline), computed once
        per route.
        """
        if len(self.seg_heading) < 2:
            return np.inf
        i0 = max(0, bisect_left(self._cum, s0) - 1)
        i1 = min(len(self.seg_heading) - 1, bisect_left(self._cum, s1) + 1)
        if i1 - i0 < 1:
            return np.inf
        # max() over floats is numpy's max when there is no NaN (checked once per route); sqrt is
        # correctly rounded in both
        kappa = float(max(self._kappa_list[i0:i1]) if self._kappa_list is not None else self._kappa[i0:i1].max())
        return math.sqrt(lateral_accel / kappa) if kappa > 1e-6 else np.inf


def _run_ends(values: list[float]) -> list[int]:
    """For each index i, the end of the run of values equal to ``values[i]`` that starts there: every
    value in ``values[i:run_end[i]]`` compares equal to ``values[i]`` (a NaN ends its run at once)."""
    n = len(values)
    out = [n] * n
    for i in range(n - 2, -1, -1):
        out[i] = out[i + 1] if values[i + 1] == values[i] else i + 1
    return out
