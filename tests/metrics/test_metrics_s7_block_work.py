"""Session 7 (issue #7): less work per block, the same answers.

An arena block no longer lists its slot matrices when it is made (``StepBlock._states`` on first
read); ``BlockBuffer.field`` repeats a shared value across changes that kept it in one run; the
coverage reads the environment once per change (``runs_of``); the ego's lane rows come out of the
state in one pass.  Each is checked against the per-step path: the same steps as plain snapshots
(matrices of their own, read one step at a time), object for object or bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from metrics import MetricSuite, ScenarioContext
from metrics.base import SeriesRecorder
from metrics.block import StepBlock
from metrics.block_buffer import _SHARED, BlockBuffer
from metrics.coverage import CoverageObserver
from simplatform.state_arena import StateArena
from simplatform.world import EntityKind, LaneLocation, WorldSnapshot
from metrics_testkit import off_arena

N = 4
NAMES = ("ego", "a1", "a2", "a3")
_WRITERS: list = []   # held as the engine's table holds its arenas (``ArenaSlots.of`` finds held ones)


def _boxes() -> dict[str, np.ndarray]:
    out = {"length": np.full(N, 4.5), "width": np.full(N, 1.9), "height": np.full(N, 1.5),
           "bbox_center_x": np.full(N, 1.4), "bbox_center_y": np.zeros(N), "bbox_center_z": np.full(N, 0.75)}
    for a in out.values():
        a.flags.writeable = False
    return out


def _stream(steps: int, seed: int, *, ego_off: tuple[int, int] | None = None, environments: list | None = None):
    """Engine-style snapshots (``from_state_matrix`` into one arena's slots).  Collisions begin and end
    often (a change of the shared fields that keeps every other field's object); the environment
    goes through ``environments`` (objects, in turn, each held a while); the ego is off the road over
    ``ego_off``."""
    rng = np.random.default_rng(seed)
    arena = StateArena(NAMES, "ego", capacity=steps)
    _WRITERS.append(arena)
    boxes = _boxes()
    kinds, cats = (EntityKind.VEHICLE,) * N, ("car",) * N
    roads_on, roads_off = ("7",) * N, (None,) + ("7",) * (N - 1)
    envs = environments or [{"fog_visual_range_m": 900.0}]
    signals, collisions, env_at = {"S1": "green"}, (), 0
    x = np.arange(N) * 8.0
    for k in range(steps):
        x = x + 0.12 + rng.normal(0, 0.01, N)
        y = -1.75 + rng.normal(0, 0.3, N)
        roads = roads_off if ego_off is not None and ego_off[0] <= k < ego_off[1] else roads_on
        if rng.random() < 0.08:
            collisions = () if collisions else (("ego", "a1"),)
        if rng.random() < 0.05:
            env_at = (env_at + 1) % len(envs)
        lane_ids = np.where(np.array([r is None for r in roads]), 0.0, -1.0)
        s = np.where(lane_ids == 0, np.nan, x)
        t = np.where(lane_ids == 0, np.nan, y + 1.75)
        state = arena.write([x, y, np.zeros(N), rng.normal(0, 0.05, N), np.zeros(N), np.zeros(N),
                             np.full(N, 12.0), np.full(N, 12.0), np.zeros(N), rng.normal(0, 1, N),
                             rng.normal(0, 1, N), rng.normal(0, 0.1, N), s, t, lane_ids])
        lanes = tuple(None if r is None else LaneLocation(r, -1, float(s[i]), float(t[i])) for i, r in enumerate(roads))
        yield WorldSnapshot.from_state_matrix(round(0.01 * (k + 1), 9), k, NAMES, kinds, cats, state, boxes, lanes,
                                              roads, rng.random(N) < 0.9, ego="ego", signals=signals,
                                              collisions=collisions, environment=envs[env_at])


def _arena_block(snaps: list[WorldSnapshot]) -> StepBlock:
    buffer = BlockBuffer()
    for s in snaps:
        buffer.append(s)
    assert buffer.slots is not None and len(buffer.changes) > 3
    return StepBlock(None, ScenarioContext(), None, gathered=buffer)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_field_repeats_each_steps_own_object_across_changes_that_kept_it(seed) -> None:
    snaps = list(_stream(300, seed, ego_off=(100, 140)))
    buffer = _arena_block(snaps)._buffer
    for name in _SHARED:
        got = buffer.field(name)
        assert len(got) == len(snaps) and all(a is getattr(s, name) for a, s in zip(got, snaps)), name
    # the collisions change at every change; the kinds never: one run
    assert buffer.field("kinds") == [snaps[0].kinds] * len(snaps)


def test_an_arena_block_lists_its_matrices_only_when_asked() -> None:
    snaps = list(_stream(120, 4))
    block = _arena_block(snaps)
    assert block._has_states and "_states" not in block.__dict__
    stacked = block.state
    assert "_states" not in block.__dict__
    assert np.array_equal(stacked, np.stack([s.state for s in snaps]))
    assert all(a is s.state for a, s in zip(block._states, snaps))
    plain = StepBlock([off_arena(s) for s in snaps], ScenarioContext())
    assert plain._has_states and np.array_equal(plain.state, stacked)
    assert not StepBlock([WorldSnapshot.from_states(0.0, 0, [])], ScenarioContext())._has_states


@pytest.mark.parametrize("ego_off", [None, (0, 40), (50, 90), (0, 120)])
def test_ego_lanes_of_an_arena_block_equal_the_plain_snapshots(ego_off) -> None:
    snaps = list(_stream(120, 5, ego_off=ego_off))
    got = _arena_block(snaps).ego_lanes
    want = StepBlock([off_arena(s) for s in snaps], ScenarioContext()).ego_lanes
    assert list(got[1]) == list(want[1])
    for a, b in zip((got[0], *got[2:]), (want[0], *want[2:])):
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
        assert a.flags.c_contiguous


def test_coverage_reads_the_environment_per_change_as_per_step() -> None:
    fog, rain = {"fog_visual_range_m": 150.0}, {"precipitation_type": "rain", "precipitation_intensity_mm_h": 4.0}
    night = {"time_of_day": "2026-01-01T23:00:00", "sun_elevation_rad": -0.5}
    envs = [fog, {}, dict(fog), rain, rain, night, {}]   # an empty one, an equal copy, one object twice in a row
    snaps = list(_stream(400, 6, environments=envs))
    arena, plain = CoverageObserver(), CoverageObserver()
    for k in range(0, 400, 100):   # four blocks: the environment the block before ended with carries over
        arena.observe_block(_arena_block(snaps[k:k + 100]))
        plain.observe_block(StepBlock([off_arena(s) for s in snaps[k:k + 100]], ScenarioContext()))
    assert (arena.weather, arena.light, arena._env_seen) == (plain.weather, plain.light, plain._env_seen)
    assert arena.weather and arena._env_seen is snaps[-1].environment


def test_the_suite_gives_the_same_evaluation_for_arena_steps_and_plain_snapshots() -> None:
    snaps = list(_stream(700, 7, ego_off=(200, 260), environments=[{}, {"fog_visual_range_m": 80.0}]))
    results = []
    for stream in (snaps, [off_arena(s) for s in snaps]):
        suite = MetricSuite(ScenarioContext())
        for s in stream:
            suite.observe(s)
        ev = suite.finish()
        results.append(repr((sorted(ev.scalars().items()), ev.coverage, ev.events)))
    assert results[0] == results[1]


def test_extend_keeps_float64_arrays_and_broadcasts_the_rest() -> None:
    rec = SeriesRecorder("a", "b", "c", "d")
    t = np.arange(3.0)
    a = np.array([1.0, 2.0, 3.0])
    tagged = np.array([4.0, 5.0, 6.0], dtype=np.dtype(np.float64, metadata={"unit": "m"}))   # float64, another object
    rec.extend(t, a=a, b=tagged, c=2)
    assert rec._chunks["a"][0] is a and rec._chunks["b"][0] is tagged
    assert rec.array("c").tolist() == [2.0] * 3 and np.isnan(rec.array("d")).all()
    rec.extend(t + 3, a=np.array([1, 2, 3]))   # int64: converted
    assert rec.array("a").dtype == np.float64 and rec.array("a").tolist() == [1.0, 2.0, 3.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize("rows", ["shared", "per step"])
def test_entity_corners_are_corners_from_rows_column_bit_for_bit(rows) -> None:
    from metrics import road_kernels
    from metrics.centre_kernel import corners_from_rows

    rng = np.random.default_rng(8)
    T, n = 57, 6
    cx, cy = rng.uniform(-1e4, 1e4, (2, T, n))
    heading = rng.uniform(-4, 4, (T, n))
    c, s = np.cos(heading), np.sin(heading)
    m = 1 if rows == "shared" else T
    length, width = rng.uniform(0.1, 20, (m, n)), rng.uniform(0.1, 5, (m, n))
    cx[3, 2], cy[5, 2], c[7, 2], length[0, 2] = np.nan, np.inf, -0.0, 0.0   # odd values in one column
    want = corners_from_rows(cx, cy, c, s, length, width)
    for e in range(n):
        got = road_kernels.entity_corners(cx, cy, c, s, length, width, e)
        assert got.shape == (T, 4, 2) and got.flags.c_contiguous
        assert got.tobytes() == np.ascontiguousarray(want[:, e]).tobytes()


def test_all_equal_is_numpys_comparison() -> None:
    from metrics import road_kernels

    rng = np.random.default_rng(9)
    for _ in range(200):
        v = rng.integers(-2, 2, int(rng.integers(1, 6))).astype(np.int64)
        assert road_kernels.all_equal(v) == bool((v == v[0]).all())


def test_warmup_compiles_the_session_7_kernels() -> None:
    from metrics import road_kernels, warmup

    warmup.warm_up()
    assert road_kernels.entity_corners.signatures and road_kernels.all_equal.signatures
