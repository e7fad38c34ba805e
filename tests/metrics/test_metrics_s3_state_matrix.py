"""The snapshot's state matrix (``WorldSnapshot.state_matrix``, ``from_state_matrix``): the native
engine's rows are its columns, a lazily built one says the same, and the metrics read either to the
same bit; the suite derives junction conflict zones only for a metric that needs them."""

from __future__ import annotations

import math
import pickle
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from metrics import MetricSuite, ScenarioContext, requirement
from metrics.block import StepBlock
from metrics_testkit import entity, snapshot
from simplatform.engine.entities import EntitySpec, EntityTable
from simplatform.opendrive import load_opendrive
from simplatform.world import FLOAT_COLUMNS, STATE_ROWS, EntityKind, LaneLocation, WorldSnapshot

MAPS = Path(__file__).resolve().parents[2] / "scenarios" / "maps"


def _table() -> EntityTable:
    specs = [EntitySpec("ego", EntityKind.VEHICLE, "car", 4.5, 1.9, 1.5, 1.4, 0.0, 0.75, is_ego=True),
             EntitySpec("a", EntityKind.VEHICLE, "car", 4.0, 1.8, 1.4),
             EntitySpec("walker", EntityKind.PEDESTRIAN, "pedestrian", 0.5, 0.6, 1.8),
             EntitySpec("b", EntityKind.VEHICLE, "truck", 9.0, 2.5, 3.0, 3.0)]
    t = EntityTable(specs)
    rng = np.random.default_rng(7)
    for name in STATE_ROWS[:12]:
        getattr(t, name)[:] = rng.normal(size=len(specs))
    t.set_lane(0, "12", -1, 33.25, 0.4, -1.35)
    t.set_lane(1, "7", 2, 1.5, -0.2, 5.0)
    t.set_lane(3, "12", -2, 40.0, 0.0, -5.25)   # the walker stays off road
    return t


def _assert_same_state(a: np.ndarray, b: np.ndarray) -> None:
    assert a.shape == b.shape and a.dtype == b.dtype == np.float64
    assert a.tobytes() == b.tobytes()   # bit for bit, NaN included


def test_engine_snapshot_columns_are_rows_of_its_state_matrix():
    t = _table()
    snap = t.snapshot(1.5, 30)
    m = snap.state
    assert m is not None and snap.state_matrix() is m and m.shape == (len(STATE_ROWS), 4)
    for k, name in enumerate(STATE_ROWS[:12]):
        col = getattr(snap, name)
        assert np.shares_memory(col, m) and col.tobytes() == m[k].tobytes()
        assert col.tobytes() == getattr(t, name).tobytes()
        assert not np.shares_memory(col, getattr(t, name))   # a copy of the table, as before
    lanes = snap.lanes
    assert lanes[2] is None and snap.lane_road_ids() == ("12", "7", None, "12")
    for i, loc in enumerate(lanes):
        got = m[STATE_ROWS.index("lane_s"):, i]
        if loc is None:
            assert np.isnan(got).all()
        else:
            assert (got[0], got[1], got[2]) == (loc.s, loc.t, loc.lane_id)
    # the same snapshot rebuilt from its columns and lanes: the lazily built matrix is identical
    lazy = replace(snap, x=snap.x.copy())
    assert lazy.state is None and lazy.lane_roads is None
    _assert_same_state(lazy.state_matrix(), m)
    assert lazy.lane_road_ids() == snap.lane_road_ids()


def test_inactive_rows_are_left_out_of_the_matrix_and_the_road_ids():
    t = _table()
    t.set_active(1, False)
    snap = t.snapshot(0.0, 0)
    assert snap.names == ("ego", "walker", "b") and snap.lane_road_ids() == ("12", None, "12")
    _assert_same_state(snap.state, WorldSnapshot.from_states(0.0, 0, list(snap.entities())).state_matrix())
    for name in STATE_ROWS[:12]:
        assert np.shares_memory(getattr(snap, name), snap.state)


def test_replace_drops_a_matrix_that_no_longer_matches_and_the_lazy_one_follows_the_columns():
    snap = _table().snapshot(0.0, 0)
    moved = replace(snap, x=snap.x + 1.0, lanes=(None,) * 4)
    assert moved.state is None
    m = moved.state_matrix()
    assert m[0].tobytes() == (snap.x + 1.0).tobytes() and np.isnan(m[12:]).all()
    assert moved.lane_road_ids() == (None,) * 4
    assert moved.state_matrix() is m   # built once


