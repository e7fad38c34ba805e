"""The fast paths of the block evaluation give what the plain numpy expressions they replace give.

Column stacking by buffer join, the compiled lane-frame corner check, the stop-line broad phase and
the one-road fast paths must change nothing but the cost: each is checked here against the
straightforward computation, bit for bit where the old code was numpy.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from metrics_testkit import entity, run

from metrics import MetricSuite, ScenarioContext, StopLine, road_kernels, signals
from metrics import suite as suite_module
from metrics.block import stack_rows
from metrics.road_block import LATERAL_GUARD, RoadView
from simplatform.results import MetricEvent


# ------------------------------------------------------------------ stack_rows
def test_stack_rows_is_np_stack_for_every_kind_of_row():
    rng = np.random.default_rng(3)
    floats = [rng.normal(size=5) for _ in range(7)]
    assert np.array_equal(stack_rows(floats), np.stack(floats))
    shared = rng.normal(size=5)
    out = stack_rows([shared] * 4)
    assert np.array_equal(out, np.tile(shared, (4, 1))) and out.flags.c_contiguous
    # an int64 row has a float64's item size: its bits must be converted, never reinterpreted
    mixed = floats[:3] + [np.arange(5)] + floats[3:]
    assert np.array_equal(stack_rows(mixed), np.stack(mixed).astype(float))
    strided = [rng.normal(size=10)[::2] for _ in range(3)]
    assert np.array_equal(stack_rows(strided), np.stack(strided))
    out = stack_rows(floats)
    out[0, 0] = 1.0   # writable, like the np.concatenate result it replaces


# ------------------------------------------------------- lane-frame corner check
def _reference_corner_check(rows, corners, ref_x, ref_y, heading, kappa, s, t, low, high, length):
    """The numpy expressions the compiled kernel replaced (metrics.road_block before it)."""
    c, n = np.cos(heading[rows]), np.sin(heading[rows])
    rx, ry = corners[rows, :, 0] - ref_x[rows][:, None], corners[rows, :, 1] - ref_y[rows][:, None]
    u = rx * c[:, None] + ry * n[:, None]
    tc = t[rows][:, None] + ry * c[:, None] - rx * n[:, None]
    m = np.minimum(tc - low[rows][:, None], high[rows][:, None] - tc)
    k_abs = np.abs(kappa[rows])[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        bend = np.where(k_abs > 0, k_abs * u * u / (2 * np.maximum(1 - k_abs * np.abs(tc), 1e-9)), 0.0)
        su = s[rows][:, None] + u
        ok = (np.all(m > 2 * bend + LATERAL_GUARD, axis=1) & np.all(su >= 0, axis=1)
              & np.all(su <= length, axis=1) & np.all(k_abs * np.abs(tc) < 0.5, axis=1))
    margin = np.full(rows.size, np.nan)
    margin[ok] = m[ok].min(axis=1)
    return ok, margin


def test_compiled_corner_check_matches_the_numpy_expressions_bit_for_bit():
    rng = np.random.default_rng(7)
    T = 400
    heading = rng.uniform(-math.pi, math.pi, T)
    ref_x, ref_y = rng.uniform(-50, 50, T), rng.uniform(-50, 50, T)
    corners = np.stack([ref_x, ref_y], axis=-1)[:, None, :] + rng.normal(scale=2.5, size=(T, 4, 2))
    kappa = np.where(rng.random(T) < 0.3, 0.0, rng.normal(scale=0.05, size=T))
    s, t = rng.uniform(-2, 120, T), rng.normal(scale=2.0, size=T)
    low, high = t - rng.uniform(0, 4, T), t + rng.uniform(0, 4, T)
    low[rng.random(T) < 0.05] = np.nan                  # a lane without borders at s
    kappa[rng.random(T) < 0.05] = np.nan
    rows = np.flatnonzero(rng.random(T) < 0.8)
    ok = np.zeros(T, dtype=bool)
    margin = np.full(T, np.nan)
    road_kernels.lane_frame_corners(rows, corners, ref_x, ref_y, np.cos(heading), np.sin(heading), kappa, s, t,
                                    low, high, 100.0, LATERAL_GUARD, ok, margin)
    want_ok, want_margin = _reference_corner_check(rows, corners, ref_x, ref_y, heading, kappa, s, t, low, high, 100.0)
    assert 0 < want_ok.sum() < rows.size                 # both outcomes are exercised
    assert np.array_equal(ok[rows], want_ok)
    assert np.array_equal(margin[rows], want_margin, equal_nan=True)
    assert not ok[np.setdiff1d(np.arange(T), rows)].any()


# ---------------------------------------------------------- stop-line broad phase
def _stop_line_scene(t: float):
    """The ego drives +x at 10 m/s, stops at 2 s for a second (short of line A), then goes on."""
    x = 10 * min(t, 2.0) + 10 * max(t - 3.0, 0.0)
    v = 0.0 if 2.0 <= t < 3.0 else 10.0
    return [entity("ego", 10 + x, -1.75, speed=v, ego=True)], {"signals": {"S": "red" if t < 5 else "green"}}


LINES = (
    StopLine("A", (34.0, -3.5), (34.0, 0.0), 0.0, kind="stop"),            # stopped before, then crossed
    StopLine("B", (45.0, -3.5), (45.0, 0.0), 0.0, signal_id="S"),           # crossed on red
    StopLine("far", (400.0, -3.5), (400.0, 0.0), 0.0, signal_id="S"),       # never within reach
    StopLine("skew", (30.0, -60.0), (300.0, -58.0), 0.0, signal_id="S"),   # along the travel direction
    StopLine("back", (25.0, -3.5), (25.0, 0.0), math.pi, signal_id="S"),    # the other way's line
)


@pytest.mark.parametrize("block_steps", [3, 500])
def test_stop_lines_out_of_reach_are_skipped_without_changing_a_result(monkeypatch, block_steps):
    monkeypatch.setattr(suite_module, "BLOCK_STEPS", block_steps)
    skipped: list[bool] = []
    apart = signals._PathBox.apart

    def counting(self, line):
        skipped.append(apart(self, line))
        return skipped[-1]

    monkeypatch.setattr(signals._PathBox, "apart", counting)
    fast = run(MetricSuite(ScenarioContext(stop_lines=LINES)), _stop_line_scene, t_end=6.0)
    monkeypatch.setattr(signals._PathBox, "apart", lambda self, line: False)
    full = run(MetricSuite(ScenarioContext(stop_lines=LINES)), _stop_line_scene, t_end=6.0)
    assert any(skipped) and not all(skipped)
    a, b = fast.metrics["traffic_control"], full.metrics["traffic_control"]
    assert a.scalars == b.scalars and a.events == b.events
    assert a.scalars["red_light_violations"] == 1 and a.scalars["stop_sign_violations"] == 0


def test_a_line_along_the_travel_direction_is_never_skipped():
    reach = signals._LineReach.of((0.0, 0.0), (100.0, 0.0), (1.0, 0.0))
    path = signals._PathBox.of(np.array([0.0, 1.0]), np.array([500.0, 500.0]), (math.nan, math.nan), 4.0)
    assert reach.slope == 0.0 and not path.apart(reach)
    square = signals._LineReach.of((0.0, -5.0), (0.0, 5.0), (1.0, 0.0))
    assert signals._PathBox.of(np.array([-40.0, -30.0]), np.array([0.0, 0.0]), (math.nan, math.nan), 4.0).apart(square)
    assert not signals._PathBox.of(np.array([-40.0, -30.0]), np.array([0.0, 0.0]), (-2.0, 0.0), 4.0).apart(square)


# ------------------------------------------------------------ road codes
def test_road_codes_are_stable_and_distinct(road):
    view = RoadView(road)
    assert view.codes(("1", "1", "1")).tolist() == [0, 0, 0]
    assert view.codes(["2", "1", "2"]).tolist() == [1, 0, 1]
    assert view.codes(("2",) * 3).tolist() == [1, 1, 1] and view.names == ["1", "2"]


# ----------------------------------------------- lane attributes per s-interval
@pytest.mark.parametrize("map_name", ["highway_on_ramp", "urban_corridor"])
def test_cached_lane_types_and_speed_limits_equal_the_road_model(map_name):
    from pathlib import Path

    from simplatform.opendrive import load_opendrive

    net = load_opendrive(Path(__file__).resolve().parents[2] / "scenarios" / "maps" / f"{map_name}.xodr")
    view = RoadView(net)
    rng = np.random.default_rng(11)
    cached = 0
    for rid in net.road_id_list:
        length = net.roads[rid].length
        starts = [sec.s for sec in net.roads[rid].lane_sections]
        for lane in net.lane_ids(rid, 0.0):
            # runs of s as a block sees them: short spans, some across or right at a record's start
            for centre in [*rng.uniform(0, length, 3), *starts[1:]]:
                s = np.clip(centre + np.sort(rng.uniform(-0.5, 0.5, 6)), 0.0, length)
                lanes = np.full(s.size, lane)
                for _ in range(2):   # the second time from the cache
                    assert view.lane_types(rid, lanes, s) == [t or None for t in net.lane_types_many(rid, lanes, s)]
                    assert np.array_equal(view.speed_limits(rid, lanes, s), net.speed_limits_many(rid, lanes, s),
                                          equal_nan=True)
                cached += view._interval_key(rid, lanes, s, "type") is not None
    assert cached > 0


def test_row_argmin_answers_as_np_argmin():
    from metrics import kernels

    rng = np.random.default_rng(5)
    a = rng.integers(0, 4, size=(300, 6)).astype(float)        # many ties
    a[rng.random(a.shape) < 0.2] = np.inf
    a[rng.random(a.shape) < 0.05] = np.nan
    a[:3] = [np.inf] * 6, [np.nan] * 6, [np.inf, np.nan, 0.0, np.nan, -1.0, -1.0]
    index, value = kernels.row_argmin(a)
    want = np.argmin(a, axis=1)
    assert np.array_equal(index, want)
    assert np.array_equal(value, a[np.arange(len(a)), want], equal_nan=True)


# --------------------------------------------------------- collision quiet steps
def _bumping_scene(t: float):
    """The ego nudges a slower car twice (5 s apart, so both count), drives 6 m on and back; two
    parked cars overlap all along; a third car is reported in contact by the backend for a while."""
    ego_x = 10 + 4 * t if t < 6 else 34 - 2 * (t - 6)
    lead_x = 14.2 + 3 * t if t < 3 else (23.2 + 4.5 * (t - 3) if t < 6 else 36.7)
    states = [entity("ego", ego_x, -1.75, speed=4.0 if t < 6 else -2.0, ego=True),
              entity("lead", lead_x, -1.75, speed=3.0),
              entity("p1", 60, -5.25), entity("p2", 63, -5.25), entity("p3", 90, 1.75)]
    reported = (("p3", "p1"),) if 2 < t < 4 else ()
    return states, {"collisions": reported}


@pytest.mark.parametrize("block_steps", [3, 1000])
def test_collision_rules_skip_quiet_steps_without_changing_a_result(monkeypatch, block_steps):
    from metrics.safety import CollisionMetric

    monkeypatch.setattr(suite_module, "BLOCK_STEPS", block_steps)
    fast = run(MetricSuite(ScenarioContext()), _bumping_scene, t_end=12.0).metrics["collision"]
    # every step through ``_step`` (the compiled pass, ``_rules``, declines every block)
    monkeypatch.setattr(CollisionMetric, "_rules", lambda self, block, pairs, box, runs: False)
    every = run(MetricSuite(ScenarioContext()), _bumping_scene, t_end=12.0).metrics["collision"]
    assert fast.scalars == every.scalars and fast.events == every.events and fast.worst_time == every.worst_time
    assert fast.scalars["collisions"] >= 2 and fast.scalars["collisions_all"] >= 3


# ---------------------------------------------------------------- blocked
def _stop_and_go(t: float):
    """The ego stops three times: behind a slow car (a reason), at a red line (a reason) and in the
    open for 3.5 s (blocked; beyond a 3 s limit); the leader pulls away in between."""
    if t < 2:
        x, v = 10 + 5 * t, 5.0
    elif t < 4:
        x, v = 20.0, 0.0
    elif t < 6:
        x, v = 20 + 5 * (t - 4), 5.0
    elif t < 8:
        x, v = 30.0, 0.0
    elif t < 9:
        x, v = 30 + 5 * (t - 8), 5.0
    elif t < 12.5:
        x, v = 35.0, 0.0
    else:
        x, v = 35 + 5 * (t - 12.5), 5.0
    lead_x = 26.0 if t < 4 else 26 + 10 * (t - 4)
    return ([entity("ego", x, -1.75, speed=v, ego=True), entity("lead", lead_x, -1.75, speed=0.0 if t < 4 else 10.0)],
            {"signals": {"S": "red" if t < 8.5 else "green"}})


class _StepByStepBlocked:
    """The blocked metric's rules one step at a time (as it was written before the block form)."""

    def __init__(self, metric) -> None:
        self.m = metric

    def observe_block(self, block) -> None:
        from metrics.function import STOP_SPEED

        m = self.m
        still = np.abs(block.ego_col("speed")) < STOP_SPEED
        blocked = still.copy()
        times = block.times.tolist()
        for k, is_still in enumerate(still.tolist()):
            if is_still:
                if m._still_since is None:
                    m._still_since = times[k]
                if not m._flagged and times[k] - m._still_since >= m._max_time:
                    m._flagged = True
                    m.events.append(MetricEvent(times[k], "blocked", (), times[k] - m._still_since,
                                                f"standstill since t={m._still_since:.2f} s"))
            else:
                m._still_since, m._flagged = None, False
        for k in np.flatnonzero(blocked).tolist():
            lead = block.entities > 1 and block.neighbours.lead_gap[k] < m._gap
            blocked[k] = not (lead or m._line_reason(block, k))
        m.series.extend(block.times, blocked=blocked.astype(float))


