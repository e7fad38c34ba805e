"""Comfort: longitudinal and lateral acceleration and jerk (max and RMS), yaw rate.

Acceleration is the snapshot's world-frame (ax, ay) turned into the ego frame
(ISO 8855: x forward, y left); jerk is its backward difference over the step.
``comfort_violation_time`` is the time any quantity leaves nuPlan's
``ego_is_comfortable`` bounds (nuPlan devkit, *planning metrics*: longitudinal
acceleration in [−4.05, 2.40] m/s², |lateral acceleration| ≤ 4.89 m/s²,
|longitudinal jerk| ≤ 4.13 m/s³, |yaw rate| ≤ 0.95 rad/s); the comfort score
uses the same bounds.
"""

from __future__ import annotations

import math

from metrics.base import (BlockMetric, ScalarSpec, SeriesRecorder, episodes, make_result, masked_duration, nan_rms,
                          register_metric)
from metrics.block import StepBlock
from metrics.series_kernels import comfort_series
from simplatform.results import MetricEvent, MetricResult

COMFORT_BOUNDS = {
    "accel_long_min": -4.05, "accel_long_max": 2.40, "lat_accel_abs": 4.89,
    "jerk_long_abs": 4.13, "yaw_rate_abs": 0.95,
}


@register_metric
class ComfortMetric(BlockMetric):
    """Acceleration, jerk and yaw rate of the ego, max and root-mean-square."""

    name = "comfort"
    scalars = (
        ScalarSpec("accel_long_max", "m/s^2", "acceleration", "max", "largest forward acceleration", series="accel_long"),
        ScalarSpec("decel_max", "m/s^2", "acceleration", "max", "largest deceleration (positive)", series="decel"),
        ScalarSpec("accel_long_rms", "m/s^2", "acceleration", "rms", "RMS longitudinal acceleration", series="accel_long"),
        ScalarSpec("lat_accel_max", "m/s^2", "acceleration", "max", "largest |lateral acceleration|", series="lat_accel_abs"),
        ScalarSpec("lat_accel_rms", "m/s^2", "acceleration", "rms", "RMS lateral acceleration", series="lat_accel"),
        ScalarSpec("jerk_long_max", "m/s^3", "jerk", "max", "largest |longitudinal jerk|", series="jerk_long_abs"),
        ScalarSpec("jerk_long_rms", "m/s^3", "jerk", "rms", "RMS longitudinal jerk", series="jerk_long"),
        ScalarSpec("jerk_lat_max", "m/s^3", "jerk", "max", "largest |lateral jerk|", series="jerk_lat_abs"),
        ScalarSpec("jerk_lat_rms", "m/s^3", "jerk", "rms", "RMS lateral jerk", series="jerk_lat"),
        ScalarSpec("yaw_rate_max", "rad/s", "angular_speed", "max", "largest |yaw rate|", series="yaw_rate_abs"),
        ScalarSpec("comfort_violation_time", "s", "time", "sum", "time outside nuPlan comfort bounds", series="uncomfortable"),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.series = SeriesRecorder("accel_long", "decel", "lat_accel", "lat_accel_abs", "jerk_long",
                                     "jerk_long_abs", "jerk_lat", "jerk_lat_abs", "yaw_rate_abs", "uncomfortable")
        self._prev: tuple[float, float, float] | None = None

    def observe_block(self, block: StepBlock) -> None:
        if block.ego_index is None:
            return
        t = block.times
        a_long, a_lat = block.ego_long_lat_accel
        prev = self._prev if self._prev is not None else (math.inf, math.nan, math.nan)
        b = COMFORT_BOUNDS
        # one compiled pass: jerk = backward difference over the step, NaN at the first step or a
        # repeated time; the nuPlan bounds (series_kernels.comfort_series)
        decel, lat_abs, jl, jl_abs, jt, jt_abs, yaw, bad = comfort_series(
            t, a_long, a_lat, block.ego_col("yaw_rate"), *prev, b["accel_long_min"], b["accel_long_max"],
            b["lat_accel_abs"], b["jerk_long_abs"], b["yaw_rate_abs"])
        self._prev = (float(t[-1]), float(a_long[-1]), float(a_lat[-1]))
        self.series.extend(t, accel_long=a_long, decel=decel, lat_accel=a_lat, lat_accel_abs=lat_abs,
                           jerk_long=jl, jerk_long_abs=jl_abs, jerk_lat=jt, jerk_lat_abs=jt_abs,
                           yaw_rate_abs=yaw, uncomfortable=bad)

    def result(self) -> MetricResult:
        scalars, times = {}, {}
        for spec in self.scalars:
            if spec.aggregate == "max":
                value, t = self.series.extreme(spec.series, "max")
                scalars[spec.name], times[spec.name] = (max(value, 0.0) if t is not None else 0.0), t
            elif spec.aggregate == "rms":
                rms = nan_rms(self.series.array(spec.series))
                scalars[spec.name] = rms if rms is not None else 0.0
        mask = self.series.array("uncomfortable") > 0
        t = self.series.times()
        scalars["comfort_violation_time"] = masked_duration(mask, t)
        self.events = [MetricEvent(a, "uncomfortable", (), b - a) for a, b in episodes(mask, t)]
        if self.events:
            times["comfort_violation_time"] = self.events[0].time
        return make_result(self, scalars, self.series, times)
