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

Following mode (OpenSCENARIO 1.x ``FollowingMode``): ``position`` follows the
shape exactly, ignoring the entity's dynamic constraints — the runner places
the entity on the path.  ``follow`` follows it "as good as possible by
observing the dynamic constraints of the entity (e.g. for a driver model)":
:class:`PurePursuitFollower` is such a driver model.  It steers the entity's
rear axle (its OpenSCENARIO reference point) towards a look-ahead point on the
path with the pure-pursuit law of
Coulter ("Implementation of the Pure Pursuit Path Tracking Algorithm",
CMU-RI-TR-92-01, 1992): the arc through the look-ahead point at distance
``l_d`` and bearing ``alpha`` has curvature ``kappa = 2 sin(alpha) / l_d``.
The curvature is bounded by the front axle's ``maxSteering``
(``tan(delta_max) / wheelbase``) and by tyre-road friction
(``kappa v^2 <= mu g``), so the entity cuts sharp corners and rejoins the path
after them; the pose is advanced along that arc exactly (kinematic
single-track at the rear axle, Rajamani 2012 §2.2).  The limits are read
when the action starts, the road's grip again whenever an EnvironmentAction
changes RoadCondition@frictionScaleFactor; an OpenDRIVE lane material's
friction is not applied here (the engine does not reach into the backends).
With Timing, the speed tracks the timed reference point (P-control on the
arc-length gap, within maxAcceleration/maxDeceleration/maxSpeed); without, the
entity keeps its speed, as in position mode.  The follower drives forwards only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from simplatform.errors import ScenarioError


