"""Adversarial differential tests of the session-4 metric fast paths, through the whole suite.

Random multi-entity runs (seeded ``numpy.random.Generator``: a failure names its seed) made as the
native engine makes them (``EntityTable.snapshot``: state matrices in ``StateArena`` slots) are
evaluated three ways that must agree bit for bit (the platform's contract: the same inputs give
the same bits, and the block size never changes a result, ``test_metrics_blocks.py``):

* the arena snapshots with the suite's own blocks (the zero-copy hand-over, every skip rule);
* the same snapshots one step per block (``BLOCK_STEPS = 1``: no block-wide skip can apply);
* copies built with ``WorldSnapshot.from_states`` (no arena, no state matrix).

The runs are hostile on purpose: entities off road (NaN lane rows), entities leaving and coming
back (the active set changing mid-block), the ego changing, zero and negative speeds, headings at
exactly +-pi and wrapping, huge coordinates, snapshots made twice (the first not observed) or
observed twice, signals turning red on the step an entity crosses a line, blocks of one step.
"""

from __future__ import annotations

import dataclasses
import math
import struct
from enum import Enum
from typing import Mapping

import numpy as np
import pytest
from metrics_testkit import FakeStraightRoad

from metrics import ConflictZone, GoalRegion, MetricSuite, RoutePath, ScenarioContext, StopLine
from metrics.context import V2XWarning
from metrics import suite as suite_module
from simplatform.engine.entities import EntitySpec, EntityTable
from simplatform.world import EntityKind, WorldSnapshot

SPECS = (
    EntitySpec("ego", EntityKind.VEHICLE, "car", 4.5, 1.9, 1.5, 1.4, 0.0, 0.75, is_ego=True),
    EntitySpec("car1", EntityKind.VEHICLE, "car", 4.0, 1.8, 1.4),
    EntitySpec("car2", EntityKind.VEHICLE, "car", 4.2, 1.8, 1.4, -0.3, 0.1, 0.7),
    EntitySpec("ped", EntityKind.PEDESTRIAN, "pedestrian", 0.5, 0.5, 1.8),
    EntitySpec("bike", EntityKind.VEHICLE, "bicycle", 1.8, 0.6, 1.6),
    EntitySpec("cone", EntityKind.MISC_OBJECT, "obstacle", 0.4, 0.4, 0.7),
)
LANE_T = (-5.25, -1.75, 1.75)   # lane centres of the fake road's -2, -1, +1


def _context(offset: float = 0.0, v2x: bool = False) -> ScenarioContext:
    """Every context field a metric may ask for, around x = offset."""
    o = offset
    return ScenarioContext(
        road=FakeStraightRoad(), route=RoutePath.from_points([(o, -1.75), (o + 60, -1.75), (o + 140, -3.0)]),
        goal=GoalRegion(o + 70, -1.75, 3),
        stop_lines=(StopLine("L", (o + 40, -7), (o + 40, 0), 0.0, signal_id="S"),
                    StopLine("M", (o + 25, -7), (o + 25, 0), 0.0, kind="stop"),
                    StopLine("N", (o + 55, 0), (o + 55, 3.5), math.pi, signal_id="S")),
        conflict_zones=(ConflictZone("Z", ((o + 36, -4), (o + 40, -4), (o + 40, 0), (o + 36, 0))),
                        ConflictZone("W", ((o + 50, -7), (o + 53, -7), (o + 53, 3.5), (o + 50, 3.5)))),
        acc_set_speed=12.0, background=("car1", "car2"), v2x_expected=v2x)


def _lane(road: FakeStraightRoad, x: float, y: float):
    got = road.locate_many(np.array([[x, y]]))
    if not got.on_road[0]:
        return None
    return got.road_ids[got.road_index[0]], int(got.lane_id[0]), float(got.s[0]), float(got.offset[0]), float(y)


