"""Randomised sweep jobs over the review's worlds (``s6worlds``) for ``s6driver`` (review, session 6).

Each job: one world, one to three lidars (every preset, explicit channel / fov / column configs with
near-vertical and exactly ±90° beams, a 120° head), mounts upright, upside down, rolled 90°, pitched,
low and high; max_range from 0.7 m to 2 km, min_range, dropout, labels, range noise, motion distortion
at up to 40 m/s and 1.5 rad/s; 2–5 sweeps at times in order, repeated or backwards, the ego on the
surface or below nearby geometry (under decks, in the tunnel), at headings along the axes and the
diagonals (rays on sector boundaries) or random, on the height grid's cell edges; actors around and
inside the sensor; clear, rain and fog; two threads on, off or random per sweep; FrameAhead on/off.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

import s6worlds

PRESETS = ("HDL-64E", "OS1-128", "HDL-32E", "VLP-16", "Livox-Mid40")
EXPLICIT = (
    {"channels": 128, "vertical_fov_deg": [-89.0, 89.0], "columns": 1024},
    {"channels": 64, "elevations_deg": [90.0, -90.0, 0.0, 45.0, -45.0] + list(np.linspace(-30, 10, 59)),
     "columns": 1024},
    {"channels": 48, "vertical_fov_deg": [-25.0, 15.0], "columns": 1200, "horizontal_fov_deg": 120.0},
    {"channels": 96, "vertical_fov_deg": [-10.0, 3.0], "columns": 2000},
)
MOUNTS = ([1.3, 0.0, 1.9, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [1.3, 0.2, 1.9, math.pi, 0.0, 0.0],
          [1.0, 0.0, 2.0, math.pi / 2, 0.0, 0.0], [1.3, 0.0, 1.9, 0.0, 0.6, 0.0],
          [1.3, 0.0, 1.9, 0.0, -0.6, 0.3], [2.0, 0.0, 0.2, 0.0, 0.0, math.pi], [0.0, 0.0, 4.0, 0.1, 0.2, -1.0])
HEADINGS = (0.0, math.pi / 2, math.pi, -math.pi, math.pi / 4, -3 * math.pi / 4)


def write_worlds(directory: Path, names: list[str] | None = None) -> dict[str, list]:
    """Every world as ``directory/<name>.npz``; returns the parts by name."""
    directory.mkdir(parents=True, exist_ok=True)
    out = {}
    for name in names or ([f"map_{m}" for m in s6worlds.map_names()] + list(s6worlds.SYNTHETIC)):
        parts = (s6worlds.road_parts(name[4:]) if name.startswith("map_") else s6worlds.synthetic(name, 6))
        s6worlds.save(parts, directory / f"{name}.npz")
        out[name] = parts
    return out


def lidar_config(rng: np.random.Generator, i: int) -> dict:
    cfg: dict = {"mount": MOUNTS[int(rng.integers(0, len(MOUNTS)))] if i % 3 else MOUNTS[0]}
    pick = int(rng.integers(0, 8))
    if pick < 5:
        cfg["preset"] = ["HDL-64E", "OS1-128", "HDL-32E", "HDL-64E", str(rng.choice(PRESETS))][pick]
        params = {}
    else:
        cfg["preset"] = None if rng.random() < 0.5 else "HDL-64E"
        params = dict(EXPLICIT[int(rng.integers(0, len(EXPLICIT)))])
    if rng.random() < 0.4:
        params["max_range_m"] = float(rng.choice([0.7, 6.0, 30.0, 75.5, 250.0, 2000.0]))
    if rng.random() < 0.25:
        params["min_range_m"] = float(rng.choice([0.0, 0.3, 20.0]))
    if rng.random() < 0.4:
        params["dropout_probability"] = float(rng.choice([0.01, 0.3]))
    if rng.random() < 0.5:
        params["labels"] = True
    if rng.random() < 0.3:
        params["range_noise_m"] = float(rng.choice([0.0, 0.05]))
    if rng.random() < 0.35:
        params["motion_distortion"] = True
    cfg["params"] = params
    return cfg


def jobs_for(name: str, parts, count: int, seed: int, grid: tuple[float, float, float] | None = None) -> list[dict]:
    rng = np.random.default_rng(seed)
    pts = s6worlds.surface_points(parts, rng, 4 * count + 8)
    jobs = []
    for i in range(count):
        lidars = [lidar_config(rng, i + k) for k in range(1 if i % 4 else int(rng.integers(1, 4)))]
        p = pts[i].copy()
        p[2] += float(rng.choice([0.0, 0.3, 1.0, 3.0, -1.5, 6.0])) if i % 2 else 0.2
        heading = float(rng.choice(HEADINGS)) if rng.random() < 0.5 else float(rng.uniform(-math.pi, math.pi))
        if grid is not None and i % 3 == 0:             # the ego exactly on a height-grid cell corner
            x0, y0, cell = grid
            p[0] = x0 + cell * math.floor((p[0] - x0) / cell)
            p[1] = y0 + cell * math.floor((p[1] - y0) / cell)
            lidars = [dict(l, mount=[0.0, 0.0, 0.0, 0.0, 0.0, 0.0]) for l in lidars]
        moving = rng.random() < 0.6
        speed = float(rng.choice([0.0, 8.0, 25.0, 40.0])) if moving else 0.0
        vx, vy = speed * math.cos(heading), speed * math.sin(heading)
        w = float(rng.choice([0.0, 0.3, -1.5])) if moving else 0.0
        k = int(rng.integers(2, 6))
        order = [list(range(k)), sorted(list(range(k)) * 2)[:k + 1], list(range(k))[::-1],
                 [int(v) for v in rng.integers(0, k, k)]][i % 4]
        env = None
        sweeps = []
        for j in order:
            t = round(0.1 * j + (0.0 if i % 5 else 7.3), 6)
            jump = 15.0 * j if rng.random() < 0.2 else 0.0     # sometimes far enough to change region cells
            ego = [float(p[0] + (vx * 0.1 + math.cos(heading) * jump) * j), float(p[1] + (vy * 0.1 + math.sin(heading) * jump) * j),
                   float(p[2]), heading + w * 0.1 * j, float(rng.choice([0.0, 0.0, 0.05])), 0.0, vx, vy, w]
            actors = []
            for _ in range(int(rng.choice([0, 2, 8]))):
                r, a = float(rng.uniform(0.0, 40.0)), float(rng.uniform(-math.pi, math.pi))
                actors.append([ego[0] + r * math.cos(a), ego[1] + r * math.sin(a), float(p[2]) - 1.0,
                               float(rng.uniform(-math.pi, math.pi)), bool(rng.random() < 0.3)])
            if rng.random() < 0.3:
                env = [None, {"precipitation_type": "rain", "precipitation_intensity_mm_h": float(rng.uniform(1, 40))},
                       {"fog_visual_range_m": float(rng.uniform(30, 400))}][int(rng.integers(0, 3))]
            sweeps.append({"t": t, "ego": ego, "actors": actors, "env": env, "prime": int(rng.random() < 0.2)})
        cameras = []
        if i % 4 == 2:                                   # a camera beside: its casts are culled too
            cameras = [{"mount": [1.5, 0.0, 1.6, 0.0, float(rng.choice([0.0, 0.3, -0.4])), float(rng.uniform(-3, 3))],
                        "params": {"width": 320, "height": 240, "max_range_m": float(rng.choice([1000.0, 80.0, 15.0])),
                                   "horizontal_fov_deg": float(rng.choice([90.0, 170.0]))}}]
        bitgen = [None, None, None, "Philox", "SFC64", "MT19937", "PCG64DXSM"][int(rng.integers(0, 7))]
        jobs.append({"id": f"{name}#{i}", "cameras": cameras, "bitgen": bitgen, "seed": int(seed * 1000 + i), "world": name, "lidars": lidars,
                     "sweeps": sweeps, "threads": ["on", "off", "random"][i % 3], "ahead": bool(i % 2),
                     "perturb": i % 3 != 1})
    return jobs


def all_jobs(worlds: dict[str, list], per_world: int, seed: int) -> list[dict]:
    from sensors.scene import StaticWorld
    jobs = []
    for n, (name, parts) in enumerate(sorted(worlds.items())):
        grid = StaticWorld(_as_parts(parts)).height_grid
        edges = (grid.x0, grid.y0, grid.cell) if grid is not None else None
        jobs += jobs_for(name, parts, per_world, seed + n, edges)
    order = np.random.default_rng(seed).permutation(len(jobs))   # worlds interleaved: caches in mixed orders
    return [jobs[i] for i in order]


def _as_parts(parts):
    from types import SimpleNamespace
    return [SimpleNamespace(mesh=SimpleNamespace(vertices=v, triangles=f), triangle_material=np.zeros(len(f), np.int32),
                            materials={0: m}) for v, f, m in parts]
