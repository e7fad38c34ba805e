"""Adversarial static worlds and sweep inputs for the session-6 review (numpy only, so the same arrays feed
the base tree and the current one).

A world is a list of parts ``(vertices float64 (V, 3), triangles int64 (T, 3), material name)``; ``save``
writes it as one ``.npz`` that ``load_parts`` (run inside either tree) turns into ``StaticWorld`` parts.
Worlds: every scenario map's road mesh (built once, here, by the current tree) and hand-made ones —
vertical walls, a bridge deck and a gantry above the sensor, poles and signal arms, a tunnel, steep
slopes, a random triangle soup with slivers and huge triangles, far (UTM-like) coordinates, and a
world whose vertices lie on the height grid's cell edges.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
MAPS = ROOT / "scenarios" / "maps"


def box(centre, half) -> tuple[np.ndarray, np.ndarray]:
    """An axis-aligned box as 12 triangles (outward winding is irrelevant to a ray caster)."""
    c, h = np.asarray(centre, float), np.asarray(half, float)
    s = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], float)
    v = c + s * h
    f = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                  [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]])
    return v, f


def merge(pieces) -> tuple[np.ndarray, np.ndarray]:
    vs, fs, n = [], [], 0
    for v, f in pieces:
        vs.append(v)
        fs.append(f + n)
        n += len(v)
    return np.concatenate(vs), np.concatenate(fs)


def plane(x0, x1, y0, y1, z, nx=1, ny=1, zfun=None) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = np.linspace(x0, x1, nx + 1), np.linspace(y0, y1, ny + 1)
    gx, gy = np.meshgrid(xs, ys)
    gz = np.full_like(gx, float(z)) if zfun is None else zfun(gx, gy)
    v = np.stack([gx.ravel(), gy.ravel(), gz.ravel()], 1)
    idx = np.arange((nx + 1) * (ny + 1)).reshape(ny + 1, nx + 1)
    a, b, c, d = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel(), idx[1:, :-1].ravel(), idx[1:, 1:].ravel()
    return v, np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)])


def synthetic(kind: str, seed: int) -> list[tuple[np.ndarray, np.ndarray, str]]:
    rng = np.random.default_rng(seed)
    road = plane(-300, 300, -8, 8, 0.0, 300, 4)   # 2 400 triangles: worlds get crops
    if kind == "walls":
        walls = [box((rng.uniform(-150, 150), rng.choice([-9.0, 9.0]) + rng.uniform(-1, 1), 2.5),
                     (rng.uniform(2, 30), 0.1, rng.uniform(0.5, 6))) for _ in range(40)]
        return [(*road, "asphalt"), (*merge(walls), "concrete")]
    if kind == "deck":              # a bridge deck over the road (sensor under it) and a gantry, piers
        deck = [box((0, 0, 5.5), (12, 40, 0.4)), box((60, 0, 6.2), (0.3, 10, 0.3)), box((-40, 0, 2.35), (30, 1.0, 0.02))]
        piers = [box((x, y, 2.5), (0.5, 0.5, 2.5)) for x in (-10, 10) for y in (-12, 12)]
        return [(*road, "asphalt"), (*merge(deck + piers), "concrete")]
    if kind == "tunnel":
        t = [box((0, -6, 3), (100, 0.3, 3)), box((0, 6, 3), (100, 0.3, 3)), box((0, 0, 6.2), (100, 6.5, 0.2))]
        return [(*road, "asphalt"), (*merge(t), "concrete")]
    if kind == "poles":
        poles = [box((x, rng.choice([-9.0, 9.0]), 4), (0.1, 0.1, 4)) for x in rng.uniform(-200, 200, 60)]
        arms = [box((x, 0, 6.5), (0.15, 8, 0.15)) for x in rng.uniform(-200, 200, 10)]
        signals = [box((x, y, 5.0), (0.3, 0.3, 0.6)) for x, y in zip(rng.uniform(-100, 100, 12),
                                                                       rng.uniform(-4, 4, 12))]
        return [(*road, "asphalt"), (*merge(poles), "metal"), (*merge(arms + signals), "metal")]
    if kind == "slopes":            # a road cut into steep hillsides (45°–80°) and a rolling terrain beyond
        left = plane(-300, 300, 8, 30, 0, 60, 11, lambda x, y: (y - 8) * np.tan(np.deg2rad(45 + 35 * rng.random())))
        right = plane(-300, 300, -40, -8, 0, 60, 16,
                      lambda x, y: -(y + 8) * 2.5 + 3 * np.sin(x / 17.0) * (y < -20))
        return [(*road, "asphalt"), (*left, "grass"), (*right, "grass")]
    if kind == "soup":              # random triangles: slivers, vertical ones, a few huge ones, some above
        n = 4000
        c = np.column_stack([rng.uniform(-150, 150, n), rng.uniform(-150, 150, n), rng.uniform(-3, 12, n)])
        size = np.where(rng.random(n) < 0.01, 400.0, rng.exponential(2.0, n))[:, None]
        v = (c[:, None, :] + rng.normal(size=(n, 3, 3)) * size[:, :, None]).reshape(-1, 3)
        sliver = rng.random(n) < 0.1
        v3 = v.reshape(n, 3, 3)
        v3[sliver, 2] = v3[sliver, 1] + 1e-4 * rng.normal(size=(int(sliver.sum()), 3))
        vertical = rng.random(n) < 0.2
        v3[vertical, :, 0] = v3[vertical, :1, 0]
        return [(*road, "asphalt"), (v3.reshape(-1, 3), np.arange(3 * n).reshape(n, 3), "concrete")]
    if kind == "far":               # UTM-like coordinates: float32 ulp of 0.03–0.5 m
        parts = synthetic("poles", seed) + synthetic("deck", seed)[1:]
        off = np.array([512345.0, 5412345.0, 312.0])
        return [(v + off, f, m) for v, f, m in parts]
    if kind == "cell_edges":        # vertices on even metres (the height grid's 2 m cells, up to its offset)
        xs = np.arange(-60.0, 61.0, 2.0)
        pieces = [box((x, y, 1.0 + (i % 5)), (1.0, 1.0, 1.0 + (i % 5))) for i, (x, y) in
                  enumerate(zip(rng.choice(xs, 80), rng.choice(xs, 80)))]
        return [(*plane(-100, 100, -100, 100, 0.0, 50, 50), "asphalt"), (*merge(pieces), "concrete")]
    if kind == "nan_vertex":        # one triangle with a NaN vertex: no height grid, a degenerate sphere index
        parts = synthetic("poles", seed)
        bad = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, np.nan], [0.0, 1.0, 1.0]])
        return parts + [(bad, np.array([[0, 1, 2]]), "metal")]
    if kind == "huge_ground":       # a 2 km ground of two triangles under a walled road (widest sphere ~1.4 km)
        ground = (np.array([[-1000.0, -1000.0, -0.3], [1000.0, -1000.0, -0.3], [1000.0, 1000.0, -0.3],
                            [-1000.0, 1000.0, -0.3]]), np.array([[0, 1, 2], [0, 2, 3]]), "grass")
        return synthetic("walls", seed) + [ground]
    raise ValueError(kind)


SYNTHETIC = ("walls", "deck", "tunnel", "poles", "slopes", "soup", "far", "cell_edges", "nan_vertex", "huge_ground")


def road_parts(name: str) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """A scenario map's road mesh as parts (one per material)."""
    from simplatform.opendrive import load_opendrive
    from simplatform.opendrive.mesh import build_road_mesh

    mesh = build_road_mesh(load_opendrive(MAPS / f"{name}.xodr"))
    v = np.asarray(mesh.mesh.vertices, dtype=np.float64)
    f = np.asarray(mesh.mesh.triangles, dtype=np.int64)
    tm = np.asarray(mesh.triangle_material)
    return [(v, f[tm == mid], str(mat)) for mid, mat in sorted(mesh.materials.items()) if np.any(tm == mid)]


