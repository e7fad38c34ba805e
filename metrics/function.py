"""Function metrics: goal, blocking, ACC set-speed tracking and following, yielding to emergency
vehicles, scenario timeout (the V2X reaction is ``metrics.v2x``)."""

from __future__ import annotations

import math

import numpy as np

from metrics.base import BlockMetric, ScalarSpec, SeriesRecorder, make_result, masked_duration, nan_rms, register_metric
from metrics.block import StepBlock
from metrics.series_kernels import acc_series, any_abs_below
from metrics.signals import STOP_SPEED, is_red
from simplatform.results import MetricEvent, MetricResult
from simplatform.world import WorldSnapshot


@register_metric
class GoalMetric(BlockMetric):
    """Goal region reached (ScenarioRunner ``InRadiusRegionTest`` / ``ReachedRegionTest``) and when."""

    name = "goal"
    requires = frozenset({"goal"})
    scalars = (
        ScalarSpec("goal_reached", "1", "flag", "flag", "1 once the ego reference point is in the goal region"),
        ScalarSpec("time_to_goal", "s", "time", "final", "time from the first step to reaching the goal (inf if never)"),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self._t0: float | None = None
        self._reached: float | None = None

    def observe_block(self, block: StepBlock) -> None:
        if block.ego_index is None:
            return
        if self._t0 is None:
            self._t0 = float(block.times[0])
        if self._reached is None:
            inside = block.ego_inside(self.context.goal)
            if inside.any():
                self._reached = float(block.times[int(np.argmax(inside))])
                self.events.append(MetricEvent(self._reached, "goal_reached"))

    def result(self) -> MetricResult:
        reached = self._reached is not None
        ttg = self._reached - self._t0 if reached else math.inf
        return make_result(self, {"goal_reached": float(reached), "time_to_goal": ttg}, None,
                           {"goal_reached": self._reached, "time_to_goal": self._reached})


@register_metric
class BlockedMetric(BlockMetric):
    """Standstill without a reason, and ScenarioRunner's ``ActorBlockedTest``.

    Standstill is speed < 0.1 m/s.  Reasons to stand: an entity in the path
    within ``blocked_reason_gap`` (10 m), a red or stop-sign line ahead within
    30 m, the goal reached.  ``blocked_events`` counts standstills longer than
    ``blocked_max_time`` (Leaderboard 2.0 ``AgentBlockedTest``: 180 s), reason or not.
    """

    name = "blocked"
    scalars = (
        ScalarSpec("blocked_time", "s", "time", "sum", "standstill time without a reason", series="blocked"),
        ScalarSpec("blocked_events", "1", "count", "count", "standstills longer than the blocked limit", event="blocked"),
    )
    STOP_LINE_REACH = 30.0

    def __init__(self, context) -> None:
        super().__init__(context)
        self.series = SeriesRecorder("blocked")
        self._gap = context.threshold("blocked_reason_gap", 10.0)
        self._max_time = context.threshold("blocked_max_time", 180.0)
        self._still_since: float | None = None
        self._flagged = False
        self._goal = False

    def observe_block(self, block: StepBlock) -> None:
        if block.ego_index is None:
            return
        speed = block.ego_col("speed")
        if not any_abs_below(speed, STOP_SPEED) and self._still_since is None:
            # the usual block: the ego moves throughout and no standstill runs on: nothing is
            # blocked and the clock stays off; only whether the goal was reached is kept (the
            # last step of the running "or" is whether any step was inside)
            if self.context.goal is not None and not self._goal:
                self._goal = bool(block.ego_inside(self.context.goal).any())
            self.series.extend(block.times, blocked=np.zeros(block.size))
            return
        still = np.abs(speed) < STOP_SPEED
        goal = np.zeros(block.size, dtype=bool)
        if self.context.goal is not None:
            goal = np.logical_or.accumulate(block.ego_inside(self.context.goal))
        goal |= self._goal
        self._goal = bool(goal[-1])
        blocked = still & ~goal
        if still.any() or self._still_since is not None:
            self._standstills(block.times, still)
        rows = np.flatnonzero(blocked)
        if rows.size and block.entities > 1:   # a leader within the reason gap: the first reason, for all at once
            rows = rows[~(block.neighbours.lead_gap[rows] < self._gap)]
            blocked[:] = False
            blocked[rows] = True
        if self.context.stop_lines:
            for k in rows.tolist():
                blocked[k] = not self._line_reason(block, k)
        self.series.extend(block.times, blocked=blocked.astype(float))

    def _standstills(self, times: np.ndarray, still: np.ndarray) -> None:
        """The standstill clock over a block, as a step-by-step walk would run it: a moving step
        resets it; each run of still steps starts it (or goes on with the block before's) and flags
        once when it reaches ``blocked_max_time``."""
        if not still[0]:
            self._still_since, self._flagged = None, False
        edges = np.diff(np.concatenate([[0], still.astype(np.int8), [0]]))
        for a, b in zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()):
            if a > 0 or self._still_since is None:
                self._still_since, self._flagged = float(times[a]), False
            if not self._flagged:
                late = np.flatnonzero(times[a:b] - self._still_since >= self._max_time)
                if late.size:
                    t = float(times[a + late[0]])
                    self._flagged = True
                    self.events.append(MetricEvent(t, "blocked", (), t - self._still_since,
                                                   f"standstill since t={self._still_since:.2f} s"))
            if b < still.size:
                self._still_since, self._flagged = None, False

    def _line_reason(self, block: StepBlock, k: int) -> bool:
        """A red or stop-sign line ahead within ``STOP_LINE_REACH`` at step k."""
        h = float(block.ego_col("heading")[k])
        fwd = np.array([math.cos(h), math.sin(h)])
        centre = np.array([block.ego_centre[0][k], block.ego_centre[1][k]])
        front = centre + fwd * block.ego_col("length")[k] / 2
        signals = block.snapshots[k].signals
        for line in self.context.stop_lines:
            direction = np.array([math.cos(line.direction), math.sin(line.direction)])
            ahead = float((np.asarray(line.p0) - front) @ direction)
            if fwd @ direction > 0 and -1.0 <= ahead <= self.STOP_LINE_REACH:
                if line.kind == "stop" or is_red(line, signals.get(line.signal_id or "")):
                    return True
        return False

    def result(self) -> MetricResult:
        mask = self.series.array("blocked") > 0
        t = self.series.times()
        total = masked_duration(mask, t)
        first = float(t[mask][0]) if mask.any() else None
        return make_result(self, {"blocked_time": total, "blocked_events": len(self.events)}, self.series,
                           {"blocked_time": first, "blocked_events": self.events[0].time if self.events else None})


