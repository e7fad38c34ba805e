"""Session 9 (issue #7): with a route in the context the block's ego pass leaves out the path TTC
along the heading (``ego_pass``'s ``path_ttc``, ``BlockNeighbours.ttc_path`` (T, 0)), which only the
surrogate-safety metric read, and only without a route.

Fails if the pass without path TTC changes any other output by one bit, or if any metric's result
(scalars, series, events, evidence) or verdict of a run with a route depends on the path TTC along
the heading — a reader of ``ttc_path`` or of its row in ``nearest``/``minima`` would get an empty
array or 0/inf there and answer differently (or fail)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import metrics.block as block_module
from metrics import GoalRegion, MetricSuite, RoutePath, ScenarioContext, ego_pass
from metrics.block import ROW_TTC_PATH, StepBlock
from metrics_testkit import entity, run


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _scene(rng: np.random.Generator, T: int, N: int, spread: float):
    cx, cy = rng.normal(0.0, spread, (2, T, N))
    vx, vy = rng.normal(0.0, 6.0, (2, T, N))
    h = rng.uniform(-math.pi, math.pi, (T, N))
    cx[::7, N - 1] = np.nan
    kin = np.full((T, 15, N), np.nan)
    kin[:, 0], kin[:, 1], kin[:, 7], kin[:, 8] = cx, cy, vx, vy
    length, width = rng.uniform(0.5, 6.0, (1, N)), rng.uniform(0.4, 2.5, (1, N))
    return cx, cy, kin, np.cos(h), np.sin(h), length, width, 0.5 * np.hypot(length, width)


@pytest.mark.parametrize("N,spread", [(1, 3.0), (2, 3.0), (7, 3.0), (20, 3.0), (20, 40.0)])
def test_the_pass_without_path_ttc_keeps_every_other_output(N, spread):
    rng = np.random.default_rng(N * 10 + int(spread))
    cx, cy, kin, c, s, length, width, radius = _scene(rng, 80, N, spread)
    for e in sorted({0, N // 2, N - 1}):
        full = ego_pass.ego_pass(e, cx, cy, kin, 7, 8, c, s, length, width, radius, 2.0, 5.0)
        cut = ego_pass.ego_pass(e, cx, cy, kin, 7, 8, c, s, length, width, radius, 2.0, 5.0, False)
        also = ego_pass.ego_pass(e, cx, cy, kin, 7, 8, c, s, length, width, radius, 2.0, 5.0, True)
        for a, b in zip(full, also):
            assert _same(a, b)
        assert _same(cut[0], full[0])
        assert cut[1].shape == (80, 0)
        rows = [q for q in range(4) if q != ROW_TTC_PATH]
        assert _same(cut[2][rows], full[2][rows]) and _same(cut[3][rows], full[3][rows])
        assert (cut[2][ROW_TTC_PATH] == 0).all() and np.isinf(cut[3][ROW_TTC_PATH]).all()
        for q in (4, 5, 6):
            assert _same(cut[q], full[q])
    if N > 2 and spread < 10:   # the scene has leaders and finite path TTCs
        assert (full[4] >= 0).any() and np.isfinite(full[3][ROW_TTC_PATH]).any()


def _states(t: float):
    """The ego behind a slower car in its lane (path TTC along the route), another one crossing
    ahead fast (a near miss by TTC), one alongside."""
    return [entity("ego", 20 * t, 0.0, speed=20, ego=True, length=4.5, width=1.9),
            entity("lead", 40 + 8 * t, 0.2, speed=8, length=4.5, width=1.9),
            entity("cross", 60.0, -30 + 15 * t, heading=math.pi / 2, speed=15),
            entity("side", 2 + 20 * t, 3.5, speed=20)]


def _results(context: ScenarioContext) -> dict:
    ev = run(MetricSuite(context), _states, t_end=3.0, dt=0.01)
    return {name: repr((r.scalars, r.series, r.events, r.worst_time, r.worst_entities))
            for name, r in ev.metrics.items()} | {"verdicts": repr(ev.verdicts), "scores": repr(ev.scores)}


def test_with_a_route_no_result_depends_on_the_path_ttc_along_the_heading(monkeypatch):
    route = RoutePath.from_points(np.stack([np.linspace(-10, 300, 156), np.zeros(156)], axis=1))
    context = ScenarioContext(route=route, goal=GoalRegion(290, 0, 5))
    seen = []
    real = ego_pass.ego_pass

    def spy(*args):
        seen.append(args[-1])
        return real(*args)

    monkeypatch.setattr(block_module, "ego_pass", spy)
    now = _results(context)
    assert seen and not any(seen)   # with a route: no path TTC along the heading
    seen.clear()
    monkeypatch.setattr(block_module, "ego_pass", lambda *args: spy(*args[:-1], True))
    full = _results(context)
    assert seen and all(seen)
    assert now == full
    # the run exercises the path TTC: a finite TTC along the route, and near misses
    ev = run(MetricSuite(context), _states, t_end=3.0, dt=0.01)
    assert math.isfinite(ev.metrics["surrogate_safety"].scalars["ttc_min"])
    assert ev.metrics["surrogate_safety"].scalars["near_misses"] >= 1


def test_without_a_route_the_block_makes_the_path_ttc():
    snaps = []
    from metrics_testkit import snapshot
    for k in range(20):
        snaps.append(snapshot(k * 0.01, k, *_states(k * 0.01)))
    nb = StepBlock(snaps, ScenarioContext()).neighbours
    assert nb.ttc_path.shape == (20, 4) and np.isfinite(nb.ttc_path).any()
    route = RoutePath.from_points(np.stack([np.linspace(-10, 300, 156), np.zeros(156)], axis=1))
    assert StepBlock(snaps, ScenarioContext(route=route)).neighbours.ttc_path.shape == (20, 0)
