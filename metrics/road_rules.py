"""Metrics that ask the road model: lane departure, off road, sidewalk, wrong way, speed limit, lane centre.

Each uses ``StepFrame.ego_road``: one ``locate_many`` call per step for the
ego reference point, box centre and four box corners (OpenDRIVE 1.8 §9 lane
frame; ``t`` from the reference line, ``offset`` from the lane centre).
"""

from __future__ import annotations

import math

import numpy as np

from metrics.base import Metric, ScalarSpec, SeriesRecorder, episodes, make_result, register_metric
from metrics.frame import StepFrame
from simplatform.results import MetricEvent, MetricResult

# OpenDRIVE 1.8 §11.6 lane types a vehicle may drive on; CARLA's OffRoadTest
# likewise accepts Driving and Parking lanes.


def _durations(mask: np.ndarray, times: np.ndarray) -> float:
    if times.size == 0:
        return 0.0
    dt = np.diff(times, append=times[-1])
    return float(np.sum(dt[mask]))


@register_metric
class LaneDepartureMetric(Metric):
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

    def observe(self, frame: StepFrame) -> None:
        st = frame.ego_road
        if st is None:
            return
        road = self.context.road
        margin = math.nan
        if st.on_road[0]:
            rid, lane = st.road_ids[0], int(st.lane_id[0])
            lo, hi = sorted(road.lane_boundaries(rid, lane, float(st.s[0])))
            same = np.array([st.road_ids[k] == rid and st.on_road[k] for k in range(2, 6)])
            t = st.t[2:6]
            m = np.where(same, np.minimum(t - lo, hi - t), np.nan)
            departed = bool(np.any(~same) or np.nanmin(m) < 0)
            margin = float(np.nanmin(m)) if np.any(same) else math.nan
        else:
            departed = True
        if departed and (self._prev is None or not self._prev[2]):
            onset = frame.time
            if self._prev is not None and self._prev[1] >= 0 and margin < 0:
                onset = self._prev[0] + (frame.time - self._prev[0]) * self._prev[1] / (self._prev[1] - margin)
            lane_txt = f"road {st.road_ids[0]} lane {int(st.lane_id[0])}" if st.on_road[0] else "off road"
            self.events.append(MetricEvent(onset, "lane_departure", (), None, lane_txt))
        self._prev = (frame.time, margin, departed)
        self.series.add(frame.time, departed=float(departed), margin=margin)

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
class OffRoadMetric(Metric):
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

    def observe(self, frame: StepFrame) -> None:
        st = frame.ego_road
        if st is None:
            return
        road = self.context.road
        lane_type = frame.ego_lane_type
        offroad = frame.ego_offroad
        sidewalk = False
        ref_key = (st.road_ids[0], int(st.lane_id[0]))
        for k in range(2, 6):
            if not st.on_road[k]:
                continue
            key = (st.road_ids[k], int(st.lane_id[k]))
            kt = lane_type if key == ref_key else road.lane_type(key[0], key[1], float(st.s[k]))
            if kt is not None and kt.lower() == "sidewalk":
                sidewalk = True
                break
        prev = self.series.columns
        if offroad and (not prev["offroad"] or not prev["offroad"][-1]):
            self.events.append(MetricEvent(frame.time, "offroad", (), None, f"lane type {lane_type}"))
        if sidewalk and (not prev["sidewalk"] or not prev["sidewalk"][-1]):
            self.events.append(MetricEvent(frame.time, "sidewalk"))
        self.series.add(frame.time, offroad=float(offroad), sidewalk=float(sidewalk))
        if st.on_road[0]:
            if self._start_road is None:
                self._start_road = st.road_ids[0]
            elif self._end_time is None and st.road_ids[0] != self._start_road:
                self._end_time = frame.time
                self.events.append(MetricEvent(frame.time, "end_of_road", (), None, f"left road {self._start_road}"))

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
class WrongWayMetric(Metric):
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

    def observe(self, frame: StepFrame) -> None:
        e = frame.ego_index
        if e is None or frame.ego_road is None:
            return
        rid = frame.ego_road.road_ids[0]
        wrong = frame.ego_wrong_way
        xy = (float(frame.snapshot.x[e]), float(frame.snapshot.y[e]))
        was = bool(self.series.columns["wrong_way"] and self.series.columns["wrong_way"][-1])
        if wrong and self._last_xy is not None and was:
            self._distance += math.hypot(xy[0] - self._last_xy[0], xy[1] - self._last_xy[1])
        if wrong and not was:
            lane = int(frame.ego_road.lane_id[0])
            self.events.append(MetricEvent(frame.time, "wrong_way", (), None, f"road {rid} lane {lane}"))
        self._last_xy = xy
        self.series.add(frame.time, wrong_way=float(wrong))

    def result(self) -> MetricResult:
        mask = self.series.array("wrong_way") > 0
        first = self.events[0].time if self.events else None
        return make_result(self, {"wrong_way_events": len(self.events),
                                  "wrong_way_time": _durations(mask, self.series.times()),
                                  "wrong_way_distance": self._distance}, self.series,
                           {"wrong_way_events": first, "wrong_way_time": first, "wrong_way_distance": first})


@register_metric
class SpeedLimitMetric(Metric):
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

    def observe(self, frame: StepFrame) -> None:
        st = frame.ego_road
        if st is None or not st.on_road[0]:
            return
        limit = self.context.road.speed_limit(st.road_ids[0], int(st.lane_id[0]), float(st.s[0]))
        if limit is None or not math.isfinite(limit):
            self.series.add(frame.time, excess=0.0, over=0.0, limit=math.inf)
            return
        excess = max(0.0, abs(float(frame.snapshot.speed[frame.ego_index])) - limit)
        over = excess > self._tol
        was = bool(self.series.columns["over"] and self.series.columns["over"][-1])
        if over and not was:
            self.events.append(MetricEvent(frame.time, "speeding", (), excess, f"limit {limit:.2f} m/s"))
        self.series.add(frame.time, excess=excess, over=float(over), limit=limit)

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
class LaneCentreMetric(Metric):
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

    def observe(self, frame: StepFrame) -> None:
        if frame.ego_index is None:
            return
        lane = frame.snapshot.lanes[frame.ego_index]
        if lane is not None:
            dev = abs(lane.t)
        elif frame.ego_road is not None and frame.ego_road.on_road[0]:
            dev = abs(float(frame.ego_road.offset[0]))
        else:
            return
        self.series.add(frame.time, deviation=dev)

    def result(self) -> MetricResult:
        v = self.series.array("deviation")
        if v.size == 0:
            return make_result(self, {}, self.series)
        value, t = self.series.extreme("deviation", "max")
        return make_result(self, {"lane_center_deviation_mean": float(np.mean(v)), "lane_center_deviation_max": value},
                           self.series, {"lane_center_deviation_max": t})
