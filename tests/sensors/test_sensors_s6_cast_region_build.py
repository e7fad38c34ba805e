"""A region's crop is selected from the triangles near it (``scene_region.SphereIndex``), not from every
triangle of the map: the same triangles, in the same order, so the same BVH and the same hits.

The reference is the selection of session 5 (every triangle's bounding sphere tested with one numpy
expression); the canonical-region contract (which crop serves a query) is untouched.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import open3d as o3d
import pytest

from sensors.scene import SimpleMesh, StaticWorld
from sensors.scene_region import RegionCache, SphereIndex, _z_range

MAPS = Path(__file__).parents[2] / "scenarios" / "maps"


def _reference_keep(cache: RegionCache, centre: np.ndarray, radius: float) -> np.ndarray:
    """Session 5's ``_build`` selection, verbatim."""
    tri_centre, tri_radius = cache._triangle_spheres()
    slack = 1e-4 * radius + 1e-2
    d = np.linalg.norm(tri_centre - centre, axis=1) - tri_radius
    return np.flatnonzero(d <= radius + slack)


def _reference_scene(world: StaticWorld, keep: np.ndarray):
    """Session 5's crop: the kept triangles over their used vertices, in id order."""
    tris = world.triangles[keep]
    used = np.zeros(len(world.vertices), dtype=bool)
    used[tris.ravel()] = True
    vertex_ids = np.flatnonzero(used)
    remap = np.zeros(len(world.vertices), dtype=np.uint32)
    remap[vertex_ids] = np.arange(len(vertex_ids), dtype=np.uint32)
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(o3d.core.Tensor.from_numpy(np.ascontiguousarray(world.vertices[vertex_ids])),
                        o3d.core.Tensor.from_numpy(np.ascontiguousarray(remap[tris])))
    return scene, _z_range(world.vertices[vertex_ids])


def _soup(rng: np.random.Generator, n: int, extent: float) -> StaticWorld:
    """Random triangles of very different sizes (slivers to 200 m), some far out."""
    centre = rng.uniform(-extent, extent, (n, 3)) * np.array([1.0, 0.3, 0.02])
    size = np.exp(rng.uniform(np.log(0.05), np.log(200.0), (n, 1, 1)))
    v = (centre[:, None, :] + rng.normal(size=(n, 3, 3)) * size).reshape(-1, 3)
    mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(v),
                                     o3d.utility.Vector3iVector(np.arange(3 * n).reshape(n, 3)))
    return StaticWorld([SimpleMesh.single(mesh, "asphalt")])


@pytest.fixture(scope="module")
def worlds() -> dict[str, StaticWorld]:
    from simplatform.opendrive import load_opendrive
    from simplatform.opendrive.mesh import build_road_mesh

    out = {name: StaticWorld([build_road_mesh(load_opendrive(MAPS / f"{name}.xodr"))])
           for name in ("highway_straight", "urban_grid", "junction_4way", "rural_curves")}
    out["soup"] = _soup(np.random.default_rng(8), 6000, 2000.0)
    return out


def test_the_indexed_selection_is_the_full_one(worlds):
    rng = np.random.default_rng(9)
    for name, world in worlds.items():
        cache = world._regions
        lo, hi = world.vertices.min(axis=0), world.vertices.max(axis=0)
        for _ in range(60):
            centre = rng.uniform(lo - 150.0, hi + 150.0)
            radius = float(rng.choice([17.5 + 30.0, 40.0 + 120.0, 75.0 + 260.0, rng.uniform(1.0, 400.0)]))
            got = cache._selection(centre, radius)
            want = _reference_keep(cache, centre, radius)
            assert np.array_equal(got, want), (name, centre, radius)


def test_a_built_region_casts_as_the_session5_crop(worlds):
    """Same triangles, vertices and order: the same hits, ids and normals bit for bit (ties included)."""
    rng = np.random.default_rng(10)
    compared = set()
    for name in ("urban_grid", "junction_4way", "soup"):
        world = worlds[name]
        cache = world._regions
        for _ in range(3):
            tri = world.vertices[world.triangles[rng.integers(world.triangle_count)].astype(np.intp)]
            centre = tri.mean(axis=0).astype(np.float64) + np.array([0.0, 0.0, 2.0])
            radius = 47.5
            keep = _reference_keep(cache, centre, radius)
            if len(keep) > cache.WORTH * world.triangle_count:
                continue
            region = cache._build(centre, radius)
            scene, z_range = _reference_scene(world, keep)
            assert region.triangle_count == len(keep) and region.z_range == z_range
            d = rng.normal(size=(20000, 3))
            d[:, 2] = -np.abs(d[:, 2])
            rays = np.concatenate([np.tile(centre, (len(d), 1)), d / np.linalg.norm(d, axis=1, keepdims=True)], 1)
            tensor = o3d.core.Tensor(rays.astype(np.float32))
            got, want = region.scene.cast_rays(tensor), scene.cast_rays(tensor)
            for key in ("t_hit", "primitive_ids", "primitive_normals", "primitive_uvs"):
                assert got[key].numpy().tobytes() == want[key].numpy().tobytes(), (name, key)
            assert np.array_equal(region.triangle_material[:-1], world.triangle_material[keep])
            compared.add(name)
    assert compared == {"urban_grid", "junction_4way", "soup"}


def test_the_index_lists_a_superset_across_cell_edges():
    """Sphere centres on and next to the cell boundaries, queried from both sides."""
    xs = np.concatenate([np.arange(-64.0, 65.0, 16.0), np.nextafter(np.arange(-64.0, 65.0, 16.0), -np.inf)])
    centre = np.stack(np.meshgrid(xs, xs), -1).reshape(-1, 2)
    centre = np.column_stack([centre, np.zeros(len(centre))])
    radius = np.full(len(centre), 0.5)
    index = SphereIndex.build(centre, radius)
    rng = np.random.default_rng(11)
    for _ in range(300):
        c = rng.uniform(-80, 80, 3)
        reach = rng.uniform(0.0, 40.0)
        got = index.candidates(c, reach)
        near = np.flatnonzero(np.all(np.abs(centre[:, :2] - c[:2]) <= reach + 0.5, axis=1))
        assert np.all(np.isin(near, got)) and np.all(np.diff(got) > 0)


def test_a_degenerate_map_lists_every_triangle():
    centre = np.array([[0.0, 0.0, 0.0], [np.nan, 1.0, 0.0]])
    index = SphereIndex.build(centre, np.array([1.0, 1.0]))
    assert np.array_equal(index.candidates(np.array([500.0, 0.0, 0.0]), 1.0), [0, 1])
    empty = SphereIndex.build(np.zeros((0, 3)), np.zeros(0))
    assert len(empty.candidates(np.zeros(3), 10.0)) == 0
