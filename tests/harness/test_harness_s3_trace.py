"""The trace recorder's per-sample path against the straightforward one it replaced (same JSON, bit for bit)."""

from __future__ import annotations

import json

import numpy as np

from simplatform.harness.trace import TraceRecorder
from simplatform.world import BoundingBox, EntityKind, EntityState, WorldSnapshot


def _reference_observe(rec: TraceRecorder, s) -> None:
    """The session-2 per-entity loop (``float(s.x[i])`` rounded per value), kept here as the reference."""
    if not rec.every or s.step % rec.every:
        return
    k = len(rec._t)
    rec._t.append(round(float(s.time), 6))
    for i, name in enumerate(s.names):
        row = rec._rows.get(name)
        if row is None:
            row = rec._rows[name] = {"name": name, "kind": str(getattr(s.kinds[i], "value", s.kinds[i])),
                                     "ego": name == s.ego, "length": float(s.length[i]),
                                     "width": float(s.width[i]), "first": k, "x": [], "y": [], "h": []}
        pad = k - row["first"] - len(row["x"])
        for _ in range(max(0, pad)):
            for key in ("x", "y", "h"):
                row[key].append(row[key][-1] if row[key] else None)
        row["x"].append(round(float(s.x[i]), 3))
        row["y"].append(round(float(s.y[i]), 3))
        row["h"].append(round(float(s.heading[i]), 4))
        if name == s.ego:
            rec._speed.append(round(float(s.speed[i]), 3))


def _snapshots(seed: int, steps: int):
    rng = np.random.default_rng(seed)
    names = ["ego", "a", "b", "c", "d"]
    present = {n: True for n in names}
    for step in range(steps):
        if rng.random() < 0.08:  # entities leave and come back; the ego stays
            n = names[int(rng.integers(1, len(names)))]
            present[n] = not present[n]
        states = []
        for n in names:
            if not present[n]:
                continue
            x, y = rng.normal(0.0, 300.0, 2)
            if rng.random() < 0.05:  # halfway cases of the rounding
                x = float(rng.integers(-10**6, 10**6)) / 1000.0 + 0.0005
            states.append(EntityState(name=n, kind=EntityKind.VEHICLE, category="car", x=float(x), y=float(y), z=0.0,
                                      heading=float(rng.uniform(-np.pi, np.pi)), pitch=0.0, roll=0.0,
                                      speed=float(rng.uniform(0, 40)), vx=0.0, vy=0.0, ax=0.0, ay=0.0, yaw_rate=0.0,
                                      bbox=BoundingBox(4.5, 1.8, 1.5, 1.4, 0.0, 0.75), lane=None, is_ego=n == "ego"))
        yield WorldSnapshot.from_states(step * 0.05, step, states)


def test_the_trace_is_the_reference_trace():
    for seed in range(4):
        fast, ref = TraceRecorder(10.0, 0.05), TraceRecorder(10.0, 0.05)
        for s in _snapshots(seed, 600):
            fast.observe(s)
            _reference_observe(ref, s)
        assert len(fast._t) == 300
        assert json.dumps(fast.trace(None)) == json.dumps(ref.trace(None))