@dataclass(frozen=True)
class SampledPath:
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    s: np.ndarray
    times: np.ndarray | None = None
    # Tangent directions at the samples where the shape defines them (a clothoid's h0 + k0 s + k' s^2/2):
    # the heading between two samples is interpolated from them.  Without, the heading is the direction
    # of the chord between samples, which on a clothoid sampled every 0.25 m lags the tangent by half a
    # sample's turn -- 0.014 rad at the end of esmini's trajectory-continuity.xosc clothoid, carried into
    # the next clothoid started from the entity's pose (0.07 m off at its end).
    tangents: np.ndarray | None = None

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
        # A segment of no length has no direction: at the path's end, a vertex repeated at a later
        # time (a timed path's trailing hold) is one; atan2(0, 0) turned the entity to h = 0 for
        # the hold.  It keeps the direction it arrived with, the last segment that has a length.
        if self.tangents is not None:
            h = float(self.tangents[k] + f * (self.tangents[k + 1] - self.tangents[k]))
            return float(x), float(y), float(z), math.atan2(math.sin(h), math.cos(h))
        h = self.heading_of(_non_degenerate_segment(self.s, k, -1))
        return float(x), float(y), float(z), h

    def heading_of(self, k: int) -> float:
        """Direction of segment ``k`` (x/y plane, rad)."""
        return math.atan2(self.y[k + 1] - self.y[k], self.x[k + 1] - self.x[k])

    def s_at_time(self, t: float) -> float:
        return float(np.interp(t, self.times, self.s))

    def time_at_s(self, s: float) -> float:
        """The first time stamp at which the path reaches arc length ``s`` (the inverse of
        ``s_at_time``; a hold, where the times go on at one s, gives the time it is reached)."""
        k = int(np.searchsorted(self.s, s, side="left"))
        if k <= 0:
            return float(self.times[0])
        if k >= len(self.s):
            return float(self.times[-1])
        f = (s - self.s[k - 1]) / (self.s[k] - self.s[k - 1])
        return float(self.times[k - 1] + f * (self.times[k] - self.times[k - 1]))

    def s_at_time_extended(self, t: float) -> float:
        """``s_at_time`` continued past the last time stamp at the last interval's pace, so that a
        follower that lags behind its reference still gets a reference that passes the end."""
        t_end = float(self.times[-1])
        if t <= t_end:
            return self.s_at_time(t)
        return self.length + self.end_pace() * (t - t_end)

    def end_pace(self) -> float | None:
        """Pace (m per unit of trajectory time) of the last interval between time stamps that takes
        time: its length over its duration -- 0 for a trailing hold (a vertex repeated at a later
        time), the interval before for a last stamp equal to the one before it.  None untimed.

        The pace an entity leaves a timed path with: esmini's FollowTrajectoryAction::Move stops
        updating the entity's speed once the trajectory time is past the last stamp, so it keeps
        the speed of its last interval; the step that crosses the last stamp moves only part of a
        step and its average speed is a fraction of that pace."""
        if self.times is None:
            return None
        k = len(self.times) - 1
        while k > 0 and self.times[k] - self.times[k - 1] <= 0.0:
            k -= 1
        pace = (self.s[k] - self.s[k - 1]) / (self.times[k] - self.times[k - 1]) if k > 0 else 0.0
        return float(pace)

    def point_at(self, s: float) -> tuple[float, float]:
        """(x, y) at arc length ``s``, continued straight beyond both ends along the end segments."""
        if 0.0 <= s <= self.length:
            x, y, _, _ = self.pose_at(s)
            return x, y
        k, base = (0, 0.0) if s < 0.0 else (len(self.s) - 2, self.length)
        k = _non_degenerate_segment(self.s, k, 1 if s < 0.0 else -1)
        seg = self.s[k + 1] - self.s[k]
        ux, uy = (self.x[k + 1] - self.x[k]) / seg, (self.y[k + 1] - self.y[k]) / seg
        ex, ey = (self.x[0], self.y[0]) if s < 0.0 else (self.x[-1], self.y[-1])
        return float(ex + ux * (s - base)), float(ey + uy * (s - base))

    def project(self, x: float, y: float, s_lo: float, s_hi: float) -> float:
        """Arc length of the point of the path nearest to (x, y), searched within [s_lo, s_hi]
        (a window, so that a path passing near itself is not jumped along)."""
        s_lo, s_hi = max(s_lo, 0.0), min(s_hi, self.length)
        k0 = min(max(int(np.searchsorted(self.s, s_lo, side="right")) - 1, 0), len(self.s) - 2)
        k1 = min(int(np.searchsorted(self.s, s_hi, side="left")), len(self.s) - 1)
        k1 = max(k1, k0 + 1)
        x0, y0, s0 = self.x[k0:k1], self.y[k0:k1], self.s[k0:k1]
        dx, dy = self.x[k0 + 1:k1 + 1] - x0, self.y[k0 + 1:k1 + 1] - y0
        seg = self.s[k0 + 1:k1 + 1] - s0
        f = np.clip(((x - x0) * dx + (y - y0) * dy) / np.maximum(seg * seg, 1e-300), 0.0, 1.0)
        d2 = (x0 + f * dx - x) ** 2 + (y0 + f * dy - y) ** 2
        j = int(np.argmin(d2))
        return float(min(max(s0[j] + f[j] * seg[j], s_lo), s_hi))


def _non_degenerate_segment(s: np.ndarray, k: int, step: int) -> int:
    while 0 <= k + step <= len(s) - 2 and s[k + 1] - s[k] <= 0.0:
        k += step
    return k


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


LOOKAHEAD_BASE = 4.0
"""m: look-ahead at standstill; ``l_d = clip(LOOKAHEAD_BASE + LOOKAHEAD_TIME * |v|, LOOKAHEAD_MIN,
LOOKAHEAD_MAX)``, the rule the driver-model traffic steers by (backends/model_traffic.py), so that
trajectory followers and traffic preview alike (Coulter 1992 §4: a longer l_d tracks more smoothly
and cuts corners more)."""
LOOKAHEAD_TIME = 0.8
"""s: look-ahead growth with speed."""
LOOKAHEAD_MIN = 5.0
LOOKAHEAD_MAX = 40.0
PROGRESS_GAIN = 1.0
"""1/s: with trajectory timing, the speed demand is the reference's pace plus this gain times the
distance the entity lags behind its timed reference point."""
NOMINAL_ROAD_FRICTION = 1.0
"""Peak tyre-road friction coefficient on the reference (dry) surface; the lateral acceleration
limit is this times the scenario's RoadCondition@frictionScaleFactor times g."""
GRAVITY = 9.81


