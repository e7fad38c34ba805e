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

from metrics import kernels, route_kernels
from metrics.base import BlockMetric, ScalarSpec, SeriesRecorder, make_result, register_metric
from metrics.block import StepBlock
from metrics.context import RoutePath
from simplatform.results import MetricEvent, MetricResult


def resample(route: RoutePath, step: float = 1.0) -> RoutePath:
    """The route at ``step`` spacing; the route metrics of one run share the object (``_RESAMPLED``),
    so that their trackers can share a block's tracking (``_Progress.track``)."""
    key = (id(route), step)
    got = _RESAMPLED.get(key)
    if got is not None and got[0] is route:
        return got[1]
    n = max(2, int(math.ceil(route.length / step)) + 1)
    s = np.linspace(0.0, route.length, n)
    pts = np.stack([np.interp(s, route.cumulative, route.points[:, 0]),
                    np.interp(s, route.cumulative, route.points[:, 1])], axis=1)
    out = RoutePath.from_points(pts)
    if len(_RESAMPLED) >= 8:
        _RESAMPLED.clear()
    _RESAMPLED[key] = (route, out)
    return out


_RESAMPLED: dict[tuple[int, float], tuple[RoutePath, RoutePath]] = {}
"""(id(route), step) → (route, resampled): the route is held, so its id is not reused meanwhile."""
_LAST_TRACK: list[tuple] = []
"""The latest ``_Progress.track`` answers with what they were asked: (route, window, offset, index, x,
y, out), the newest last, at most ``_TRACKS_KEPT`` (the three route metrics of a suite ask in turn,
outside-route-lanes with another window between the two that share)."""
_TRACKS_KEPT = 4


def _route_columns(route: RoutePath) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The route's point and direction columns as the kernels read them (C-contiguous copies),
    made once per route: a suite's four trackers follow the one resampled route (``resample``).
    Writable, as the kernels are compiled for (numba compiles a read-only argument apart); nothing
    writes into them."""
    got = _COLUMNS.get(id(route))
    if got is not None and got[0] is route:
        return got[1]
    columns = (np.ascontiguousarray(route.points[:, 0]), np.ascontiguousarray(route.points[:, 1]),
               np.ascontiguousarray(route.directions[:, 0]), np.ascontiguousarray(route.directions[:, 1]))
    if len(_COLUMNS) >= 8:
        _COLUMNS.clear()
    _COLUMNS[id(route)] = (route, columns)
    return columns


_COLUMNS: dict[int, tuple[RoutePath, tuple[np.ndarray, ...]]] = {}
"""id(route) → (route, its columns): the route is held, so its id is not reused meanwhile."""


class _Progress:
    """Index of the last route waypoint passed, by the windowed dot-product rule, over a block of
    ego positions at once (``kernels.route_progress``, compiled: the window holds 3 to 6 waypoints)."""

    def __init__(self, route: RoutePath, window: int) -> None:
        self.route = route
        self.window = window
        self.index = 0
        self._px, self._py, self._dx, self._dy = _route_columns(route)

    def track(self, x: np.ndarray, y: np.ndarray, first_offset: int = 0) -> np.ndarray:
        """The index after each position; each step searches from index + ``first_offset``.

        Route completion and minimum speed track a block with the same rule from the same index
        (until the route is completed): the second asks the first's answer (read-only), found by
        the identity of the route and of the block's position arrays."""
        for last in _LAST_TRACK:
            if (last[4] is x and last[5] is y and last[0] is self.route and last[1] == self.window
                    and last[2] == first_offset and last[3] == self.index):
                out = last[6]
                break
        else:
            out = kernels.route_progress(self._px, self._py, self._dx, self._dy, self.index, self.window,
                                         np.ascontiguousarray(x, dtype=float), np.ascontiguousarray(y, dtype=float),
                                         first_offset)
            out.flags.writeable = False
            if _LAST_TRACK and _LAST_TRACK[-1][4] is not x:   # another block: the answers before are stale
                _LAST_TRACK.clear()
            elif len(_LAST_TRACK) >= _TRACKS_KEPT:
                del _LAST_TRACK[0]
            _LAST_TRACK.append((self.route, self.window, first_offset, self.index, x, y, out))
        if out.size:
            self.index = int(out[-1])
        return out

    def in_route(self, x: np.ndarray, y: np.ndarray, offroute_min: float, offroute_max: float,
                 max_percentage: float, out_distance: float) -> tuple[float, int, float]:
        """``kernels.in_route`` from the current index: (out_distance, deviating step or −1, distance)."""
        index, out_distance, step, dist = kernels.in_route(
            self._px, self._py, self.route.cumulative, self.index, self.window, np.ascontiguousarray(x, dtype=float),
            np.ascontiguousarray(y, dtype=float), offroute_min, offroute_max, max_percentage, out_distance)
        self.index = int(index)
        return float(out_distance), int(step), float(dist)


