"""Trajectory shapes as arc-length-parametrised paths (OpenSCENARIO §7.x Trajectory/Shape).

Polyline: straight segments between the vertices' resolved positions.
Clothoid: curvature κ(s) = κ0 + κ'·s integrated from the start pose.
ClothoidSpline (1.3): consecutive clothoid segments.
NURBS: evaluated with the Cox–de Boor recursion (Piegl & Tiller, "The NURBS
Book", §2.2/§4.2) on control points and weights, densely sampled.
All are sampled to a polyline with cumulative length so ``pose_at(s)`` is a
binary search.  Times map trajectory time to s when the shape gives them:
a Polyline's vertex times (all of them), a Clothoid's startTime and stopTime
(linear in arc length in between, as esmini), and a NURBS's control-point
times, which are a fourth coordinate of the curve evaluated with the same
rational basis as x, y, z (the standard's "time dimension of the control point").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simplatform.errors import ScenarioError


@dataclass(frozen=True)
class SampledPath:
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    s: np.ndarray
    times: np.ndarray | None = None

    @property
    def length(self) -> float:
        return float(self.s[-1])

    def pose_at(self, s: float) -> tuple[float, float, float, float]:
        s = min(max(s, 0.0), self.length)
        k = int(np.searchsorted(self.s, s, side="right")) - 1
        k = min(max(k, 0), len(self.s) - 2)
        seg = self.s[k + 1] - self.s[k]
        f = (s - self.s[k]) / seg if seg > 0 else 0.0
        x = self.x[k] + f * (self.x[k + 1] - self.x[k])
        y = self.y[k] + f * (self.y[k + 1] - self.y[k])
        z = self.z[k] + f * (self.z[k + 1] - self.z[k])
        h = math.atan2(self.y[k + 1] - self.y[k], self.x[k + 1] - self.x[k])
        return float(x), float(y), float(z), h

    def s_at_time(self, t: float) -> float:
        return float(np.interp(t, self.times, self.s))


def _sampled(x, y, z, times=None) -> SampledPath:
    x, y, z = (np.asarray(v, float) for v in (x, y, z))
    if len(x) < 2:
        x, y, z = np.append(x, x[-1]), np.append(y, y[-1]), np.append(z, z[-1])
    s = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
    return SampledPath(x, y, z, s, None if times is None else np.asarray(times, float))


def _clothoid(x0, y0, h0, k0, dk, length, step=0.25):
    n = max(2, int(math.ceil(length / step)) + 1)
    s = np.linspace(0.0, length, n)
    h = h0 + k0 * s + 0.5 * dk * s * s
    ds = np.diff(s)
    hm = 0.5 * (h[1:] + h[:-1])
    x = np.concatenate([[x0], x0 + np.cumsum(ds * np.cos(hm))])
    y = np.concatenate([[y0], y0 + np.cumsum(ds * np.sin(hm))])
    return x, y, h


def _nurbs(points: np.ndarray, weights: np.ndarray, knots: np.ndarray, order: int, samples: int = 400) -> np.ndarray:
    """Samples of the rational B-spline (Piegl & Tiller eq. 4.2) over its valid parameter span:
    the B-spline of the weighted points in homogeneous coordinates, divided by that of the weights
    (scipy's BSpline evaluates the Cox–de Boor basis)."""
    from scipy.interpolate import BSpline

    degree = order - 1
    n = len(points)
    if len(knots) != n + order:
        raise ValueError(f"a NURBS of order {order} with {n} control points needs {n + order} knots, got {len(knots)}")
    if np.any(np.diff(knots) < 0):
        raise ValueError("NURBS knots must be non-decreasing")
    u = np.linspace(knots[degree], knots[n], samples)
    numerator = BSpline(knots, points * weights[:, None], degree, extrapolate=False)(u)
    denominator = BSpline(knots, weights, degree, extrapolate=False)(u)
    return numerator / denominator[:, None]


def build_trajectory(traj, positions, actor) -> SampledPath:
    shape = traj.shape.choice
    kind = type(shape).__name__
    if kind == "Polyline":
        poses = [positions.resolve(v.position, actor) for v in shape.vertices]
        times = [v.time for v in shape.vertices]
        return _sampled([p.x for p in poses], [p.y for p in poses], [p.z for p in poses],
                        times if all(t is not None for t in times) else None)
    if kind == "Clothoid":
        p0 = positions.resolve(shape.position, actor)
        dk = shape.curvature_prime if shape.curvature_prime is not None else (shape.curvature_dot or 0.0)
        x, y, _ = _clothoid(p0.x, p0.y, p0.h, shape.curvature, dk, shape.length)
        path = _sampled(x, y, np.full(len(x), p0.z))
        if shape.start_time is not None and shape.stop_time is not None:
            times = shape.start_time + (shape.stop_time - shape.start_time) * path.s / max(path.length, 1e-12)
            path = SampledPath(path.x, path.y, path.z, path.s, times)
        return path
    if kind == "ClothoidSpline":
        xs, ys = [], []
        segs = shape.clothoid_spline_segments
        if not segs or segs[0].position_start is None:
            raise ScenarioError("ClothoidSpline: the first segment needs a PositionStart", element="ClothoidSpline")
        p0 = positions.resolve(segs[0].position_start, actor)
        x0, y0, h0 = p0.x, p0.y, p0.h
        for seg in segs:
            if seg.position_start is not None and seg is not segs[0]:
                p = positions.resolve(seg.position_start, actor)
                x0, y0, h0 = p.x, p.y, p.h
            h0 += seg.h_offset or 0.0
            dk = (seg.curvature_end - seg.curvature_start) / seg.length if seg.length > 0 else 0.0
            x, y, h = _clothoid(x0, y0, h0, seg.curvature_start, dk, seg.length)
            xs.append(x if not xs else x[1:])
            ys.append(y if not ys else y[1:])
            x0, y0, h0 = x[-1], y[-1], h[-1]
        x, y = np.concatenate(xs), np.concatenate(ys)
        return _sampled(x, y, np.full(len(x), p0.z))
    if kind == "Nurbs":
        poses = [positions.resolve(cp.position, actor) for cp in shape.control_points]
        times = [cp.time for cp in shape.control_points]
        timed = all(t is not None for t in times)
        pts = np.array([[p.x, p.y, p.z] + ([float(t)] if timed else []) for p, t in zip(poses, times)])
        w = np.array([cp.weight if cp.weight is not None else 1.0 for cp in shape.control_points])
        knots = np.array([k.value for k in shape.knots])
        try:
            curve = _nurbs(pts, w, knots, shape.order)
        except ValueError as exc:
            src = shape.source
            raise ScenarioError(str(exc), file=src.file, line=src.line, element="Nurbs") from None
        path = _sampled(curve[:, 0], curve[:, 1], curve[:, 2])
        if timed:
            path = SampledPath(path.x, path.y, path.z, path.s, np.maximum.accumulate(curve[:, 3]))
        return path
    raise ScenarioError(f"trajectory shape {kind} is not supported", element=kind)
