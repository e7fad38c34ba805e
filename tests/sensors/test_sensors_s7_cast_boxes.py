"""Rays proved to hit an actor box before any static triangle skip the static cast (``sensors.static_boxes``).

What must hold: a proved ray's static hit on the whole static world (so on any crop of it) lies strictly
beyond one of its pairs' box hits; the cast with the proof (``SensorScene.cast_rays`` with the slab tests
made before it) equals the cast without it bit for bit in t, normal, material and actor, and leaves the
ray buffer as it found it; lidar clouds are unchanged.  Checked on the scenario maps and on synthetic worlds
(hills, poles, a deck above the road) with cars on the road, sunk into it, on hills and under the deck.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import open3d as o3d
import pytest
from sensors_testworld import entity, every_box_pair, snapshot

import sensors.lidar as lidar_module
import sensors.static_cast as static_cast
from sensors.base import SensorConfig
from sensors.frames import MountPose
from sensors.lidar import Lidar
from sensors.scene import SensorScene, SimpleMesh, StaticWorld
from sensors.static_boxes import STEP, height_profile, prove_box_first, warm_up

MAPS = Path(__file__).parents[2] / "scenarios" / "maps"


def _mesh(vertices, triangles, material="asphalt") -> SimpleMesh:
    mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(vertices), o3d.utility.Vector3iVector(triangles))
    return SimpleMesh.single(mesh, material)


def _boxes(centres, half, material) -> SimpleMesh:
    mesh = o3d.geometry.TriangleMesh()
    for c, h in zip(centres, half):
        box = o3d.geometry.TriangleMesh.create_box(*(2 * np.asarray(h)))
        box.translate(np.asarray(c) - np.asarray(h))
        mesh += box
    return SimpleMesh.single(mesh, material)


def _hills(rng) -> SimpleMesh:
    n, size = 80, 240.0
    xs = np.linspace(-size / 2, size / 2, n + 1)
    gx, gy = np.meshgrid(xs, xs)
    z = sum(rng.uniform(-3, 4) * np.exp(-((gx - rng.uniform(-80, 80)) ** 2 + (gy - rng.uniform(-80, 80)) ** 2)
                                        / (2 * rng.uniform(10, 40) ** 2)) for _ in range(5))
    v = np.stack([gx.ravel(), gy.ravel(), np.asarray(z).ravel()], axis=1)
    idx = np.arange((n + 1) ** 2).reshape(n + 1, n + 1)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel()
    return _mesh(v, np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)]), "grass")


@pytest.fixture(scope="module")
def worlds() -> dict[str, StaticWorld]:
    from simplatform.opendrive import load_opendrive
    from simplatform.opendrive.mesh import build_road_mesh

    rng = np.random.default_rng(7)
    out = {name: StaticWorld([build_road_mesh(load_opendrive(MAPS / f"{name}.xodr"))])
           for name in ("highway_straight", "junction_4way", "rural_curves")}
    poles = _boxes(np.column_stack([rng.uniform(-40, 40, 40), rng.uniform(-40, 40, 40), np.full(40, 3.0)]),
                   np.tile([0.15, 0.15, 3.0], (40, 1)), "metal")
    out["hills+poles"] = StaticWorld([_hills(rng), poles])
    road = _boxes([[0.0, 0.0, -0.05]], [[300.0, 8.0, 0.05]], "asphalt")
    deck = _boxes([[0.0, 0.0, 4.0], [20.0, 5.0, 0.6]], [[60.0, 9.0, 0.3], [3.0, 0.5, 0.6]], "concrete")
    out["road under a deck"] = StaticWorld([road, deck])
    return out


def _ground(world: StaticWorld, xy: np.ndarray) -> float:
    """The static world's top at xy (a vertical ray from far above), 0 where there is none."""
    t = world.scene.cast_rays(o3d.core.Tensor(np.array([[xy[0], xy[1], 1e3, 0, 0, -1]], np.float32)))["t_hit"]
    t = float(t.numpy()[0])
    return 1e3 - t if math.isfinite(t) else 0.0


def _scene(world: StaticWorld, rng, origin) -> tuple[SensorScene, np.ndarray]:
    """Twenty cars around ``origin``: on the ground, sunk 0.3–1 m into it, lifted, some under the deck."""
    states = [entity("ego", origin[0], origin[1], origin[2] - 1.9)]
    for k in range(20):
        xy = origin[:2] + rng.uniform(-35, 35, 2)
        z = _ground(world, xy) + rng.choice([0.0, 0.0, -rng.uniform(0.3, 1.0), rng.uniform(0.0, 0.5)])
        states.append(entity(f"car{k}", xy[0], xy[1], z, heading=float(rng.uniform(-np.pi, np.pi))))
    snap = snapshot(*states)
    return SensorScene(world, snap), snap


