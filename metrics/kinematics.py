"""Ego motion summaries: speed and distance (ScenarioRunner's MaxVelocityTest,
AverageVelocityTest, DrivenDistanceTest)."""

from __future__ import annotations

import numpy as np

from metrics.base import BlockMetric, ScalarSpec, SeriesRecorder, make_result, register_metric
from metrics.block import StepBlock
from metrics.series_kernels import path_length
from simplatform.results import MetricResult


@register_metric
class KinematicsMetric(BlockMetric):
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

    def observe_block(self, block: StepBlock) -> None:
        if block.ego_index is None:
            return
        x, y = block.ego_col("x"), block.ego_col("y")
        # summed in step order, as the per-step evaluation did (series_kernels.path_length)
        first = self._last is None
        x0, y0 = (0.0, 0.0) if first else self._last
        self._distance = float(path_length(x, y, x0, y0, first, self._distance))
        self._last = (float(x[-1]), float(y[-1]))
        if self._t0 is None:
            self._t0 = float(block.times[0])
        self._t1 = float(block.times[-1])
        self.series.extend(block.times, speed=np.abs(block.ego_col("speed")))

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
