"""finish() keeps the series as arrays until ``MetricResult.series`` is read (issue #7): the lazy
results read, compare, print, copy and pickle as the eager ones did, and verdicts/scores computed
from the arrays equal those computed from the lists; the one-pass extremes equal numpy's
nanargmin/nanargmax (NaN, ties, signed zeros, infinities, all-NaN, empty)."""

from __future__ import annotations

import copy
import dataclasses
import math
import pickle
import struct

import numpy as np
import pytest
from metrics_testkit import entity, snapshot

from metrics import GoalRegion, MetricSuite, RoutePath, ScenarioContext, evaluate, leaderboard_score, requirement
from metrics import scenario_scores
from metrics.base import SeriesColumns, SeriesRecorder, nan_rms, step_durations
from metrics.requirements import Scope
from simplatform.results import MetricEvent, MetricResult

SCOPED = [
    requirement("W1", "ttc_min >= 1.5 s", scope=Scope(1.0, 4.0)),
    requirement("W2", "min_distance >= 2 m", scope=Scope(0.5, 3.0)),
    requirement("W3", "comfort_violation_time <= 0.5 s", scope=Scope(0.0, 5.0)),
    requirement("W4", "accel_long_rms <= 2 m/s^2", scope=Scope(2.0, 6.0)),
    requirement("W5", "following_thw_mean >= 1 s", scope=Scope(0.0, 3.0)),
    requirement("W6", "speed_max <= 30 m/s", scope=Scope(1.0, 2.0)),
    requirement("W7", "ttc_min >= 1.5 s"),
    requirement("W8", "thw_min >= 0.5 s", scope=Scope(4.0, 4.5)),
]


def _evaluation():
    """Ego at 20 m/s closing on a lead that brakes hard at t = 2 s, on a route with a goal."""
    waypoints = np.stack([np.linspace(0.0, 400.0, 201), np.zeros(201)], axis=1)
    ctx = ScenarioContext(route=RoutePath.from_points(waypoints), goal=GoalRegion(390.0, 0.0, 5.0),
                          acc_set_speed=20.0)
    suite = MetricSuite(ctx, SCOPED)
    dt, x_ego, x_lead, v_lead = 0.01, 0.0, 40.0, 15.0
    for k in range(601):
        t = k * dt
        a_lead = -6.0 if 2.0 <= t < 4.0 else 0.0
        suite.observe(snapshot(t, k, entity("ego", x_ego, 0.0, speed=20.0, ego=True),
                               entity("lead", x_lead, 0.0, speed=v_lead, ax=a_lead)))
        x_ego += 20.0 * dt
        v_lead = max(0.0, v_lead + a_lead * dt)
        x_lead += v_lead * dt
    return suite, suite.finish()


@pytest.fixture(scope="module")
def run():
    return _evaluation()


def _eager(result: MetricResult) -> MetricResult:
    """The result as ``make_result`` built it before: every field a plain value, series as lists."""
    return MetricResult(**{f.name: copy.deepcopy(getattr(result, f.name)) for f in dataclasses.fields(result)})


def _bits(series) -> dict:
    return {k: tuple(tuple(struct.pack("<d", x).hex() for x in col) for col in tv) for k, tv in series.items()}


def test_results_are_lazy_and_read_as_lists(run):
    _, ev = run
    lazy = [r for r in ev.metrics.values() if "series" not in r.__dict__ and r.__dict__.get("_series_source")]
    assert len(lazy) >= 5   # safety, comfort, acc, route, kinematics at least
    for r in lazy:
        series = r.series
        assert "series" in r.__dict__ and series is r.series   # built once, then kept
        for name, (t, v) in series.items():
            assert type(t) is list and type(v) is list and len(t) == len(v)
            assert all(type(x) is float for x in v[:5])
            ta, va = r.series_arrays(name)
            assert np.array_equal(ta, np.asarray(t, float)) and np.array_equal(va, np.asarray(v, float), equal_nan=True)
        assert r.series_arrays("no such series") is None and not r.has_series("no such series")
    assert sum(len(t) for r in lazy for t, _ in r.series.values()) > 0


def test_lazy_equals_eager_everywhere():
    _, ev = _evaluation()
    for r in ev.metrics.values():
        untouched = pickle.loads(pickle.dumps(r))          # pickled before the lists exist: carries arrays
        assert "series" not in untouched.__dict__ or not untouched.__dict__.get("_series_source")
        eager = _eager(r)
        assert _bits(untouched.series) == _bits(eager.series) == _bits(r.series)
        assert r == eager and eager == r and repr(r) == repr(eager)
        assert dataclasses.asdict(r) == dataclasses.asdict(eager)
        assert dataclasses.replace(r, name="x").series == eager.series
        assert _bits(copy.deepcopy(r).series) == _bits(eager.series)
        again = pickle.loads(pickle.dumps(r))               # pickled after: carries both
        assert _bits(again.series) == _bits(eager.series)


def test_two_finishes_are_equal_with_nans():
    suite, ev = _evaluation()
    assert any(any(math.isnan(x) for x in v) for r in ev.metrics.values() for _, v in r.series.values())
    assert suite.finish() == ev   # NaN != NaN: the results share their lists' float objects


def test_verdicts_and_scores_from_arrays_equal_from_lists():
    suite, ev = _evaluation()
    lazy = {k: pickle.loads(pickle.dumps(r)) for k, r in ev.metrics.items()}   # not yet built: the array path
    eager = {k: _eager(r) for k, r in ev.metrics.items()}
    assert all("series" not in r.__dict__ for r in lazy.values() if r.__dict__.get("_series_source"))
    got, want = evaluate(SCOPED, lazy), evaluate(SCOPED, eager)
    assert got == want and tuple(got) == ev.verdicts
    assert {v.verdict.value for v in got} == {"pass", "fail"}
    assert scenario_scores(lazy) == scenario_scores(eager) == ev.scores
    assert leaderboard_score(lazy) == leaderboard_score(eager) == ev.leaderboard
    assert all("series" not in r.__dict__ for r in lazy.values() if r.__dict__.get("_series_source"))