def test_from_state_matrix_rejects_a_matrix_of_the_wrong_shape_or_type():
    snap = _table().snapshot(0.0, 0)
    box = {name: getattr(snap, name) for name in FLOAT_COLUMNS[12:]}
    args = (0.0, 0, snap.names, snap.kinds, snap.categories)
    rest = (box, snap.lanes, snap.lane_road_ids(), snap.visible)
    with pytest.raises(ValueError, match="expected"):
        WorldSnapshot.from_state_matrix(*args, snap.state[:12].copy(), *rest)
    with pytest.raises(ValueError, match="float64"):
        WorldSnapshot.from_state_matrix(*args, snap.state.astype(np.float32), *rest)


def test_an_empty_snapshot_has_an_empty_matrix():
    empty = WorldSnapshot.from_states(0.0, 0, [])
    assert empty.state_matrix().shape == (len(STATE_ROWS), 0) and empty.lane_road_ids() == ()


def _with_matrix(snap: WorldSnapshot) -> WorldSnapshot:
    """The same snapshot as the native engine hands it over (columns are views of the matrix)."""
    box = {name: getattr(snap, name) for name in FLOAT_COLUMNS[12:]}
    return WorldSnapshot.from_state_matrix(
        snap.time, snap.step, snap.names, snap.kinds, snap.categories, snap.state_matrix().copy(), box,
        snap.lanes, snap.lane_road_ids(), snap.visible, ego=snap.ego, signals=snap.signals,
        collisions=snap.collisions, environment=snap.environment)


def _weaving_run(steps: int = 300) -> list[WorldSnapshot]:
    """The ego weaves across the lane line and off the road and back (some steps without a lane),
    closing on a car ahead that it touches for a while; a third car overtakes."""
    out = []
    for k in range(steps):
        t = k * 0.01
        y = -1.75 + 4.0 * math.sin(t * 3.0)
        lane = LaneLocation("1", -1 if y < 0 else 1, 10.0 + 12.0 * t, y + 1.75) if y < 1.5 else None
        ego = entity("ego", 10.0 + 12.0 * t, y, heading=0.3 * math.cos(t * 3.0), speed=12.0, ax=0.5 * math.sin(t),
                     yaw_rate=0.1, lane=lane, ego=True)
        lead = entity("lead", 20.0 + 8.0 * t, -1.75, speed=8.0, lane=LaneLocation("1", -1, 20.0 + 8.0 * t, 0.0))
        fast = entity("fast", 0.0 + 20.0 * t, -5.25, speed=20.0)
        out.append(snapshot(t, k, ego, lead, fast, collisions=(("ego", "lead"),) if 150 <= k < 160 else (),
                            environment={"sun_elevation": 0.4}))
    return out


def test_block_columns_and_ego_lanes_are_the_same_from_the_matrix():
    plain = _weaving_run()
    engine = [_with_matrix(s) for s in _weaving_run()]   # state_matrix() would keep a matrix in the plain ones
    ctx = ScenarioContext()
    a, b = StepBlock(plain, ctx, None), StepBlock(engine, ctx, None)
    assert a.state is None and b.state is not None and b.state.shape == (len(plain), len(STATE_ROWS), 3)
    for name in STATE_ROWS[:12] + FLOAT_COLUMNS[12:]:
        x, y = a.col(name), b.col(name)
        assert x.tobytes() == y.tobytes() and x.shape == y.shape and y.flags.c_contiguous, name
    fresh_a, fresh_b = StepBlock(plain, ctx, None), StepBlock(engine, ctx, None)   # ego columns without the stacked ones
    for name in ("x", "y", "heading", "speed", "ax", "ay", "yaw_rate", "vx", "vy"):
        x, y = fresh_a.ego_col(name), fresh_b.ego_col(name)
        assert x.tobytes() == y.tobytes() and y.flags.c_contiguous, name
    la, lb = a.ego_lanes, b.ego_lanes
    assert not la[0].all() and la[0].any()   # the weave leaves the lanes and comes back
    assert la[0].tobytes() == lb[0].tobytes() and list(la[1]) == list(lb[1])
    for x, y in zip(la[2:], lb[2:]):
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes()