def make_run(seed: int, steps: int = 260, *, offset: float | None = None, calm: bool | None = None,
             crowd: int = 0):
    """(snapshots as observed, context) of one random engine-like run.

    A calm run keeps lanes and headings for long stretches (blocks where nothing happens, which
    the road rules skip) between short manoeuvres."""
    rng = np.random.default_rng(seed)
    if calm is None:
        calm = bool(rng.random() < 0.5)
    n = int(rng.integers(2, len(SPECS) + 1))
    specs = SPECS[:n]
    if crowd:   # many entities: arenas and blocks of BLOCK_ENTITY_STEPS // n steps
        specs = SPECS + tuple(EntitySpec(f"x{k}", EntityKind.VEHICLE, "car", 4.0, 1.8, 1.4) for k in range(crowd))
        n = len(specs)
    table = EntityTable(specs)
    road = FakeStraightRoad()
    if offset is None:
        offset = float(rng.choice([0.0, 0.0, 1e6, -3.7e5]))
    dt = float(rng.choice([0.01, 0.05, 0.1]))
    # initial states: the ego in lane -1 going +x, the others around the stop lines and zones
    start = float(rng.choice([0.0, 0.0, 480.0, 975.0]))   # near the lines, or before road 2, or the map's end
    x = offset + start + np.concatenate([[rng.uniform(0, 20)], rng.uniform(10, 70, n - 1)])
    y = np.array([-1.75] + list(rng.choice(LANE_T + (-9.5, 4.0), n - 1)), float)
    heading = np.concatenate([[0.0], rng.choice([0.0, math.pi, -math.pi, math.pi / 2, -math.pi / 2], n - 1)])
    speed = np.concatenate([[rng.uniform(0, 16)], rng.uniform(-2, 10, n - 1)])
    speed[rng.random(n) < 0.2] = 0.0
    signal = "green"
    env = {"road_friction": 1.0, "precipitation_type": "dry"}
    made = []
    for k in range(steps):
        t = k * dt
        # manoeuvres: random yaw rates (crossing +-pi), speed changes (through zero and negative)
        yaw = rng.normal(0, 0.15, n) * (rng.random(n) < (0.01 if calm else 0.3))
        heading = heading + yaw * dt
        if rng.random() < (0.005 if calm else 0.05):   # snap to exactly +-pi, or wrap the representation
            i = int(rng.integers(n))
            heading[i] = float(rng.choice([math.pi, -math.pi, heading[i] + 2 * math.pi, heading[i] - 2 * math.pi]))
        acc = rng.normal(0, 2.0, n) * (rng.random(n) < (0.05 if calm else 0.4))
        speed = speed + acc * dt
        if rng.random() < 0.03:
            speed[int(rng.integers(n))] = float(rng.choice([0.0, -0.0, -1.0, 25.0]))
        x = x + speed * np.cos(heading) * dt
        y = y + speed * np.sin(heading) * dt
        if rng.random() < 0.02:   # a lane change jump (what a teleport action does)
            y[int(rng.integers(n))] = float(rng.choice(LANE_T))
        table.x[:], table.y[:], table.heading[:] = x, y, heading
        table.speed[:], table.ax[:] = speed, acc
        table.yaw_rate[:] = yaw
        table.set_velocity_from_speed()
        if rng.random() < 0.1:   # a side slip: vy not from the heading
            table.vy[int(rng.integers(n))] += rng.normal(0, 1)
        for i in range(n):
            lane = _lane(road, x[i] - offset, y[i]) if rng.random() > (0.002 if calm else 0.05) else None
            if lane is None:
                table.set_lane(i, None, 0, 0.0, 0.0, 0.0)
            else:
                table.set_lane(i, *lane)
        if n > 2 and rng.random() < 0.04:   # someone leaves or comes back (a new entity set)
            i = int(rng.integers(1, n))
            table.set_active(i, not table.active[i])
        if rng.random() < (0.1 if not table.active.any() else 0.002):   # everyone leaves (no ego) or is back
            everyone = not table.active.any()
            for i in range(n):
                table.set_active(i, everyone)
        if n > 1 and rng.random() < 0.01:   # the ego changes
            table.ego = str(rng.choice([s.name for s in specs if s.kind == EntityKind.VEHICLE]))
        if rng.random() < 0.04:
            signal = "red" if signal == "green" else "green"
        if rng.random() < 0.02:
            env = {**env, "road_friction": float(rng.choice([0.4, 1.0])),
                   "precipitation_type": str(rng.choice(["dry", "rain"]))}
        names = {nm for nm, a in zip(table.names, table.active) if a}
        gap = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
        hits = tuple((table.names[i], table.names[j]) for i in range(n) for j in range(i + 1, n)
                     if gap[i, j] < 2.5 and table.names[i] in names and table.names[j] in names)
        snap = table.snapshot(t, k, signals={"S": signal}, collisions=hits, environment=dict(env))
        r = rng.random()
        if r < 0.03:   # made twice, the first not observed (a V2X message mid-step)
            snap = table.snapshot(t, k, signals={"S": signal}, collisions=hits, environment=dict(env))
        elif r < 0.04:   # made twice and both observed (the same time twice: dt = 0)
            made.append(snap)
            snap = table.snapshot(t, k, signals={"S": signal}, collisions=hits, environment=dict(env))
        made.append(snap)
        if r > 0.98:   # observed twice
            made.append(snap)
        if rng.random() < 0.008:   # a V2X warning delivered mid-run (the harness hands it over at delivery)
            made.append(V2XWarning(t, str(rng.choice(["FCW/BSM", "SLW/IVI", "EEBL/DENM"])),
                                   advised_speed=float(rng.choice([8.0, 13.9]))))
    return made, _context(offset, v2x=bool(seed % 2))


def copied(snap):
    """The snapshot rebuilt from its rows: no arena, no state matrix (a V2X warning as it is)."""
    if not isinstance(snap, WorldSnapshot):
        return snap
    return WorldSnapshot.from_states(snap.time, snap.step, list(snap.entities()), ego=snap.ego, signals=snap.signals,
                                     collisions=snap.collisions, environment=snap.environment)