def _rays(origin, rng, rings=64, columns=900) -> np.ndarray:
    el = np.sort(rng.uniform(-0.45, 0.05, rings))
    az = np.linspace(-np.pi, np.pi, columns, endpoint=False)
    e, a = np.meshgrid(el, az, indexing="ij")
    d = np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], axis=-1).reshape(-1, 3)
    o = np.tile(origin, (len(d), 1))
    return np.ascontiguousarray(np.concatenate([o, d], axis=1), dtype=np.float32)



def _poses(world, rng, count):
    tri = world.vertices[world.triangles[rng.integers(0, world.triangle_count, count)].astype(np.intp)]
    p = np.einsum("ij,ijk->ik", rng.dirichlet(np.ones(3), count), tri.astype(np.float64))
    p[:, 2] += rng.uniform(1.2, 2.5, count)
    return list(p)


@pytest.fixture
def forced(monkeypatch):
    """The proof and the miss proof on for casts of every size."""
    monkeypatch.setattr(static_cast, "CULL_MIN_RAYS", 0)
    monkeypatch.setattr(static_cast, "CULL_RAYS_PER_CELL", 0)


def test_a_proved_ray_hits_the_static_world_beyond_its_box(worlds, forced):
    """The proof against open3d on the whole static world: t_static > the least pair t of every proved ray."""
    rng = np.random.default_rng(3)
    proved_total = {}
    for name, world in worlds.items():
        total = 0
        for origin in _poses(world, rng, 3):
            scene, _ = _scene(world, rng, origin)
            rays = _rays(origin, rng, rings=32, columns=600)
            (ray, _), (pair_t, _) = every_box_pair(scene, rays)
            found = prove_box_first(world.height_grid, rays, origin, 0.0, 120.0, 0, len(rays), (ray, pair_t))
            if found is None:
                continue
            rows = found.rows[:found.count]
            least = np.full(len(rays), np.inf, np.float32)
            np.minimum.at(least, ray, np.where(np.isnan(pair_t), np.inf, pair_t))
            t = world.scene.cast_rays(o3d.core.Tensor(rays))["t_hit"].numpy()
            bad = rows[~(t[rows] > least[rows])]
            assert len(bad) == 0, (name, origin, bad[:5], t[bad][:5], least[bad][:5])
            assert np.array_equal(np.flatnonzero(found.skip), np.sort(rows))
            total += len(rows)
        proved_total[name] = total
    assert all(v > 0 for k, v in proved_total.items() if k != "road under a deck"), proved_total


def _cast(scene, rays, origin, pairs, slabs, max_range=120.0):
    hits = scene.cast_rays(o3d.core.Tensor.from_numpy(rays), max_range=max_range, actor_pairs=pairs,
                           origin_ball=(origin, 0.0), pair_hits=slabs, trim=False, own_rays=True)
    return hits


@pytest.mark.parametrize("split", [64, 10 ** 9])
def test_the_cast_with_the_proof_equals_the_cast_without(worlds, forced, monkeypatch, split):
    """Bit for bit after the box merge (t, normal, material, actor), and the ray buffer is restored; with the
    steep leading run cast in place (its proved rays replaced for the cast) or gathered with the rest."""
    monkeypatch.setattr(static_cast, "SPLIT_MIN_RAYS", split)
    rng = np.random.default_rng(11)
    used = 0
    for name, world in worlds.items():
        for origin in _poses(world, rng, 3):
            scene, _ = _scene(world, rng, origin)
            rays = _rays(origin, rng)
            pairs, slabs = every_box_pair(scene, rays)
            before = rays.copy()
            calls = []
            real = static_cast.prove_box_first

            def spy(*args):
                found = real(*args)
                calls.append(0 if found is None else found.count)
                return found

            monkeypatch.setattr(static_cast, "prove_box_first", spy)
            got = _cast(scene, rays, origin, pairs, slabs)
            assert rays.tobytes() == before.tobytes(), name
            monkeypatch.setattr(static_cast, "prove_box_first", lambda *a: None)
            want = _cast(scene, rays, origin, pairs, slabs)
            for field in ("t", "normal", "material", "actor"):
                assert getattr(got, field).tobytes() == getattr(want, field).tobytes(), (name, field)
            used += sum(calls)
    assert used > 0


