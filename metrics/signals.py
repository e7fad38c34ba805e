"""Traffic-control compliance: red lights, stop signs, stopping over the stop line.

A crossing is the ego's front bumper passing a :class:`StopLine` between two
steps while moving within 90° of the line's governed direction; its time is
interpolated along the step.  Crossing on red is running the light (the act
StVO §37(2) and the UK Highway Code rule 175 name: passing the stop line on
red); ScenarioRunner's ``RunningRedLightTest`` detects the same crossing by
the vehicle's tail, so event times differ by the vehicle length / speed,
counts do not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from metrics.base import BlockMetric, ScalarSpec, make_result, register_metric
from metrics.block import StepBlock
from metrics.context import StopLine
from metrics.road_signal_kernels import front_path
from simplatform.results import MetricEvent, MetricResult

STOP_SPEED = 0.1           # m/s, ScenarioRunner RunningStopTest.SPEED_THRESHOLD
STOP_PROXIMITY = 4.0       # m before the line, RunningStopTest.PROXIMITY_THRESHOLD
TRAFFIC_LIGHT_TYPES = frozenset({"1000001", "1000002", "1000007", "1000009", "1000011"})  # OpenDRIVE 1.8 §14 / VzKat
STOP_SIGN_TYPES = frozenset({"206", "R1-1", "stop", "STOP"})                              # StVO 206, MUTCD R1-1


def is_red(line: StopLine, state: str | None) -> bool:
    return state is not None and state.strip().lower().replace(" ", "") in line.red_states


@register_metric
class TrafficControlMetric(BlockMetric):
    """Red-light running, stop-sign running and stopping over a stop line, per :class:`StopLine`.

    Built when the context has stop lines or a road: a road whose network has
    no traffic light or stop sign (``stop_lines_from_road`` finds none, and no
    explicit lines were given) has nothing to run, so each count is 0.
    Without either there is no way to tell, and a requirement on these counts
    gets an ``error`` verdict."""

    name = "traffic_control"
    requires = frozenset({"stop_lines|road"})
    scalars = (
        ScalarSpec("red_light_violations", "1", "count", "count", "stop lines crossed on red", event="red_light"),
        ScalarSpec("stop_sign_violations", "1", "count", "count", "stop lines crossed without stopping", event="stop_sign"),
        ScalarSpec("stop_line_violations", "1", "count", "count", "standstills with the front over a stop line", event="stop_line"),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self._lines = [(ln, tuple(map(float, ln.p0)), tuple(map(float, ln.p1)),
                        (math.cos(ln.direction), math.sin(ln.direction))) for ln in context.stop_lines]
        self._reach = [_LineReach.of(p0, p1, d) for _, p0, p1, d in self._lines]
        self._prev_front: tuple[float, float] | None = None
        self._stopped_near: dict[str, bool] = {ln.id: False for ln in context.stop_lines}
        self._over: dict[str, bool] = {ln.id: False for ln in context.stop_lines}

    def observe_block(self, block: StepBlock) -> None:
        e = block.ego_index
        if e is None:
            return
        # the ego's columns of the block's shared cos/sin and box centres: the floats ``np.cos`` and
        # ``StepBlock.ego_centre`` give for the ego alone (elementwise, same operations in the same order)
        cos_h, sin_h = block.cos_sin
        centre_x, centre_y = block.centers
        fx, fy = cos_h[:, e], sin_h[:, e]
        length = np.ascontiguousarray(block.ego_col("length"))
        # the front's path box in one compiled pass; the front's arrays only for a line within reach
        x_lo, x_hi, y_lo, y_hi, last_x, last_y, half_max = front_path(centre_x, centre_y, cos_h, sin_h, length, e)
        prev = self._prev_front if self._prev_front is not None else (math.nan, math.nan)
        path = _PathBox.of_bounds(x_lo, x_hi, y_lo, y_hi, prev, max(STOP_PROXIMITY, 2 * float(half_max)))
        steps = None
        for (line, p0, p1, (dx, dy)), reach in zip(self._lines, self._reach):
            if path.apart(reach):
                # the front stays too far from the line for a crossing, a stop before it or one over it
                if self._over[line.id] and bool(np.any(fx * dx + fy * dy > 0)):
                    self._over[line.id] = False
                continue
            if steps is None:   # what only a line within reach needs
                half = length / 2
                front_x, front_y = centre_x[:, e] + fx * half, centre_y[:, e] + fy * half
                back_x = np.concatenate([[prev[0]], front_x[:-1]])
                back_y = np.concatenate([[prev[1]], front_y[:-1]])
                steps = (half, front_x, front_y, back_x, back_y, np.abs(block.ego_col("speed")), block.times,
                         block.dt)
            self._line_block(block, line, p0, p1, dx, dy, fx, fy, *steps)
        self._prev_front = (float(last_x), float(last_y))
        self.events.sort(key=lambda ev: ev.time)

    def _line_block(self, block: StepBlock, line: StopLine, p0, p1, dx: float, dy: float, fx, fy, half, front_x,
                    front_y, back_x, back_y, speed, times, dt) -> None:  # noqa: PLR0913 (the block's arrays)
        """The rules of one stop line within reach of the ego's front over a block."""
        valid = fx * dx + fy * dy > 0
        before = (p0[0] - front_x) * dx + (p0[1] - front_y) * dy   # > 0: front has not reached the line
        lateral_ok = _within_line(front_x, front_y, p0, p1)
        crossed, u = _crossings(back_x, back_y, front_x, front_y, p0, p1)
        crossed &= valid
        slow = speed < STOP_SPEED
        near_stop = valid & lateral_ok & (0 <= before) & (before <= STOP_PROXIMITY) & slow & (line.kind == "stop")
        over = lateral_ok & (-2 * half < before) & (before < 0) & slow
        if line.signal_id:
            states = [signals.get(line.signal_id) for signals in block.each("signals")]
        else:
            states = [None] * block.size
        if line.kind == "stop":
            must_stop = np.ones(block.size, dtype=bool)
        else:
            red = {st: is_red(line, st) for st in set(states)}   # a few signal states per block
            must_stop = np.fromiter(map(red.__getitem__, states), bool, block.size)
        # the "over" state is carried only through steps moving the line's way, as each step did
        last_valid = np.maximum.accumulate(np.where(valid, np.arange(block.size), -1))
        prev_valid = np.concatenate([[-1], last_valid[:-1]])
        was_over = np.where(prev_valid >= 0, over[np.maximum(prev_valid, 0)], self._over[line.id])
        onset = valid & over & must_stop & ~was_over
        for k in np.flatnonzero(near_stop | crossed | onset).tolist():
            if near_stop[k]:
                self._stopped_near[line.id] = True
            if crossed[k]:
                self._on_crossing(line, float(times[k] - dt[k] * (1.0 - u[k])), states[k])
            if onset[k]:
                self.events.append(MetricEvent(float(times[k]), "stop_line", (line.id,), float(-before[k]),
                                               f"stopped {-before[k]:.2f} m over stop line {line.id}"))
        if valid.any():
            self._over[line.id] = bool(over[last_valid[-1]])

    def _on_crossing(self, line: StopLine, t: float, state: str | None) -> None:
        if line.kind == "stop":
            if not self._stopped_near[line.id]:
                self.events.append(MetricEvent(t, "stop_sign", (line.id,), None, f"ran stop line {line.id}"))
            self._stopped_near[line.id] = False
        elif is_red(line, state):
            self.events.append(MetricEvent(t, "red_light", (line.id,), None,
                                           f"crossed stop line {line.id} of signal {line.signal_id} on {state!r}"))

    def result(self) -> MetricResult:
        scalars, times, ents = {}, {}, {}
        for spec in self.scalars:
            evs = [ev for ev in self.events if ev.kind == spec.event]
            scalars[spec.name] = len(evs)
            if evs:
                times[spec.name], ents[spec.name] = evs[0].time, evs[0].entities
        return make_result(self, scalars, None, times, ents)


