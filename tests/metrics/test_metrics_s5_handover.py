"""Metric blocks keep columns, not snapshots (issue #7): for the native engine's snapshots the
suite keeps only each step's time, step and visibility array and, once per change, the fields
that snapshots share; the snapshot dies when the engine drops it, and ``block.snapshots[k]`` is
rebuilt on demand, equal in every field to the one observed."""

from __future__ import annotations

import gc
import math
import weakref
from dataclasses import fields

import numpy as np
import pytest

from metrics import MetricSuite, ScenarioContext
from metrics.base import Metric, metric_classes
from metrics.block import StepBlock
from metrics.block_buffer import _GATHERED, _SHARED, BlockBuffer, BlockSnapshots
from metrics import suite as suite_module
from simplatform.engine.entities import EntitySpec, EntityTable
from simplatform.results import MetricResult
from simplatform.state_arena import StateArena, state_arena_slots
from simplatform.world import FLOAT_COLUMNS, EntityKind, StateLanes, WorldSnapshot
from metrics_testkit import off_arena


def _table(n: int = 4) -> EntityTable:
    specs = [EntitySpec("ego", EntityKind.VEHICLE, "car", 4.5, 1.9, 1.5, 1.4, 0.0, 0.75, is_ego=True)]
    specs += [EntitySpec(f"car{i}", EntityKind.VEHICLE, "car", 4.0 + 0.1 * i, 1.8, 1.4) for i in range(1, n)]
    return EntityTable(specs)


