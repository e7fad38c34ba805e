"""Session 8 (issue #7): ``BlockBuffer.runs_of`` gives one stretch per object of the field asked
for, not one per change of any shared field — the same object at every step as the per-step
field, and the stretches of a field that did change split where it changed."""

from __future__ import annotations

import numpy as np
import pytest

from metrics import MetricSuite, ScenarioContext
from metrics.block import StepBlock
from metrics.block_buffer import _SHARED
from simplatform.engine.entities import EntitySpec, EntityTable
from simplatform.world import EntityKind


def _buffer(steps: int, seed: int, env_every: int = 0):
    """An arena block of a three-car table whose contacts begin and end (new ``collisions`` objects)
    and, every ``env_every`` steps, whose environment is a new dict."""
    rng = np.random.default_rng(seed)
    specs = [EntitySpec("ego", EntityKind.VEHICLE, "car", 4.5, 1.9, 1.5, 1.4, 0.0, 0.75, is_ego=True),
             EntitySpec("a", EntityKind.VEHICLE, "car", 4.0, 1.8, 1.5), EntitySpec("b", EntityKind.VEHICLE, "truck", 8.0, 2.5, 3.0)]
    table = EntityTable(specs)
    suite = MetricSuite(ScenarioContext())
    collisions: tuple = ()
    env = {"sun_elevation": 0.5}
    snaps = []
    for k in range(steps):
        table.x[:] = (float(k), 10.0 + k, 30.0 + k)
        if rng.random() < 0.1:
            collisions = () if collisions else (("ego", "a"),)
        if env_every and k and k % env_every == 0:
            env = {"sun_elevation": 0.5 - 0.01 * k}
        snap = table.snapshot(0.01 * k, k, collisions=collisions, environment=env)
        snaps.append(snap)
        suite._buffer.append(snap)
    return suite._buffer, snaps


@pytest.mark.parametrize("seed,env_every", [(0, 0), (1, 0), (2, 7), (3, 1)])
def test_runs_of_one_stretch_per_object(seed, env_every):
    buffer, snaps = _buffer(60, seed, env_every)
    assert buffer.slots is not None and len(buffer.changes) > 2
    for name in _SHARED:
        runs = buffer.runs_of(name)
        assert runs[0][0] == 0 and runs[-1][1] == len(snaps)
        assert all(a[1] == b[0] and a[0] < a[1] for a, b in zip(runs, runs[1:]))
        assert all(a[2] is not b[2] for a, b in zip(runs, runs[1:]))   # neighbours are other objects
        per_step = [v for start, stop, v in runs for _ in range(stop - start)]
        assert all(a is getattr(s, name) for a, s in zip(per_step, snaps)), name
    assert len(buffer.runs_of("kinds")) == len(buffer.runs_of("lane_roads")) == 1
    assert len(buffer.runs_of("environment")) == (1 if not env_every else 1 + (len(snaps) - 1) // env_every)
    for name in ("collisions", "environment"):
        assert len(buffer.runs_of(name)) == 1 + sum(getattr(a, name) is not getattr(b, name)
                                                    for a, b in zip(snaps, snaps[1:]))


def test_block_reads_through_the_runs_as_per_step():
    buffer, snaps = _buffer(80, 5, env_every=9)
    block = StepBlock(None, ScenarioContext(), None, gathered=buffer)
    plain = StepBlock(snaps, ScenarioContext())
    for name in ("lane_roads", "environment", "collisions", "kinds"):
        assert all(a is b for a, b in zip(block.each(name), plain.each(name)))
    known, roads, lanes, s, t = block.ego_lanes
    k2, r2, l2, s2, t2 = plain.ego_lanes
    assert list(roads) == list(r2) and known.tolist() == k2.tolist()
    assert lanes.tobytes() == l2.tobytes() and s.tobytes() == s2.tobytes() and t.tobytes() == t2.tobytes()
