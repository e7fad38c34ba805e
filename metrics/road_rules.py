"""Metrics that ask the road model: lane departure, off road, sidewalk, wrong way, speed limit, lane centre.

Each uses ``StepBlock.ego_road`` (``metrics.road_block``): the ego reference
point from the engine's lane per step, its box corners in the lane frame,
and the road model's ``locate_many`` once per block where that is not enough
(OpenDRIVE 1.8 §9 lane frame; ``t`` from the reference line, ``offset`` from
the lane centre).
"""

from __future__ import annotations

import math

import numpy as np

from metrics.base import (BlockMetric, ScalarSpec, SeriesRecorder, episodes, kernel_column, make_result, masked_duration,
                          register_metric)
from metrics.block import StepBlock
from metrics.series_kernels import has_nan, speed_excess
from simplatform.results import MetricEvent, MetricResult

# OpenDRIVE 1.8 §11.6 lane types a vehicle may drive on; CARLA's OffRoadTest
# likewise accepts Driving and Parking lanes.


def _durations(mask: np.ndarray, times: np.ndarray) -> float:
    return masked_duration(mask, times)


def _onsets(mask: np.ndarray, before: bool) -> list[int]:
    """Steps where ``mask`` turns True (``before``: its value at the step before the block)."""
    if not mask.any():
        return []
    return np.flatnonzero(mask & ~np.concatenate([[before], mask[:-1]])).tolist()