@pytest.mark.parametrize("block_steps", [3, 1000])
def test_blocked_standstills_as_a_block_match_the_step_by_step_rules(monkeypatch, block_steps):
    from metrics.function import BlockedMetric

    monkeypatch.setattr(suite_module, "BLOCK_STEPS", block_steps)
    ctx = ScenarioContext(stop_lines=(StopLine("L", (34.5, -3.5), (34.5, 0.0), 0.0, signal_id="S"),),
                          thresholds={"blocked_max_time": 3.0, "blocked_reason_gap": 10.0})
    fast = run(MetricSuite(ctx), _stop_and_go, t_end=14.0).metrics["blocked"]
    monkeypatch.setattr(BlockedMetric, "observe_block", lambda self, block: _StepByStepBlocked(self).observe_block(block))
    steps = run(MetricSuite(ctx), _stop_and_go, t_end=14.0).metrics["blocked"]
    assert fast.scalars == steps.scalars and fast.events == steps.events and fast.series == steps.series
    assert fast.scalars["blocked_events"] == 1 and fast.scalars["blocked_time"] == pytest.approx(3.5, abs=0.02)


def test_warmup_runs_every_top_level_kernel():
    from metrics import kernels, road_kernels, warmup

    warmup.warm_up()
    for f in (kernels.block_corners, kernels._contact_pass, kernels.ego_pairs, kernels.route_path_ttc,
              kernels.route_progress, kernels.in_route, kernels.route_tangents, kernels.row_argmin,
              road_kernels.lane_frame_corners):
        assert f.signatures, f.__name__


def test_a_contact_ending_at_a_block_boundary_ends_there(monkeypatch):
    # the pair touches for the first block only, again 6 s later: two onsets (5 s apart or more)
    monkeypatch.setattr(suite_module, "BLOCK_STEPS", 5)

    def scene(t: float):
        touching = t < 0.045 or 6.0 <= t < 6.1
        return [entity("ego", 0.0, 0.0, ego=True), entity("a", 50.0, 0.0), entity("b", 80.0, 0.0)], \
            {"collisions": (("a", "b"),) if touching else ()}

    result = run(MetricSuite(ScenarioContext()), scene, t_end=7.0).metrics["collision"]
    assert [e.time for e in result.events if e.kind == "collision_any"] == pytest.approx([0.0, 6.0])
