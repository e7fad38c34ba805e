"""Canonical static regions (``sensors.scene_region``): the crop that serves a query is a function of the
query alone, so a sensor's cloud does not depend on the sensing history, nor on the other sensors that
share the scene, even where first hits tie on coincident triangles (the shipped urban_grid map)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from sensors_testworld import entity, grid, snapshot

from sensors.base import SensorConfig
from sensors.frames import MountPose
from sensors.lidar import Lidar
from sensors.scene import SensorScene, StaticWorld
from sensors.scene_region import RegionCache, canonical_reach


def test_the_canonical_reach_is_the_next_sixteenth_of_its_octave():
    assert [canonical_reach(r) for r in (100.0, 120.0, 200.0, 260.0, 64.0)] == [100.0, 120.0, 200.0, 272.0, 64.0]
    assert canonical_reach(100.5) == 104.0 and canonical_reach(0.3) == 1.0
    rng = np.random.default_rng(0)
    for r in np.concatenate([rng.uniform(1.0, 500.0, 2000), 2.0 ** np.arange(1, 9)]):
        c = canonical_reach(float(r))
        assert r <= c < 1.0625 * r or c == r
        assert canonical_reach(c) == c                   # a canonical reach is its own key


def test_every_query_is_covered_by_the_region_of_its_key():
    """|o − c| + R ≤ ρ for the key's centre c and radius ρ (the proof in the module docstring), also far from
    the map origin and at cell boundaries (half-integer multiples of the spacing)."""
    rng = np.random.default_rng(1)
    for k in range(4000):
        reach = float(rng.uniform(1.0, 400.0))
        r, i, j, l = RegionCache.key(np.zeros(3), reach)
        gx, gz = RegionCache._spacing(r)
        scale = 10.0 ** rng.integers(0, 6)
        o = rng.uniform(-scale, scale, 3)
        if k % 2:                                        # on a boundary between two cells
            o = (np.round(o / [gx, gx, gz]) + 0.5) * [gx, gx, gz]
        key = RegionCache.key(o, reach)
        c = np.array([key[1] * gx, key[2] * gx, key[3] * gz])
        assert math.sqrt((o - c).dot(o - c)) + reach <= r + RegionCache.margin(r)


def test_the_region_serving_a_query_does_not_depend_on_the_queries_before_it():
    mesh = grid(600.0)
    queries = [(np.array([x, y, 1.9]), reach) for x, y in ((0.0, 0.0), (30.0, -12.0), (95.0, 40.0), (-150.0, 7.0))
               for reach in (25.0, 100.0, 120.0, 260.0)]
    alone = []
    for centre, reach in queries:
        region = StaticWorld([mesh]).region(centre, reach)
        alone.append((region.radius, region.triangle_count, region.triangle_material.tobytes()))
    world = StaticWorld([mesh])
    for order in (range(len(queries)), reversed(range(len(queries))), [3, 0, 7, 1, 12, 5, 15, 2] * 3):
        for q in order:
            region = world.region(*queries[q])
            assert (region.radius, region.triangle_count, region.triangle_material.tobytes()) == alone[q]
            # a region serves its own canonical reach only: never a longer-reaching sensor's crop
            assert region.radius == canonical_reach(queries[q][1]) + RegionCache.margin(canonical_reach(queries[q][1]))
    assert alone[0][1] < alone[1][1] < world.triangle_count    # the crops are crops (the test is not vacuous)


@pytest.fixture(scope="module")
def urban():
    from simplatform.opendrive import load_opendrive
    from simplatform.opendrive.mesh import build_road_mesh

    net = load_opendrive(Path(__file__).parents[2] / "scenarios" / "maps" / "urban_grid.xodr")
    return net, build_road_mesh(net)


def _sweep(net, world, preset: str, s: float):
    pose = net.road_pose("1", s, -1.75)
    snap = snapshot(entity("ego", x=pose.x, y=pose.y, z=pose.z, heading=pose.heading, ego=True))
    config = SensorConfig(name="l", type="lidar", preset=preset, mount=MountPose(z=1.9),
                          parameters={"labels": True, "range_noise_m": 0.0})
    return Lidar(config).sense(snap, SensorScene(world, snap))


def _same(a, b) -> bool:
    return a.width == b.width and a.points.tobytes() == b.points.tobytes() and a.labels.tobytes() == b.labels.tobytes()


def test_a_sweep_does_not_depend_on_another_sensor_with_another_range(urban):
    """A VLP-16 (100 m) on urban_grid (coincident junction triangles: tied first hits) alone, and after an
    HDL-64E (120 m) and a Livox-Mid40 (260 m) swept the same scene from the same place."""
    net, mesh = urban
    for s in (120.0, 130.0):
        alone = _sweep(net, StaticWorld([mesh]), "VLP-16", s)
        shared = StaticWorld([mesh])
        _sweep(net, shared, "HDL-64E", s)
        _sweep(net, shared, "Livox-Mid40", s)
        assert alone.width > 1000 and _same(alone, _sweep(net, shared, "VLP-16", s))


def test_sweeps_do_not_depend_on_their_order(urban):
    net, mesh = urban
    stations = (80.0, 95.0, 108.0, 120.0, 130.0)
    alone = {s: _sweep(net, StaticWorld([mesh]), "VLP-16", s) for s in stations}
    for order in (stations, stations[::-1]):
        world = StaticWorld([mesh])
        for s in order:
            assert _same(alone[s], _sweep(net, world, "VLP-16", s)), s
