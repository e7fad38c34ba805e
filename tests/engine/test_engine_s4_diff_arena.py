"""Adversarial differential test of the session-4 state arena (``EntityTable.snapshot`` writing each
snapshot's state matrix into a ``StateArena`` slot, c0f947d) against the snapshot the table made
before it: one fresh ``np.concatenate`` of the table's columns per step, NaN lane rows off road, the
active rows selected.

Random operation sequences (seeded ``numpy.random.Generator``: a failure names its seed) mix what the
engine does between snapshots: moving, leaving and rejoining roads, entities deactivated and
reactivated (the active set changing), entities spawned (``add``: the table re-allocates), the ego
changing or going away, every entity inactive, snapshots made twice, arenas filling up.  Every
snapshot must equal the reference when made, and still equal it at the end (no slot is written twice).
"""

from __future__ import annotations

import numpy as np
import pytest

from simplatform.engine.entities import _SNAPSHOT_ROWS, EntitySpec, EntityTable
from simplatform.state_arena import ArenaSlots
from simplatform.world import FLOAT_COLUMNS, STATE_ROWS, EntityKind, WorldSnapshot


def _spec(k: int, ego: bool = False) -> EntitySpec:
    return EntitySpec(f"e{k}", EntityKind.VEHICLE if k % 3 else EntityKind.PEDESTRIAN, "car" if k % 3 else "pedestrian",
                      4.0 + 0.1 * k, 1.8, 1.4, 0.1 * k, -0.05 * k, 0.7, is_ego=ego)


def _reference(table: EntityTable, time: float, step: int) -> dict:
    """What the snapshot held before the arena: the table's columns copied, off-road lane rows NaN,
    the active rows."""
    n = len(table.names)
    state = np.concatenate(_SNAPSHOT_ROWS(table)).reshape(len(STATE_ROWS), n)
    off = [i for i, road in enumerate(table.lane_road) if road is None]
    state[12:, off] = np.nan
    sel = np.nonzero(table.active)[0]
    boxes = {c: getattr(table, c)[sel].copy() for c in FLOAT_COLUMNS[12:]}
    lanes = tuple(table.lane_location(i) for i in sel)
    return {"time": time, "step": step, "names": tuple(table.names[i] for i in sel), "ego": table.ego,
            "kinds": tuple(table.kinds[i] for i in sel), "categories": tuple(table.categories[i] for i in sel),
            "state": state[:, sel].copy(), "boxes": boxes, "lanes": lanes,
            "roads": tuple(table.lane_road[i] for i in sel), "visible": table.visible[sel].copy()}


def _assert_is(snap: WorldSnapshot, want: dict, where: str) -> None:
    assert (snap.time, snap.step, snap.names, snap.ego) == (want["time"], want["step"], want["names"], want["ego"]), where
    assert (snap.kinds, snap.categories) == (want["kinds"], want["categories"]), where
    assert snap.state.shape == want["state"].shape and snap.state.tobytes() == want["state"].tobytes(), where
    assert snap.state_matrix().tobytes() == want["state"].tobytes(), where
    for k, name in enumerate(STATE_ROWS[:12]):
        assert getattr(snap, name).tobytes() == want["state"][k].tobytes(), (where, name)
    for name, col in want["boxes"].items():
        assert getattr(snap, name).tobytes() == col.tobytes(), (where, name)
    assert snap.lanes == want["lanes"] and snap.lane_road_ids() == want["roads"], where
    assert snap.visible.tobytes() == want["visible"].tobytes(), where
    # the snapshot rebuilt from its rows carries the same matrix (what a backend without an arena hands over)
    rows = WorldSnapshot.from_states(snap.time, snap.step, list(snap.entities()), ego=snap.ego)
    assert rows.state_matrix().tobytes() == want["state"].tobytes(), where


def _operate(table: EntityTable, rng: np.random.Generator, spawned: list[int]) -> None:
    n = len(table.names)
    table.x[:] = rng.normal(0, 1e6 if rng.random() < 0.1 else 50, n)
    table.y[:] = rng.normal(0, 5, n)
    table.heading[:] = rng.choice([np.pi, -np.pi, 0.0, -0.0, 1.0], n)
    table.speed[:] = rng.choice([0.0, -0.0, -3.0, 12.0], n)
    table.set_velocity_from_speed()
    table.ax[:] = rng.normal(0, 1, n)
    for i in range(n):
        if rng.random() < 0.2:
            table.set_lane(i, None, 0, 0.0, 0.0, 0.0)
        elif rng.random() < 0.5:
            table.set_lane(i, str(rng.choice(["1", "2"])), int(rng.choice([-2, -1, 1])), float(rng.uniform(0, 100)),
                           float(rng.choice([0.0, -0.0, 0.4])), float(rng.normal()))
    r = rng.random()
    if r < 0.06:
        i = int(rng.integers(n))
        table.set_active(i, not table.active[i])
    elif r < 0.07:                                            # everyone leaves for a while
        for i in range(n):
            table.set_active(i, False)
    elif r < 0.09:
        for i in range(n):
            table.set_active(i, True)
    elif r < 0.10:                                            # traffic spawned: the table re-allocates
        k = 100 + len(spawned)
        spawned.append(k)
        table.add(_spec(k))
    elif r < 0.12:
        table.ego = None if rng.random() < 0.3 else str(rng.choice(table.names))
    if rng.random() < 0.05:
        table.visible[int(rng.integers(len(table.names)))] ^= True


@pytest.mark.parametrize("seed", range(8))
def test_arena_snapshots_are_the_copied_snapshots(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 7))
    table = EntityTable([_spec(k, ego=(k == 0)) for k in range(n)])
    spawned: list[int] = []
    kept: list[tuple[WorldSnapshot, dict]] = []
    steps = int(rng.choice([40, 300, 1200]))
    for step in range(steps):
        _operate(table, rng, spawned)
        want = _reference(table, 0.01 * step, step)
        snap = table.snapshot(0.01 * step, step)
        if rng.random() < 0.05:                               # made twice: the second is handed over
            snap = table.snapshot(0.01 * step, step)
        _assert_is(snap, want, f"seed {seed} step {step}")
        kept.append((snap, want))
    for snap, want in kept:                                   # no slot was written again
        _assert_is(snap, want, f"seed {seed} step {snap.step} at the end")


def test_every_entity_inactive_and_no_entity_at_all():
    table = EntityTable([_spec(0, ego=True), _spec(1)])
    table.set_active(0, False)
    table.set_active(1, False)
    snaps = [table.snapshot(0.01 * k, k) for k in range(5)]
    assert all(s.names == () and s.state.shape == (len(STATE_ROWS), 0) for s in snaps)
    found = [ArenaSlots.of(s.state) for s in snaps]
    assert found[-1] is not None and found[-1][1] == 4        # the last slot is found; the others, of no size, not
    empty = EntityTable([])
    snaps = [empty.snapshot(0.01 * k, k) for k in range(3)]
    assert all(s.names == () and s.state.shape == (len(STATE_ROWS), 0) for s in snaps)
