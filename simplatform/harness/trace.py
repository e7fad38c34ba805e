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

from .trace_round import round_sample

SERIES_FROM_METRICS = {"ttc": ("surrogate_safety", "ttc"), "distance": ("surrogate_safety", "min_distance"),
                       "accel": ("comfort", "accel_long")}


class TraceRecorder:
    """Samples every ``1 / (trace_hz · dt)``-th step (t = 0 included)."""

    def __init__(self, trace_hz: float, dt: float, road: Any = None) -> None:
        self.every = max(1, int(round(1.0 / (trace_hz * dt)))) if trace_hz > 0 else 0
        self.road = road
        self._t: list[float] = []
        self._rows: dict[str, dict[str, Any]] = {}  # each entity's row without its poses, by first sight
        self._speed: list[float] = []
        self._segments: list[tuple[int, list[dict[str, Any]], list[list[float]], list[list[float]],
                                   list[list[float]]]] = []
        """Runs of samples with one entity set: (first sample, rows in the set's order, per sample the
        rounded x, y, h of the set).  The set seldom changes, so a sample costs three list comprehensions
        and the per-entity rows are assembled once, in ``trace``."""
        self._names: tuple[str, ...] | None = None  # the entity set of the last segment ...
        self._ego: str | None = None  # ... the ego's name
        self._ego_at = -1  # ... and its index in the set (-1: none)
        self._buffer = np.empty(0)  # the compiled rounding's output

    def observe(self, s: Any) -> None:
        if not self.every or s.step % self.every:
            return
        k = len(self._t)
        self._t.append(round(float(s.time), 6))
        if (s.names is not self._names and s.names != self._names) or s.ego != self._ego:
            self._start_segment(s, k)
        # Python's correctly rounded ``round`` of each value (numpy's ``round`` multiplies, rounds and divides,
        # and may differ in the last bit): compiled (``trace_round``, the same doubles), or per value in Python
        _, _, xs, ys, hs = self._segments[-1]
        n, ego_at = len(s.names), self._ego_at
        m = 3 * n + (ego_at >= 0)
        if len(self._buffer) < m:
            self._buffer = np.empty(2 * m)
        if round_sample(self._buffer, s.x, s.y, s.heading, s.speed, ego_at):
            values = self._buffer[:m].tolist()
            xs.append(values[:n])
            ys.append(values[n:2 * n])
            hs.append(values[2 * n:3 * n])
            if ego_at >= 0:
                self._speed.append(values[3 * n])
            return
        xs.append([round(float(v), 3) for v in s.x])
        ys.append([round(float(v), 3) for v in s.y])
        hs.append([round(float(v), 4) for v in s.heading])
        if ego_at >= 0:
            self._speed.append(round(float(s.speed[ego_at]), 3))

    def _start_segment(self, s: Any, k: int) -> None:
        """A new entity set from sample ``k`` on (a new entity's row starts there)."""
        self._names, self._ego = s.names, s.ego
        self._ego_at = -1
        rows = []
        for i, name in enumerate(s.names):
            row = self._rows.get(name)
            if row is None:
                row = self._rows[name] = {"name": name, "kind": str(getattr(s.kinds[i], "value", s.kinds[i])),
                                          "ego": name == s.ego, "length": float(s.length[i]),
                                          "width": float(s.width[i]), "first": k}
            rows.append(row)
            if name == s.ego:
                self._ego_at = i
        self._segments.append((k, rows, [], [], []))

    def _entities(self) -> list[dict[str, Any]]:
        """Each entity's row with its sampled poses; an entity absent for a while repeats its last pose
        from where it left up to where it is seen again."""
        poses: dict[str, tuple[list[Any], list[Any], list[Any]]] = {name: ([], [], []) for name in self._rows}
        for k, rows, xs, ys, hs in self._segments:
            for row, *columns in zip(rows, zip(*xs), zip(*ys), zip(*hs)):
                first = row["first"]
                for values, column in zip(poses[row["name"]], columns):
                    pad = k - first - len(values)
                    if pad > 0:
                        values.extend([values[-1] if values else None] * pad)
                    values.extend(column)
        return [{**row, "x": poses[name][0], "y": poses[name][1], "h": poses[name][2]}
                for name, row in self._rows.items()]

    def trace(self, evaluation: Any) -> dict[str, Any]:
        """The replay and plot data: sampled poses, ego speed, metric series resampled to the trace times."""
        t = np.asarray(self._t)
        series: dict[str, list[float | None]] = {}
        if self._speed and len(self._speed) == len(t):
            series["speed"] = self._speed
        if evaluation is not None and len(t):
            for key, (metric, name) in SERIES_FROM_METRICS.items():
                result = evaluation.metrics.get(metric)
                columns = result.series_arrays(name) if result is not None else None
                if columns is None:
                    continue
                st, sv = columns    # the series' float64 arrays, without building its lists (~1.3 ms a run)
                if len(st) == 0:
                    continue
                idx = np.clip(np.searchsorted(st, t - 1e-9), 0, len(st) - 1)
                series[key] = [round(float(v), 4) if math.isfinite(v) else None for v in sv[idx]]
        return {"t": self._t, "entities": self._entities(), "series": series,
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