def evaluate(snaps, context: ScenarioContext):
    suite = MetricSuite(context)
    for s in snaps:
        if isinstance(s, V2XWarning):
            suite.add_v2x_warning(s)
        else:
            suite.observe(s)
    return suite.finish()


def canon(obj):
    """A value's bits in a comparable form: floats by their bytes (-0.0 and NaN payloads told apart),
    arrays by dtype, shape and bytes, dataclasses and mappings field by field.  Not pickle: pickle
    also records which objects are shared (its memo), which is no part of a result."""
    if isinstance(obj, bool) or obj is None or isinstance(obj, (int, str)):
        return (type(obj).__name__, obj)
    if isinstance(obj, float):
        return ("float", struct.pack("<d", obj))
    if isinstance(obj, np.generic):
        return (type(obj).__name__, obj.tobytes())
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            return ("objects", obj.shape, tuple(canon(v) for v in obj.ravel().tolist()))
        return ("array", str(obj.dtype), obj.shape, obj.tobytes())
    if dataclasses.is_dataclass(obj):
        return (type(obj).__name__, tuple((f.name, canon(getattr(obj, f.name))) for f in dataclasses.fields(obj)))
    if isinstance(obj, Mapping):
        return ("map", tuple(sorted((repr(k), canon(v)) for k, v in obj.items())))
    if isinstance(obj, (list, tuple)):
        return (type(obj).__name__, tuple(canon(v) for v in obj))
    if isinstance(obj, (set, frozenset)):
        return ("set", tuple(sorted(repr(canon(v)) for v in obj)))
    if isinstance(obj, Enum):
        return ("enum", type(obj).__name__, obj.name)
    raise TypeError(f"no canonical form for {type(obj)}")


def fingerprint(ev):
    """Every result's bits (``canon``)."""
    return canon((ev.metrics, ev.verdicts, ev.scores, ev.coverage, ev.events, ev.unavailable))


def differences(a, b) -> list[str]:
    """Readable differences of two evaluations (scalars by bits, then events and series)."""
    out = []
    sa, sb = a.scalars(), b.scalars()
    for key in sorted(set(sa) | set(sb)):
        va, vb = sa.get(key), sb.get(key)
        if va is None or vb is None or canon(va) != canon(vb):
            out.append(f"scalar {key}: {va!r} != {vb!r}")
    for name in a.metrics:
        ra, rb = a.metrics[name], b.metrics.get(name)
        if rb is None:
            out.append(f"metric {name} missing")
            continue
        if canon(ra.events) != canon(rb.events):
            out.append(f"{name} events: {ra.events[:4]} != {rb.events[:4]}")
        if canon(ra.series) != canon(rb.series):
            out.append(f"{name} series differ")
        if canon((ra.worst_time, ra.worst_entities)) != canon((rb.worst_time, rb.worst_entities)):
            out.append(f"{name} worst: {ra.worst_time} {ra.worst_entities} != {rb.worst_time} {rb.worst_entities}")
    if canon(a.coverage) != canon(b.coverage):
        out.append(f"coverage: {a.coverage} != {b.coverage}")
    if canon(a.verdicts) != canon(b.verdicts):
        out.append("verdicts differ")
    return out


def _check(seed: int, monkeypatch, steps: int = 260, **kwargs) -> None:
    snaps, context = make_run(seed, steps, **kwargs)
    fast = evaluate(snaps, context)
    plain = evaluate([copied(s) for s in snaps], context)
    assert differences(fast, plain) == [], f"seed {seed}: arena vs from_states"
    assert fingerprint(fast) == fingerprint(plain), f"seed {seed}"
    monkeypatch.setattr(suite_module, "BLOCK_STEPS", 1)
    single = evaluate(snaps, context)
    assert differences(fast, single) == [], f"seed {seed}: blocks vs one step per block"
    assert fingerprint(fast) == fingerprint(single), f"seed {seed}"
    odd = 2 + seed % 29   # block boundaries elsewhere again
    monkeypatch.setattr(suite_module, "BLOCK_STEPS", odd)
    other = evaluate(snaps, context)
    assert differences(fast, other) == [], f"seed {seed}: blocks of {odd}"
    assert fingerprint(fast) == fingerprint(other), f"seed {seed}"


@pytest.mark.parametrize("seed", range(6))
def test_arena_blocks_copies_and_single_steps_agree(seed, monkeypatch):
    _check(seed, monkeypatch)


def test_a_crowd_across_arenas_of_fewer_slots(monkeypatch):
    # 40 entities: arenas and blocks of 500 steps; entities leave and come back
    _check(11, monkeypatch, steps=560, calm=True, crowd=34)


def test_a_long_calm_run_across_arenas(monkeypatch):
    # 1 100 steps: more than one arena and more than one default block
    _check(7, monkeypatch, steps=1100, calm=True, offset=0.0)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 140))
def test_arena_blocks_copies_and_single_steps_agree_sweep(seed, monkeypatch):
    _check(seed, monkeypatch, steps=400)
