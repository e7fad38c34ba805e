"""Watch one run from inside ``run_scenario``: feed the metrics, keep a light trace for the report.

``run_scenario`` calls ``RunConfig.on_step(engine)`` after each step; the
:class:`RunObserver` builds a ``metrics.MetricSuite`` on the first call (the
road and the ego are known then), feeds it every step's ``WorldSnapshot``,
and samples a bird's-eye trace at ``trace_hz`` (positions, headings, boxes
of every entity; ego speed and acceleration) for the HTML report's replay.
The initial state (t = 0, before the first step) is not observed: the hook
runs after steps only.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np

SERIES_FROM_METRICS = {"ttc": ("surrogate_safety", "ttc"), "distance": ("surrogate_safety", "min_distance"),
                       "accel": ("comfort", "accel_long")}


class RunObserver:
    """The ``on_step`` hook of one scenario run: metrics every step, a trace every 1/trace_hz s."""

    def __init__(self, requirements: Sequence[Any], *, trace_hz: float = 10.0, dt: float = 0.01,
                 timeout: float | None = None) -> None:
        self.requirements = tuple(requirements)
        self.every = max(1, int(round(1.0 / (trace_hz * dt)))) if trace_hz > 0 else 0
        self.timeout = timeout
        self.suite = None
        self.ego: str | None = None
        self._t: list[float] = []
        self._rows: dict[str, dict[str, Any]] = {}
        self._speed: list[float] = []
        self._road = None

    def on_step(self, engine: Any) -> None:
        snapshot = engine.snapshot()
        if self.suite is None:
            self._start(engine)
        self.suite.observe(snapshot)
        if self.every and engine.step_index % self.every == 0:
            self._sample(snapshot)

    def _start(self, engine: Any) -> None:
        from metrics import MetricSuite, ScenarioContext

        road = engine.road.net if engine.road is not None else None
        self._road = road
        self.ego = engine.ego
        context = ScenarioContext(road=road, ego=engine.ego, timeout=self.timeout)
        self.suite = MetricSuite(context, self.requirements, all_metrics=False)

    def _sample(self, s: Any) -> None:
        k = len(self._t)
        self._t.append(round(float(s.time), 6))
        for i, name in enumerate(s.names):
            row = self._rows.get(name)
            if row is None:
                row = self._rows[name] = {"name": name, "kind": str(getattr(s.kinds[i], "value", s.kinds[i])),
                                          "ego": name == s.ego, "length": float(s.length[i]),
                                          "width": float(s.width[i]), "first": k, "x": [], "y": [], "h": []}
            pad = k - row["first"] - len(row["x"])  # an entity absent for a while: repeat its last pose
            for _ in range(max(0, pad)):
                for key in ("x", "y", "h"):
                    row[key].append(row[key][-1] if row[key] else None)
            row["x"].append(round(float(s.x[i]), 3))
            row["y"].append(round(float(s.y[i]), 3))
            row["h"].append(round(float(s.heading[i]), 4))
            if name == s.ego:
                self._speed.append(round(float(s.speed[i]), 3))

    def finish(self) -> Any:
        """The ``metrics.Evaluation`` (None when the run never stepped)."""
        return self.suite.finish() if self.suite is not None else None

    def trace(self, evaluation: Any) -> dict[str, Any]:
        """The replay and plot data: sampled poses, ego speed, metric series resampled to the trace times."""
        t = np.asarray(self._t)
        series: dict[str, list[float | None]] = {}
        if self._speed and len(self._speed) == len(t):
            series["speed"] = self._speed
        if evaluation is not None and len(t):
            for key, (metric, name) in SERIES_FROM_METRICS.items():
                result = evaluation.metrics.get(metric)
                if result is None or name not in result.series:
                    continue
                st, sv = (np.asarray(a, dtype=float) for a in result.series[name])
                if len(st) == 0:
                    continue
                idx = np.clip(np.searchsorted(st, t - 1e-9), 0, len(st) - 1)
                vals = sv[idx]
                series[key] = [round(float(v), 4) if math.isfinite(v) else None for v in vals]
        return {"t": self._t, "entities": list(self._rows.values()), "series": series,
                "road": _road_outline(self._road)}


def _road_outline(road: Any, step: float = 2.0) -> list[list[list[float]]]:
    """Reference lines of the roads as polylines (x, y), for the bird's-eye background.

    Best effort: a road model without ``road_poses`` gives no background.
    """
    if road is None:
        return []
    lines = []
    try:
        for road_id, r in road.roads.items():
            n = max(2, int(float(r.length) / step) + 1)
            s = np.linspace(0.0, float(r.length), n)
            poses = road.road_poses(road_id, s, np.zeros_like(s))
            lines.append([[round(float(x), 2), round(float(y), 2)] for x, y in zip(poses.x, poses.y)])
    except Exception:  # noqa: BLE001 — the background is decoration; the replay works without it
        return []
    return lines


def write_trace(path: Path, trace: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(trace, separators=(",", ":")), encoding="utf-8")
