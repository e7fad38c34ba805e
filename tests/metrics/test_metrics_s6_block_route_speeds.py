"""Session 6 (issue #7): the minimum-speed rule reads the background vehicles' speeds in place from
the block's kinematic rows (``block.kin``: the state matrices' own rows, strided views) instead of
two (T, N) column copies: ``route_kernels.mean_speeds`` on those views gives the floats it gives on
the copied columns, and the metric's result is the same whether its blocks come from the native
engine's arena (views of the arena) or from plain snapshots (stacked columns)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from metrics import MetricSuite, RoutePath, ScenarioContext
from metrics.route_kernels import SMALL_SUM, mean_speeds
from simplatform.state_arena import StateArena
from simplatform.world import FLOAT_COLUMNS, STATE_INDEX, EntityKind, WorldSnapshot

_WRITERS: list = []


@pytest.mark.parametrize("seed", range(6))
def test_mean_speeds_on_strided_rows_equal_the_copied_columns(seed: int) -> None:
    rng = np.random.default_rng(seed)
    T, N = int(rng.integers(1, 300)), int(rng.integers(1, 30))
    kin = rng.normal(0, 20, (T, len(STATE_INDEX), N))
    if seed % 2:   # edge values: zeros, huge, subnormal, inf and NaN
        kin.ravel()[rng.integers(0, kin.size, 40)] = rng.choice([0.0, 1e300, 5e-324, np.inf, -np.inf, np.nan], 40)
    kin.flags.writeable = False
    rvx, rvy = STATE_INDEX["vx"], STATE_INDEX["vy"]
    cols = rng.choice(N, int(rng.integers(1, min(N, SMALL_SUM - 1) + 1)), replace=False).astype(np.int64)
    got = mean_speeds(kin[:, rvx], kin[:, rvy], cols)
    want = mean_speeds(np.ascontiguousarray(kin[:, rvx]), np.ascontiguousarray(kin[:, rvy]), cols)
    numpy = np.mean(np.hypot(kin[:, rvx][:, cols], kin[:, rvy][:, cols]), axis=1)
    assert got.tobytes() == want.tobytes() == numpy.tobytes()


def _stream(steps: int, n: int, seed: int):
    rng = np.random.default_rng(seed)
    names = ("ego",) + tuple(f"b{i}" for i in range(1, n))
    arena = StateArena(names, "ego", capacity=steps)
    _WRITERS.append(arena)
    box = {"length": np.full(n, 4.5), "width": np.full(n, 1.9), "height": np.full(n, 1.5),
           "bbox_center_x": np.full(n, 1.4), "bbox_center_y": np.zeros(n), "bbox_center_z": np.full(n, 0.75)}
    x = np.arange(n) * 10.0
    v = rng.uniform(8, 15, n)
    for k in range(steps):
        v = np.clip(v + rng.normal(0, 0.5, n), 0, 30)
        v[0] = 3.0 + 2.0 * math.sin(0.01 * k)   # the ego dawdles behind the traffic
        x = x + v * 0.05
        nan = np.full(n, np.nan)
        state = arena.write([x, np.full(n, -1.75), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), v, v,
                             rng.normal(0, 0.1, n), np.zeros(n), np.zeros(n), np.zeros(n), nan, nan, np.zeros(n)])
        yield WorldSnapshot.from_state_matrix(round(0.05 * (k + 1), 9), k, names, (EntityKind.VEHICLE,) * n,
                                              ("car",) * n, state, box, (None,) * n, (None,) * n,
                                              np.ones(n, dtype=bool), ego="ego")


def _plain(snap: WorldSnapshot) -> WorldSnapshot:
    """The same step as another backend hands it over (columns of its own, no state matrix)."""
    cols = {name: np.array(getattr(snap, name)) for name in FLOAT_COLUMNS}
    return WorldSnapshot(time=snap.time, step=snap.step, names=snap.names, kinds=snap.kinds,
                         categories=snap.categories, **cols, lanes=tuple(snap.lanes), visible=snap.visible.copy(),
                         ego=snap.ego)


@pytest.mark.parametrize("n,background", [(4, ("b1", "b2")), (12, ("b1", "b3", "b5", "b7", "b9", "b11")),
                                          (12, tuple(f"b{i}" for i in range(1, 12)))])
def test_min_speed_route_is_the_same_from_arena_and_plain_blocks(n: int, background: tuple[str, ...]) -> None:
    snaps = list(_stream(700, n, n + len(background)))
    route = RoutePath.from_points(np.stack([np.linspace(0.0, 200.0, 101), np.full(101, -1.75)], axis=1))
    results = []
    for stream in (snaps, [_plain(s) for s in snaps]):
        suite = MetricSuite(ScenarioContext(route=route, background=background), all_metrics=False,
                            extra_metrics=("min_speed_route",))
        for s in stream:
            suite.observe(s)
        results.append(suite.finish().metrics["min_speed_route"])
    a, b = results
    assert a.scalars.keys() == b.scalars.keys() and a.scalars
    assert all(x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a.scalars.values(), b.scalars.values()))
    assert [(e.time, e.value) for e in a.events] == [(e.time, e.value) for e in b.events]
    assert a.events, "the ego is slower than the traffic somewhere: some checkpoint falls short"