@register_metric
class AdaptiveCruiseMetric(BlockMetric):
    """ACC set-speed tracking and following distance (ISO 15622:2018 terms).

    A step is *following* when an in-path leader is within the ISO 15622
    maximum selectable time gap of 2.2 s × speed + 10 m (clearance); else
    *free driving*, where the error to ``acc_set_speed`` is tracked.  Following
    steps report the gap and time gap, and the share of following time with a
    time gap of at least ``acc_time_gap`` (the driver's setting, default 1.8 s).
    """

    name = "acc"
    requires = frozenset({"acc_set_speed"})
    scalars = (
        ScalarSpec("acc_speed_error_max", "m/s", "speed", "max", "largest |speed − set speed| free driving", series="speed_error_abs"),
        ScalarSpec("acc_speed_error_rms", "m/s", "speed", "rms", "RMS speed − set speed free driving", series="speed_error"),
        ScalarSpec("following_distance_min", "m", "length", "min", "smallest gap while following", series="gap"),
        ScalarSpec("following_thw_mean", "s", "time", "mean", "mean time gap while following", series="thw"),
        ScalarSpec("following_gap_kept", "%", "ratio", "final", "share of following time at or above the set time gap"),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.series = SeriesRecorder("speed_error", "speed_error_abs", "gap", "thw")

    def observe_block(self, block: StepBlock) -> None:
        if block.ego_index is None:
            return
        v = block.ego_col("speed")
        gap = block.neighbours.lead_gap if block.entities > 1 else np.full(block.size, math.inf)
        # following: an in-path leader within 2.2 s x speed + 10 m (series_kernels.acc_series)
        gap, thw, err, err_abs = acc_series(v, gap, float(self.context.acc_set_speed))
        self.series.extend(block.times, gap=gap, thw=thw, speed_error=err, speed_error_abs=err_abs)

    def result(self) -> MetricResult:
        scalars, times = {}, {}
        emax, t = self.series.extreme("speed_error_abs", "max")
        rms = nan_rms(self.series.array("speed_error"))
        if rms is not None:
            scalars["acc_speed_error_max"], times["acc_speed_error_max"] = emax, t
            scalars["acc_speed_error_rms"] = rms
        thw = self.series.array("thw")
        nan = np.isnan(thw)
        if nan.any():   # the mask copies only where they drop something (same values, same sums)
            thw = thw[~nan]
        if thw.size:
            scalars["following_distance_min"], times["following_distance_min"] = self.series.extreme("gap", "min")
            finite = thw if np.isfinite(thw).all() else thw[np.isfinite(thw)]
            scalars["following_thw_mean"] = float(np.mean(finite)) if finite.size else math.inf
            scalars["following_gap_kept"] = 100.0 * float(np.mean(thw >= self.context.acc_time_gap))
        return make_result(self, scalars, self.series, times)


@register_metric
class YieldToEmergencyVehicleMetric(BlockMetric):
    """``YieldToEmergencyVehicleTest``: at the end, the ego must not be ahead of an emergency
    vehicle (ego − EV projected on the EV's heading > 0 is a failure)."""

    name = "yield_emergency"
    scalars = (ScalarSpec("yield_emergency_failures", "1", "count", "count", "emergency vehicles not let past", event="yield_emergency"),)

    def __init__(self, context) -> None:
        super().__init__(context)
        self._last: tuple[WorldSnapshot, int | None] | None = None

    def observe_block(self, block: StepBlock) -> None:
        if not self.context.emergency_vehicles:   # nobody to yield to: nothing to keep
            return
        self._last = (block.snapshots[-1], block.ego_index)

    def result(self) -> MetricResult:
        events: list[MetricEvent] = []
        if self._last is not None and self._last[1] is not None:
            snap, e = self._last
            for ev in self.context.emergency_vehicles:
                if ev not in snap.names:
                    continue
                k = snap.index(ev)
                ahead = (snap.x[e] - snap.x[k]) * math.cos(snap.heading[k]) + (snap.y[e] - snap.y[k]) * math.sin(snap.heading[k])
                if ahead > 0:
                    events.append(MetricEvent(snap.time, "yield_emergency", (ev,), float(ahead), "ego still ahead of the emergency vehicle"))
        self.events = events
        return make_result(self, {"yield_emergency_failures": len(events)}, None,
                           {"yield_emergency_failures": events[0].time if events else None},
                           {"yield_emergency_failures": events[0].entities if events else ()})


@register_metric
class ScenarioTimeoutMetric(BlockMetric):
    """``ScenarioTimeoutTest``: 1 when the scenario's timeout fired (the engine sets
    ``context.scenario_timed_out``) or the run reached ``context.timeout`` before the goal/route end."""

    name = "scenario_timeout"
    scalars = (ScalarSpec("scenario_timeouts", "1", "count", "count", "scenario timeouts", event="scenario_timeout"),)

    def __init__(self, context) -> None:
        super().__init__(context)
        self._t0: float | None = None
        self._t1 = 0.0
        self._done = False

    def observe_block(self, block: StepBlock) -> None:
        if self._t0 is None:
            self._t0 = float(block.times[0])
        self._t1 = float(block.times[-1])
        if block.ego_index is not None and self.context.goal is not None and not self._done:
            self._done = bool(block.ego_inside(self.context.goal).any())

    def result(self) -> MetricResult:
        timeout = self.context.timeout
        fired = self.context.scenario_timed_out or (
            timeout is not None and self._t0 is not None and self._t1 - self._t0 >= timeout - 1e-9 and not self._done)
        self.events = [MetricEvent(self._t1, "scenario_timeout")] if fired else []
        return make_result(self, {"scenario_timeouts": float(fired)}, None, {"scenario_timeouts": self._t1 if fired else None})
