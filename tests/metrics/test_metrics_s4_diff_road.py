"""Adversarial differential test of the session-4 road-rule fast paths on a real OpenDRIVE road.

The road rules look only where something can happen (onsets only in blocks with a departure,
off-road, sidewalk or wrong-way step; a block on one lane answered whole; stop lines only within
reach of the ego's path box; the wrong-way decision compiled).  Random runs (seeded
``numpy.random.Generator``) along a curved three-lane road, with lane changes, wrong-way stretches,
excursions off the road, teleports across stop lines and lane lines, standing still and reversing,
are evaluated by the suite with its own blocks, one step per block and odd blocks, and from
``WorldSnapshot.from_states`` copies: every result must be the same bits.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_metrics_s4_diff_suite import copied, differences, evaluate, fingerprint

from metrics import ConflictZone, GoalRegion, RoutePath, ScenarioContext, StopLine
from metrics import suite as suite_module
from simplatform.engine.entities import EntitySpec, EntityTable
from simplatform.world import EntityKind

opendrive = pytest.importorskip("simplatform.opendrive")
xodr = pytest.importorskip("scenariogeneration.xodr")

SPECS = (EntitySpec("ego", EntityKind.VEHICLE, "car", 4.5, 1.9, 1.5, 1.4, 0.0, 0.75, is_ego=True),
         EntitySpec("car1", EntityKind.VEHICLE, "car", 4.0, 1.8, 1.4),
         EntitySpec("car2", EntityKind.VEHICLE, "car", 4.0, 1.8, 1.4),
         EntitySpec("walker", EntityKind.PEDESTRIAN, "pedestrian", 0.5, 0.5, 1.8))


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    road = xodr.create_road([xodr.Line(40), xodr.Arc(1 / 60, angle=math.pi / 2), xodr.Line(60)], id=1,
                            left_lanes=1, right_lanes=2, lane_width=3.5)
    odr = xodr.OpenDrive("curve")
    odr.add_road(road)
    odr.adjust_roads_and_lanes()
    path = tmp_path_factory.mktemp("xodr") / "curve.xodr"
    odr.write_xml(str(path))
    return opendrive.load_opendrive(path)


def _context(net) -> ScenarioContext:
    def at(s, t):
        p = net.road_pose("1", s, t)
        return (p.x, p.y)

    centre = [at(s, -1.75) for s in np.linspace(0, 190, 60)]
    lines = (StopLine("A", at(30, -7.0), at(30, 0.0), net.road_pose("1", 30).heading, signal_id="S"),
             StopLine("B", at(80, -7.0), at(80, 0.0), net.road_pose("1", 80).heading, kind="stop"),
             StopLine("C", at(120, 0.0), at(120, 3.5), net.road_pose("1", 120).heading + math.pi, signal_id="S"))
    zone = ConflictZone("Z", (at(60, -7.0), at(64, -7.0), at(64, 3.5), at(60, 3.5)))
    return ScenarioContext(road=net, route=RoutePath.from_points(centre), goal=GoalRegion(*at(170, -1.75), 3),
                           stop_lines=lines, conflict_zones=(zone,), acc_set_speed=13.0, background=("car1",))


def make_road_run(net, seed: int, steps: int = 300):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, len(SPECS) + 1))
    table = EntityTable(SPECS[:n])
    dt = float(rng.choice([0.02, 0.05]))
    s = np.concatenate([[rng.uniform(0, 20)], rng.uniform(0, 150, n - 1)])
    t = np.array([-1.75] + list(rng.choice([-5.25, -1.75, 1.75, 6.0], n - 1)), float)
    v = np.concatenate([[rng.uniform(5, 20)], rng.uniform(-3, 12, n - 1)])
    flip = np.zeros(n, bool)                  # driving against the reference direction (wrong way on lane -1)
    t_target = t.copy()
    signal = "green"
    snaps = []
    for k in range(steps):
        r = rng.random(n)
        t_target = np.where(r < 0.01, rng.choice([-5.25, -1.75, 1.75, 5.0, -8.5, 9.0], n), t_target)
        t = t + np.clip(t_target - t, -2.0 * dt, 2.0 * dt)
        v = np.where(rng.random(n) < 0.01, rng.choice([0.0, -2.0, 8.0, 20.0], n), v)
        flip ^= rng.random(n) < 0.004
        s = s + np.where(flip, -v, v) * dt
        if rng.random() < 0.01:               # a teleport across a stop line or a lane line
            i = int(rng.integers(n))
            s[i] = float(rng.choice([29.9, 30.1, 79.95, 80.0, 120.0])) if rng.random() < 0.7 else s[i]
            t[i] = float(rng.choice([-1.75, -3.5, 0.0, -5.25]))
        s = np.clip(s, -5.0, 195.0)
        for i in range(n):
            si = float(np.clip(s[i], 0.0, 190.0))
            pose = net.road_pose("1", si, float(t[i]))
            heading = pose.heading + (math.pi if flip[i] else 0.0) + 0.05 * (t_target[i] - t[i])
            heading = math.remainder(heading, 2 * math.pi) if rng.random() < 0.5 else heading
            table.x[i], table.y[i], table.heading[i] = pose.x, pose.y, heading
            table.speed[i] = v[i]
        table.ax[:] = rng.normal(0, 1, n)
        table.set_velocity_from_speed()
        got = net.locate_many(np.stack([table.x, table.y], axis=1))
        for i in range(n):
            if got.road_index[i] < 0 or not got.on_road[i]:
                table.set_lane(i, None, 0, 0.0, 0.0, 0.0)
            else:
                table.set_lane(i, got.road_ids[got.road_index[i]], int(got.lane_id[i]), float(got.s[i]),
                               float(got.offset[i]), float(got.t[i]))
        if rng.random() < 0.05:
            signal = "red" if signal == "green" else "green"
        snaps.append(table.snapshot(k * dt, k, signals={"S": signal}))
    return snaps


def _check(net, seed: int, monkeypatch, steps: int = 300) -> None:
    snaps = make_road_run(net, seed, steps)
    context = _context(net)
    fast = evaluate(snaps, context)
    plain = evaluate([copied(s) for s in snaps], context)
    assert differences(fast, plain) == [], f"seed {seed}: arena vs from_states"
    assert fingerprint(fast) == fingerprint(plain)
    for block in (1, 2 + seed % 23):
        monkeypatch.setattr(suite_module, "BLOCK_STEPS", block)
        other = evaluate(snaps, context)
        assert differences(fast, other) == [], f"seed {seed}: blocks of {block}"
        assert fingerprint(fast) == fingerprint(other)


@pytest.mark.parametrize("seed", range(4))
def test_road_rules_agree_across_block_sizes_and_copies(network, seed, monkeypatch):
    _check(network, seed, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(100, 124))
def test_road_rules_agree_across_block_sizes_and_copies_sweep(network, seed, monkeypatch):
    _check(network, seed, monkeypatch, steps=500)
