"""Session 7: ``route_ttc.route_ttc_near`` (the route's path TTC with its near-miss onsets made in the
same pass, no (T, N) TTC kept) answers as ``route_ttc.route_path_ttc`` followed by
``series_kernels.near_onsets`` bit for bit; the collision metric's stretches of one ``collisions``
object read off an arena block's changes are those of a scan of every step."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metrics import kernels, route_ttc
from metrics.series_kernels import near_onsets


def _route(kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "straight":
        return np.stack([np.linspace(0.0, 200.0, 101), np.full(101, -1.75)], axis=1)
    a = np.linspace(0.0, 3.5 * math.pi, 120)   # passes the same place twice
    return np.stack([30 * np.cos(a) + a, 30 * np.sin(a)], axis=1) + rng.normal(0.0, 0.2, (120, 2))


def _scene(rng: np.random.Generator, pts: np.ndarray, T: int, N: int):
    """Entities near the route, some standing still (the kernel's no-descent path), some close to
    the ego (onsets by distance), NaN and inf here and there."""
    base = rng.integers(0, len(pts) - 1, N)
    drift = rng.uniform(-0.5, 1.5, N)
    drift[rng.random(N) < 0.3] = 0.0
    k = np.arange(T)[:, None]
    at = np.clip(base + (drift * k * 0.05).astype(int), 0, len(pts) - 1)
    cx = pts[at, 0] + rng.normal(0.0, 1.5, (T, N)) * (drift != 0)
    cy = pts[at, 1] + rng.normal(0.0, 1.5, (T, N)) * (drift != 0)
    h = rng.uniform(-math.pi, math.pi, (T, N))
    vx, vy = rng.normal(3.0, 4.0, (T, N)), rng.normal(0.0, 4.0, (T, N))
    vx[rng.random((T, N)) < 0.002] = np.inf
    vx[rng.random((T, N)) < 0.002] = np.nan
    length = rng.uniform(1.0, 6.0, (1, N))
    width = rng.uniform(0.5, 2.5, (1, N))
    dist = np.abs(rng.normal(0.0, 1.0, (T, N)))
    dist[rng.random((T, N)) < 0.05] = 0.0
    dist[rng.random((T, N)) < 0.01] = np.nan
    return cx, cy, vx, vy, np.cos(h), np.sin(h), length, width, dist


@pytest.mark.parametrize("kind", ["straight", "loop"])
@pytest.mark.parametrize("N", [1, 2, 9, 22])
def test_route_ttc_near_is_route_ttc_then_near_onsets(kind, N):
    rng = np.random.default_rng(7 * N + (kind == "loop"))
    pts = _route(kind, rng)
    px, py = np.ascontiguousarray(pts[:, 0]), np.ascontiguousarray(pts[:, 1])
    tx, ty = kernels.route_tangents(px, py)
    cumulative = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(px), np.diff(py)))])
    T = 150
    cx, cy, vx, vy, c, s, length, width, dist = _scene(rng, pts, T, N)
    kin = np.stack([vy, np.full_like(vx, np.nan), vx], axis=1)   # vx, vy as rows 2 and 0 of a stacked state
    onsets = most = 0
    for e in sorted({0, N - 1}):
        dist_e = dist.copy()
        dist_e[:, e] = np.inf   # the ego's own column, as ``ego_pass`` writes it
        for hint in (-1, 3, len(px) + 2):
            for near_ttc, near_dist in ((1.0, 0.5), (3.0, 0.2), (0.0, 0.0)):
                before = rng.random(N) < 0.5
                ttc, last_seg, at, low = route_ttc.route_path_ttc(e, cx, cy, kin, 2, 0, c, s, length, width, px, py,
                                                                  tx, ty, cumulative, hint)
                steps, who, last = near_onsets(ttc, dist_e, near_ttc, near_dist, before)
                got = route_ttc.route_ttc_near(e, cx, cy, kin, 2, 0, c, s, length, width, px, py, tx, ty,
                                               cumulative, hint, dist_e, near_ttc, near_dist, before)
                assert got[0] == last_seg
                for g, w in zip(got[1:3], (at, low)):
                    assert g.dtype == w.dtype and g.tobytes() == w.tobytes()
                for g, w in zip((got[3], got[4], got[6]), (steps, who, last)):
                    assert g.dtype == w.dtype and g.tobytes() == w.tobytes()
                assert got[5].tobytes() == ttc[steps, who].tobytes()   # the TTC at each onset
                onsets += len(steps)
                most = max(most, len(steps))
    assert onsets > 20 or N == 1   # the cases exercise the onsets (a lone ego has none)
    if N == 22:   # a block with more onsets than one pass keeps: the second pass
        assert most > route_ttc.ONSETS


def test_route_path_ttc_is_still_the_array_reference():
    """The shared pass kept behind ``route_path_ttc`` answers as ``kernels.route_path_ttc`` (the
    reference with array helpers) on a case with every entity moving."""
    rng = np.random.default_rng(3)
    pts = _route("loop", rng)
    px, py = np.ascontiguousarray(pts[:, 0]), np.ascontiguousarray(pts[:, 1])
    tx, ty = kernels.route_tangents(px, py)
    cumulative = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(px), np.diff(py)))])
    cx, cy, vx, vy, c, s, length, width, _ = _scene(rng, pts, 60, 12)
    lengths, widths = np.repeat(length, 60, axis=0), np.repeat(width, 60, axis=0)
    want, seg = kernels.route_path_ttc(3, cx, cy, vx, vy, c, s, lengths, widths, px, py, tx, ty, cumulative, -1)
    kin = np.stack([vx, vy], axis=1)
    got = route_ttc.route_path_ttc(3, cx, cy, kin, 0, 1, c, s, length, width, px, py, tx, ty, cumulative, -1)
    assert got[0].tobytes() == want.tobytes() and got[1] == seg


def _scan(reported: list) -> list[tuple[int, int, int]]:
    """Stretches of one object by comparing every step's with the step before's (what the metric did)."""
    starts = [0] + [k for k in range(1, len(reported)) if reported[k] is not reported[k - 1]]
    return [(k0, k1, id(reported[k0])) for k0, k1 in zip(starts, starts[1:] + [len(reported)])]


@pytest.mark.parametrize("seed", range(3))
def test_collision_stretches_of_arena_blocks_are_the_scan(seed):
    from metrics import MetricSuite, ScenarioContext, collision_pass, safety
    from simplatform.engine.entities import EntitySpec, EntityTable
    from simplatform.world import EntityKind

    rng = np.random.default_rng(seed)
    specs = [EntitySpec(n, EntityKind.VEHICLE, "car", 4.5, 1.9, 1.5, is_ego=n == "ego") for n in ("ego", "a", "b")]
    table = EntityTable(specs)
    seen: list = []
    original = safety.CollisionMetric.observe_block

    def observe_block(metric, block):
        seen.append((block, collision_pass.collision_stretches(block), _scan(block.each("collisions"))))
        return original(metric, block)

    safety.CollisionMetric.observe_block = observe_block
    try:
        suite = MetricSuite(ScenarioContext(ego="ego"))
        collisions: tuple = ()
        signals = {"S": "red"}
        for k in range(700):
            r = rng.random()
            if r < 0.03:   # a new contact tuple (equal to the last one or not)
                collisions = (("ego", "a"),) if rng.random() < 0.5 else (("a", "b"), ("ego", "b"))
            elif r < 0.05:
                collisions = ()
            elif r < 0.08:   # another shared field changes, ``collisions`` stays the same object
                signals = {"S": "green" if signals["S"] == "red" else "red"}
            table.x[:] = [0.0, 3.0 + 0.01 * k, 30.0]
            table.speed[:] = [1.0, 1.0, 1.0]
            table.set_velocity_from_speed()
            suite.observe(table.snapshot(0.01 * k, k, signals=signals, collisions=collisions))
        suite.finish()
    finally:
        safety.CollisionMetric.observe_block = original
    arena = [b for b, _, _ in seen if b._buffer.slots is not None]
    assert arena and any(len(scan) > 3 for _, _, scan in seen)
    for block, got, scan in seen:
        assert [(k0, k1, id(v)) for k0, k1, v in got] == scan
