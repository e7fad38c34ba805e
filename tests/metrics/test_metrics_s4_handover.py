"""The zero-copy hand-over of the engine's state matrices to the metrics (issue #7): the engine
writes each snapshot's matrix into the next slot of a ``StateArena``; a block of consecutive
slots reaches the metrics as one read-only view of the arena, anything else is copied as before,
and every metric reads the same bits either way."""

from __future__ import annotations

import math
import pickle
import sys

import numpy as np
import pytest

from metrics import MetricSuite, ScenarioContext
from metrics.block import StepBlock
from metrics.block_buffer import _GATHER, _GATHERED, BlockBuffer, gather
from metrics.suite import BLOCK_ENTITY_STEPS, BLOCK_STEPS
from simplatform.engine.entities import EntitySpec, EntityTable
from simplatform.state_arena import ArenaSlots, StateArena, state_arena_slots
from simplatform.world import STATE_ROWS, EntityKind, WorldSnapshot
from metrics_testkit import off_arena


def _table(n: int = 4) -> EntityTable:
    specs = [EntitySpec("ego", EntityKind.VEHICLE, "car", 4.5, 1.9, 1.5, 1.4, 0.0, 0.75, is_ego=True)]
    specs += [EntitySpec(f"car{i}", EntityKind.VEHICLE, "car", 4.0 + 0.1 * i, 1.8, 1.4) for i in range(1, n)]
    return EntityTable(specs)


