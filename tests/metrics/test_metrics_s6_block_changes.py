"""Session 6 (issue #7): an arena block's shared fields are read once per change, not per step —
the box rows (``BlockBuffer.shared_quad``), the per-step fields (``runs_of``), the ego's road ids
(``ego_lanes``) — the last step's snapshot is rebuilt only when asked (``last_step``), the goal test
is made once per block (``ego_inside``) and the block's views are ``metrics.lazy.lazy`` properties.
Each is checked against the per-step path: a block of the same steps as plain snapshots (matrices
of their own, read one step at a time)."""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import pytest

from metrics import GoalRegion, MetricSuite, ScenarioContext
from metrics.block import StepBlock
from metrics.block_buffer import _SHARED, BlockBuffer
from metrics.lazy import lazy
from simplatform.state_arena import StateArena
from simplatform.world import EntityKind, LaneLocation, WorldSnapshot
from metrics_testkit import off_arena

N = 5
_WRITERS: list = []
NAMES = ("ego", "a1", "a2", "a3", "a4")
KINDS = (EntityKind.VEHICLE,) * N
CATS = ("car",) * N


def _boxes(scale: float = 1.0) -> dict[str, np.ndarray]:
    out = {"length": 4.5 * scale * np.ones(N), "width": 1.9 * np.ones(N), "height": 1.5 * np.ones(N),
           "bbox_center_x": 1.4 * np.ones(N), "bbox_center_y": np.zeros(N), "bbox_center_z": 0.75 * np.ones(N)}
    for a in out.values():
        a.flags.writeable = False
    return out


def _stream(steps: int, seed: int, *, box_change: int | None = None, ego_off: tuple[int, int] | None = None,
            one_change: bool = False):
    """Engine-style snapshots (``from_state_matrix`` into one arena's slots) whose shared fields change
    now and then (collisions, signals, environment, the road ids — the ego off the road over
    ``ego_off`` steps), the box columns replaced by new arrays at ``box_change`` (an entity resized).
    ``one_change``: nothing shared changes (one entry in the buffer's changes)."""
    rng = np.random.default_rng(seed)
    arena = StateArena(NAMES, "ego", capacity=steps)
    _WRITERS.append(arena)   # held as the engine's table holds its arena (``ArenaSlots.of`` finds held ones)
    boxes = _boxes()
    roads_on = ("7",) * N
    roads_off = (None,) + ("7",) * (N - 1)
    signals, environment, collisions = {"S1": "green"}, {"road_friction": 1.0}, ()
    x = np.arange(N) * 8.0
    for k in range(steps):
        t = round(0.01 * (k + 1), 9)
        x = x + 0.12 + rng.normal(0, 0.01, N)
        y = -1.75 + rng.normal(0, 0.3, N)
        if box_change is not None and k == box_change:
            boxes = _boxes(1.1)
        roads = roads_off if ego_off is not None and ego_off[0] <= k < ego_off[1] else roads_on
        if not one_change:
            if rng.random() < 0.05:
                collisions = () if collisions else (("ego", "a1"),)
            if rng.random() < 0.03:
                signals = {"S1": str(rng.choice(["red", "green"]))}
            if rng.random() < 0.02:
                environment = {"road_friction": float(rng.uniform(0.3, 1.0))}
        lane_ids = np.where(np.array([r is None for r in roads]), 0.0, -1.0)
        s = np.where(lane_ids == 0, np.nan, x)
        tt = np.where(lane_ids == 0, np.nan, y + 1.75)
        state = arena.write([x, y, np.zeros(N), rng.normal(0, 0.05, N), np.zeros(N), np.zeros(N),
                             np.full(N, 12.0), np.full(N, 12.0), np.zeros(N), rng.normal(0, 1, N),
                             rng.normal(0, 1, N), rng.normal(0, 0.1, N), s, tt, lane_ids])
        lanes = tuple(None if r is None else LaneLocation(r, -1, float(s[i]), float(tt[i])) for i, r in enumerate(roads))
        yield WorldSnapshot.from_state_matrix(t, k, NAMES, KINDS, CATS, state, boxes, lanes, roads,
                                              rng.random(N) < 0.9, ego="ego", signals=signals,
                                              collisions=collisions, environment=environment)


def _blocks(snaps, context=None):
    """The arena block (a buffer fed as the suite feeds it) and the per-step one (copied matrices)."""
    context = context or ScenarioContext()
    buffer = BlockBuffer()
    for snap in snaps:
        buffer.append(snap)
    assert buffer.slots is not None, "the stream must stay arena steps"
    arena = StepBlock(None, context, None, gathered=buffer)
    plain = StepBlock([off_arena(s) for s in snaps], context, None)
    assert plain._buffer.slots is None
    return buffer, arena, plain


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


CASES = [dict(), dict(one_change=True), dict(box_change=37), dict(box_change=0), dict(ego_off=(10, 30)),
         dict(ego_off=(0, 80)), dict(ego_off=(50, 80), box_change=79), dict(ego_off=(0, 1), one_change=True)]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("seed", [1, 2])