@dataclass(frozen=True)
class _LineReach:
    """A stop line's bounding box and how far from the line a front point can be while the line's
    rules can still see it: with P = p0 + u·L + w·n (u in [0, 1], n the unit normal of L = p1 − p0)
    and |before| = |(p0 − P)·d| ≤ r, |w| ≤ (r + |L·d|) / |n·d|; ``slope`` = |n·d| (0: no bound)."""

    lo: tuple[float, float]
    hi: tuple[float, float]
    along: float
    slope: float

    @classmethod
    def of(cls, p0, p1, d) -> "_LineReach":
        lx, ly = p1[0] - p0[0], p1[1] - p0[1]
        norm = math.hypot(lx, ly)
        slope = abs(-ly * d[0] + lx * d[1]) / norm if norm > 0 else 0.0
        return cls((min(p0[0], p1[0]), min(p0[1], p1[1])), (max(p0[0], p1[0]), max(p0[1], p1[1])),
                   abs(lx * d[0] + ly * d[1]), slope)


@dataclass(frozen=True)
class _PathBox:
    """The bounding box of the ego front's path over a block (the step before included) and the
    largest |before| at which a stop-line rule can fire (``STOP_PROXIMITY``, the ego length)."""

    lo: tuple[float, float]
    hi: tuple[float, float]
    rule_reach: float

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray, prev: tuple[float, float], rule_reach: float) -> "_PathBox":
        return cls.of_bounds(float(x.min()), float(x.max()), float(y.min()), float(y.max()), prev, rule_reach)

    @classmethod
    def of_bounds(cls, x_lo: float, x_hi: float, y_lo: float, y_hi: float, prev: tuple[float, float],
                  rule_reach: float) -> "_PathBox":
        """``of`` from the path's extremes (NaN when a position is NaN, as ``np.min`` gives them)."""
        xs, ys = [float(x_lo), float(x_hi)], [float(y_lo), float(y_hi)]
        if prev[0] == prev[0] and prev[1] == prev[1]:
            xs.append(prev[0]), ys.append(prev[1])
        return cls((min(xs), min(ys)), (max(xs), max(ys)), rule_reach)

    def apart(self, line: _LineReach) -> bool:
        """Every point of the path farther than any rule's reach from the line segment, and no
        motion segment able to cross it: the boxes are disjoint after growing the line's by the reach.
        (NaN positions compare False and so never skip a line.)"""
        if line.slope <= 1e-6:
            return False
        r = (self.rule_reach + line.along) / line.slope
        return (self.hi[0] < line.lo[0] - r or self.lo[0] > line.hi[0] + r
                or self.hi[1] < line.lo[1] - r or self.lo[1] > line.hi[1] + r)