def _engine_run(table: EntityTable, steps: int, *, start: int = 0):
    """Snapshots as the engine makes them, with every shared field changing now and then: a contact
    that comes and goes (collisions), an entity leaving the road (road ids), a signal changing
    colour and the fog thickening (each a new object at its change, the same one in between)."""
    n = len(table)
    x0 = np.arange(n) * 9.0
    contact = (("ego", "car1"),)
    signals = {"S1": "green"}
    environment = {"road_friction": 1.0}
    for k in range(start, start + steps):
        t = k * 0.01
        table.x[:] = x0 + np.array([12.0] + [8.0] * (n - 1)) * t
        table.y[:] = -1.75 + 0.3 * np.sin(t + np.arange(n))
        table.heading[:] = 0.05 * np.cos(t * 3.0 + np.arange(n))
        table.speed[:] = [12.0] + [8.0] * (n - 1)
        table.ax[:] = 0.5 * math.sin(t)
        table.set_velocity_from_speed()
        table.visible[:] = (k // 40) % 2 == 0 or np.arange(n) != 3
        for i in range(n):
            if i == 2 and (k // 25) % 3 == 0:
                table.set_lane(i, None, 0, 0.0, 0.0, 0.0)
            else:
                table.set_lane(i, "1", -1, float(table.x[i]), float(table.y[i] + 1.75), float(table.y[i]))
        if k % 60 == 0:
            signals = {"S1": "red" if (k // 60) % 2 else "green"}
        if k % 170 == 0:
            environment = {"road_friction": 1.0, "fog_visual_range_m": 1000.0 - k}
        touching = table.x[1] - table.x[0] < 4.2 or (k // 30) % 4 == 1
        yield table.snapshot(t, k, signals=signals, collisions=contact if touching else (), environment=environment)


def _assert_same_snapshot(got: WorldSnapshot, want: WorldSnapshot) -> None:
    """Equal in every field: the same objects, but ``lanes`` (equal, a StateLanes over the same matrix)."""
    for f in fields(WorldSnapshot):
        a, b = getattr(got, f.name), getattr(want, f.name)
        if f.name == "lanes":
            assert a == b and tuple(a) == tuple(b)
        elif isinstance(b, np.ndarray):
            assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), f.name
            assert np.shares_memory(a, b) or a is b, f.name
        else:
            assert a is b, f.name
    assert got.state is want.state and got.lane_roads is want.lane_roads
    assert sorted(got.__dict__) == sorted(want.__dict__)


def _results(snaps, suite=None) -> bytes:
    suite = suite or MetricSuite(ScenarioContext())
    for s in snaps:
        suite.observe(s)
    ev = suite.finish()
    # repr: every float exactly (shortest round trip), series included; pickle's bytes would also
    # depend on which equal floats happen to be one object
    return repr((sorted(ev.metrics.items()), ev.verdicts, ev.scores, ev.coverage, ev.events)).encode()


def test_the_suite_keeps_no_engine_snapshot_alive():
    suite = MetricSuite(ScenarioContext())
    refs = []
    enabled = gc.isenabled()
    gc.disable()
    try:
        for s in _engine_run(_table(), 300):
            suite.observe(s)
            refs.append(weakref.ref(s))
            del s
        buffer = suite._buffer
        assert buffer.slots is not None and len(buffer) == 300 and suite.steps == 300
        # the last one is still held by the table's generator frame at most; the rest are gone
        assert sum(r() is not None for r in refs[:-1]) == 0
    finally:
        if enabled:
            gc.enable()


def test_the_fast_path_keeps_the_time_step_and_visibility_of_each_step_and_the_shared_fields_once():
    suite = MetricSuite(ScenarioContext())
    snaps = list(_engine_run(table := _table(), 400))
    for s in snaps:
        suite.observe(s)
    buffer = suite._buffer
    assert buffer.slots is not None and buffer.snapshots == [] and buffer.gathered == []
    assert all(a is s.time for a, s in zip(buffer.times, snaps)) and buffer.steps == [s.step for s in snaps]
    assert all(a is s.visible for a, s in zip(buffer.visibles, snaps))
    starts = [0] + [k for k in range(1, len(snaps)) if any(getattr(snaps[k], f) is not getattr(snaps[k - 1], f)
                                                           for f in _SHARED)]
    assert [k for k, _ in buffer.changes] == starts and 3 < len(starts) < 100
    for k, shared in buffer.changes:
        assert all(a is getattr(snaps[k], f) for a, f in zip(shared, _SHARED))


def test_rebuilt_snapshots_equal_the_observed_ones_in_every_field():
    table = _table(5)
    suite = MetricSuite(ScenarioContext())
    blocks = []
    original = suite_module.MetricSuite.flush

    def flush(self):
        if len(self._buffer):
            blocks.append(StepBlock(None, self.context, None, gathered=self._buffer))
        original(self)

    suite.flush = flush.__get__(suite)
    snaps = []
    for k, s in enumerate(_engine_run(table, 500)):   # observed as made: the arena's writer still holds it
        snaps.append(s)
        suite.observe(s)
        if k == 149:
            table.set_active(3, False)   # a subset of rows: another arena, another block
    suite.finish()
    assert [b.size for b in blocks] == [150, 350]
    k0 = 0
    for block in blocks:
        assert isinstance(block.snapshots, BlockSnapshots) and len(block.snapshots) == block.size
        for k in range(block.size):
            _assert_same_snapshot(block.snapshots[k], snaps[k0 + k])
            assert block.lanes_at(k) == snaps[k0 + k].lanes
        assert block.snapshots[-1] is block.snapshots[block.size - 1]   # built once, kept
        assert [s.step for s in block.snapshots[3:9:2]] == [snaps[k0 + k].step for k in (3, 5, 7)]
        with pytest.raises(IndexError):
            block.snapshots[block.size]
        assert isinstance(block.snapshots[0].lanes, StateLanes)
        for name in _GATHERED + ("signals", "kinds", "categories", "visible", "step", "x", "lanes"):
            want = [getattr(s, name) for s in snaps[k0:k0 + block.size]]
            got = block.each(name)
            assert len(got) == len(want)
            if name == "x":   # a view of the same row of the same matrix
                assert all(np.shares_memory(a, b) and a.tobytes() == b.tobytes() for a, b in zip(got, want))
            elif name == "lanes":   # equal, built over the same matrix
                assert all(a == b for a, b in zip(got, want))
            else:
                assert all(a is b for a, b in zip(got, want)), name
        assert block.kinds is snaps[k0].kinds and block.names is snaps[k0].names
        k0 += block.size


def _side_by_side(steps: int) -> tuple[bytes, bytes, int]:
    """One run observed as made by two suites: one gets the engine's snapshots (arena steps, every
    arena still held by its writer), the other copies of them (kept snapshots); and how many of the
    first suite's steps were arena steps."""
    arena_suite, copy_suite = MetricSuite(ScenarioContext()), MetricSuite(ScenarioContext())
    arena_steps = 0
    flush = arena_suite.flush

    def counting_flush():
        nonlocal arena_steps
        if arena_suite._buffer.slots is not None:
            arena_steps += len(arena_suite._buffer)
        flush()

    arena_suite.flush = counting_flush
    table = _table()
    for s in _engine_run(table, steps):
        arena_suite.observe(s)
        copy_suite.observe(off_arena(s))
    return _results((), arena_suite), _results((), copy_suite), arena_steps


def test_results_are_identical_from_arena_steps_and_from_kept_snapshots():
    steps = 2 * state_arena_slots(4) + 130   # three arenas, three blocks
    got, want, arena_steps = _side_by_side(steps)
    assert got == want and arena_steps == steps


def test_a_frame_metric_sees_the_observed_snapshots():
    """``block.frames()`` (metrics written against ``Metric.observe``) rebuilds every step."""
    seen: list[WorldSnapshot] = []

    class Recorder(Metric):
        name = "recorder_s5"
        scalars = ()

        def observe(self, frame) -> None:
            seen.append(frame.snapshot)
            assert frame.snapshot.signals["S1"] in ("red", "green")

        def result(self) -> MetricResult:
            return MetricResult(self.name, {}, {}, ())

    snaps = list(_engine_run(table := _table(), 260))
    suite = MetricSuite(ScenarioContext(), all_metrics=False)
    suite.metrics.append(Recorder(suite.context))
    for s in snaps:
        suite.observe(s)
    suite.finish()
    assert len(seen) == len(snaps)
    for got, want in zip(seen, snaps):
        _assert_same_snapshot(got, want)
    assert "recorder_s5" not in metric_classes()


@pytest.mark.parametrize("how", ["copy mid-block", "equal names", "many runs"])
def test_a_block_that_stops_following_on_is_kept_as_snapshots_from_then_on(how):
    table = _table()
    snaps = list(_engine_run(table, 300))
    if how == "copy mid-block":
        order = snaps[:120] + [off_arena(snaps[120])] + snaps[121:]
    elif how == "equal names":   # the same entities in another tuple, in an arena of their own: kept as
        other = snaps[120]        # snapshots from then on, the same block
        names = tuple(list(other.names))
        arena = StateArena(names, other.ego)
        state = arena.write(list(other.state))
        order = snaps[:120] + [WorldSnapshot.from_state_matrix(
            other.time, other.step, names, other.kinds, other.categories, state,
            {name: getattr(other, name) for name in FLOAT_COLUMNS[12:]}, other.lanes, other.lane_roads,
            other.visible, ego=other.ego, signals=other.signals, collisions=other.collisions,
            environment=other.environment)] + snaps[121:]
    else:   # every other step skipped: more runs than MAX_RUNS
        order = snaps[::2]
    buffer = BlockBuffer()
    for s in order:
        buffer.append(s)
    assert buffer.slots is None and len(buffer) == len(order) == len(buffer.snapshots)
    for got, want in zip(buffer.snapshots, order):
        if got is not want:   # a step kept as an arena step before the block turned: rebuilt
            _assert_same_snapshot(got, want)
    block = StepBlock(None, ScenarioContext(), None, gathered=buffer)
    alone = StepBlock(order, ScenarioContext(), None)
    assert block.state.tobytes() == alone.state.tobytes()
    assert _results(order) == _results([off_arena(s) for s in order])


def test_every_block_size_gives_the_same_bits_from_arena_steps(monkeypatch):
    want = _side_by_side(700)[1]
    monkeypatch.setattr(suite_module, "BLOCK_STEPS", 97)
    got, copies, arena_steps = _side_by_side(700)
    assert got == copies == want and arena_steps == 700


def test_a_writer_with_fresh_shared_fields_every_step_gives_the_same_results():
    """Every step a new signals dict, environment dict and road-id tuple (an animated time of day,
    a writer that does not share them): each step is a change, kept on the fast path."""
    table = _table()
    arena_suite, copy_suite = MetricSuite(ScenarioContext()), MetricSuite(ScenarioContext())
    made = []
    for k, s in enumerate(_engine_run(table, 1300)):
        fresh = WorldSnapshot.from_state_matrix(
            s.time, s.step, s.names, s.kinds, s.categories, s.state,
            {name: getattr(s, name) for name in FLOAT_COLUMNS[12:]}, s.lanes, tuple(list(s.lane_roads)), s.visible,
            ego=s.ego, signals=dict(s.signals), collisions=s.collisions,
            environment={**s.environment, "time_of_day_s": 43200.0 + k * 0.01})
        arena_suite.observe(fresh)
        copy_suite.observe(off_arena(fresh))
        if k == 1100:
            buffer = arena_suite._buffer
            assert buffer.slots is not None and len(buffer.changes) == len(buffer) == 1101 - state_arena_slots(4)
            made.append(fresh)
            block = StepBlock(None, ScenarioContext(), None, gathered=buffer)
            assert block.each("environment")[-1] is fresh.environment
            _assert_same_snapshot(block.snapshots[-1], fresh)
    assert _results((), arena_suite) == _results((), copy_suite)