def test_a_read_only_buffer_or_no_slab_tests_casts_as_before(worlds, forced):
    world = worlds["highway_straight"]
    rng = np.random.default_rng(5)
    origin = _poses(world, rng, 1)[0]
    scene, _ = _scene(world, rng, origin)
    rays = _rays(origin, rng, rings=32, columns=600)
    (ray, _), (pair_t, _) = every_box_pair(scene, rays)
    frozen = rays.copy()
    frozen.flags.writeable = False
    found = prove_box_first(world.height_grid, frozen, origin, 0.0, 120.0, 0, len(rays), (ray, pair_t))
    assert found is not None and not found.writable and found.neutralize(frozen, 0, len(rays), 1.0) == 0
    found = prove_box_first(world.height_grid, rays, origin, 0.0, 120.0, 0, len(rays), (ray, pair_t), False)
    assert not found.writable
    assert prove_box_first(world.height_grid, rays, origin, 0.0, 120.0, 0, len(rays), None) is None
    assert prove_box_first(None, rays, origin, 0.0, 120.0, 0, len(rays), (ray, pair_t)) is None
    bad = origin.copy()
    bad[0] = np.nan
    assert prove_box_first(world.height_grid, rays, bad, 0.0, 120.0, 0, len(rays), (ray, pair_t)) is None


def test_the_height_profile_bounds_every_vertex_within_its_bin(worlds):
    """Z[i] ≥ the z of every vertex within i·STEP of the centre's xy (brute force over the vertices)."""
    rng = np.random.default_rng(2)
    for name in ("hills+poles", "junction_4way"):
        world = worlds[name]
        for origin in _poses(world, rng, 3):
            profile, widen, zeta, cap = height_profile(world.height_grid, origin, 0.5, 60.0)
            v = world.vertices.astype(np.float64)
            dist = np.hypot(v[:, 0] - origin[0], v[:, 1] - origin[1])
            k = np.floor(dist / STEP).astype(np.int64) + 1        # a vertex at dist lies within k·STEP
            inside = k < len(profile)
            assert np.all(profile[k[inside]] >= v[inside, 2]), name
            assert np.all(np.diff(profile) >= 0) and widen >= 0.5 and zeta > 0 and 60.0 < cap < 61.0


def test_lidar_sweeps_are_unchanged(worlds, monkeypatch):
    """HDL-64E sweeps on two threads (the slab tests made before the cast) with and without the proof."""
    monkeypatch.setattr(lidar_module, "_spare_cpu", lambda own: True)
    rng = np.random.default_rng(9)
    for name in ("highway_straight", "hills+poles"):
        world = worlds[name]
        origin = _poses(world, rng, 1)[0]
        scene, snap = _scene(world, rng, origin)
        clouds = []
        for on in (True, False):
            if not on:
                monkeypatch.setattr(static_cast, "prove_box_first", lambda *a: None)
            lidar = Lidar(SensorConfig(name="l", type="lidar", preset="HDL-64E", mount=MountPose(z=1.9),
                                       parameters={"dropout_probability": 0.01, "labels": True}))
            cloud = lidar.sense(snap, SensorScene(world, snap))
            clouds.append((cloud.points.tobytes(), cloud.labels.tobytes()))
        assert clouds[0] == clouds[1], name


def test_warm_up_runs():
    warm_up()


def test_a_cast_without_slab_tests_makes_them_first_and_equals_the_one_pass_merge(worlds, forced):
    """``cast_rays`` with pairs but no slab tests (a one-thread or motion-distorted sweep) tests the pairs
    before the static cast and merges after it: the same arrays as the static cast followed by
    ``merge_box_hits``, and the proof is used."""
    from sensors.actor_boxes import merge_box_hits

    rng = np.random.default_rng(13)
    used = 0
    for name in ("highway_straight", "junction_4way", "hills+poles"):
        world = worlds[name]
        origin = _poses(world, rng, 1)[0]
        scene, _ = _scene(world, rng, origin)
        rays = _rays(origin, rng)
        pairs, _ = every_box_pair(scene, rays)
        real = static_cast.prove_box_first
        calls = []

        def spy(*args):
            found = real(*args)
            calls.append(0 if found is None else found.count)
            return found

        static_cast.prove_box_first = spy
        try:
            got = _cast(scene, rays, origin, pairs, None)
        finally:
            static_cast.prove_box_first = real
        used += sum(calls)
        t, normal, material = world.cast_hits(o3d.core.Tensor.from_numpy(rays), origin, 120.0, max_range=120.0,
                                              origin_z=(float(origin[2]),) * 2)
        actor = np.full(len(rays), -1, np.int32)
        merge_box_hits(scene.actor_boxes, rays, pairs[0], pairs[1], t, normal, material, actor, scene.n_static)
        for field, want in (("t", t), ("normal", normal), ("material", material), ("actor", actor)):
            assert getattr(got, field).tobytes() == want.tobytes(), (name, field)
    assert used > 0


