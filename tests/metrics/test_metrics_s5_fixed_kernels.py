"""Session 5 (issue #7): the small metrics' compiled passes against the numpy code they replace, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from metrics.series_kernels import any_abs_below, speed_excess


def _speed_numpy(speed, limit, tol, was_over):
    """``SpeedLimitMetric.observe_block``'s numpy code before ``speed_excess``."""
    finite = np.isfinite(limit)
    if not finite.any():
        return np.zeros(limit.size), np.zeros(limit.size), np.full(limit.size, np.inf), []
    with np.errstate(invalid="ignore"):
        d = np.abs(speed) - limit
        excess = np.where(finite & (d > 0.0), d, 0.0)
    over = finite & (excess > tol)
    was = np.concatenate([[was_over], over[:-1]])
    return excess, over.astype(float), np.where(finite, limit, np.inf), np.flatnonzero(over & ~was).tolist()


@pytest.mark.parametrize("seed", range(40))
def test_speed_excess_as_numpy(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 50))
    speed = rng.choice([0.0, -0.0, 5.0, 13.9, 14.0, -15.0, 30.0, np.nan, np.inf], n) + rng.choice([0.0, 1e-9], n)
    limit = rng.choice([13.89, 14.0, np.nan, np.inf, -np.inf, 0.0], n) if seed % 5 else np.full(n, np.nan)
    tol = float(rng.choice([0.0, 0.5, 1.0]))
    was = bool(seed % 2)
    want = _speed_numpy(speed, limit, tol, was)
    got = speed_excess(speed, limit, tol, was)
    for a, b in zip(want[:3], got[:3]):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    assert got[3].tolist() == want[3]


@pytest.mark.parametrize("values", [[], [0.05], [-0.05], [0.1], [-0.1], [np.nan], [5.0, np.nan, -0.09], [np.inf, -np.inf]])
def test_any_abs_below_as_numpy(values):
    a = np.array(values, dtype=float)
    assert any_abs_below(a, 0.1) == bool((np.abs(a) < 0.1).any())


def _coverage_tags(observer):
    return (sorted(observer.weather), sorted(observer.light), sorted(observer.road_types), sorted(observer.actors))


@pytest.mark.parametrize("pattern", ["shared", "equal_copies", "changing", "empty", "mixed_empty"])
def test_coverage_blocks_give_the_per_step_tags(pattern):
    """One environment over a block (shared object or equal copies), a changing one, none: the block
    path gives the tags of observing each step (and the road types stop being looked up once all are in)."""
    from metrics_testkit import FakeStraightRoad, entity, snapshot

    from metrics.block import StepBlock
    from metrics.context import ScenarioContext
    from metrics.coverage import CoverageObserver
    from simplatform.world import EntityKind

    road = FakeStraightRoad()
    context = ScenarioContext(road=road)
    shared = {"sun_elevation": 0.3, "precipitation_intensity": 0.0}
    envs = {"shared": [shared] * 6,
            "equal_copies": [dict(shared) for _ in range(6)],
            "changing": [{"sun_elevation": 0.3}, {"sun_elevation": -0.05}, {"sun_elevation": -0.05},
                         {"sun_elevation": -0.5, "precipitation_intensity": 1.0, "precipitation_type": "snow"},
                         {"fog_visual_range": 200.0}, {"sun_elevation": 0.3}],
            "empty": [{}] * 6,
            "mixed_empty": [{}, {}, shared, shared, {}, {"sun_elevation": -0.5}]}[pattern]
    snaps = [snapshot(0.1 * k, k, entity("ego", 10.0 + 196.0 * k, -1.75, speed=10.0, ego=True),
                      entity("ped", 20.0, 4.0, kind=EntityKind.PEDESTRIAN, category="pedestrian"),
                      environment=envs[k]) for k in range(6)]
    by_block, by_step = CoverageObserver(road=road), CoverageObserver(road=road)
    for part in (snaps[:3], snaps[3:]):
        by_block.observe_block(StepBlock(part, context))
    for snap in snaps:
        by_step.observe_block(StepBlock([snap], context))
    assert _coverage_tags(by_block) == _coverage_tags(by_step)
    assert by_block.result() == by_step.result()


def test_series_kernels_compile_nothing_new_in_a_run_of_many_blocks(monkeypatch):
    """After the warm-up (one block a run), a run of several blocks — whose series are the recorder's
    read-only joins — calls the series kernels with the argument types already compiled."""
    import math

    from numba.core.registry import CPUDispatcher

    import metrics
    from metrics import series_kernels, suite as suite_module, warmup
    from simplatform.world import BoundingBox, EntityKind, EntityState, LaneLocation, WorldSnapshot

    def signatures():
        return {name: set(map(str, value.signatures)) for name, value in vars(series_kernels).items()
                if isinstance(value, CPUDispatcher)}

    warmup.warm_up()
    before = signatures()
    monkeypatch.setattr(suite_module, "BLOCK_STEPS", 40)
    road = warmup._road()
    context = metrics.ScenarioContext(road=road, acc_set_speed=12.0)
    suite = metrics.MetricSuite(context)
    box = BoundingBox(4.5, 1.8, 1.5, 1.4, 0.0, 0.75)
    for k in range(150):
        t = 0.01 * k
        states = [EntityState(name, EntityKind.VEHICLE, "car", x0 + v * t, -1.75, 0.0, 0.0, 0.0, 0.0, v, v, 0.0,
                              0.3 * math.sin(3 * t), 0.0, 0.0, box, LaneLocation("1", -1, x0 + v * t, 0.0),
                              is_ego=name == "ego")
                  for name, x0, v in (("ego", 10.0, 12.0), ("lead", 40.0, 8.0))]
        suite.observe(WorldSnapshot.from_states(t, k, states, ego="ego"))
    evaluation = suite.finish()
    assert evaluation.metrics["comfort"].scalars["accel_long_rms"] > 0   # the joined series were read
    assert signatures() == before
