"""Adversarial differential test of the session-4 PET fast paths (the zone broad phase and the compiled
separating-axis overlap, lane users per zone) on the shipped four-way junction, whose conflict zones the
suite derives from the road (lane pairs: ``ConflictZone.lanes``).

Vehicles drive the junction's connecting roads (the lane poses of the map), some of them reversing, some
standing in a zone, some leaving the road, while others appear and leave (seeded
``numpy.random.Generator``); the suite's own blocks, one step per block and odd blocks, and
``from_states`` copies must give the same bits.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from test_metrics_s4_diff_suite import copied, differences, evaluate

from metrics import ScenarioContext
from metrics import suite as suite_module
from simplatform.engine.entities import EntitySpec, EntityTable
from simplatform.world import EntityKind

opendrive = pytest.importorskip("simplatform.opendrive")
MAP = Path(__file__).parents[2] / "scenarios" / "maps" / "junction_4way.xodr"


@pytest.fixture(scope="module")
def junction():
    net = opendrive.load_opendrive(MAP)
    return net, ScenarioContext(road=net)


def _lanes(net, road_id: str) -> list[int]:
    return [lid for lid in net.lane_ids(road_id, 0.1) if lid != 0 and net.lane_type(road_id, lid, 0.1) == "driving"]


def make_junction_run(net, seed: int, steps: int = 240):
    rng = np.random.default_rng(seed)
    inner = [rid for rid, r in net.roads.items() if r.junction not in (None, "-1")]
    n = int(rng.integers(2, 7))
    table = EntityTable([EntitySpec("ego" if i == 0 else f"v{i}", EntityKind.VEHICLE, "car", 4.5, 1.9, 1.5,
                                    is_ego=i == 0) for i in range(n)])
    route = [str(rng.choice(inner)) for _ in range(n)]
    lane = [int(rng.choice(_lanes(net, r) or [-1])) for r in route]
    s = rng.uniform(0.0, 5.0, n)
    v = rng.choice([0.0, 4.0, 8.0, 12.0, -2.0], n)
    dt = 0.05
    snaps = []
    for k in range(steps):
        if rng.random() < 0.03:   # a stop in the zone, a start, a reversal
            v[int(rng.integers(n))] = float(rng.choice([0.0, 6.0, -3.0]))
        s = s + v * dt
        for i in range(n):
            length = net.roads[route[i]].length
            if s[i] > length or s[i] < 0:   # the next connecting road
                route[i] = str(rng.choice(inner))
                lane[i] = int(rng.choice(_lanes(net, route[i]) or [-1]))
                s[i] = 0.0 if v[i] >= 0 else net.roads[route[i]].length
            pose = net.lane_pose(route[i], lane[i], float(np.clip(s[i], 0, net.roads[route[i]].length)), 0.0)
            off = 0.0 if rng.random() > 0.01 else float(rng.choice([2.5, -9.0]))   # a swerve off the lane
            table.x[i], table.y[i] = pose.x - off * math.sin(pose.heading), pose.y + off * math.cos(pose.heading)
            table.heading[i] = pose.heading + (math.pi if lane[i] > 0 else 0.0)
            table.speed[i] = v[i]
        table.set_velocity_from_speed()
        got = net.locate_many(np.stack([table.x, table.y], axis=1))
        for i in range(n):
            if got.road_index[i] < 0 or not got.on_road[i]:
                table.set_lane(i, None, 0, 0.0, 0.0, 0.0)
            else:
                table.set_lane(i, got.road_ids[got.road_index[i]], int(got.lane_id[i]), float(got.s[i]),
                               float(got.offset[i]), float(got.t[i]))
        if n > 2 and rng.random() < 0.02:
            i = int(rng.integers(1, n))
            table.set_active(i, not table.active[i])
        snaps.append(table.snapshot(k * dt, k))
    return snaps


def _check(junction, seed: int, monkeypatch, steps: int = 240):
    net, context = junction
    snaps = make_junction_run(net, seed, steps)
    fast = evaluate(snaps, context)
    assert differences(fast, evaluate([copied(s) for s in snaps], context)) == [], f"seed {seed}: copies"
    for block in (1, 3 + seed % 17):
        monkeypatch.setattr(suite_module, "BLOCK_STEPS", block)
        assert differences(fast, evaluate(snaps, context)) == [], f"seed {seed}: blocks of {block}"
    return fast


def test_the_worst_pet_moment_does_not_depend_on_the_block_size(junction, monkeypatch):
    net, context = junction
    snaps = make_junction_run(net, 0)
    want = evaluate(snaps, context).metrics["post_encroachment"]
    monkeypatch.setattr(suite_module, "BLOCK_STEPS", 1)
    got = evaluate(snaps, context).metrics["post_encroachment"]
    assert got.scalars == want.scalars
    assert (got.worst_time, got.worst_entities) == (want.worst_time, want.worst_entities)


@pytest.mark.parametrize("seed", range(3))
def test_pet_on_the_derived_junction_zones_agrees_across_blocks_and_copies(junction, seed, monkeypatch):
    fast = _check(junction, seed, monkeypatch)
    assert fast.scalars()["pet_min"] < math.inf and fast.metrics["post_encroachment"].events   # PET is exercised


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 116))
def test_pet_on_the_derived_junction_zones_agrees_sweep(junction, seed, monkeypatch):
    _check(junction, seed, monkeypatch, steps=400)