def test_a_huge_range_keeps_the_profile_small(worlds):
    """The reach is clipped to the grid before the slack is taken from it (``static_horizon`` does the same):
    a 10¹⁵ m range gives a profile no longer than the map's, and pairs beyond it prove nothing."""
    world = worlds["highway_straight"]
    origin = np.array([500.0, 0.0, 1.9])
    profile, widen, zeta, cap = height_profile(world.height_grid, origin, 0.0, 1e15)
    assert cap < 2e3 and zeta < 1.0 and len(profile) < 1e4
    rays = np.tile(np.array([500.0, 0.0, 1.9, 0.0, 0.6, 0.8], np.float32), (512, 1))
    ray = np.arange(512, dtype=np.int64)
    far = np.full(512, 1e12, np.float32)                        # beyond every cell: nothing is proved
    assert prove_box_first(world.height_grid, rays, origin, 0.0, 1e15, 0, 512, (ray, far)) is None
    near = np.full(512, 5.0, np.float32)                        # rising rays: their boxes come first
    found = prove_box_first(world.height_grid, rays, origin, 0.0, 1e15, 0, 512, (ray, near))
    assert found is not None and found.count == 512


@pytest.mark.parametrize("centre, radius, max_range", [
    ((500.0, 0.0, 1.9), 1e299, 120.0),            # a motion-distorted head on an ego at 1e300 m/s: the origin ball
    ((1e300, 0.0, 1.9), 0.0, 120.0),              # coordinates whose float32 slack is larger than any map
    ((1e9, 0.0, 1.9), 0.0, 1e15),                 # a sensor far off the map with an unbounded range
])
def test_an_origin_ball_or_reach_beyond_any_map_proves_nothing(worlds, centre, radius, max_range):
    """Where the profile would need more than MAX_PROFILE_BINS bins no ray is proved (all are cast, the exact
    answer) instead of allocating it (a ValueError or MemoryError ended the sweep, review s7)."""
    world = worlds["highway_straight"]
    origin = np.array(centre)
    assert height_profile(world.height_grid, origin, radius, max_range) is None
    rays = np.tile(np.array([*centre, 0.0, 0.6, 0.8], np.float32), (512, 1))
    near = np.full(512, 5.0, np.float32)
    assert prove_box_first(world.height_grid, rays, origin, radius, max_range, 0, 512,
                           (np.arange(512, dtype=np.int64), near)) is None


def test_a_read_only_caller_array_is_never_written(worlds, forced, monkeypatch):
    """open3d's ``Tensor.from_numpy`` of a read-only array shares its memory behind a writeable view: the
    cast must not replace rows there (a read-only mapping would crash); it rewrites rows only of a buffer
    its caller gives as scratch (``own_rays``), and the hits are the same every way."""
    import sensors.static_boxes as static_boxes

    monkeypatch.setattr(static_cast, "SPLIT_MIN_RAYS", 64)            # the steep run is cast in place
    world = worlds["highway_straight"]
    rng = np.random.default_rng(21)
    origin = np.array([500.0, 0.0, 1.9])
    cars = [entity(f"car{k}", origin[0] + 6.0 * math.cos(a), origin[1] + 6.0 * math.sin(a), 0.0, heading=a)
            for k, a in enumerate(np.linspace(0.0, 2 * np.pi, 6, endpoint=False))]   # steep rays meet them
    snap = snapshot(entity("ego", origin[0], origin[1], 0.0), *cars)
    scene = SensorScene(world, snap)
    rays = _rays(origin, rng)
    pairs, slabs = every_box_pair(scene, rays)
    calls = []
    real = static_boxes.neutralize

    def spy(*args):
        calls.append(args[0].flags.writeable)
        return real(*args)

    monkeypatch.setattr(static_boxes, "neutralize", spy)
    frozen = rays.copy()
    frozen.flags.writeable = False
    got = scene.cast_rays(frozen, max_range=120.0, actor_pairs=pairs, origin_ball=(origin, 0.0), pair_hits=slabs,
                          trim=False)
    assert calls == [] and frozen.tobytes() == rays.tobytes()
    lent = scene.cast_rays(rays, max_range=120.0, actor_pairs=pairs, origin_ball=(origin, 0.0), pair_hits=slabs,
                           trim=False)
    assert calls == []                                           # a caller's writeable array is not scratch either
    want = scene.cast_rays(rays, max_range=120.0, actor_pairs=pairs, origin_ball=(origin, 0.0), pair_hits=slabs,
                           trim=False, own_rays=True)
    assert calls                                                 # the owner's scratch rows were replaced
    for a, b in ((lent, want), (got, want)):
        for name in ("t", "normal", "material", "actor"):
            assert getattr(a, name).tobytes() == getattr(b, name).tobytes(), name
