"""Session 8 (issue #7), the metrics' cost per run outside the safety passes: each shortcut gives
what the code it replaces gave, bit for bit.

* ``nan_extreme_index`` finds the extreme in two passes (four running values, then the first index
  equal to it): the same index as the one-pass scan it replaces and as numpy's nanargmax/nanargmin;
* ``MetricSuite.finish`` sorts the events once and makes the Leaderboard score once, handing both to
  ``scenario_scores``/``leaderboard_score``: the same scores as each making its own;
* ``StepBlock.times`` goes through ``array('d', …)``: the same float64 values as ``np.fromiter``;
* the suite asks the context each requirement once: the same metrics built and the same
  ``unavailable`` messages;
* the route trackers share their route's columns: the same columns as each copying its own.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from metrics_testkit import entity, off_arena, snapshot

from metrics import GoalRegion, MetricSuite, RoutePath, ScenarioContext, StopLine, leaderboard_score, scenario_scores
from metrics.block import StepBlock
from metrics.route import _Progress, resample
from metrics.series_kernels import nan_extreme_index
from simplatform.results import MetricEvent, MetricResult


def _one_pass(values: np.ndarray, want_max: bool) -> int:
    """The scan ``nan_extreme_index`` did before session 8, statement for statement (NaN as the fill,
    the first strictly better value wins)."""
    fill = -math.inf if want_max else math.inf
    best, found, real = fill, -1, False
    for i in range(values.shape[0]):
        v = float(values[i])
        if v != v:
            v = fill
        else:
            real = True
        if found < 0 or (v > best if want_max else v < best):
            best, found = v, i
    return found if real else -1


POOL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 5e-324, -5e-324])


@pytest.mark.parametrize("seed", range(40))
def test_extreme_index_as_the_one_pass_scan_and_numpy(seed):
    rng = np.random.default_rng(seed)
    for _ in range(60):
        n = int(rng.integers(0, 23))   # lengths around the four running values' multiples
        a = POOL[rng.integers(0, POOL.size, n)] if rng.random() < 0.7 else rng.normal(size=n)
        for arr in (np.ascontiguousarray(a), a.copy()):
            if arr is not a:
                arr.flags.writeable = False   # both argument types the recorder hands over
            for want_max in (True, False):
                got = nan_extreme_index(arr, want_max)
                assert got == _one_pass(arr, want_max), (arr.tolist(), want_max)
                if arr.size and not np.isnan(arr).all():
                    assert got == int(np.nanargmax(arr) if want_max else np.nanargmin(arr))
                else:
                    assert got == -1


@pytest.mark.parametrize("values,want_max,index", [
    ([np.nan, -np.inf, -np.inf, np.nan, -np.inf], True, 0),   # only −inf: the first step, NaN or not
    ([-np.inf, np.nan], True, 0),
    ([np.nan, np.inf, np.nan, np.inf, np.inf], False, 0),
    ([np.nan] * 9, True, -1),
    ([-0.0, 0.0, 0.0, -0.0, 0.0], True, 0),                   # ±0 tie: the first
    ([1.0, 2.0, 3.0, 4.0, 4.0, 3.0, 2.0, 1.0, 4.0], True, 3),
    ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 0.5], False, 8),   # the extreme in the tail past the fours
])
def test_extreme_index_edges(values, want_max, index):
    a = np.array(values)
    assert nan_extreme_index(a, want_max) == index == _one_pass(a, want_max)


def _route_run():
    waypoints = np.stack([np.linspace(0.0, 300.0, 151), np.zeros(151)], axis=1)
    ctx = ScenarioContext(route=RoutePath.from_points(waypoints), goal=GoalRegion(150.0, 0.0, 4.0),
                          stop_lines=(StopLine("L", (80.0, -4.0), (80.0, 4.0), 0.0, signal_id="S"),),
                          background=("car",))
    suite = MetricSuite(ctx)
    x = 0.0
    for k in range(1000):
        t = k * 0.01
        v = 14.0 if t < 7.0 else max(0.0, 14.0 - 6.0 * (t - 7.0))   # runs the red at x = 80 (t ≈ 5.7 s)
        x += v * 0.01
        signals = {"S": "red" if 2.0 <= t < 6.0 else "green"}
        suite.observe(snapshot(t, k, entity("ego", x, 0.2 * math.sin(t), speed=v, ego=True),
                               entity("car", x + 25.0, 3.0, speed=8.0), signals=signals))
    return suite


def test_finish_scores_and_leaderboard_as_made_apart():
    suite = _route_run()
    ev = suite.finish()
    assert ev.leaderboard is not None and ev.events
    assert ev.scores == scenario_scores(ev.metrics)
    assert ev.leaderboard == leaderboard_score(ev.metrics)
    assert ev.events == tuple(sorted((e for r in ev.metrics.values() for e in r.events), key=lambda e: e.time))
    assert leaderboard_score(ev.metrics, events=ev.events) == leaderboard_score(ev.metrics)
    assert scenario_scores(ev.metrics, leaderboard=None) == {k: v for k, v in ev.scores.items()
                                                             if not k.startswith("leaderboard_")}


def test_leaderboard_from_given_events_keeps_ties_in_results_order():
    """Events at one time keep the results' order (a stable sort); the given tuple is that sort."""
    route = MetricResult("route_completion", {"route_completion": 80.0},
                         events=(MetricEvent(1.0, "collision_vehicle"), MetricEvent(2.0, "route_deviation")))
    other = MetricResult("x", {}, events=(MetricEvent(1.0, "red_light"), MetricEvent(2.0, "collision_static")))
    results = {"route_completion": route, "x": other}
    events = tuple(sorted((e for r in results.values() for e in r.events), key=lambda e: e.time))
    got = leaderboard_score(results, events=events)
    assert got == leaderboard_score(results)
    # events at the terminating event's time still count (the Leaderboard stops after it)
    assert got.terminated_by == "route_deviation"
    assert got.infractions == {"collision_vehicle": 1, "red_light": 1, "collision_static": 1}