@dataclass(frozen=True)
class FollowLimits:
    """The entity's dynamic constraints that follow mode observes."""

    wheelbase: float
    max_steering: float | None
    """Front axle maxSteering (rad); None for an entity without axles (a pedestrian turns freely)."""
    max_speed: float
    max_acceleration: float
    max_deceleration: float
    max_lateral_acceleration: float

    def max_curvature(self, speed: float) -> float:
        """Curvature bound at ``speed``: steering first, then grip.

        A front wheel's steering angle lies in [0, pi/2), where ``tan(delta) / wheelbase`` grows
        without bound; a ``maxSteering`` at or past pi/2 (esmini's catalog gives its bicycle
        ``maxSteering="30"``, degrees read as the standard's radians) bounds nothing -- tan of it
        would be a meaningless, even negative, curvature that turned the entity round every step."""
        steer = self.max_steering
        k = math.inf if steer is None or steer >= 0.5 * math.pi else math.tan(steer) / max(self.wheelbase, 1e-6)
        if speed > 0.0:
            k = min(k, self.max_lateral_acceleration / (speed * speed))
        return k


def lookahead(speed: float) -> float:
    """Pure-pursuit look-ahead distance (m) at ``speed``."""
    return min(max(LOOKAHEAD_BASE + LOOKAHEAD_TIME * abs(speed), LOOKAHEAD_MIN), LOOKAHEAD_MAX)


def arc_step(x: float, y: float, h: float, kappa: float, ds: float) -> tuple[float, float, float]:
    """Advance a pose by ``ds`` along a circular arc of curvature ``kappa`` (exact, straight when 0)."""
    dh = kappa * ds
    if abs(dh) < 1e-9:
        hm = h + 0.5 * dh
        return x + ds * math.cos(hm), y + ds * math.sin(hm), h + dh
    return x + (math.sin(h + dh) - math.sin(h)) / kappa, y - (math.cos(h + dh) - math.cos(h)) / kappa, h + dh


class PurePursuitFollower:
    """Follow mode's driver: ``progress`` is the arc length of the entity's foot point on the path."""

    def __init__(self, path: SampledPath, limits: FollowLimits, progress: float = 0.0) -> None:
        self.path = path
        self.limits = limits
        self.progress = min(max(progress, 0.0), path.length)
        self.overrun = 0.0
        """Distance (m) the entity is beyond the path's end, along its last segment; 0 before it."""

    def curvature(self, x: float, y: float, h: float, speed: float) -> float:
        """Pure-pursuit curvature towards the look-ahead point, within the entity's limits."""
        look = lookahead(speed)
        px, py = self.path.point_at(self.progress + look)
        dx, dy = px - x, py - y
        dist = math.hypot(dx, dy)
        if dist < 1e-9:
            return 0.0
        alpha = math.remainder(math.atan2(dy, dx) - h, math.tau)
        k_max = self.limits.max_curvature(abs(speed))
        if abs(alpha) > 0.5 * math.pi:
            # The look-ahead point is behind (a pedestrian whose path starts the other way round): the
            # pure-pursuit arc 2 sin(alpha)/d flattens to a straight line as alpha -> pi and walks the
            # entity away from its path, so it turns towards the point as tightly as its limits allow.
            k = k_max if math.isfinite(k_max) else 2.0 / dist
            return k if alpha >= 0.0 else -k
        kappa = 2.0 * math.sin(alpha) / dist
        return min(max(kappa, -k_max), k_max)

    def speed_demand(self, speed: float, reference_s: float, reference_pace: float, dt: float) -> float:
        """Speed that closes the gap to a timed reference point, within Performance limits.

        The gap is measured from ``progress + overrun``: an entity past the path's end is ahead of a
        reference that cannot pass the end.  Measured from the foot point alone (clamped to the end),
        the gap there shrank to zero and the demand rose back to the reference's pace, so esmini's
        brake_by_trajectory_100-0.xosc (a timed stop, then a hold) drove its car on past the stop
        point at 3-6 m/s.  A path that ends at standstill (end pace 0) is braked for within
        maxDeceleration: the demand is at most the speed that still stops at the end."""
        lim = self.limits
        along = self.progress + self.overrun
        want = reference_pace + PROGRESS_GAIN * (reference_s - along)
        if self.path.times is not None and self.path.end_pace() == 0.0:
            want = min(want, math.sqrt(2.0 * lim.max_deceleration * max(self.path.length - along, 0.0)))
        want = min(max(want, 0.0), lim.max_speed)
        return min(max(want, speed - lim.max_deceleration * dt), speed + lim.max_acceleration * dt)

    def step(self, x: float, y: float, h: float, speed: float, dt: float) -> tuple[float, float, float]:
        """The pose after ``dt`` at ``speed`` (forwards); updates ``progress``."""
        ds = abs(speed) * dt
        x, y, h = arc_step(x, y, h, self.curvature(x, y, h, speed), ds)
        look = lookahead(speed)
        self.progress = self.path.project(x, y, self.progress, self.progress + ds + look)
        self.overrun = 0.0
        if self.progress >= self.path.length - 1e-9:
            # how far beyond the end the entity is, along the last segment's direction
            ex, ey = self.path.point_at(self.path.length + 1.0)
            fx, fy = self.path.point_at(self.path.length)
            self.overrun = max((x - fx) * (ex - fx) + (y - fy) * (ey - fy), 0.0)
        return x, y, h

    @property
    def finished(self) -> bool:
        return self.progress >= self.path.length - 1e-9