@register_metric
class RouteCompletionMetric(BlockMetric):
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

    def observe_block(self, block: StepBlock) -> None:
        if block.ego_index is None:
            return
        x, y = block.ego_col("x"), block.ego_col("y")
        if self._done_time is not None:
            completion = np.full(block.size, self._completion)
        else:
            index = self._progress.track(x, y)
            completion = 100.0 * self.route.cumulative[index] / self.route.length
            # the end test only where some step is past the threshold (completion never falls: the
            # tracked index only moves on), so the usual block pays one comparison for it
            if completion.size and completion[-1] > self.PERCENTAGE_THRESHOLD:
                end = self.route.points[-1]
                done = ((completion > self.PERCENTAGE_THRESHOLD)
                        & (np.hypot(x - end[0], y - end[1]) < self.DISTANCE_THRESHOLD))
            else:
                done = None
            if done is not None and done.any():
                k = int(np.argmax(done))
                self._done_time = float(block.times[k])
                completion[k:] = 100.0
                self.events.append(MetricEvent(self._done_time, "route_completed"))
            self._completion = float(completion[-1])
        self.series.extend(block.times, completion=completion)
        had = len(self.events)
        if not self._deviated:
            self._out_distance, k, shortest = self._in_route.in_route(
                x, y, self._offroute_min, self.OFFROUTE_MAX, self.MAX_ROUTE_PERCENTAGE, self._out_distance)
            if k >= 0:
                self._deviated = True
                self.events.append(MetricEvent(float(block.times[k]), "route_deviation", (), shortest,
                                               f"{shortest:.1f} m from the route at ({x[k]:.1f}, {y[k]:.1f})"))
        if len(self.events) != had:   # a deviation may come before a completion of this block
            self.events.sort(key=lambda ev: ev.time)

    def result(self) -> MetricResult:
        dev = [e for e in self.events if e.kind == "route_deviation"]
        times = {"route_completion": self._done_time if self._done_time is not None else
                 (float(self.series.times()[-1]) if len(self.series) else None)}
        if dev:
            times["route_deviations"] = dev[0].time
        return make_result(self, {"route_completion": round(self._completion, 2), "route_deviations": len(dev)},
                           self.series, times)


