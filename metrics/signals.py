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
from typing import Any


from metrics.base import Metric, ScalarSpec, make_result, register_metric
from metrics.context import StopLine
from metrics.frame import StepFrame
from metrics.geometry import segment_crossing
from simplatform.results import MetricEvent, MetricResult

STOP_SPEED = 0.1           # m/s, ScenarioRunner RunningStopTest.SPEED_THRESHOLD
STOP_PROXIMITY = 4.0       # m before the line, RunningStopTest.PROXIMITY_THRESHOLD
TRAFFIC_LIGHT_TYPES = frozenset({"1000001", "1000002", "1000007", "1000009", "1000011"})  # OpenDRIVE 1.8 §14 / VzKat
STOP_SIGN_TYPES = frozenset({"206", "R1-1", "stop", "STOP"})                              # StVO 206, MUTCD R1-1


def is_red(line: StopLine, state: str | None) -> bool:
    return state is not None and state.strip().lower().replace(" ", "") in line.red_states


@register_metric
class TrafficControlMetric(Metric):
    """Red-light running, stop-sign running and stopping over a stop line, per :class:`StopLine`."""

    name = "traffic_control"
    requires = frozenset({"stop_lines"})
    scalars = (
        ScalarSpec("red_light_violations", "1", "count", "count", "stop lines crossed on red", event="red_light"),
        ScalarSpec("stop_sign_violations", "1", "count", "count", "stop lines crossed without stopping", event="stop_sign"),
        ScalarSpec("stop_line_violations", "1", "count", "count", "standstills with the front over a stop line", event="stop_line"),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self._lines = [(ln, tuple(map(float, ln.p0)), tuple(map(float, ln.p1)),
                        (math.cos(ln.direction), math.sin(ln.direction))) for ln in context.stop_lines]
        self._prev_front: tuple[float, float] | None = None
        self._stopped_near: dict[str, bool] = {ln.id: False for ln in context.stop_lines}
        self._over: dict[str, bool] = {ln.id: False for ln in context.stop_lines}

    def observe(self, frame: StepFrame) -> None:
        e = frame.ego_index
        if e is None:
            return
        snap = frame.snapshot
        h = float(snap.heading[e])
        fx, fy = math.cos(h), math.sin(h)
        half = float(snap.length[e]) / 2
        cx, cy = float(frame.centers[e, 0]), float(frame.centers[e, 1])
        front = (cx + fx * half, cy + fy * half)
        speed = abs(float(snap.speed[e]))
        for line, p0, p1, (dx, dy) in self._lines:
            if fx * dx + fy * dy <= 0:
                continue
            before = (p0[0] - front[0]) * dx + (p0[1] - front[1]) * dy   # > 0: front has not reached the line
            lateral_ok = _within_line(front, p0, p1)
            if line.kind == "stop" and lateral_ok and 0 <= before <= STOP_PROXIMITY and speed < STOP_SPEED:
                self._stopped_near[line.id] = True
            state = snap.signals.get(line.signal_id) if line.signal_id else None
            if self._prev_front is not None:
                crossed, u = segment_crossing(self._prev_front, front, p0, p1)
                if crossed:
                    self._on_crossing(line, frame.time - frame.dt * (1.0 - u), state)
            over = lateral_ok and -2 * half < before < 0 and speed < STOP_SPEED
            must_stop = line.kind == "stop" or is_red(line, state)
            if over and must_stop and not self._over[line.id]:
                self.events.append(MetricEvent(frame.time, "stop_line", (line.id,), -before,
                                               f"stopped {-before:.2f} m over stop line {line.id}"))
            self._over[line.id] = over
        self._prev_front = front

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


def _within_line(point, p0, p1) -> bool:
    """Whether the point projects onto the line segment p0–p1 (it is beside the line, not past its ends)."""
    dx, dy = p1[0] - p0[0], p1[1] - p0[1]
    u = ((point[0] - p0[0]) * dx + (point[1] - p0[1]) * dy) / max(dx * dx + dy * dy, 1e-12)
    return 0.0 <= u <= 1.0


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
