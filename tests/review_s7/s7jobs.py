"""Randomised sweep jobs aimed at the box-first proof (``sensors/static_boxes.py``) and the Livox band pairs
(``sensors/lidar_band_pairs.py``), for ``s7driver`` (review, session 7).

Worlds: ``review_s6``'s (scenario maps, walls, a deck with piers and a gantry, a tunnel, steep slopes, a
triangle soup, UTM-like coordinates, vertices on the grid's cell edges, a 2 km ground) and two more here: a
road crossing over another (``stacked``: a deck 6.5 m up carrying actors of its own, the sensor above or
below it) and a road under a low roof and an overhanging canopy (``overhang``).

Actors (6–24 per sweep, so a sweep makes hundreds of box pairs): cars and pedestrians standing exactly on
the surface (the box's bottom at the road's z), sunk into it or into a slope, floating, under the deck,
on the deck, tilted, tiny (2 cm) and huge (a 60 m trailer, a 200 m slab, a box holding the sensor), at
the range limits (max_range ± 0.3 m, min_range), straddling the crop's edge, and with NaN / inf poses.
Lidars: every preset (mostly HDL-64E, the proof needs ≥ 256 pairs), explicit near-vertical configs,
upright / upside-down / rolled 90° / pitched mounts, max_range 0.7 m–2 km, min_range, labels, noise,
dropout, motion distortion up to 60 m/s and 3 rad/s; rain, fog; two threads on / off / random.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

import s6jobs
import s6worlds

RANGES = (0.7, 6.0, 30.0, 75.5, 120.0, 250.0, 2000.0)
NAN = float("nan")
INF = float("inf")


def stacked() -> list:
    """A road along x at z = 0 and a road deck along y at z = 6.5 (0.3 m thick) crossing over it, on piers."""
    lower = s6worlds.plane(-300, 300, -8, 8, 0.0, 300, 4)
    upper = s6worlds.plane(-8, 8, -300, 300, 6.5, 4, 300)
    under = s6worlds.box((0, 0, 6.35), (8, 60, 0.15))
    piers = [s6worlds.box((x, y, 3.1), (0.4, 0.4, 3.1)) for x in (-9, 9) for y in (-10, 10, 40, -40)]
    return [(*lower, "asphalt"), (*upper, "asphalt"), (*s6worlds.merge([under] + piers), "concrete")]


def overhang() -> list:
    """A road under a 3 m roof (a petrol station's canopy, 30 × 20 m) and a cantilevered sign 4.5 m up."""
    road = s6worlds.plane(-300, 300, -10, 10, 0.0, 300, 5)
    roof = s6worlds.box((40, 0, 3.1), (15, 10, 0.1))
    posts = [s6worlds.box((x, y, 1.5), (0.15, 0.15, 1.5)) for x in (26, 54) for y in (-9, 9)]
    sign = s6worlds.box((-30, 4, 4.6), (0.2, 6, 0.5))
    return [(*road, "asphalt"), (*s6worlds.merge([roof, sign] + posts), "metal")]


EXTRA = {"stacked": stacked, "overhang": overhang}
SYNTHETIC = ("walls", "deck", "tunnel", "poles", "slopes", "soup", "far", "cell_edges", "huge_ground")


def write_worlds(directory: Path, maps: int = 3) -> dict[str, list]:
    directory.mkdir(parents=True, exist_ok=True)
    out = {}
    names = [f"map_{m}" for m in s6worlds.map_names()[:maps]] + list(SYNTHETIC) + list(EXTRA)
    for name in names:
        if name.startswith("map_"):
            parts = s6worlds.road_parts(name[4:])
        elif name in EXTRA:
            parts = EXTRA[name]()
        else:
            parts = s6worlds.synthetic(name, 6)
        s6worlds.save(parts, directory / f"{name}.npz")
        out[name] = parts
    return out


def _near_points(parts, centre, rng, count, radius=45.0) -> np.ndarray:
    pts = s6worlds.surface_points(parts, rng, 6000)
    d = np.hypot(pts[:, 0] - centre[0], pts[:, 1] - centre[1])
    near = pts[d < radius]
    if len(near) == 0:
        return np.repeat(np.asarray(centre, float)[None], count, 0)
    return near[rng.integers(0, len(near), count)]


def actor(rng: np.random.Generator, where: np.ndarray, ego: list, max_range: float, min_range: float) -> dict:
    """One adversarial actor near ``where`` (a surface point)."""
    x, y, z = (float(v) for v in where)
    h = float(rng.uniform(-math.pi, math.pi))
    ped = bool(rng.random() < 0.25)
    L, W, H = (0.6, 0.6, 1.8) if ped else (4.6, 1.9, 1.5)
    pick = int(rng.integers(0, 16))
    pitch = roll = 0.0
    # picks 0-4: standing exactly on the surface (the pose as drawn)
    if pick == 5:                                        # sunk into the road / the slope
        z -= float(rng.choice([0.2, 0.75, 1.5, 3.0]))
    elif pick == 6:                                      # floating just above
        z += float(rng.choice([1e-3, 0.5, 2.0]))
    elif pick == 7:                                      # tiny
        L = W = H = 0.02
    elif pick == 8:                                      # huge: a 60 m trailer, a 200 m slab
        L, W, H = ((60.0, 3.0, 4.0), (200.0, 200.0, 0.5), (8.0, 8.0, 30.0))[int(rng.integers(0, 3))]
    elif pick == 9:                                      # holding the sensor
        x, y, z = ego[0], ego[1], ego[2] - 1.0
        L, W, H = 12.0, 6.0, 5.0
    elif pick == 10:                                     # at the range limits
        r = float(rng.choice([max_range - 0.3, max_range + 0.3, max_range, max(min_range, 0.0) + 0.05]))
        a = float(rng.uniform(-math.pi, math.pi))
        x, y = ego[0] + r * math.cos(a), ego[1] + r * math.sin(a)
    elif pick == 11:                                     # tilted
        pitch, roll = float(rng.uniform(-0.6, 0.6)), float(rng.uniform(-0.6, 0.6))
    elif pick == 12:                                     # non-finite pose
        bad = [NAN, INF, -INF][int(rng.integers(0, 3))]
        k = int(rng.integers(0, 4))
        pose = [x, y, z, h]
        pose[k] = bad
        x, y, z, h = pose
    elif pick == 13:                                     # at the deck / roof level (on it, or just under it)
        z = float(rng.choice([6.5, 6.2 - H, 5.1 - H, 3.0 - H]))
    elif pick == 14:                                     # UTM-scale offset error: far away, or at 0
        x, y = float(rng.choice([x + 1e3, 0.0])), float(rng.choice([y, 0.0]))
    else:                                                # beside the sensor, half a metre away
        x, y = ego[0] + 0.5 + L / 2, ego[1]
    return {"p": [x, y, z, h, pitch, roll], "bb": [L, W, H, 0.0, 0.0, H / 2], "ped": ped}


def lidar(rng: np.random.Generator, i: int) -> dict:
    cfg = s6jobs.lidar_config(rng, i)
    if cfg["preset"] not in (None, "HDL-64E", "OS1-128") and rng.random() < 0.6:
        cfg["preset"] = "HDL-64E"
    params = cfg["params"]
    if rng.random() < 0.5:
        params["max_range_m"] = float(rng.choice(RANGES))
    if params.get("motion_distortion") and rng.random() < 0.5:
        cfg["rate_hz"] = float(rng.choice([10.0, 5.0, 20.0]))
    return cfg


def jobs_for(name: str, parts, count: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    starts = s6worlds.surface_points(parts, rng, 4 * count + 8)
    jobs = []
    for i in range(count):
        lidars = [lidar(rng, i + k) for k in range(1 if i % 3 else int(rng.integers(1, 3)))]
        p = starts[i].copy()
        if name in ("deck", "stacked", "overhang", "tunnel") and i % 2:   # beneath, or on top of, the structure
            p = np.array([float(rng.uniform(-6, 6)), float(rng.uniform(-6, 6)), float(rng.choice([0.0, 6.5, 7.0]))])
            if name == "overhang":
                p[0] += 40.0
        p[2] += float(rng.choice([0.0, 0.3, 1.0, 3.0])) if i % 2 else 0.0
        heading = float(rng.choice(s6jobs.HEADINGS)) if rng.random() < 0.5 else float(rng.uniform(-math.pi, math.pi))
        moving = rng.random() < 0.6
        speed = float(rng.choice([0.0, 8.0, 25.0, 40.0, 60.0])) if moving else 0.0
        vx, vy = speed * math.cos(heading), speed * math.sin(heading)
        w = float(rng.choice([0.0, 0.3, -1.5, 3.0])) if moving else 0.0
        max_range = max([c["params"].get("max_range_m", 120.0) for c in lidars])
        min_range = max([c["params"].get("min_range_m", 0.0) for c in lidars])
        k = int(rng.integers(1, 4))
        sweeps = []
        env = None
        for j in range(k):
            t = round(0.1 * j + (0.0 if i % 5 else 7.3), 6)
            ego = [float(p[0] + vx * 0.1 * j), float(p[1] + vy * 0.1 * j), float(p[2]), heading + w * 0.1 * j,
                   float(rng.choice([0.0, 0.0, 0.05, -0.3])), float(rng.choice([0.0, 0.0, 0.2])), vx, vy, w]
            n_act = int(rng.choice([6, 12, 24]))
            where = _near_points(parts, ego, rng, n_act)
            actors = [actor(rng, where[a], ego, max_range, min_range) for a in range(n_act)]
            if rng.random() < 0.3:
                env = [None, {"precipitation_type": "rain", "precipitation_intensity_mm_h": float(rng.uniform(1, 40))},
                       {"fog_visual_range_m": float(rng.uniform(30, 400))}][int(rng.integers(0, 3))]
            sweeps.append({"t": t, "ego": ego, "actors": actors, "env": env})
        cameras = []
        if i % 4 == 3:                   # a camera among the same actors: its casts take the box-first proof too
            cameras = [{"mount": [1.5, 0.0, 1.6, 0.0, float(rng.choice([0.0, 0.3, -0.4])), float(rng.uniform(-3, 3))],
                        "params": {"width": 320, "height": 240, "max_range_m": float(rng.choice([1000.0, 80.0, 15.0])),
                                   "horizontal_fov_deg": float(rng.choice([90.0, 170.0]))}}]
        jobs.append({"id": f"{name}#{i}", "seed": int(seed * 1000 + i), "world": name, "lidars": lidars,
                     "cameras": cameras, "sweeps": sweeps, "threads": ["on", "off", "random"][i % 3],
                     "ahead": bool(i % 2), "perturb": i % 3 != 1})
    return jobs


def all_jobs(worlds: dict[str, list], per_world: int, seed: int) -> list[dict]:
    jobs = []
    for n, (name, parts) in enumerate(sorted(worlds.items())):
        jobs += jobs_for(name, parts, per_world, seed + n)
    order = np.random.default_rng(seed).permutation(len(jobs))
    return [jobs[i] for i in order]


def livox_jobs(worlds: dict[str, list], count: int, seed: int) -> list[dict]:
    """Livox-Mid40 runs of consecutive frames (each sweep a new rosette frame: the band pairs' path), with
    actors in front, FrameAhead on / off, two threads on / off / random, motion distortion, labels, rain /
    fog; some sweeps at times whose frame phases overflow (t = 1e300: NaN angles in the frame), an ego or
    actors with NaN / inf poses, a frame swept twice (the azimuth tables' path) and frames out of order."""
    rng = np.random.default_rng(seed)
    names = sorted(worlds)
    jobs = []
    for i in range(count):
        name = names[int(rng.integers(0, len(names)))]
        parts = worlds[name]
        p = s6worlds.surface_points(parts, rng, 1)[0]
        heading = float(rng.uniform(-math.pi, math.pi))
        params: dict = {}
        if rng.random() < 0.5:
            params["labels"] = True
        if rng.random() < 0.4:
            params["motion_distortion"] = True
        if rng.random() < 0.3:
            params["max_range_m"] = float(rng.choice(RANGES))
        if rng.random() < 0.3:
            params["range_noise_m"] = 0.02
        if rng.random() < 0.2:
            params["dropout_probability"] = 0.1
        mount = s6jobs.MOUNTS[int(rng.integers(0, len(s6jobs.MOUNTS)))] if i % 2 else s6jobs.MOUNTS[0]
        speed = float(rng.choice([0.0, 15.0, 60.0]))
        w = float(rng.choice([0.0, 1.0, -3.0]))
        vx, vy = speed * math.cos(heading), speed * math.sin(heading)
        frames = list(range(int(rng.integers(3, 7))))
        if i % 4 == 1:
            frames = frames + [frames[-1]] + frames[::-1][:2]      # swept again, then backwards
        sweeps = []
        env = None
        for j in frames:
            t = round(0.1 * j + float(rng.choice([0.0, 3.7, 1e4])), 6)
            if i % 7 == 3 and j == 1:
                t = float(rng.choice([1e300, 1e17, 4e15]))
            ego = [float(p[0] + vx * 0.1 * j), float(p[1] + vy * 0.1 * j), float(p[2]), heading + w * 0.1 * j,
                   0.0, 0.0, vx, vy, w]
            if i % 11 == 5 and j == 2:
                ego[int(rng.integers(0, 4))] = [NAN, INF][int(rng.integers(0, 2))]
            n_act = int(rng.choice([4, 10, 20]))
            where = []
            for _ in range(n_act):
                r, a = float(rng.uniform(1.0, 60.0)), heading + float(rng.uniform(-0.4, 0.4))
                where.append([p[0] + r * math.cos(a), p[1] + r * math.sin(a), p[2]])
            actors = [actor(rng, np.asarray(wh), ego, params.get("max_range_m", 260.0), 1.0) for wh in where]
            if rng.random() < 0.3:
                env = [None, {"precipitation_type": "rain", "precipitation_intensity_mm_h": 20.0},
                       {"fog_visual_range_m": 80.0}][int(rng.integers(0, 3))]
            sweeps.append({"t": t, "ego": ego, "actors": actors, "env": env})
        jobs.append({"id": f"livox {name}#{i}", "seed": int(seed * 1000 + i), "world": name,
                     "lidars": [{"preset": "Livox-Mid40", "mount": mount, "params": params}],
                     "sweeps": sweeps, "threads": ["on", "off", "random"][i % 3], "ahead": bool(i % 3),
                     "perturb": i % 2 == 0})
    return jobs


def wide_firing_jobs(worlds: dict[str, list], seed: int) -> list[dict]:
    """Motion-distorted heads firing over several periods (VLP-16 base, 2000 channels at 1 kHz: 5.5 ms of
    firing a 1 ms sweep; an HDL-64E at 1 Hz and 60 m/s, 3 rad/s) among 24 cars: origins spread over metres,
    so the box-first proof's origin ball must hold them all."""
    rng = np.random.default_rng(seed)
    jobs = []
    for name in sorted(worlds):
        parts = worlds[name]
        p = s6worlds.surface_points(parts, rng, 1)[0]
        lidars = [{"preset": "VLP-16", "rate_hz": 1000.0, "mount": [0, 0, 1.9, 0, 0, 0],
                   "params": {"channels": 2000, "vertical_fov_deg": [-30.0, 0.5], "max_range_m": 103.9,
                              "motion_distortion": True, "labels": True}},
                  {"preset": "HDL-64E", "rate_hz": 1.0, "mount": [1.3, 0, 1.9, 0, 0, 0],
                   "params": {"motion_distortion": True, "max_range_m": 75.5, "labels": True}}]
        sweeps = []
        for k in range(2):
            ego = [float(p[0]), float(p[1]), float(p[2]), 0.7 * k, 0.0, 0.0, 60.0, 0.0, 3.0]
            where = _near_points(parts, ego, rng, 24, 25.0)
            actors = [{"p": [float(w[0]), float(w[1]), float(w[2]), float(rng.uniform(-3, 3)), 0, 0],
                       "bb": [4.6, 1.9, 1.5, 0, 0, 0.75], "ped": False} for w in where]
            sweeps.append({"t": 1.0 + k, "ego": ego, "actors": actors})
        jobs.append({"id": f"wide-firing {name}", "seed": 5, "world": name, "lidars": lidars, "sweeps": sweeps,
                     "threads": ["off", "on"][len(jobs) % 2], "ahead": False})
    return jobs


def huge_range_jobs(world: str = "walls") -> list[dict]:
    """An HDL-64E (one and two threads) and a camera among ten cars on a walled road at ranges from 10⁹ m to
    10³⁰⁰ m (``max_range_m`` has a lower bound only)."""
    cars = [{"p": [8.0 + 3 * k, -3.0 + 2 * (k % 4), 0.0, 0.3 * k, 0, 0], "bb": [4.6, 1.9, 1.5, 0, 0, 0.75],
             "ped": False} for k in range(10)]
    jobs = []
    for r in (1e9, 1e13, 1e15, 3e19, 1e300):
        for threads in ("off", "on"):
            jobs.append({"id": f"range {r:g} {threads}", "seed": 1, "world": world, "threads": threads, "ahead": False,
                         "lidars": [{"preset": "HDL-64E", "mount": [1.3, 0, 1.9, 0, 0, 0], "params": {"max_range_m": r}}],
                         "cameras": [{"mount": [1.5, 0.0, 1.6, 0.0, 0.0, 0.0],
                                      "params": {"width": 320, "height": 240, "max_range_m": r}}] if threads == "off" else [],
                         "sweeps": [{"t": 0.0, "ego": [0.0, 0.0, 0.0, 0.0, 0, 0, 0, 0, 0], "actors": cars}]})
    return jobs


def odd_box_jobs(seed: int) -> list[dict]:
    """HDL-64E, OS1-128 and Livox sweeps (one and two threads, with and without motion distortion) among 14
    cars, three of them with odd boxes (infinite, 10³⁰⁰ m, NaN, zero, negative or 10⁻³⁰ m sizes, an infinite
    centre offset) or odd poses (10³⁰⁰ m away, heading 10³⁰⁰, 10¹⁸ m away), on the deck and walls worlds."""
    inf, nan = INF, NAN
    weird_bb = [[inf, 1.9, 1.5, 0, 0, 0.75], [1e300, 1e300, 1e300, 0, 0, 0], [nan, 1, 1, 0, 0, 0],
                [4.6, 1.9, 1.5, inf, 0, 0], [0.0, 0.0, 0.0, 0, 0, 0], [-4.6, 1.9, 1.5, 0, 0, 0.75],
                [1e-30, 1e-30, 1e-30, 0, 0, 0]]
    weird_p = [[1e300, 0, 0, 0], [10, 1e300, 0, 0], [10, 0, 0, 1e300], [10, 0, -1e300, 0], [1e18, 1e18, 0, 0]]
    rng = np.random.default_rng(seed)
    jobs = []
    for world in ("deck", "walls"):
        for preset in ("HDL-64E", "Livox-Mid40", "OS1-128"):
            for threads in ("off", "on"):
                for variant in range(3):
                    cars = [{"p": [float(rng.uniform(3, 30)), float(rng.uniform(-6, 6)), 0.0, float(rng.uniform(-3, 3)), 0, 0],
                             "bb": [4.6, 1.9, 1.5, 0, 0, 0.75], "ped": False} for _ in range(14)]
                    for _ in range(3):
                        c = cars[int(rng.integers(0, len(cars)))]
                        if rng.random() < 0.6:
                            c["bb"] = weird_bb[int(rng.integers(0, len(weird_bb)))]
                        else:
                            c["p"] = weird_p[int(rng.integers(0, len(weird_p)))] + [0, 0]
                    params = {"labels": True, "motion_distortion": bool(variant % 2)}
                    if variant == 2:
                        params["max_range_m"] = 2000.0
                    moving = float(variant % 2)
                    jobs.append({"id": f"odd {world} {preset} {threads} {variant}", "seed": variant, "world": world,
                                 "threads": threads, "ahead": bool(variant % 2),
                                 "lidars": [{"preset": preset, "mount": [1.3, 0, 1.9, 0, 0, 0], "params": params}],
                                 "sweeps": [{"t": 0.1 * j, "ego": [0.0, 0.0, 0.0, 0.0, 0, 0, 10.0 * moving, 0, 0.5 * moving],
                                             "actors": cars} for j in range(2)]})
    return jobs