def test_arena_block_reads_equal_the_per_step_ones(case: dict, seed: int) -> None:
    snaps = list(_stream(80, seed, **case))
    buffer, arena, plain = _blocks(snaps)
    if case.get("one_change"):
        assert len(buffer.changes) == (2 if case.get("ego_off") else 1)
    else:
        assert len(buffer.changes) > 2
    # box rows: shared per change, or per step when the box arrays changed within the block
    quad = buffer.shared_quad()
    assert (quad is None) == (case.get("box_change") not in (None, 0))
    for name in ("length", "width", "bbox_center_x", "bbox_center_y"):
        assert _same(arena.box_rows[name], plain.box_rows[name]), name
        assert arena.box_rows[name].flags.writeable
    assert arena._shared.keys() == plain._shared.keys()
    # the ego's lanes: road ids per change of the shared road ids
    for got, want in zip(arena.ego_lanes, plain.ego_lanes):
        assert _same(got, want) if isinstance(want, np.ndarray) else list(got) == list(want)
    # every shared field per step, from the changes
    for name in _SHARED:
        got, want = arena.each(name), plain.each(name)
        assert len(got) == len(want) == len(snaps)
        assert all(a is b for a, b in zip(got, [getattr(s, name) for s in snaps])), name
    assert _same(arena.times, plain.times) and _same(arena.dt, plain.dt)


@pytest.mark.parametrize("case", CASES[:5])
def test_runs_of_repeats_to_the_per_step_field(case: dict) -> None:
    snaps = list(_stream(60, 3, **case))
    buffer, _, _ = _blocks(snaps)
    for name in _SHARED:
        runs = buffer.runs_of(name)
        assert runs[0][0] == 0 and runs[-1][1] == len(snaps)
        assert all(a[1] == b[0] for a, b in zip(runs, runs[1:]))
        per_step = [v for start, stop, v in runs for _ in range(stop - start)]
        assert all(a is getattr(s, name) for a, s in zip(per_step, snaps))
    assert BlockBuffer.of_snapshots(snaps).runs_of("collisions") is None
    assert BlockBuffer.of_snapshots(snaps).shared_quad() is None


@pytest.mark.parametrize("k", [1, 2, 41])
def test_last_step_is_the_last_snapshot(k: int) -> None:
    snaps = list(_stream(k, 4, box_change=0 if k > 1 else None))
    buffer = BlockBuffer()
    for s in snaps:
        buffer.append(s)
    got = buffer.last_step()()
    want = snaps[-1]
    for f in fields(WorldSnapshot):
        a, b = getattr(got, f.name), getattr(want, f.name)
        if f.name == "lanes":
            assert tuple(a) == tuple(b)
        elif isinstance(b, np.ndarray):
            assert _same(a, b), f.name
        else:
            assert a == b, f.name
    plain = BlockBuffer.of_snapshots(snaps)
    assert plain.last_step()() is snaps[-1]


def test_a_v2x_metric_built_mid_run_starts_from_the_last_step() -> None:
    """``add_v2x_warning`` builds the reaction metric from the last evaluated step (now rebuilt on
    call): the same result as a suite given the warning's metric from the start and the step again."""
    from metrics.context import V2XWarning
    snaps = list(_stream(120, 5))
    ctx = ScenarioContext(ego="ego")
    suite = MetricSuite(ctx)
    for s in snaps[:60]:
        suite.observe(s)
    suite.flush()
    assert "v2x_reaction" in suite.unavailable
    suite.add_v2x_warning(V2XWarning(time=0.65, message="FCW"))
    for s in snaps[60:]:
        suite.observe(s)
    got = suite.finish().metrics["v2x_reaction"]
    ref = MetricSuite(ScenarioContext(ego="ego", v2x_expected=True))
    ref.observe(off_arena(snaps[59]))
    ref.flush()
    ref.add_v2x_warning(V2XWarning(time=0.65, message="FCW"))
    for s in snaps[60:]:
        ref.observe(off_arena(s))
    want = ref.finish().metrics["v2x_reaction"]
    assert got.scalars == want.scalars or all(
        (math.isnan(a) and math.isnan(b)) or a == b for a, b in zip(got.scalars.values(), want.scalars.values()))


@pytest.mark.parametrize("goal", [GoalRegion(5.0, -1.75, 3.0), GoalRegion.box(0.0, 6.0, -3.0, 0.0),
                                  GoalRegion(500.0, 0.0, 1.0)])
def test_ego_inside_is_contains_many_once_per_region(goal: GoalRegion) -> None:
    snaps = list(_stream(50, 6))
    _, arena, plain = _blocks(snaps)
    want = goal.contains_many(plain.ego_col("x"), plain.ego_col("y"))
    got = arena.ego_inside(goal)
    assert _same(got, want)
    assert arena.ego_inside(goal) is got   # once per block and region
    other = GoalRegion(goal.x, goal.y, goal.radius, goal.half_x, goal.half_y)   # equal, another object
    assert _same(arena.ego_inside(other), want)


def test_lazy_computes_once_and_stores_in_the_instance_dict() -> None:
    calls = []

    class Thing:
        @lazy
        def value(self):
            calls.append(1)
            return [len(calls)]

    thing = Thing()
    assert "value" not in thing.__dict__
    first = thing.value
    assert thing.value is first and calls == [1] and thing.__dict__["value"] is first
    assert Thing.value.__doc__ is None and isinstance(Thing.__dict__["value"], lazy)
    other = Thing()
    assert other.value == [2]