@pytest.mark.parametrize("t_end", [-1.0, 0.0, 0.25, 0.3, 0.35, 10.0])
def test_leaderboard_completion_at_termination(t_end):
    """Completion is read at the terminating event from the series: the array path as the list path."""
    t = np.arange(8) * 0.1
    cols = SeriesColumns(t, {"completion": np.array([0.0, 1.0, 2.5, 2.5, np.nan, 4.0, 5.0, 6.0])})
    fields = dict(name="route_completion", scalars={"route_completion": 6.0},
                  events=(MetricEvent(t_end, "route_deviation"),))
    lazy = MetricResult.with_series_source(cols, **fields)
    eager = MetricResult(series=cols.lists(), **fields)
    got = leaderboard_score({"route_completion": lazy})
    assert "series" not in lazy.__dict__
    want = leaderboard_score({"route_completion": eager})
    assert got == want and got.terminated_by == "route_deviation"
    assert got.route_completion == (0.0 if t_end < 0 else {0.0: 0.0, 0.25: 2.5, 0.3: 2.5}.get(t_end, got.route_completion))


def test_a_taken_result_does_not_change_with_later_steps():
    rec = SeriesRecorder("a")
    rec.extend(np.array([0.0, 0.1]), a=np.array([1.0, 2.0]))
    cols = rec.snapshot()
    assert rec.snapshot() is cols                     # one object per length
    rec.extend(np.array([0.2]), a=np.array([3.0]))
    assert rec.snapshot() is not cols and cols.lists() == {"a": ([0.0, 0.1], [1.0, 2.0])}
    t, v = cols.arrays("a")
    with pytest.raises(ValueError):
        v[0] = 5.0                                    # read-only


def test_series_columns_pickle_drops_the_list_cache():
    cols = SeriesColumns(np.array([0.0, 1.0]), {"a": np.array([np.nan, -0.0])})
    first = cols.lists()
    back = pickle.loads(pickle.dumps(cols))
    assert back._lists is None and _bits(back.lists()) == _bits(first)
    assert not back.arrays("a")[1].flags.writeable


CASES = [
    [], [np.nan], [np.nan, np.nan], [1.0], [3.0, 1.0, 1.0, 2.0], [np.nan, 2.0, 1.0, 1.0, np.nan],
    [0.0, -0.0, 0.0], [-0.0, 0.0], [np.inf, np.nan, np.inf], [np.nan, np.inf], [np.nan, -np.inf],
    [-np.inf, -np.inf, 5.0], [np.inf, 2.0, np.inf],
]


@pytest.mark.parametrize("values", CASES + [list(np.random.default_rng(s).choice([0.0, 1.0, -1.0, np.nan, np.inf], 50))
                                            for s in range(20)])
@pytest.mark.parametrize("kind", ["min", "max"])
def test_extreme_index_as_numpy(values, kind):
    a = np.array(values, dtype=float)
    if a.size == 0 or np.all(np.isnan(a)):
        want = None
    else:
        want = int(np.nanargmin(a) if kind == "min" else np.nanargmax(a))
    rec = SeriesRecorder("v")
    rec.extend(np.arange(a.size) * 0.1, v=a)
    assert rec.extreme_index("v", kind) == want
    value, t = rec.extreme("v", kind)
    if want is None:
        assert value == (math.inf if kind == "min" else -math.inf) and t is None
    else:
        assert struct.pack("<d", value) == struct.pack("<d", float(a[want])) and t == float(np.arange(a.size)[want] * 0.1)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # inf - inf, 1e300²: the inputs are meant to
@pytest.mark.parametrize("seed", range(12))
def test_step_durations_and_nan_rms_as_numpy(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    t = np.cumsum(rng.choice([0.0, 0.01, 0.1, 1e-9], n)) + rng.uniform(-5, 5)
    if seed % 4 == 1:
        t[-1] = np.inf          # inf - inf: NaN as numpy gives it
    want = np.diff(t, append=t[-1])
    got = step_durations(t)
    assert got.dtype == want.dtype and got.tobytes() == want.tobytes()
    v = rng.choice([0.0, -0.0, 1.5, -2.25, np.nan, 1e300, np.inf], n)
    kept = v[~np.isnan(v)]
    old = float(np.sqrt(np.mean(kept * kept))) if kept.size else None
    new = nan_rms(v)
    assert (old is None and new is None) or struct.pack("<d", old) == struct.pack("<d", new)
    clean = v[~np.isnan(v)]
    if clean.size:   # no NaN: the fast path
        assert struct.pack("<d", nan_rms(clean)) == struct.pack("<d", float(np.sqrt(np.mean(clean * clean))))


def test_joined_columns_are_kept_without_a_copy_and_given_ones_are_copied():
    rec = SeriesRecorder("a")
    given = np.array([1.0, 2.0])
    rec.extend(np.array([0.0, 0.1]), a=given)
    cols = rec.snapshot()
    given[0] = 99.0                                   # the metric's array changes later: the result does not
    assert cols.arrays("a")[1].tolist() == [1.0, 2.0]
    rec.extend(np.array([0.2]), a=np.array([3.0]))
    joined = rec.array("a")
    assert not joined.flags.writeable and rec.snapshot().arrays("a")[1] is joined
