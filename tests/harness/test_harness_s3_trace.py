"""The trace recorder's per-sample path against the straightforward one it replaced (same JSON, bit for bit)."""

from __future__ import annotations

import json

import numpy as np

from simplatform.harness.trace import TraceRecorder
from simplatform.world import BoundingBox, EntityKind, EntityState, WorldSnapshot


class _ReferenceTrace:
    """The session-2 recorder (a per-entity loop, ``float(s.x[i])`` rounded per value), kept as the reference."""

    def __init__(self, every: int) -> None:
        self.every, self._t, self._rows, self._speed = every, [], {}, []

    def observe(self, s) -> None:
        if not self.every or s.step % self.every:
            return
        k = len(self._t)
        self._t.append(round(float(s.time), 6))
        for i, name in enumerate(s.names):
            row = self._rows.get(name)
            if row is None:
                row = self._rows[name] = {"name": name, "kind": str(getattr(s.kinds[i], "value", s.kinds[i])),
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
                self._speed.append(round(float(s.speed[i]), 3))

    def trace(self) -> dict:
        return {"t": self._t, "entities": list(self._rows.values()), "series": {"speed": self._speed},
                "road": []}


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
        fast, ref = TraceRecorder(10.0, 0.05), _ReferenceTrace(2)
        for s in _snapshots(seed, 600):
            fast.observe(s)
            ref.observe(s)
        assert len(fast._t) == 300
        text = json.dumps(fast.trace(None), separators=(",", ":"))
        assert text == json.dumps(ref.trace(), separators=(",", ":"))
        assert text == json.dumps(fast.trace(None), separators=(",", ":"))  # trace() leaves the samples as they are
        seen: dict[str, list[int]] = {}
        for s in _snapshots(seed, 600):
            if s.step % 2 == 0:
                for name in s.names:
                    seen.setdefault(name, []).append(s.step // 2)
        gaps = [n for n, ks in seen.items() if ks[-1] - ks[0] + 1 > len(ks)]
        assert gaps and any(len(e["x"]) < 300 - e["first"] for e in ref.trace()["entities"])  # left, came back, left


def test_the_compiled_rounding_is_python_round_bit_for_bit():
    from simplatform.harness.trace_round import round_sample

    rng = np.random.default_rng(11)
    for _ in range(60):
        n = 2000
        x = rng.normal(0.0, 10.0 ** rng.uniform(-4, 9), n)
        x[::5] = (np.round(x[::5] * 1e3) + rng.choice([-0.5, 0.5], len(x[::5]))) / 1e3  # near halfway
        y = rng.normal(0.0, 500.0, n)
        y[::3] = rng.integers(-10**6, 10**6, len(y[::3])) / 8.0  # exact binary halves (ties to even)
        h = rng.uniform(-4.0, 4.0, n)
        h[::4] = (np.round(h[::4] * 1e4) + 0.5) / 1e4
        h[:6] = [0.0, -0.0, -1e-9, 1e-120, -1e-300, 5e-324]
        out = np.empty(3 * n + 1)
        assert round_sample(out, x, y, h, y, 7)
        want = ([round(v, 3) for v in x.tolist()] + [round(v, 3) for v in y.tolist()]
                + [round(v, 4) for v in h.tolist()] + [round(float(y[7]), 3)])
        assert [repr(v) for v in out.tolist()] == [repr(v) for v in want]
    z = np.zeros(3)
    for bad in (np.nan, np.inf, -np.inf, 2.0 ** 50):  # outside the exact range: left to Python
        assert not round_sample(np.empty(10), np.array([1.0, bad, 2.0]), z, z, z, 0)
        assert not round_sample(np.empty(10), z, z, z, np.array([0.0, bad, 0.0]), 1)


def test_a_sample_the_kernel_declines_is_rounded_in_python():
    fast, ref = TraceRecorder(20.0, 0.05), _ReferenceTrace(1)
    for k, s in enumerate(_snapshots(5, 40)):
        if k in (3, 17):
            s.x[1] = np.nan if k == 3 else 3.0e12
        fast.observe(s)
        ref.observe(s)
    assert json.dumps(fast.trace(None)) == json.dumps(ref.trace())
