"""A height grid keeps its last per-cast results (``HeightGrid.memo``): a standing sensor's horizon and height
profile are computed once, and a kept result is the one a fresh computation gives."""

from __future__ import annotations

import numpy as np
import open3d as o3d

from sensors.scene import SimpleMesh, StaticWorld
from sensors.static_boxes import height_profile


def _grid():
    rng = np.random.default_rng(1)
    v = np.column_stack([rng.uniform(-80, 80, 600), rng.uniform(-80, 80, 600), rng.uniform(-1, 3, 600)])
    tri = rng.integers(0, 600, (400, 3))
    mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(v), o3d.utility.Vector3iVector(tri))
    return StaticWorld([SimpleMesh.single(mesh, "asphalt")]).height_grid


def test_the_same_arguments_give_the_kept_result_and_it_equals_a_fresh_one():
    grid = _grid()
    c = np.array([3.25, -7.5, 1.9])
    h1 = grid.horizon(c, 0.0, 100.0)
    assert grid.horizon(c.copy(), 0.0, 100.0) is h1 and not h1.flags.writeable
    p1 = height_profile(grid, c, 0.0, 100.0)[0]
    assert height_profile(grid, c.copy(), 0.0, 100.0)[0] is p1 and not p1.flags.writeable
    moved = c + np.array([np.spacing(c[0]), 0.0, 0.0])           # one ulp: another pose, computed anew
    h2 = grid.horizon(moved, 0.0, 100.0)
    assert h2 is not h1
    assert grid.horizon(c, 0.0, 100.0 + 1e-9) is not h1 and grid.horizon(c, 1e-9, 100.0) is not h1
    grid.memo.clear()
    assert grid.horizon(c, 0.0, 100.0).tobytes() == h1.tobytes()
    assert height_profile(grid, c, 0.0, 100.0)[0].tobytes() == p1.tobytes()


def test_the_memo_keeps_a_few_entries():
    grid = _grid()
    for k in range(3 * grid.MEMO_SIZE):
        grid.horizon(np.array([float(k), 0.0, 1.0]), 0.0, 50.0)
    assert len(grid.memo) <= grid.MEMO_SIZE
    assert np.all(grid.horizon(np.array([np.nan, 0.0, 1.0]), 0.0, 50.0) == np.inf)
    assert len(grid.memo) <= grid.MEMO_SIZE
