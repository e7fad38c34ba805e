"""In-process attack on the miss proof (``sensors.static_horizon``) and its use in ``static_cast.cast_static``
(review, session 6): adversarial rays from adversarial origins, cast with the culling forced on for any
cast size and with it off; both trimmed to the range must agree bit for bit, and no ray the proof culls may
have a hit within range on the whole (uncropped) map."""

from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np
import open3d as o3d

import sensors.static_cast as static_cast
from sensors.static_cast import cast_static, trim_beyond
from sensors.static_horizon import NORM_BOUND, cull_gather


@contextmanager
def culling(on: bool):
    """Culling forced on for every cast (no size gates), or off."""
    saved = static_cast.CULL_MIN_RAYS, static_cast.CULL_RAYS_PER_CELL, static_cast._horizon
    try:
        if on:
            static_cast.CULL_MIN_RAYS, static_cast.CULL_RAYS_PER_CELL = 0, 0
        else:
            static_cast._horizon = lambda *a, **k: None
        yield
    finally:
        static_cast.CULL_MIN_RAYS, static_cast.CULL_RAYS_PER_CELL, static_cast._horizon = saved


def cast(world, rays: np.ndarray, centre: np.ndarray, radius: float, max_range: float, on: bool):
    with culling(on):
        t, n, m = cast_static(world, o3d.core.Tensor.from_numpy(rays), centre, max_range + radius, 0, max_range,
                              (float(centre[2]) - radius, float(centre[2]) + radius))
    t, n, m = t.copy(), n.copy(), m.copy()
    trim_beyond(t, n, m, np.full(len(t), -1, np.int32), max_range)
    return t, n, m


def culled_mask(world, rays: np.ndarray, centre: np.ndarray, radius: float, max_range: float) -> np.ndarray:
    grid = world.height_grid
    if grid is None:
        return np.zeros(len(rays), bool)
    horizon = grid.horizon(centre, radius, max_range)
    n = len(rays)
    t = np.zeros(n, np.float32)
    kept_rays, kept_rows = np.empty((n, 6), np.float32), np.empty(n, np.int64)
    k = cull_gather(rays, 0, n, horizon, NORM_BOUND, kept_rays, kept_rows, t, np.zeros((n, 3), np.float32),
                    np.zeros(n, np.int32))
    mask = np.ones(n, bool)
    mask[kept_rows[:k]] = False
    return mask


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def adversarial_rays(world, centre: np.ndarray, radius: float, max_range: float, rng: np.random.Generator
                     ) -> np.ndarray:
    """Rays from the ball B(centre, radius) (half of them from its surface): a dense ring sweep with
    near-horizontal rings, directions on diamond-sector boundaries and along ±x/±y (azimuth ±π, −0.0 and
    subnormal components), random directions, and rays aimed just above, at and just below the top vertices
    of the triangles within range (grazing the height grid's tops by 10⁻⁷ to 10⁻² m)."""
    el = np.concatenate([np.deg2rad(np.linspace(-30, 30, 40)), np.deg2rad([-1e-3, -1e-5, 0.0, 1e-5, 1e-3])])
    az = np.linspace(-np.pi, np.pi, 512, endpoint=False) + rng.uniform(0, 0.01)
    e, a = np.meshgrid(el, az, indexing="ij")
    dirs = [np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], -1).reshape(-1, 3)]
    k = np.arange(0, 1025, 1)                               # diamond-sector boundaries k/256 in each quadrant
    frac = k % 256 / 256.0
    quad = k // 256 % 4
    x = np.choose(quad, [1 - frac, -frac, -(1 - frac), frac])
    y = np.choose(quad, [frac, 1 - frac, -frac, -(1 - frac)])
    for slope in (-0.2, -0.02, 0.0, 0.01, 0.1):
        dirs.append(unit(np.column_stack([x, y, np.full(len(x), slope) * np.hypot(x, y)])))
    special = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [-1, -0.0, 0], [-1, 1e-45, 0], [-1, -1e-45, 0],
                        [1, -1e-45, 0], [1e-45, -1, 0], [-1e-45, 1, 0], [1, 1, 0], [1, -1, 0], [-1, -1, 0],
                        [0, 0, 1], [0, 0, -1], [1e-30, 0, 1], [1, 0, 1e-7], [1, 0, -1e-7]], float)
    dirs.append(unit(np.concatenate([special, special * [1, 1, 0] + [0, 0, 0.05]])))
    dirs.append(unit(rng.normal(size=(4000, 3))))
    # grazing the tops: aim at the top vertex of triangles near the sensor, a little above/below it
    v = world.vertices.astype(np.float64)
    tri = world.triangles.astype(np.int64)
    top = v[tri[np.arange(len(tri)), np.argmax(v[tri, 2], axis=1)]]
    near = np.flatnonzero(np.linalg.norm(top - centre, axis=1) < max_range + radius)
    pick = near[rng.integers(0, len(near), min(len(near), 3000))] if len(near) else np.zeros(0, np.int64)
    aims = []
    for dz in (-1e-2, -1e-4, 0.0, 1e-7, 1e-5, 5e-4, 1e-3, 2e-3, 1e-2):
        aims.append(top[pick] + [0.0, 0.0, dz])
    aims = np.concatenate(aims) if aims else np.zeros((0, 3))
    n_dir = sum(len(d) for d in dirs)
    origins = np.tile(centre, (n_dir + len(aims), 1))
    if radius > 0:                                      # half on the ball's surface, the rest inside
        u = unit(rng.normal(size=(len(origins), 3)))
        s = np.where(rng.random(len(origins)) < 0.5, 1.0, rng.random(len(origins)) ** (1 / 3))
        origins = origins + u * radius * s[:, None]
    d_aim = aims - origins[n_dir:]
    ok = np.linalg.norm(d_aim, axis=1) > 1e-6
    all_dirs = np.concatenate(dirs + [unit(d_aim[ok])])
    origins = np.concatenate([origins[:n_dir], origins[n_dir:][ok]])
    return np.ascontiguousarray(np.concatenate([origins, all_dirs], axis=1), dtype=np.float32)