@register_metric
class LaneDepartureMetric(BlockMetric):
    """A lane departure is a box corner outside the lane of the ego reference point (ISO 17361:
    the vehicle crosses the lane boundary).  The onset time is interpolated linearly between the
    two steps around the crossing from the corner's lateral margin, so a car drifting at constant
    lateral speed gets its exact crossing time; the duration is the time spent straddling.
    ScenarioRunner's ``KeepLaneTest`` counts the same invasions."""

    name = "lane_departure"
    requires = frozenset({"road"})
    scalars = (
        ScalarSpec("lane_departures", "1", "count", "count", "lane boundary crossings", event="lane_departure"),
        ScalarSpec("lane_departure_time", "s", "time", "sum", "time straddling a lane boundary", series="departed"),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.series = SeriesRecorder("departed", "margin")
        self._prev: tuple[float, float, bool] | None = None

    def observe_block(self, block: StepBlock) -> None:
        st = block.ego_road
        if st is None:
            return
        corners = st.corners
        margin, departed = corners.margin, corners.departed
        # the departures that start in this block: departed, and not at the step before
        starts = [] if corners.none_departed else _onsets(departed, self._prev is not None and self._prev[2])
        times = block.times.tolist() if starts else None
        for k in starts:
            prev = self._prev if k == 0 else (times[k - 1], float(margin[k - 1]), bool(departed[k - 1]))
            onset = times[k]
            if prev is not None and prev[1] >= 0 and margin[k] < 0:
                onset = prev[0] + (times[k] - prev[0]) * prev[1] / (prev[1] - float(margin[k]))
            lane_txt = f"road {st.road_id(k)} lane {int(st.lane_id[k])}" if st.on_road[k] else "off road"
            self.events.append(MetricEvent(onset, "lane_departure", (), None, lane_txt))
        self._prev = (float(block.times[-1]), float(margin[-1]), bool(departed[-1]))
        self.series.extend(block.times, departed=departed.astype(float), margin=margin)

    def result(self) -> MetricResult:
        mask = self.series.array("departed") > 0
        t = self.series.times()
        events = [e for e in self.events if e.kind == "lane_departure"]
        for k, (a, b) in enumerate(episodes(mask, t)):
            if k < len(events):
                events[k] = MetricEvent(events[k].time, events[k].kind, (), b - events[k].time, events[k].detail)
        self.events = events
        times = {"lane_departures": events[0].time} if events else {}
        times["lane_departure_time"] = events[0].time if events else None
        return make_result(self, {"lane_departures": len(events), "lane_departure_time": _durations(mask, t)},
                           self.series, times)


@register_metric
class OffRoadMetric(BlockMetric):
    """Off road (reference point on no drivable lane: ScenarioRunner ``OffRoadTest``), on a sidewalk
    (any box corner on a ``sidewalk`` lane: ``OnSidewalkTest``), and end of road (the ego left the
    road it started on: ``EndofRoadTest``)."""

    name = "off_road"
    requires = frozenset({"road"})
    scalars = (
        ScalarSpec("offroad_time", "s", "time", "sum", "time off drivable lanes", series="offroad"),
        ScalarSpec("offroad_events", "1", "count", "count", "times the ego left drivable lanes", event="offroad"),
        ScalarSpec("onsidewalk_time", "s", "time", "sum", "time with a corner on a sidewalk", series="sidewalk"),
        ScalarSpec("onsidewalk_events", "1", "count", "count", "sidewalk invasions", event="sidewalk"),
        ScalarSpec("end_of_road", "1", "flag", "flag", "1 once the ego left its starting road"),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.series = SeriesRecorder("offroad", "sidewalk")
        self._start_road: str | None = None
        self._end_time: float | None = None

    def observe_block(self, block: StepBlock) -> None:
        st = block.ego_road
        if st is None:
            return
        corners = st.corners
        times = block.times
        had = len(self.events)
        if corners.none_sidewalk and st.offroad_constant is False:
            # one drivable lane type, no corner on a sidewalk: no onset, and the masks' floats are zeros
            self.series.extend(times, offroad=np.zeros(block.size), sidewalk=np.zeros(block.size))
        else:
            offroad, sidewalk = st.offroad, corners.sidewalk
            was_off = self.series.last("offroad")
            was_side = self.series.last("sidewalk")
            for k in _onsets(offroad, bool(was_off)):
                self.events.append(MetricEvent(float(times[k]), "offroad", (), None, f"lane type {st.lane_type_at(k)}"))
            for k in () if corners.none_sidewalk else _onsets(sidewalk, bool(was_side)):
                self.events.append(MetricEvent(float(times[k]), "sidewalk"))
            self.series.extend(times, offroad=offroad.astype(float), sidewalk=sidewalk.astype(float))
        if self._end_time is None:
            one = st.one_lane
            if one is not None and self._start_road is not None and one[0] == self._start_road:
                pass   # every step on the starting road
            elif (on := np.flatnonzero(st.on_road)).size:
                if self._start_road is None:
                    self._start_road = st.road_id(int(on[0]))
                left = on[st.road_code[on] != st.view.codes([self._start_road])[0]]
                if left.size:
                    k = int(left[0])
                    self._end_time = float(times[k])
                    self.events.append(MetricEvent(self._end_time, "end_of_road", (), None,
                                                   f"left road {self._start_road}"))
        # events of one block come per kind; keep the list in time order as the per-step evaluation did
        if len(self.events) != had:
            self.events.sort(key=lambda ev: ev.time)

    def result(self) -> MetricResult:
        t = self.series.times()
        off = self.series.array("offroad") > 0
        side = self.series.array("sidewalk") > 0
        first = {k: next((e.time for e in self.events if e.kind == k), None) for k in ("offroad", "sidewalk")}
        scalars = {
            "offroad_time": _durations(off, t), "offroad_events": sum(e.kind == "offroad" for e in self.events),
            "onsidewalk_time": _durations(side, t), "onsidewalk_events": sum(e.kind == "sidewalk" for e in self.events),
            "end_of_road": float(self._end_time is not None),
        }
        times = {"offroad_time": first["offroad"], "offroad_events": first["offroad"],
                 "onsidewalk_time": first["sidewalk"], "onsidewalk_events": first["sidewalk"],
                 "end_of_road": self._end_time}
        return make_result(self, scalars, self.series, times)


@register_metric
class WrongWayMetric(BlockMetric):
    """Driving against the lane's direction of travel: heading more than 120° from it
    (ScenarioRunner ``WrongLaneTest.MAX_ALLOWED_ANGLE``), outside junctions, where lane
    directions are ambiguous.  The direction comes from ``driving_direction`` (RHT/LHT rule)."""

    name = "wrong_way"
    requires = frozenset({"road"})
    scalars = (
        ScalarSpec("wrong_way_events", "1", "count", "count", "entries into a lane against traffic", event="wrong_way"),
        ScalarSpec("wrong_way_time", "s", "time", "sum", "time driving against traffic", series="wrong_way"),
        ScalarSpec("wrong_way_distance", "m", "length", "final", "distance driven against traffic"),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.series = SeriesRecorder("wrong_way")
        self._distance = 0.0
        self._last_xy: tuple[float, float] | None = None

    def observe_block(self, block: StepBlock) -> None:
        st = block.ego_road
        if st is None:
            return
        wrong = st.wrong_way
        x, y = block.ego_col("x"), block.ego_col("y")
        if wrong.any():   # a block the right way round has no entry and adds no distance
            was = np.concatenate([[bool(self.series.last("wrong_way"))], wrong[:-1]])
            times = block.times
            for k in np.flatnonzero(wrong & ~was).tolist():
                self.events.append(MetricEvent(float(times[k]), "wrong_way", (), None,
                                               f"road {st.road_id(k)} lane {int(st.lane_id[k])}"))
            if (wrong & was).any():
                last = self._last_xy if self._last_xy is not None else (math.nan, math.nan)
                steps = np.hypot(np.diff(x, prepend=last[0]), np.diff(y, prepend=last[1]))
                for d in steps[wrong & was].tolist():
                    if d == d:   # the very first step has no previous position
                        self._distance += d
        self._last_xy = (float(x[-1]), float(y[-1]))
        self.series.extend(block.times, wrong_way=wrong.astype(float))

    def result(self) -> MetricResult:
        mask = self.series.array("wrong_way") > 0
        first = self.events[0].time if self.events else None
        return make_result(self, {"wrong_way_events": len(self.events),
                                  "wrong_way_time": _durations(mask, self.series.times()),
                                  "wrong_way_distance": self._distance}, self.series,
                           {"wrong_way_events": first, "wrong_way_time": first, "wrong_way_distance": first})


@register_metric
class SpeedLimitMetric(BlockMetric):
    """Speed above the OpenDRIVE speed record of the ego's lane (lane ``<speed>``, else road
    ``<type><speed>``; OpenDRIVE 1.8 §8.4, §11.9), beyond ``speed_tolerance`` (default 0 m/s)."""

    name = "speed_limit"
    requires = frozenset({"road"})
    scalars = (
        ScalarSpec("speed_limit_violation_max", "m/s", "speed", "max", "largest excess over the limit", series="excess"),
        ScalarSpec("speed_limit_violation_time", "s", "time", "sum", "time above the limit", series="over"),
        ScalarSpec("speed_limit_violations", "1", "count", "count", "times the limit was exceeded", event="speeding"),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.series = SeriesRecorder("excess", "over", "limit")
        self._tol = context.threshold("speed_tolerance", 0.0)

    def observe_block(self, block: StepBlock) -> None:
        st = block.ego_road
        if st is None:
            return
        if st.one_lane is not None:   # every step on the road: the block's own arrays, not their rows
            rows = None
            limit, times = st.speed_limit, block.times
        else:
            rows = np.flatnonzero(st.on_road)
            if not rows.size:
                return
            limit, times = st.speed_limit[rows], block.times[rows]   # (NaN: no limit)
        speed = block.ego_col("speed")
        # one compiled pass (series_kernels.speed_excess): max(0, |speed| − limit) where a limit
        # applies, over the tolerance, the shown limit (inf for none) and the onsets of speeding
        excess, over, shown, onsets = speed_excess(
            np.ascontiguousarray(speed if rows is None else speed[rows], dtype=float),
            np.ascontiguousarray(limit, dtype=float), float(self._tol), bool(self.series.last("over")))
        for n in onsets.tolist():
            self.events.append(MetricEvent(float(times[n]), "speeding", (), float(excess[n]),
                                           f"limit {float(limit[n]):.2f} m/s"))
        self.series.extend(times, excess=excess, over=over, limit=shown)

    def result(self) -> MetricResult:
        value, t = self.series.extreme("excess", "max")
        mask = self.series.array("over") > 0
        first = self.events[0].time if self.events else None
        return make_result(self, {"speed_limit_violation_max": max(value, 0.0),
                                  "speed_limit_violation_time": _durations(mask, self.series.times()),
                                  "speed_limit_violations": len(self.events)}, self.series,
                           {"speed_limit_violation_max": t if value > 0 else None,
                            "speed_limit_violation_time": first, "speed_limit_violations": first})


@register_metric
class LaneCentreMetric(BlockMetric):
    """Lateral deviation of the ego reference point from its lane's centre line: the snapshot's
    ``LaneLocation.t`` when the backend fills it, else the road model's ``offset``."""

    name = "lane_centre"
    scalars = (
        ScalarSpec("lane_center_deviation_mean", "m", "length", "mean", "mean |offset| from lane centre", series="deviation"),
        ScalarSpec("lane_center_deviation_max", "m", "length", "max", "largest |offset| from lane centre", series="deviation"),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.series = SeriesRecorder("deviation")

    def observe_block(self, block: StepBlock) -> None:
        e = block.ego_index
        if e is None:
            return
        known, _, _, _, offsets = block.ego_lanes
        if offsets.size == block.size:   # every step has its lane (the engine's blocks)
            dev = np.abs(offsets)
            if not has_nan(kernel_column(dev)):
                self.series.extend(block.times, deviation=dev)
                return
            missing = np.isnan(dev)
        else:
            dev = np.full(block.size, np.nan)
            dev[known] = np.abs(offsets)
            missing = np.isnan(dev)
        if missing.any() and self.context.road is not None:
            st = block.ego_road
            use = missing & st.on_road
            dev[use] = np.abs(st.offset[use])
        keep = ~np.isnan(dev)
        if keep.any():
            self.series.extend(block.times[keep], deviation=dev[keep])

    def result(self) -> MetricResult:
        v = self.series.array("deviation")
        if v.size == 0:
            return make_result(self, {}, self.series)
        value, t = self.series.extreme("deviation", "max")
        # np.mean of a 1-D float64 array: its np.add.reduce (the same pairwise sum) / the count
        return make_result(self, {"lane_center_deviation_mean": float(np.add.reduce(v)) / v.size,
                                  "lane_center_deviation_max": value},
                           self.series, {"lane_center_deviation_max": t})