@pytest.mark.parametrize("arena", [True, False])
def test_block_times_as_fromiter(arena):
    """A block of the suite's buffer (arena steps or kept snapshots) and a block of snapshots."""
    from simplatform.engine.entities import EntitySpec, EntityTable
    from simplatform.world import EntityKind
    table = EntityTable([EntitySpec("ego", EntityKind.VEHICLE, "car", 4.5, 1.9, 1.5, 1.4, 0.0, 0.75, is_ego=True),
                         EntitySpec("b", EntityKind.VEHICLE, "car", 4.0, 1.8, 1.5)])
    snaps = []
    for k in range(37):
        table.x[:] = (float(k), 10.0 + k)
        snaps.append(table.snapshot(0.1 * k + 1e-3 * k * k, k))   # the native engine's arena steps
    if not arena:
        snaps = [off_arena(s) for s in snaps]
    suite = MetricSuite(ScenarioContext())
    for s in snaps:
        suite._buffer.append(s)   # the buffer as ``observe`` fills it (no flush at block_steps here)
    assert (suite._buffer.slots is not None) == arena
    want = np.fromiter((s.time for s in snaps), float, len(snaps))
    for block in (StepBlock(None, ScenarioContext(), None, gathered=suite._buffer), StepBlock(snaps, ScenarioContext())):
        got = block.times
        assert got.dtype == np.float64 and got.flags.c_contiguous and got.flags.writeable
        assert got.tobytes() == want.tobytes()


def test_unavailable_and_built_metrics_as_each_asking():
    for ctx in (ScenarioContext(), ScenarioContext(stop_lines=(StopLine("L", (0.0, -1.0), (0.0, 1.0), 0.0),)),
                ScenarioContext(route=RoutePath.from_points(np.array([[0.0, 0.0], [10.0, 0.0]])))):
        suite = MetricSuite(ctx)
        from metrics.base import metric_classes
        want = {}
        for name, cls in sorted(metric_classes().items()):
            missing = sorted(r.replace("|", " or ") for r in cls.requires if not ctx.has(r))
            if missing:
                want[name] = f"the scenario context has no {', '.join(missing)}"
        assert suite.unavailable == want
        assert sorted(m.name for m in suite.metrics) == sorted(set(metric_classes()) - set(want))


def test_route_trackers_share_their_route_columns():
    route = resample(RoutePath.from_points(np.array([[0.0, 0.0], [50.0, 0.0], [50.0, 40.0]])))
    a, b = _Progress(route, 2), _Progress(route, 5)
    for mine, theirs, col in ((a._px, b._px, route.points[:, 0]), (a._py, b._py, route.points[:, 1]),
                              (a._dx, b._dx, route.directions[:, 0]), (a._dy, b._dy, route.directions[:, 1])):
        assert mine is theirs and mine.flags.c_contiguous and mine.tobytes() == np.ascontiguousarray(col).tobytes()
    other = resample(RoutePath.from_points(np.array([[0.0, 0.0], [20.0, 0.0]])))
    assert _Progress(other, 2)._px is not a._px
