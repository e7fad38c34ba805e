"""Differential driver for the metrics (review, session 5): run in a subprocess whose ``sys.path[0]``
is one tree (the code at 3401fd1 or the current one), feed ``MetricSuite`` a randomized snapshot
stream and print one line per job: the job's id and the SHA-256 of a canonical dump of ``finish()``
(every MetricResult with its series, events, verdicts, scores, coverage, leaderboard).

    python mdriver.py JOBS.json OUT_DIR

Jobs (a JSON list of dicts):
  {"kind": "harness", "scenario": id, "dt": float, "stack": "none"|"reference", "seed": int, "perturb": {...}}
  {"kind": "synthetic", "seed": int, "steps": int, "perturb": {...}}
``perturb``: probabilities per observed step of ``flush`` (a mid-run flush), ``dup`` (the same snapshot
observed twice), ``skip`` (a snapshot not observed), ``v2x`` (``add_v2x_warning``), ``back`` (one of the
last 60 snapshots observed again, out of order), and ``check``
(compare every evaluated block's ``snapshots[k]`` with the snapshot observed, field by field).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import math
import pickle
import sys
import tempfile
from pathlib import Path

import numpy as np


def canon(obj, depth=0):
    """A deterministic, comparable form (floats by their bits, arrays by dtype, shape and bytes)."""
    if depth > 60:
        return ("deep", repr(obj))
    if obj is None or isinstance(obj, (bool, int, str, bytes)):
        return obj
    if isinstance(obj, float):
        return ("f", obj.hex() if not math.isnan(obj) else "nan")
    if isinstance(obj, np.generic):
        return ("np", obj.dtype.str, obj.tobytes())
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            return ("ao", obj.shape, [canon(v, depth + 1) for v in obj.ravel().tolist()])
        return ("a", obj.dtype.str, obj.shape, np.ascontiguousarray(obj).tobytes())
    if isinstance(obj, enum.Enum):
        return ("e", type(obj).__name__, obj.name)
    if isinstance(obj, dict):
        return ("d", [(canon(k, depth + 1), canon(v, depth + 1)) for k, v in obj.items()])
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, [canon(v, depth + 1) for v in obj])
    if isinstance(obj, (set, frozenset)):
        return ("s", sorted(repr(canon(v, depth + 1)) for v in obj))
    if dataclasses.is_dataclass(obj):
        return ("dc", type(obj).__name__,
                [(f.name, canon(getattr(obj, f.name), depth + 1)) for f in dataclasses.fields(obj)])
    if hasattr(obj, "__dict__"):
        return ("o", type(obj).__name__, canon(vars(obj), depth + 1))
    try:
        return ("seq", type(obj).__name__, [canon(v, depth + 1) for v in obj])
    except TypeError:
        return ("r", repr(obj))


def same_snapshot(got, want) -> str | None:
    """None when equal in every field (arrays bit for bit); else the first field that differs."""
    from simplatform.world import WorldSnapshot
    for f in dataclasses.fields(WorldSnapshot):
        a, b = getattr(got, f.name), getattr(want, f.name)
        if f.name == "lanes":
            if not (tuple(a) == tuple(b)):
                return f.name
        elif isinstance(b, np.ndarray) or isinstance(a, np.ndarray):
            if a is None or b is None or a.dtype != b.dtype or a.shape != b.shape or a.tobytes() != b.tobytes():
                return f.name
        elif canon(a) != canon(b):
            return f.name
    return None


CURRENT = None
INSTALLED: list = []


class Perturbed:
    """Wraps ``MetricSuite.observe`` with random flushes, duplicates, skips and V2X warnings."""

    def __init__(self, perturb: dict, seed: int) -> None:
        self.p = perturb
        self.rng = np.random.default_rng(seed)
        self.observed: list = []
        self.blocks: list = []
        self.problems: list[str] = []
        self.recent: list = []

    def install(self):
        global CURRENT
        CURRENT = self
        if INSTALLED:
            return
        INSTALLED.append(True)
        from metrics import suite as suite_module
        from metrics.block import StepBlock
        from metrics.context import V2XWarning
        orig_observe = suite_module.MetricSuite.observe
        orig_init = StepBlock.__init__

        def init(block, snapshots, *a, **k):
            me = CURRENT
            orig_init(block, snapshots, *a, **k)
            if me.p.get("check") and k.get("gathered") is not None:
                me.blocks.append(block)

        def observe(suite, snapshot):
            me = CURRENT
            r = me.rng.random(6)
            if r[5] < me.p.get("back", 0.0) and me.recent:   # an earlier snapshot observed again, out of order
                old = me.recent[int(me.rng.integers(0, len(me.recent)))]
                orig_observe(suite, old)
                if me.p.get("check"):
                    me.observed.append(old)
            me.recent.append(snapshot)
            if len(me.recent) > 60:
                del me.recent[0]
            if r[0] < me.p.get("skip", 0.0):
                return
            orig_observe(suite, snapshot)
            if me.p.get("check"):
                me.observed.append(snapshot)
            if r[1] < me.p.get("dup", 0.0):
                orig_observe(suite, snapshot)
                if me.p.get("check"):
                    me.observed.append(snapshot)
            if r[2] < me.p.get("flush", 0.0):
                suite.flush()
            if r[3] < me.p.get("v2x", 0.0):
                suite.add_v2x_warning(V2XWarning(time=float(snapshot.time) + float(r[4]) * 0.5,
                                                 message="FCW/BSM"))

        suite_module.MetricSuite.observe = observe
        StepBlock.__init__ = init

    def check_blocks(self) -> None:
        offset = 0
        for block in self.blocks:
            for k in range(block.size):
                want = self.observed[offset + k]
                got = block.snapshots[k]
                bad = same_snapshot(got, want)
                if bad:
                    self.problems.append(f"block at {offset} step {k}: field {bad}")
                    if len(self.problems) > 5:
                        return
            offset += block.size
        if offset != len(self.observed):
            self.problems.append(f"blocks cover {offset} steps of {len(self.observed)}")


def harness_job(job: dict, pert: Perturbed):
    from metrics import suite as suite_module
    from simplatform.harness import TestConfig, run_test
    from simplatform.runner import default_library_index, load_index
    entry = next(e for e in load_index(default_library_index()).entries if e.scenario_id == job["scenario"])
    captured = []
    orig_finish = suite_module.MetricSuite.finish

    def finish(suite, **k):
        ev = orig_finish(suite, **k)
        captured.append(ev)
        return ev

    suite_module.MetricSuite.finish = finish
    try:
        with tempfile.TemporaryDirectory() as tmp:
            stack = None if job.get("stack", "none") == "none" else TestConfig().stack
            cfg = TestConfig(stack=stack, dt=job["dt"], csv=False, all_metrics=True, requirement_set=entry.requirements,
                             seed=job.get("seed", 0), out_dir=Path(tmp), max_time=job.get("max_time"))
            run_test(entry.path, cfg)
    finally:
        suite_module.MetricSuite.finish = orig_finish
    return captured[-1] if captured else None


def synthetic_stream(seed: int, steps: int, egoless: bool = True, max_n: int = 7):
    """A mixed stream: engine (arena) snapshots of a table whose entities come and go, whose ego
    changes and whose shared fields change, interleaved with ``from_states`` snapshots (NaN/inf
    values, 0/1/2 entities, collisions)."""
    from simplatform.engine.entities import EntitySpec, EntityTable
    from simplatform.world import BoundingBox, EntityKind, EntityState, LaneLocation, WorldSnapshot
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, max_n))
    cats = ["car", "truck", "pedestrian", "bicycle"]
    kinds = {"car": EntityKind.VEHICLE, "truck": EntityKind.VEHICLE, "pedestrian": EntityKind.PEDESTRIAN,
             "bicycle": EntityKind.VEHICLE}
    specs = [EntitySpec("ego", EntityKind.VEHICLE, "car", 4.5, 1.9, 1.5, 1.4, 0.0, 0.75, is_ego=True)]
    for i in range(1, n):
        c = cats[int(rng.integers(0, len(cats)))]
        specs.append(EntitySpec(f"a{i}", kinds[c], c, float(rng.uniform(0.5, 9)), float(rng.uniform(0.5, 2.5)), 1.5))
    table = EntityTable(specs)
    x = rng.uniform(-30, 30, n)
    y = rng.uniform(-6, 6, n)
    v = rng.uniform(0, 20, n)
    h = rng.uniform(-0.3, 0.3, n)
    signals = {"S1": "green"}
    environment = {"road_friction": 1.0}
    collisions: tuple = ()
    t = 0.0
    dt = float(rng.choice([0.01, 0.02, 0.05, 0.1, 0.033]))
    mode = "arena"
    for k in range(steps):
        t += dt
        if rng.random() < 0.03:
            mode = "states" if mode == "arena" else "arena"
        v = np.clip(v + rng.normal(0, 1.5, n) * dt, -2, 40)
        h = h + rng.normal(0, 0.05, n)
        x = x + v * np.cos(h) * dt
        y = y + v * np.sin(h) * dt
        if rng.random() < 0.02:  # someone drives into the ego
            j = int(rng.integers(0, n))
            x[j], y[j] = x[0] + rng.uniform(-3, 3), y[0] + rng.uniform(-1.5, 1.5)
        if rng.random() < 0.02:
            signals = {"S1": str(rng.choice(["red", "green", "amber"]))}
        if rng.random() < 0.01:
            environment = {"road_friction": float(rng.uniform(0.3, 1.0)), "fog_visual_range_m": float(rng.uniform(50, 1000))}
        if rng.random() < 0.05:
            collisions = () if collisions or n < 2 else (("ego", f"a{int(rng.integers(1, n))}"),)
        if mode == "arena":
            if rng.random() < 0.02 and n > 1:
                i = int(rng.integers(1, n))
                table.set_active(i, not bool(table.active[i]))
            if rng.random() < 0.01:
                new_ego = str(rng.choice(["ego", f"a{int(rng.integers(0, n))}" if n > 1 else "ego"]))
                if new_ego == "a0":
                    new_ego = "ego"
                if egoless or bool(table.active[table.names.index(new_ego)]):
                    table.ego = new_ego
            if not egoless and table.ego is not None:
                table.set_active(table.names.index(table.ego), True)
            table.x[:] = x
            table.y[:] = y
            table.heading[:] = h
            table.speed[:] = v
            table.ax[:] = rng.normal(0, 1, n)
            table.set_velocity_from_speed()
            table.visible[:] = rng.random(n) < 0.95
            for i in range(n):
                if rng.random() < 0.1:
                    table.set_lane(i, None, 0, 0.0, 0.0, 0.0)
                else:
                    table.set_lane(i, str(int(rng.integers(0, 3))), int(rng.choice([-2, -1, 1])), float(x[i]),
                                   float(rng.uniform(-1, 1)), float(y[i]))
            active_names = tuple(s.name for s, a in zip(specs, table.active) if a)
            col = tuple(p for p in collisions if p[0] in active_names and p[1] in active_names)
            yield table.snapshot(round(t, 9), k, signals=signals, collisions=col, environment=environment)
        else:
            m = int(rng.choice([0, 1, 2, n] if egoless else [1, 2, n]))
            states = []
            for i in range(min(m, n)):
                val = lambda a: float(a)  # noqa: E731
                xs, ys = val(x[i]), val(y[i])
                if rng.random() < 0.01:
                    xs = float(rng.choice([np.nan, np.inf, -np.inf]))
                sp = val(v[i]) if rng.random() > 0.01 else float("nan")
                lane = None if rng.random() < 0.2 else LaneLocation(str(int(rng.integers(0, 3))), -1, xs, 0.1)
                states.append(EntityState(
                    name=specs[i].name, kind=specs[i].kind, category=specs[i].category, x=xs, y=ys, z=0.0,
                    heading=val(h[i]), pitch=0.0, roll=0.0, speed=sp, vx=sp * math.cos(h[i]), vy=sp * math.sin(h[i]),
                    ax=float(rng.normal()), ay=float(rng.normal()), yaw_rate=float(rng.normal(0, 0.1)),
                    bbox=BoundingBox(specs[i].length, specs[i].width, 1.5, 1.2, 0.0, 0.75), lane=lane,
                    visible=bool(rng.random() < 0.95), is_ego=i == 0))
            names = {s.name for s in states}
            col = tuple(p for p in collisions if p[0] in names and p[1] in names)
            yield WorldSnapshot.from_states(round(t, 9), k, states, ego="ego" if "ego" in names else None,
                                            signals=signals, collisions=col, environment=environment)


def synthetic_job(job: dict, pert: Perturbed):
    from metrics import MetricSuite, ScenarioContext
    rng = np.random.default_rng(job["seed"] + 7)
    ctx = ScenarioContext(ego="ego", timeout=float(rng.uniform(1, 50)), acc_set_speed=float(rng.uniform(5, 30)),
                          v2x_expected=bool(rng.random() < 0.5))
    suite = MetricSuite(ctx)
    keep = []
    for snap in synthetic_stream(job["seed"], job["steps"], job.get("egoless", True), job.get("max_n", 7)):
        if pert.p.get("check"):
            keep.append(snap)
        suite.observe(snap)
    return suite.finish(parameters={"p": 1.0})


def main() -> None:
    jobs = json.loads(Path(sys.argv[1]).read_text())
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for job in jobs:
        jid = job["id"]
        pert = Perturbed(job.get("perturb", {}), job.get("seed", 0) + 1000)
        pert.install()
        try:
            ev = harness_job(job, pert) if job["kind"] == "harness" else synthetic_job(job, pert)
            data = pickle.dumps(canon(ev), protocol=4)
        except Exception as exc:  # noqa: BLE001 — an exception is an output too
            data = pickle.dumps(("exception", type(exc).__name__, str(exc)[:300]), protocol=4)
        if pert.p.get("check"):
            pert.check_blocks()
        (out / f"{jid}.pkl").write_bytes(data)
        print(json.dumps({"id": jid, "sha": hashlib.sha256(data).hexdigest()[:16], "problems": pert.problems[:5]}),
              flush=True)


if __name__ == "__main__":
    main()