def map_names() -> list[str]:
    return sorted(p.stem for p in MAPS.glob("*.xodr"))


def save(parts, path: Path) -> None:
    arrays = {}
    for i, (v, f, _) in enumerate(parts):
        arrays[f"v{i}"] = np.asarray(v, np.float64)
        arrays[f"f{i}"] = np.asarray(f, np.int64)
    arrays["materials"] = np.array(json.dumps([m for _, _, m in parts]))
    np.savez(path, **arrays)


def load_parts(path: Path) -> list:
    """The saved parts as ``MeshWithMaterials`` (mesh.vertices / mesh.triangles as numpy arrays)."""
    data = np.load(path)
    mats = json.loads(str(data["materials"]))
    return [SimpleNamespace(mesh=SimpleNamespace(vertices=data[f"v{i}"], triangles=data[f"f{i}"]),
                            triangle_material=np.zeros(len(data[f"f{i}"]), np.int32), materials={0: m})
            for i, m in enumerate(mats)]


def surface_points(parts, rng: np.random.Generator, count: int) -> np.ndarray:
    """Random points on the parts' triangles (area-blind: per triangle uniform)."""
    v = np.concatenate([p[0] for p in parts])
    offs = np.cumsum([0] + [len(p[0]) for p in parts[:-1]])
    f = np.concatenate([p[1] + o for p, o in zip(parts, offs)])
    tri = v[f[rng.integers(0, len(f), count)]]
    w = rng.dirichlet(np.ones(3), count)
    return np.einsum("ij,ijk->ik", w, tri)