def _within_line(x: np.ndarray, y: np.ndarray, p0, p1) -> np.ndarray:
    """Whether each point projects onto the line segment p0–p1 (it is beside the line, not past its ends)."""
    dx, dy = p1[0] - p0[0], p1[1] - p0[1]
    u = ((x - p0[0]) * dx + (y - p0[1]) * dy) / max(dx * dx + dy * dy, 1e-12)
    return (0.0 <= u) & (u <= 1.0)


def _crossings(ax, ay, bx, by, q0, q1) -> tuple[np.ndarray, np.ndarray]:
    """``geometry.segment_crossing`` for many motion segments a→b against one line q0–q1.

    The motion is half-open, u in (0, 1]: a point exactly on the line is
    crossed by the step that reaches it; NaN starts (no previous step) never cross."""
    rx, ry = bx - ax, by - ay
    sx, sy = q1[0] - q0[0], q1[1] - q0[1]
    denom = rx * sy - ry * sx
    qx, qy = q0[0] - ax, q0[1] - ay
    with np.errstate(divide="ignore", invalid="ignore"):
        u = (qx * sy - qy * sx) / denom
        v = (qx * ry - qy * rx) / denom
        crossed = (np.abs(denom) >= 1e-12) & (0.0 < u) & (u <= 1.0) & (0.0 <= v) & (v <= 1.0)
    return crossed, u


def stop_lines_from_road(road: Any) -> tuple[StopLine, ...]:
    """Stop lines at the s of every traffic light (dynamic signal) and stop sign of the road network.

    The line spans the lanes the signal governs: its ``validity`` lanes, else
    every drivable lane whose driving direction matches the signal
    orientation ("+": traffic moving with s, OpenDRIVE 1.8 §14.2).  OpenDRIVE
    places the signal head, not the painted line; where a map has separate
    stop-line objects the caller should pass explicit lines instead.
    """
    lines: list[StopLine] = []
    for sig in road.signals.values():
        kind = "stop" if str(sig.type) in STOP_SIGN_TYPES else ("traffic_light" if sig.dynamic or str(sig.type) in TRAFFIC_LIGHT_TYPES else None)
        if kind is None or sig.orientation not in ("+", "-"):
            continue
        sense = 1 if sig.orientation == "+" else -1
        lanes = [lid for lid in road.lane_ids(sig.road_id, sig.s) if lid != 0
                 and road.driving_direction(sig.road_id, lid) == sense
                 and road.lane_type(sig.road_id, lid, sig.s).lower() == "driving"]
        validity = getattr(sig, "validity", ())
        if validity:
            allowed = {lid for v in validity for lid in range(min(v.from_lane, v.to_lane), max(v.from_lane, v.to_lane) + 1)}
            lanes = [lid for lid in lanes if lid in allowed]
        if not lanes:
            continue
        ts = [t for lid in lanes for t in road.lane_boundaries(sig.road_id, lid, sig.s)]
        a = road.road_pose(sig.road_id, sig.s, min(ts))
        b = road.road_pose(sig.road_id, sig.s, max(ts))
        heading = road.road_heading(sig.road_id, sig.s) + (0.0 if sense > 0 else math.pi)
        lines.append(StopLine(id=str(sig.id), p0=(a.x, a.y), p1=(b.x, b.y), direction=heading,
                              signal_id=str(sig.id) if kind == "traffic_light" else None, kind=kind))
    return tuple(lines)
