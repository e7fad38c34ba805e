"""A run's short tail is evaluated with the block before it (issue #7, ``suite.TAIL_FRACTION``): a
full block waits until a quarter block more has come; a run that ends, changes its entities or is
flushed before that is evaluated as one block with it.  The results are the same bits as with a
block of its own for the tail, and every path that reads "the evaluated steps" sees what it saw."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from metrics import MetricSuite, ScenarioContext, V2XWarning
from metrics import suite as suite_module
from metrics.block import StepBlock
from simplatform.engine.entities import EntitySpec, EntityTable
from simplatform.state_arena import state_arena_slots
from simplatform.world import FLOAT_COLUMNS, EntityKind, WorldSnapshot

PER = state_arena_slots(4)


def _table(n: int = 4) -> EntityTable:
    specs = [EntitySpec("ego", EntityKind.VEHICLE, "car", 4.5, 1.9, 1.5, 1.4, 0.0, 0.75, is_ego=True)]
    specs += [EntitySpec(f"car{i}", EntityKind.VEHICLE, "car", 4.0 + 0.1 * i, 1.8, 1.4) for i in range(1, n)]
    return EntityTable(specs)


def _engine_run(table: EntityTable, steps: int, drop_at: int | None = None):
    """The ego closes on a car ahead, touches it for a while and brakes; entity 3 leaves at ``drop_at``."""
    n = len(table)
    x0 = np.arange(n) * 9.0
    for k in range(steps):
        if k == drop_at:
            table.set_active(3, False)
        t = k * 0.01
        table.x[:] = x0 + np.array([12.0] + [8.0] * (n - 1)) * t - (0.0 if t < 15 else 1.5 * (t - 15) ** 2)
        table.y[:] = -1.75 + 0.3 * np.sin(t + np.arange(n))
        table.heading[:] = 0.05 * np.cos(t * 3.0 + np.arange(n))
        table.speed[:] = [12.0 - (0.0 if t < 15 else 3.0 * (t - 15))] + [8.0] * (n - 1)
        table.ax[:] = 0.5 * math.sin(t)
        table.set_velocity_from_speed()
        for i in range(n):
            table.set_lane(i, "1", -1, float(table.x[i]), float(table.y[i] + 1.75), float(table.y[i]))
        touching = table.x[1] - table.x[0] < 4.2
        yield table.snapshot(t, k, collisions=(("ego", "car1"),) if touching else (),
                             environment={"road_friction": 1.0})


def _copied(snap: WorldSnapshot) -> WorldSnapshot:
    box = {name: getattr(snap, name) for name in FLOAT_COLUMNS[12:]}
    return WorldSnapshot.from_state_matrix(
        snap.time, snap.step, snap.names, snap.kinds, snap.categories, snap.state.copy(), box, tuple(snap.lanes),
        snap.lane_roads, snap.visible, ego=snap.ego, signals=snap.signals, collisions=snap.collisions,
        environment=snap.environment)


def _dump(suite: MetricSuite) -> bytes:
    ev = suite.finish()
    return pickle.dumps((ev.metrics, ev.verdicts, ev.scores, ev.coverage, ev.events))


def _run(steps: int, *, copies: bool = False, drop_at: int | None = None, sizes: list | None = None,
         each=None) -> bytes:
    """Observe the run as it is made (the arena's writer holds it meanwhile); block sizes into ``sizes``."""
    suite = MetricSuite(ScenarioContext())
    if sizes is not None:
        evaluate = suite._evaluate

        def spy(buffer):
            sizes.append(len(buffer))
            evaluate(buffer)

        suite._evaluate = spy
    table = _table()
    for k, s in enumerate(_engine_run(table, steps, drop_at)):
        suite.observe(_copied(s) if copies else s)
        if each is not None:
            each(suite, k)
    return _dump(suite)


@pytest.fixture
def no_wait(monkeypatch):
    """The suite as before: a full block is evaluated at once."""
    def off():
        monkeypatch.setattr(suite_module, "TAIL_FRACTION", 10 ** 9)
    return off


@pytest.mark.parametrize("tail", [1, 2, PER // 4 - 1, PER // 4, PER // 4 + 1])
def test_a_short_tail_joins_the_block_before_with_the_same_bits(tail, no_wait):
    sizes: list[int] = []
    got = _run(2 * PER + tail, sizes=sizes)
    if tail < PER // 4:
        assert sizes == [PER, PER + tail]
    else:
        assert sizes == [PER, PER, tail]
    assert _run(2 * PER + tail, copies=True) == got   # kept snapshots join as well
    no_wait()
    sizes.clear()
    assert _run(2 * PER + tail, sizes=sizes) == got
    assert sizes == [PER, PER, tail]


def test_a_tail_of_other_entities_is_a_block_of_its_own(no_wait):
    sizes: list[int] = []
    got = _run(PER + 30, drop_at=PER + 10, sizes=sizes)
    assert sizes == [PER + 10, 20]   # the 10 steps before the change join the full block
    no_wait()
    assert _run(PER + 30, drop_at=PER + 10) == got


def test_steps_and_a_flush_mid_run_see_the_waiting_block(no_wait):
    seen = []

    def each(suite, k):
        seen.append(suite.steps)
        if k == PER + 5:
            suite.flush()   # a caller reading metrics mid-run: everything so far is evaluated
            assert suite._pending is None and len(suite._buffer) == 0 and suite._flushed_steps == PER + 6

    sizes: list[int] = []
    got = _run(2 * PER + 3, each=each, sizes=sizes)
    assert seen == list(range(1, 2 * PER + 4))
    assert sizes == [PER + 6, PER - 6, 3]   # the second ends with its arena
    no_wait()
    assert _run(2 * PER + 3, each=each) == got


def test_a_reaction_metric_built_at_delivery_starts_from_the_last_step_it_did_before(no_wait):
    """``add_v2x_warning`` builds the metric from the last evaluated step: the waiting block is evaluated first."""
    from metrics.requirements import requirement

    def each(suite, k):
        if k == PER + 40:
            suite.add_v2x_warning(V2XWarning(k * 0.01, "hazard"))
            assert suite._pending is None
            metric = next(m for m in suite.metrics if m.name == "v2x_reaction")
            assert metric._chunks and metric._chunks[0][0].tolist() == [(PER - 1) * 0.01]

    def run() -> bytes:
        suite = MetricSuite(ScenarioContext(), [requirement("R1", "v2x_reaction_time_max <= 2")])
        table = _table()
        for k, s in enumerate(_engine_run(table, 2 * PER + 10)):
            suite.observe(s)
            each(suite, k)
        return _dump(suite)

    got = run()
    no_wait()
    assert run() == got


def test_the_engines_blocks_are_read_by_a_step_block_the_same_after_joining():
    table = _table()
    suite = MetricSuite(ScenarioContext())
    snaps = []
    for s in _engine_run(table, PER + 7):
        snaps.append(s)
        suite.observe(s)
    assert suite._pending is not None and len(suite._buffer) == 7
    joined = suite._pending.joined(suite._buffer)
    block = StepBlock(None, ScenarioContext(), None, gathered=joined)
    alone = StepBlock(snaps, ScenarioContext(), None)
    assert block.size == PER + 7 and block.state.tobytes() == alone.state.tobytes()
    assert block.times.tobytes() == alone.times.tobytes()
    assert block.snapshots[PER + 3].state is snaps[PER + 3].state
    assert block.each("collisions") == alone.each("collisions")