@register_metric
class OutsideRouteLanesMetric(BlockMetric):
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

    def observe_block(self, block: StepBlock) -> None:
        st = block.ego_road
        if st is None:
            return
        x, y = block.ego_col("x"), block.ego_col("y")
        before = self._progress.index
        after = self._progress.track(x, y, first_offset=1)
        total = route_kernels.route_steps(self.route.cumulative, before, after, self._total)
        # one drivable lane type over the block: the off-road mask is all False (read, never written)
        outside = st.wrong_way if st.offroad_constant is False else st.wrong_way | st.offroad
        if outside.any():
            # the steps that may add to the distance outside, in step order (the total above adds
            # every step where the tracked waypoint moved, as this loop did for them)
            previous = np.concatenate([[before], after[:-1]])
            wrong_way = st.wrong_way
            for k in np.flatnonzero(outside & (after != previous)).tolist():
                if wrong_way[k] or not self._near_driving_lane(block, k):
                    step = float(self.route.cumulative[after[k]] - self.route.cumulative[previous[k]])
                    if self._wrong == 0.0:
                        self.events.append(MetricEvent(float(block.times[k]), "outside_route_lanes"))
                    self._wrong += step
        self._total = float(total)

    def _near_driving_lane(self, block: StepBlock, k: int) -> bool:
        """A driving or parking lane within ``ALLOWED_OUT_DISTANCE`` to either side of the reference point.
        Without a finite heading there is no side to probe: none is found (as a NaN heading's NaN probes
        never were; ``math.sin`` raises on ±inf, which ended the whole evaluation)."""
        h = float(block.ego_col("heading")[k])
        if not math.isfinite(h):
            return False
        n = np.array([-math.sin(h), math.cos(h)]) * self.ALLOWED_OUT_DISTANCE
        probe = np.array([[block.ego_col("x")[k], block.ego_col("y")[k]]]) + np.stack([n, -n])
        res = self.context.road.locate_many(probe)
        for j in range(2):
            if res.on_road[j]:
                rid = res.road_ids[res.road_index[j]]
                if self.context.road.lane_type(rid, int(res.lane_id[j]), float(res.s[j])).lower() in ("driving", "parking"):
                    return True
        return False

    def result(self) -> MetricResult:
        pct = 100.0 * self._wrong / self._total if self._total > 0 else 0.0
        first = self.events[0].time if self.events else None
        return make_result(self, {"outside_route_lanes": pct}, None, {"outside_route_lanes": first})


@register_metric
class MinimumSpeedRouteMetric(BlockMetric):
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
        self._bg_index: tuple[tuple[str, ...], list[int], np.ndarray] = ((), [], np.zeros(0, dtype=np.int64))
        self._time = 0.0

    def observe_block(self, block: StepBlock) -> None:
        e = block.ego_index
        if e is None:
            return
        self._time = float(block.times[-1])
        index = self._progress.track(block.ego_col("x"), block.ego_col("y"))
        reached = self.route.cumulative[index]
        if self._bg_index[0] is not block.names:
            bg_list = [i for i, n in enumerate(block.names) if n in self._background]
            self._bg_index = (block.names, bg_list, np.array(bg_list, dtype=np.int64))
        bg = self._bg_index[1]
        if bg:
            if len(bg) < route_kernels.SMALL_SUM:   # the usual few: one compiled pass, numpy's floats
                if block.state is not None:
                    # read in place from the stacked state matrices (float64, the values col() would copy):
                    # the few columns' values, not two (T, N) column copies out of the cold block
                    kin, _, _, _, rvx, rvy = block.kin
                    bg_speed = route_kernels.mean_speeds(kin[:, rvx], kin[:, rvy], self._bg_index[2])
                else:
                    # snapshots without a state matrix keep their columns' own dtype (a backend's float32
                    # velocities are summed in single precision, as always); block.kin would be float64
                    bg_speed = route_kernels.mean_speeds(block.col("vx"), block.col("vy"), self._bg_index[2])
            else:
                bg_speed = np.mean(np.hypot(block.col("vx")[:, bg], block.col("vy")[:, bg]), axis=1)
            ego_speed = np.hypot(block.ego_col("vx"), block.ego_col("vy"))
        times = block.times
        # a checkpoint closes at the first step more than a quarter of the route past the last one;
        # the speed sums run in step order (left to right, as += did: ``route_kernels``)
        start = 0
        while start < block.size:
            stop = route_kernels.first_beyond(reached, start, self._current, self._checkpoint_dist)
            if bg and stop > start:
                self._sum_bg = float(route_kernels.running_sum(self._sum_bg, bg_speed, start, stop))
                self._sum_ego = float(route_kernels.running_sum(self._sum_ego, ego_speed, start, stop))
                self._points += stop - start
            if stop == block.size:
                break
            value, event = self._checkpoint(float(times[stop]))
            self._values.append(value)
            if event is not None:
                self.events.append(event)
            self._current = float(reached[stop])
            self._sum_bg = self._sum_ego = 0.0
            self._points = 0
            start = stop   # the closing step's speeds count in the next checkpoint

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
