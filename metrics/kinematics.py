"""Ego motion summaries: speed and distance (ScenarioRunner's MaxVelocityTest,
AverageVelocityTest, DrivenDistanceTest)."""

from __future__ import annotations

import math

from metrics.base import Metric, ScalarSpec, SeriesRecorder, make_result, register_metric
from metrics.frame import StepFrame
from simplatform.results import MetricResult


@register_metric
class KinematicsMetric(Metric):
    """Speed maximum, average speed (driven distance / elapsed time) and path length of the ego."""

    name = "kinematics"
    scalars = (
        ScalarSpec("speed_max", "m/s", "speed", "max", "largest ego speed", series="speed"),
        ScalarSpec("speed_min", "m/s", "speed", "min", "smallest ego speed", series="speed"),
        ScalarSpec("speed_mean", "m/s", "speed", "final", "driven distance / elapsed time"),
        ScalarSpec("driven_distance", "m", "length", "final", "length of the ego path"),
        ScalarSpec("duration", "s", "time", "final", "simulated time observed"),
    )

    def __init__(self, context) -> None:
        super().__init__(context)
        self.series = SeriesRecorder("speed")
        self._distance = 0.0
        self._t0: float | None = None
        self._t1 = 0.0
        self._last: tuple[float, float] | None = None

    def observe(self, frame: StepFrame) -> None:
        e = frame.ego_index
        if e is None:
            return
        snap = frame.snapshot
        x, y = float(snap.x[e]), float(snap.y[e])
        if self._last is not None:
            self._distance += math.hypot(x - self._last[0], y - self._last[1])
        self._last = (x, y)
        if self._t0 is None:
            self._t0 = frame.time
        self._t1 = frame.time
        self.series.add(frame.time, speed=abs(float(snap.speed[e])))

    def result(self) -> MetricResult:
        duration = 0.0 if self._t0 is None else self._t1 - self._t0
        vmax, tmax = self.series.extreme("speed", "max")
        vmin, tmin = self.series.extreme("speed", "min")
        scalars = {
            "speed_max": max(vmax, 0.0), "speed_min": vmin if tmin is not None else 0.0,
            "speed_mean": self._distance / duration if duration > 0 else 0.0,
            "driven_distance": self._distance, "duration": duration,
        }
        return make_result(self, scalars, self.series, {"speed_max": tmax, "speed_min": tmin})
