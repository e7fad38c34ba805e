"""A light bird's-eye trace of one run, for the HTML report's replay and plots (``trace.json``).

Sampled at ``trace_hz`` from the same snapshots the metrics observe:
position, heading and box of every entity, the ego's speed; at the end the
metric series (TTC, distance, acceleration) are resampled to the trace
times from the ``metrics.Evaluation`` — the metrics are computed once, by
the harness's ``MetricSuite``, never again for the report.  The road
background is the reference lines of the map's roads.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

SERIES_FROM_METRICS = {"ttc": ("surrogate_safety", "ttc"), "distance": ("surrogate_safety", "min_distance"),
                       "accel": ("comfort", "accel_long")}


class TraceRecorder:
    """Samples every ``1 / (trace_hz · dt)``-th step (t = 0 included)."""

    def __init__(self, trace_hz: float, dt: float, road: Any = None) -> None:
        self.every = max(1, int(round(1.0 / (trace_hz * dt)))) if trace_hz > 0 else 0
        self.road = road
        self._t: list[float] = []
        self._rows: dict[str, dict[str, Any]] = {}
        self._speed: list[float] = []
        self._names: tuple[str, ...] | None = None  # the entity names of the last sample ...
        self._order: list[dict[str, Any]] = []  # ... their rows, in that order
        self._ego: str | None = None  # ... the ego's name
        self._ego_at = -1  # ... and its index among them (-1: none)

    def observe(self, s: Any) -> None:
        if not self.every or s.step % self.every:
            return
        k = len(self._t)
        self._t.append(round(float(s.time), 6))
        if (s.names is not self._names and s.names != self._names) or s.ego != self._ego:  # seldom changes
            self._start_rows(s, k)
        # the columns as Python floats once (``tolist`` gives the values ``float(s.x[i])`` gives), each rounded
        # by Python's correctly rounded ``round`` as before (numpy's ``round`` scales and may differ in the last bit)
        for row, x, y, h in zip(self._order, s.x.tolist(), s.y.tolist(), s.heading.tolist()):
            xs = row["x"]
            if row["first"] + len(xs) != k:  # an entity absent for a while: repeat its last pose
                for _ in range(k - row["first"] - len(xs)):
                    for key in ("x", "y", "h"):
                        row[key].append(row[key][-1] if row[key] else None)
            xs.append(round(x, 3))
            row["y"].append(round(y, 3))
            row["h"].append(round(h, 4))
        if self._ego_at >= 0:
            self._speed.append(round(float(s.speed[self._ego_at]), 3))

    def _start_rows(self, s: Any, k: int) -> None:
        """The rows of the sample's entities (a new entity's row starts at sample ``k``), in the sample's order."""
        self._names, self._ego = s.names, s.ego
        self._order = []
        self._ego_at = -1
        for i, name in enumerate(s.names):
            row = self._rows.get(name)
            if row is None:
                row = self._rows[name] = {"name": name, "kind": str(getattr(s.kinds[i], "value", s.kinds[i])),
                                          "ego": name == s.ego, "length": float(s.length[i]),
                                          "width": float(s.width[i]), "first": k, "x": [], "y": [], "h": []}
            self._order.append(row)
            if name == s.ego:
                self._ego_at = i

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
                series[key] = [round(float(v), 4) if math.isfinite(v) else None for v in sv[idx]]
        return {"t": self._t, "entities": list(self._rows.values()), "series": series,
                "road": road_outline(self.road)}

    def write(self, path: Path, evaluation: Any) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.trace(evaluation), separators=(",", ":")), encoding="utf-8")


_OUTLINES: dict[tuple[int, float], tuple[Any, list[list[list[float]]]]] = {}
_OUTLINE_CACHE = 16


def road_outline(road: Any, step: float = 2.0) -> list[list[list[float]]]:
    """Reference lines of the roads as polylines (x, y), for the bird's-eye background.

    A pure function of the road network, computed once per network object in
    this process (a worker runs many scenarios on the same few maps; the
    engine caches the network itself, ``engine.run.cached_road_network``).
    Best effort: a road model without ``road_poses`` gives no background.
    """
    if road is None:
        return []
    key = (id(road), step)
    hit = _OUTLINES.get(key)
    if hit is not None and hit[0] is road:
        return hit[1]
    lines = _outline(road, step)
    if len(_OUTLINES) >= _OUTLINE_CACHE:
        _OUTLINES.pop(next(iter(_OUTLINES)))
    _OUTLINES[key] = (road, lines)
    return lines


def _outline(road: Any, step: float) -> list[list[list[float]]]:
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