def full_hits_within(world, rays: np.ndarray, max_range: float) -> np.ndarray:
    """Rays whose first hit on the whole map is within ``max_range`` (float32 comparison, as the gather)."""
    t = world.scene.cast_rays(o3d.core.Tensor.from_numpy(rays))["t_hit"].numpy()
    return t <= np.float32(max_range)


def attack(world, centre: np.ndarray, radius: float, max_range: float, rng: np.random.Generator) -> dict:
    rays = adversarial_rays(world, centre, radius, max_range, rng)
    got = cast(world, rays, centre, radius, max_range, True)
    want = cast(world, rays, centre, radius, max_range, False)
    same = [np.array_equal(a.view(np.uint8), b.view(np.uint8)) for a, b in zip(got, want)]
    culled = culled_mask(world, rays, centre, radius, max_range)
    wrong = np.flatnonzero(culled & full_hits_within(world, rays, max_range))
    return {"rays": len(rays), "culled": int(culled.sum()), "same": all(same), "wrong": wrong, "rays_array": rays}


def centres(parts_points: np.ndarray, rng: np.random.Generator, grid, count: int) -> list[np.ndarray]:
    """Sensor positions: on the surface, a little and far above it, below nearby geometry, and on the height
    grid's cell corners (exactly)."""
    out = []
    for i in range(count):
        p = parts_points[i % len(parts_points)].copy()
        p[2] += [0.0, 0.2, 1.9, -2.0, 6.0, 40.0][i % 6]
        if grid is not None and i % 3 == 0:
            p[0] = grid.x0 + grid.cell * math.floor((p[0] - grid.x0) / grid.cell)
            p[1] = grid.y0 + grid.cell * math.floor((p[1] - grid.y0) / grid.cell)
        out.append(p)
    return out
