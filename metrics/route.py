"""Route progress as the CARLA Leaderboard measures it.

The route is resampled at 1 m (the Leaderboard's ``interpolate_trajectory``
hop resolution) and followed by ScenarioRunner's windowed rule: waypoint k
counts as passed once (ego − waypoint)·forward > 0, searching only a few
waypoints past the last one passed (``RouteCompletionTest.WINDOWS_SIZE = 2``,
``OutsideRouteLanesTest`` 3, ``InRouteTest`` 5, ``MinimumSpeedRouteTest`` 2),
so a route that loops back on itself is not skipped ahead.  Source:
carla-simulator/scenario_runner ``srunner/scenariomanager/scenarioatomics/
atomic_criteria.py`` (Leaderboard 2.0 branch).
"""

from __future__ import annotations

import math

import numpy as np

from metrics.base import Metric, ScalarSpec, SeriesRecorder, make_result, register_metric
from metrics.context import RoutePath
from metrics.frame import StepFrame
from simplatform.results import MetricEvent, MetricResult


def resample(route: RoutePath, step: float = 1.0) -> RoutePath:
    n = max(2, int(math.ceil(route.length / step)) + 1)
    s = np.linspace(0.0, route.length, n)
    pts = np.stack([np.interp(s, route.cumulative, route.points[:, 0]),
                    np.interp(s, route.cumulative, route.points[:, 1])], axis=1)
    return RoutePath.from_points(pts)


class _Progress:
    """Index of the last route waypoint passed, by the windowed dot-product rule.

    Plain floats: the window holds 3 to 6 waypoints, where numpy's per-call
    cost would dominate the step.
    """

    def __init__(self, route: RoutePath, window: int) -> None:
        self.route = route
        self.window = window
        self.index = 0
        self._px, self._py = route.points[:, 0].tolist(), route.points[:, 1].tolist()
        self._dx, self._dy = route.directions[:, 0].tolist(), route.directions[:, 1].tolist()

    def update(self, x: float, y: float, start: int | None = None) -> int:
        lo = self.index if start is None else start
        for k in range(lo, min(self.index + self.window + 1, len(self._px))):
            if (x - self._px[k]) * self._dx[k] + (y - self._py[k]) * self._dy[k] > 0:
                self.index = k
        return self.index

    def nearest_in_window(self, x: float, y: float) -> tuple[int, float]:
        """(index, distance) of the closest waypoint in the window; the later one on ties."""
        best, best_d = self.index, math.inf
        for k in range(self.index, min(self.index + self.window + 1, len(self._px))):
            d = math.hypot(x - self._px[k], y - self._py[k])
            if d <= best_d:
                best, best_d = k, d
        return best, best_d


@register_metric
class RouteCompletionMetric(Metric):
    """``RouteCompletionTest``: % of the route length up to the last waypoint passed; 100 once
    above 99 % and within 10 m of the route's end.  Also ``InRouteTest`` (route deviation: farther
    than 30 m from the route, or more than 30 % of it driven farther than 15 m away)."""

    name = "route_completion"
    requires = frozenset({"route"})
    scalars = (
        ScalarSpec("route_completion", "%", "ratio", "final", "share of the route length completed", series="completion"),
        ScalarSpec("route_deviations", "1", "count", "count", "route deviations (InRouteTest)", event="route_deviation"),
    )
    DISTANCE_THRESHOLD, PERCENTAGE_THRESHOLD = 10.0, 99.0
    OFFROUTE_MAX, MAX_ROUTE_PERCENTAGE = 30.0, 30.0

    def __init__(self, context) -> None:
        super().__init__(context)
        self.route = resample(context.route)
        self._progress = _Progress(self.route, 2)
        self._in_route = _Progress(self.route, 5)
        self._offroute_min = context.threshold("offroute_min", self.OFFROUTE_MAX / 2)
        self._out_distance = 0.0
        self._completion = 0.0
        self._done_time: float | None = None
        self._deviated = False
        self.series = SeriesRecorder("completion")

    def observe(self, frame: StepFrame) -> None:
        e = frame.ego_index
        if e is None:
            return
        x, y = float(frame.snapshot.x[e]), float(frame.snapshot.y[e])
        if self._done_time is None:
            k = self._progress.update(x, y)
            self._completion = 100.0 * self.route.cumulative[k] / self.route.length
            end = self.route.points[-1]
            if self._completion > self.PERCENTAGE_THRESHOLD and math.hypot(x - end[0], y - end[1]) < self.DISTANCE_THRESHOLD:
                self._completion, self._done_time = 100.0, frame.time
                self.events.append(MetricEvent(frame.time, "route_completed"))
        self.series.add(frame.time, completion=self._completion)
        if not self._deviated:
            self._check_in_route(frame.time, x, y)

    def _check_in_route(self, time: float, x: float, y: float) -> None:
        tracker = self._in_route
        closest, shortest = tracker.nearest_in_window(x, y)
        off = shortest >= self.OFFROUTE_MAX
        if closest != tracker.index:
            if shortest >= self._offroute_min:
                self._out_distance += self.route.cumulative[closest] - self.route.cumulative[tracker.index]
                off = off or 100 * self._out_distance / self.route.length > self.MAX_ROUTE_PERCENTAGE
            tracker.index = closest
        if off:
            self._deviated = True
            self.events.append(MetricEvent(time, "route_deviation", (), shortest,
                                           f"{shortest:.1f} m from the route at ({x:.1f}, {y:.1f})"))

    def result(self) -> MetricResult:
        dev = [e for e in self.events if e.kind == "route_deviation"]
        times = {"route_completion": self._done_time if self._done_time is not None else (self.series.time[-1] if self.series.time else None)}
        if dev:
            times["route_deviations"] = dev[0].time
        return make_result(self, {"route_completion": round(self._completion, 2), "route_deviations": len(dev)},
                           self.series, times)