def _engine_run(table: EntityTable, steps: int, *, start: int = 0):
    """Snapshots as the engine makes them: the ego closes on a car ahead and touches it for a while,
    a third entity leaves the road now and then; one snapshot per step, each made after the step."""
    n = len(table)
    x0 = np.arange(n) * 9.0
    for k in range(start, start + steps):
        t = k * 0.01
        table.x[:] = x0 + np.array([12.0] + [8.0] * (n - 1)) * t
        table.y[:] = -1.75 + 0.3 * np.sin(t + np.arange(n))
        table.heading[:] = 0.05 * np.cos(t * 3.0 + np.arange(n))
        table.speed[:] = [12.0] + [8.0] * (n - 1)
        table.ax[:] = 0.5 * math.sin(t)
        table.set_velocity_from_speed()
        for i in range(n):
            if i == 2 and (k // 25) % 3 == 0:
                table.set_lane(i, None, 0, 0.0, 0.0, 0.0)
            else:
                table.set_lane(i, "1", -1, float(table.x[i]), float(table.y[i] + 1.75), float(table.y[i]))
        touching = table.x[1] - table.x[0] < 4.2
        yield table.snapshot(t, k, collisions=(("ego", "car1"),) if touching else (),
                             environment={"road_friction": 1.0})


def _results(snaps, observe_twice: set[int] = frozenset()) -> bytes:
    suite = MetricSuite(ScenarioContext())
    for k, s in enumerate(snaps):
        suite.observe(s)
        if k in observe_twice:
            suite.observe(s)
    ev = suite.finish()
    return pickle.dumps((ev.metrics, ev.verdicts, ev.scores, ev.coverage, ev.events))


def test_gather_reads_what_the_attrgetter_reads():
    snap = next(_engine_run(_table(), 1))
    plain = WorldSnapshot.from_states(0.0, 0, [snap.entity(name) for name in snap.names])
    for s in (snap, plain):
        got, want = gather(s), _GATHER(s)
        assert len(got) == len(want) == len(_GATHERED)
        assert all(a is b for a, b in zip(got, want))


def test_engine_snapshots_are_consecutive_arena_slots_and_stay_as_made():
    table = _table()
    snaps, made = [], []
    for s in _engine_run(table, 2 * state_arena_slots(4) + 7):   # three arenas
        snaps.append(s)
        made.append(s.state.copy())
    bases = {id(s.state.base) for s in snaps}
    assert len(bases) == 3
    for s, m in zip(snaps, made):   # no slot was written again after its snapshot left
        assert s.state.tobytes() == m.tobytes()
        assert s.x.base is s.state.base   # the columns are views of the slot
    found = ArenaSlots.of(snaps[-1].state)
    assert found is not None and found[1] == 6 and found[0].names is snaps[-1].names
    middle = ArenaSlots.of(snaps[-4].state)   # not the last slot handed over: found by address
    assert middle is not None and middle[1] == 3
    assert ArenaSlots.of(made[-1]) is None and ArenaSlots.of(None) is None


def test_a_block_of_arena_slots_is_a_read_only_view_with_the_stacked_bits():
    table = _table()
    buffer = BlockBuffer()
    snaps = list(_engine_run(table, 50))
    for s in snaps:
        buffer.append(s)
    assert buffer.slots is not None
    got = buffer.stacked_state((50, len(STATE_ROWS), 4))
    assert got is not None and np.shares_memory(got, snaps[0].state) and not got.flags.writeable
    assert got.tobytes() == np.stack([s.state for s in snaps]).tobytes()
    block = StepBlock(snaps, ScenarioContext(), None, gathered=buffer)
    alone = StepBlock(snaps, ScenarioContext(), None)
    assert block.state.tobytes() == alone.state.tobytes()
    for name in ("x", "heading", "lane_s", "length"):
        assert block.col(name).tobytes() == alone.col(name).tobytes()


def test_a_one_step_block_reads_writable_columns_as_a_copied_one_does():
    snap = next(_engine_run(_table(), 1))
    blocks = []
    for s in (snap, off_arena(snap)):
        buffer = BlockBuffer()
        buffer.append(s)
        blocks.append(StepBlock([s], ScenarioContext(), None, gathered=buffer))
    for name in ("x", "heading", "vx", "lane_s"):
        a, b = blocks[0].col(name), blocks[1].col(name)
        assert a.tobytes() == b.tobytes() and a.flags.writeable == b.flags.writeable
        assert not np.shares_memory(a, snap.state)


def test_observe_gathers_on_its_fast_path_what_gather_reads():
    table = _table()
    suite = MetricSuite(ScenarioContext())
    snaps = list(_engine_run(table, 30))   # kept alive, as the block's buffer keeps them
    for s in snaps:
        suite.observe(s)
    buffer = suite._buffer
    assert buffer.slots is not None and buffer.next_slot - buffer.first_slot == 30
    # arena steps keep columns, not snapshots (session 5): each gathered field per step is the snapshot's
    assert buffer.gathered == [] and buffer.snapshots == []
    for k, name in enumerate(_GATHERED):
        got = buffer.field(name)
        assert len(got) == 30 and all(a is gather(s)[k] for a, s in zip(got, snaps)), name
    suite = MetricSuite(ScenarioContext())
    copies = [off_arena(s) for s in snaps] + [WorldSnapshot.from_states(0.3, 30, [snaps[-1].entity(name) for name
                                                                                 in snaps[-1].names], ego="ego")]
    for s in copies:   # no arena slot: read as it comes, and copied
        suite.observe(s)
    buffer = suite._buffer
    assert buffer.slots is None and len(buffer.gathered) == 31
    for s, got in zip(copies, buffer.gathered):
        assert all(a is b for a, b in zip(got, gather(s))) and len(got) == len(gather(s))


def test_results_are_identical_from_arena_slots_and_from_copies():
    snaps = list(_engine_run(_table(), 2 * state_arena_slots(4) + 130))
    assert _results(snaps) == _results([off_arena(s) for s in snaps])


@pytest.mark.parametrize("how", ["twice", "skip", "skip once", "mixed", "late start"])
def test_a_step_that_does_not_follow_on_falls_back_to_copying_with_the_same_results(how):
    table = _table()
    snaps = list(_engine_run(table, 700))
    twice: set[int] = set()
    if how == "twice":   # the same snapshot observed again
        twice = {0, 5, 333}
    elif how == "skip":   # every third step is made but not observed: more runs than a block joins
        snaps = [s for k, s in enumerate(snaps) if k % 3]
    elif how == "skip once":   # a step's snapshot made twice, the first not observed (a V2X message mid-step)
        snaps = snaps[:300] + snaps[301:]
    elif how == "mixed":   # snapshots of another backend in between
        snaps = [off_arena(s) if k % 50 == 7 else s for k, s in enumerate(snaps)]
    else:   # the first snapshots are made before the suite observes
        snaps = snaps[17:]
    copies = [off_arena(s) for s in snaps]
    want = _results(copies, twice)
    assert _results(snaps, twice) == want


def test_runs_of_slots_are_joined_in_their_order():
    table = _table()
    snaps = list(_engine_run(table, 60))
    order = snaps[:20] + snaps[21:40] + [snaps[39]] + snaps[40:]   # a step skipped, one observed twice
    buffer = BlockBuffer()
    for s in order:
        buffer.append(s)
    assert len(buffer.runs) == 2 and buffer.slots is not None
    got = buffer.stacked_state((len(order), len(STATE_ROWS), 4))
    assert got.tobytes() == np.stack([s.state for s in order]).tobytes()
    buffer.append(off_arena(snaps[0]))   # no arena slot: the runs are copied, and so is this one
    assert buffer.slots is None and buffer.runs == []
    got = buffer.stacked_state((len(order) + 1, len(STATE_ROWS), 4))
    assert got.tobytes() == np.stack([s.state for s in order + [snaps[0]]]).tobytes()


def test_blocks_end_with_their_arena(monkeypatch):
    sizes: list[int] = []
    original = BlockBuffer.stacked_state

    def spy(self, shape):
        sizes.append((shape[0], self.slots is not None))
        return original(self, shape)

    monkeypatch.setattr(BlockBuffer, "stacked_state", spy)
    per = state_arena_slots(4)
    suite = MetricSuite(ScenarioContext())
    for k, s in enumerate(_engine_run(_table(), 2 * per + 40)):
        if k >= 5:   # the suite starts late: its first block ends with the first arena
            suite.observe(s)
    suite.finish()
    assert sizes == [(per - 5, True), (per, True), (40, True)]


def test_a_subset_of_active_rows_fills_an_arena_of_its_own():
    table = _table(5)
    run = _engine_run(table, 400)
    first = [next(run) for _ in range(3)]
    table.set_active(3, False)
    later = [next(run) for _ in range(3)]
    assert later[0].names == ("ego", "car1", "car2", "car4") and all(s.names is later[0].names for s in later)
    assert later[0].state.base is not first[0].state.base and later[1].state.base is later[0].state.base
    full = np.concatenate([getattr(table, c) for c in STATE_ROWS[:12]]
                          + [table.lane_s, table.lane_offset, table.lane_id]).reshape(len(STATE_ROWS), 5)
    full[12:, [i for i, road in enumerate(table.lane_road) if road is None]] = np.nan
    assert later[-1].state.tobytes() == full[:, [0, 1, 2, 4]].tobytes()
    snaps = first + later + list(run)
    assert _results(snaps) == _results([off_arena(s) for s in snaps])


def test_the_suite_blocks_and_the_arenas_have_one_size():
    for n in (0, 1, 4, 20, 22, 200, 2000, 30000):
        assert state_arena_slots(n) == max(1, min(BLOCK_STEPS, BLOCK_ENTITY_STEPS // max(1, n)))
    assert StateArena(tuple(f"e{i}" for i in range(2000)), None).slots.block.nbytes <= 2.4e6


def test_an_arena_index_lives_as_long_as_its_writer_or_an_observer_holds_it():
    arena = StateArena(("a", "b"), "a", capacity=3)
    state = arena.write([np.ones(2)] * len(STATE_ROWS))
    assert ArenaSlots.of(state) == (arena.slots, 0)
    slots = arena.slots
    del arena
    assert ArenaSlots.of(state) == (slots, 0)   # an observer still holds the index
    del slots
    assert ArenaSlots.of(state) is None   # nobody does: the matrix is still good, and is copied
    assert state.tobytes() == np.ones((len(STATE_ROWS), 2)).tobytes() and sys.getrefcount(state) >= 2