def test_suite_results_are_identical_with_and_without_the_matrix(road):
    plain = _weaving_run()
    engine = [_with_matrix(s) for s in _weaving_run()]   # state_matrix() would keep a matrix in the plain ones
    results = []
    for snaps in (plain, engine):
        suite = MetricSuite(ScenarioContext(road=road))
        for s in snaps:
            suite.observe(s)
        ev = suite.finish()
        results.append(pickle.dumps((ev.metrics, ev.verdicts, ev.scores, ev.coverage, ev.events)))
        assert ev.metrics["collision"].scalars["collisions"] >= 1   # the run does exercise the contact rules
    assert results[0] == results[1]


@pytest.fixture(scope="module")
def junction_4way():
    return load_opendrive(MAPS / "junction_4way.xodr")


def test_conflict_zones_are_derived_only_for_a_metric_that_needs_them(junction_4way):
    lean = MetricSuite(ScenarioContext(road=junction_4way), all_metrics=False)
    assert lean.context.conflict_zones == () and "post_encroachment" not in {m.name for m in lean.metrics}
    asked = MetricSuite(ScenarioContext(road=junction_4way), [requirement("R1", "pet_min >= 1.0 s")], all_metrics=False)
    assert asked.context.conflict_zones and "post_encroachment" in {m.name for m in asked.metrics}
    full = MetricSuite(ScenarioContext(road=junction_4way))
    assert full.context.conflict_zones == asked.context.conflict_zones


def test_a_lanes_tuple_shorter_than_the_entities_leaves_the_rest_off_road():
    snap = _table().snapshot(0.0, 0)
    short = replace(snap, lanes=snap.lanes[:1])
    m = short.state_matrix()
    assert m[12:, 0].tolist() == [33.25, 0.4, -1.0] and np.isnan(m[12:, 1:]).all()
    assert short.lane_road_ids() == ("12", None, None, None)


def test_from_state_matrix_sets_the_fields_as_the_dataclass_constructor_does():
    from dataclasses import fields
    snap = _table().snapshot(2.0, 40, signals={"S": "red"}, collisions=(("ego", "a"),), environment={"k": 1.0})
    built = WorldSnapshot(**{f.name: getattr(snap, f.name) for f in fields(WorldSnapshot) if f.init})
    # the same fields in the same order (pickles alike); the matrix and road ids after them, as
    # state_matrix() adds them to a snapshot built by the constructor
    assert list(vars(snap)) == list(vars(built)) + ["state", "lane_roads"]
    for name, value in vars(built).items():
        assert getattr(snap, name) is value, name
    assert pickle.loads(pickle.dumps(snap)).lanes == snap.lanes
    box = {name: getattr(snap, name) for name in FLOAT_COLUMNS[12:]}
    bare = WorldSnapshot.from_state_matrix(0.0, 0, snap.names, snap.kinds, snap.categories, snap.state, box,
                                           snap.lanes, snap.lane_road_ids(), snap.visible)
    assert (bare.ego, bare.signals, bare.collisions, bare.environment) == (None, {}, (), {})
    with pytest.raises(TypeError, match="unexpected"):
        WorldSnapshot.from_state_matrix(0.0, 0, snap.names, snap.kinds, snap.categories, snap.state, box,
                                        snap.lanes, snap.lane_road_ids(), snap.visible, egg="ego")


def test_the_engine_lane_locations_are_ordinary_lane_locations():
    loc = _table().snapshot(0.0, 0).lanes[0]
    made = LaneLocation("12", -1, 33.25, 0.4)
    assert loc == made and hash(loc) == hash(made) and repr(loc) == repr(made)
    assert list(vars(loc).items()) == list(vars(made).items())
    assert pickle.dumps(loc) == pickle.dumps(made)


def test_a_block_of_snapshots_whose_matrix_was_built_lazily_reads_the_same():
    plain = _weaving_run(120)
    lazy = _weaving_run(120)
    for snap in lazy:
        snap.state_matrix()
    assert all(s.lane_roads is not None for s in lazy)
    a, b = StepBlock(plain, ScenarioContext(), None), StepBlock(lazy, ScenarioContext(), None)
    assert a.state is None and b.state is not None
    for x, y in zip(a.ego_lanes[2:], b.ego_lanes[2:]):
        assert x.tobytes() == y.tobytes()
    assert a.col("vx").tobytes() == b.col("vx").tobytes()