@register_metric
class OutsideRouteLanesMetric(Metric):
    """``OutsideRouteLanesTest``: % of the route distance travelled while off the driving lanes
    (beyond 0.5 m: ``ALLOWED_OUT_DISTANCE``) or against traffic.  The Leaderboard multiplies the
    driving score by (1 − % / 100)."""

    name = "outside_route_lanes"
    requires = frozenset({"route", "road"})
    scalars = (ScalarSpec("outside_route_lanes", "%", "ratio", "final", "share of the driven route outside route lanes"),)
    ALLOWED_OUT_DISTANCE = 0.5

    def __init__(self, context) -> None:
        super().__init__(context)
        self.route = resample(context.route)
        self._progress = _Progress(self.route, 3)
        self._total = 0.0
        self._wrong = 0.0

    def observe(self, frame: StepFrame) -> None:
        e = frame.ego_index
        if e is None or frame.ego_road is None:
            return
        snap = frame.snapshot
        x, y = float(snap.x[e]), float(snap.y[e])
        outside = frame.ego_wrong_way or (frame.ego_offroad and not self._near_driving_lane(frame, x, y))
        before = self._progress.index
        after = self._progress.update(x, y, start=before + 1)
        if after != before:
            step = float(self.route.cumulative[after] - self.route.cumulative[before])
            self._total += step
            if outside:
                if self._wrong == 0.0:
                    self.events.append(MetricEvent(frame.time, "outside_route_lanes"))
                self._wrong += step

    def _near_driving_lane(self, frame: StepFrame, x: float, y: float) -> bool:
        h = float(frame.snapshot.heading[frame.ego_index])
        n = np.array([-math.sin(h), math.cos(h)]) * self.ALLOWED_OUT_DISTANCE
        probe = np.array([[x, y]]) + np.stack([n, -n])
        res = self.context.road.locate_many(probe)
        for k in range(2):
            if res.on_road[k]:
                rid = res.road_ids[res.road_index[k]]
                if self.context.road.lane_type(rid, int(res.lane_id[k]), float(res.s[k])).lower() in ("driving", "parking"):
                    return True
        return False

    def result(self) -> MetricResult:
        pct = 100.0 * self._wrong / self._total if self._total > 0 else 0.0
        first = self.events[0].time if self.events else None
        return make_result(self, {"outside_route_lanes": pct}, None, {"outside_route_lanes": first})


@register_metric
class MinimumSpeedRouteMetric(Metric):
    """``MinimumSpeedRouteTest`` (Leaderboard 2.0, 4 checkpoints): per quarter of the route, the
    ego's mean speed as % of the mean speed of the background traffic (``context.background``);
    100 where there is none.  Each checkpoint below 100 % is a MIN_SPEED_INFRACTION."""

    name = "min_speed_route"
    requires = frozenset({"route"})
    scalars = (ScalarSpec("min_speed_route", "%", "ratio", "final", "mean checkpoint ego/traffic speed ratio"),)
    CHECKPOINTS = 4

    def __init__(self, context) -> None:
        super().__init__(context)
        self.route = resample(context.route)
        self._progress = _Progress(self.route, 2)
        self._checkpoint_dist = self.route.length / self.CHECKPOINTS
        self._current = 0.0
        self._sum_bg = self._sum_ego = 0.0
        self._points = 0
        self._values: list[float] = []
        self._background = set(context.background)
        self._bg_index: tuple[tuple[str, ...], list[int]] = ((), [])
        self._time = 0.0

    def observe(self, frame: StepFrame) -> None:
        e = frame.ego_index
        if e is None:
            return
        snap = frame.snapshot
        self._time = frame.time
        k = self._progress.update(float(snap.x[e]), float(snap.y[e]))
        if self.route.cumulative[k] - self._current > self._checkpoint_dist:
            value, event = self._checkpoint(frame.time)
            self._values.append(value)
            if event is not None:
                self.events.append(event)
            self._current = float(self.route.cumulative[k])
            self._sum_bg = self._sum_ego = 0.0
            self._points = 0
        if self._bg_index[0] is not snap.names:
            self._bg_index = (snap.names, [i for i, n in enumerate(snap.names) if n in self._background])
        bg = self._bg_index[1]
        if bg:
            self._sum_bg += float(np.mean(np.hypot(snap.vx[bg], snap.vy[bg])))
            self._sum_ego += float(math.hypot(snap.vx[e], snap.vy[e]))
            self._points += 1

    def _checkpoint(self, time: float) -> tuple[float, MetricEvent | None]:
        value = round(self._sum_ego / self._sum_bg * 100, 2) if self._points and self._sum_bg else 100.0
        if value >= 100:
            return value, None
        return value, MetricEvent(time, "min_speed", (), value, f"average speed {value}% of the traffic's")

    def result(self) -> MetricResult:
        values, events = list(self._values), list(self.events)
        if self.route.cumulative[self._progress.index] / self.route.length > 0.95:
            # Routes end at about 99 %: the open checkpoint is closed at the end (terminate()).
            value, event = self._checkpoint(self._time)
            values.append(value)
            events += [event] if event is not None else []
        mean = round(sum(values) / len(values), 2) if values else 100.0
        result = make_result(self, {"min_speed_route": mean}, None, {"min_speed_route": events[0].time if events else None})
        return MetricResult(result.name, result.scalars, events=tuple(events), worst_time=result.worst_time)