def _spline_timed(path: SampledPath, segs, time_end: float | None) -> SampledPath:
    """A ClothoidSpline's time stamps: each segment's ``timeStart`` and the spline's ``timeEnd``
    (OpenSCENARIO 1.3; timeEnd is required once a segment has a timeStart), time linear in arc
    length within a segment as for a single Clothoid's startTime/stopTime.  Untimed unless all are given."""
    starts = [seg.time_start for seg in segs]
    if time_end is None or any(t is None for t in starts):
        return path
    bounds = np.concatenate([[0.0], np.cumsum([max(seg.length, 0.0) for seg in segs])])
    stamps = np.array([float(t) for t in starts] + [float(time_end)])
    # the sampled arc length of each segment is its nominal length up to sampling: scale to the path's
    scale = path.length / bounds[-1] if bounds[-1] > 0.0 else 1.0
    times = np.interp(path.s, bounds * scale, stamps)
    return replace(path, times=times)


def _entity_pose(positions, actor):
    """The pose of entity ``actor`` now, as a resolved position."""
    from simplatform.engine.positions import ResolvedPose

    t = positions.engine.table
    i = t.index.get(actor) if actor is not None else None
    if i is None:
        raise ScenarioError("ClothoidSpline: the first segment has no PositionStart and the trajectory "
                            "belongs to no entity to start from", element="ClothoidSpline")
    return ResolvedPose(float(t.x[i]), float(t.y[i]), float(t.z[i]), float(t.heading[i]))


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
        x, y, h = _clothoid(p0.x, p0.y, p0.h, shape.curvature, dk, shape.length)
        path = replace(_sampled(x, y, np.full(len(x), p0.z)), tangents=h)
        if shape.start_time is not None and shape.stop_time is not None:
            times = shape.start_time + (shape.stop_time - shape.start_time) * path.s / max(path.length, 1e-12)
            path = replace(path, times=times)
        return path
    if kind == "ClothoidSpline":
        xs, ys, hs = [], [], []
        segs = shape.clothoid_spline_segments
        if not segs:
            raise ScenarioError("ClothoidSpline without segments", element="ClothoidSpline")
        # PositionStart is optional on every segment (OpenSCENARIO 1.3 XSD, minOccurs=0): a later
        # segment without one continues from the previous segment's end, the first from the
        # entity's pose when the action starts (esmini's lane-change_clothoid_spline_based_trajectory.xosc)
        p0 = (positions.resolve(segs[0].position_start, actor) if segs[0].position_start is not None
              else _entity_pose(positions, actor))
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
            hs.append(h if not hs else h[1:])
            x0, y0, h0 = x[-1], y[-1], h[-1]
        x, y = np.concatenate(xs), np.concatenate(ys)
        path = replace(_sampled(x, y, np.full(len(x), p0.z)), tangents=np.concatenate(hs))
        return _spline_timed(path, segs, shape.time_end)
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
