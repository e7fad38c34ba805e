"""Differential driver for the lidar (review, session 6): run in a subprocess whose ``sys.path[0]`` is one
tree; print per job one JSON line with a digest of every sweep's cloud (PointCloud arrays and fields,
labels, the PointCloud2 bytes) and of the random generator's state after it.

    python s6driver.py JOBS.json

JOBS.json: {"worlds": DIR, "jobs": [job, ...]}; a job: {"id", "seed", "world" (DIR/<world>.npz),
"lidars": [{"preset", "params", "mount": [x, y, z, roll, pitch, yaw]}], "sweeps": [{"t", "ego": [x, y, z,
heading, pitch, roll, vx, vy, yaw_rate], "actors": [[x, y, z, heading, pedestrian]], "env"}],
"cameras": [{"params", "mount"}] (optional),
"bitgen": numpy bit generator name (optional; sweeps may have "prime": draws by another user),
"threads": "on"|"off"|"random", "ahead": bool, "perturb": bool (random sleeps around the two-thread
gather's halves, where the tree has them)}.  Worlds are built once per process and kept, so region
caches hit and miss in the order the jobs give (the same in both trees).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(1, str(Path(__file__).resolve().parent))
import s6worlds  # noqa: E402

_WORLDS: dict = {}


def world(path: str):
    if path not in _WORLDS:
        from sensors.scene import StaticWorld
        _WORLDS[path] = StaticWorld(s6worlds.load_parts(Path(path)))
    return _WORLDS[path]


def snapshot(sweep: dict):
    from simplatform.world import BoundingBox, EntityKind, EntityState, WorldSnapshot
    x, y, z, h, p, r, vx, vy, w = sweep["ego"]
    speed = float(np.hypot(vx, vy))
    states = [EntityState("ego", EntityKind.VEHICLE, "car", x, y, z, h, p, r, speed, vx, vy, 0.0, 0.0, w,
                          BoundingBox(4.6, 1.9, 1.5, 1.4, 0, 0.75), None, is_ego=True)]
    for i, (ax, ay, az, ah, ped) in enumerate(sweep.get("actors", [])):
        kind, cat, bb = ((EntityKind.PEDESTRIAN, "pedestrian", BoundingBox(0.6, 0.6, 1.8, 0, 0, 0.9)) if ped else
                         (EntityKind.VEHICLE, "car", BoundingBox(4.6, 1.9, 1.5, 1.4, 0, 0.75)))
        states.append(EntityState(f"a{i}", kind, cat, ax, ay, az, ah, 0.0, 0.0, 10.0, 10.0, 0.0, 0.0, 0.0, 0.0,
                                  bb, None))
    return WorldSnapshot.from_states(sweep["t"], int(round(sweep["t"] * 100)), states, ego="ego",
                                     environment=sweep.get("env") or {})


def digest(cloud) -> tuple[str, int]:
    from sensors.ros_messages import to_point_cloud2
    h = hashlib.sha256()
    h.update(repr(sorted((k, repr(v)) for k, v in vars(cloud).items() if not isinstance(v, np.ndarray))).encode())
    for k, v in sorted(vars(cloud).items()):
        if isinstance(v, np.ndarray):
            h.update(k.encode() + str(v.dtype).encode() + str(v.shape).encode())
            h.update(np.ascontiguousarray(v).tobytes())
    msg = to_point_cloud2(cloud)
    h.update(bytes(msg.data) if hasattr(msg, "data") else repr(msg).encode())
    return h.hexdigest()[:16], len(cloud.points)


def _perturb(rng: np.random.Generator) -> None:
    """Random sleeps before the two ends of a two-thread chunked gather (moves where they meet), or a random
    cut of the two-thread sweep's columns (``split_column``: learnt from timings, so any cut may occur)."""
    import sensors.lidar_sweep_passes as passes
    split = getattr(passes, "split_column", None)
    if split is not None and not getattr(split, "_review_wrapped", False):
        def random_cut(balance, columns, _split=split):
            pick = rng.random()
            if pick < 0.15:
                return 0
            if pick < 0.3:
                return columns
            if pick < 0.45:
                return _split(balance, columns)
            return min(16 * int(rng.integers(0, columns // 16 + 2)), columns)
        random_cut._review_wrapped = True
        passes.split_column = random_cut
    for name in ("gather_front", "chunk_returns", "gather_back"):
        fn = getattr(passes, name, None)
        if fn is None or getattr(fn, "_review_wrapped", False):
            continue

        def wrapped(*a, _fn=fn, **k):
            if rng.random() < 0.7:
                time.sleep(float(rng.uniform(0, 0.004)))
            return _fn(*a, **k)
        wrapped._review_wrapped = True
        setattr(passes, name, wrapped)


NO_FOG_BACKSCATTER: dict = {}


def main() -> None:
    import sensors.lidar as lidar_module

    # session 11's fog backscatter (a new model: older trees have no such key) is off, so fog sweeps compare
    global NO_FOG_BACKSCATTER
    NO_FOG_BACKSCATTER = {"fog_backscatter": False} if "fog_backscatter" in getattr(lidar_module, "_DEFAULTS", {}) else {}
    from sensors.base import SensorConfig
    from sensors.frames import MountPose
    from sensors.lidar import Lidar
    from sensors.scene import SensorScene

    spec = json.loads(Path(sys.argv[1]).read_text())
    mode = {"threads": "off", "rng": np.random.default_rng(0)}

    def cores():
        m = mode["threads"]
        if m == "random":
            return 2 if mode["rng"].random() < 0.5 else 1
        return 2 if m == "on" else 1

    lidar_module.cores = cores
    os.getloadavg = lambda: (0.0, 0.0, 0.0)
    perturb_rng = np.random.default_rng(12345)
    culled = [0, 0]                                       # rays proved to miss, rays tested (where the tree culls)
    import sensors.static_cast as static_cast
    if hasattr(static_cast, "cull_gather"):
        real = static_cast.cull_gather

        def counting(rays, start, stop, *rest):
            k = real(rays, start, stop, *rest)
            culled[0] += stop - start - k
            culled[1] += stop - start
            return k
        static_cast.cull_gather = counting
    for job in spec["jobs"]:
        mode["threads"] = job.get("threads", "off")
        mode["rng"] = np.random.default_rng(job["seed"] + 99)
        if hasattr(lidar_module, "FRAME_AHEAD"):
            lidar_module.FRAME_AHEAD = bool(job.get("ahead", True))
            import sensors.lidar_frame_rosette as rosette
            if hasattr(rosette, "BESIDE"):                # session 10: the frame module's own switch
                rosette.BESIDE = lidar_module.FRAME_AHEAD
        if job.get("perturb"):
            _perturb(perturb_rng)
        out, counts = [], []
        try:
            static = world(str(Path(spec["worlds"]) / f"{job['world']}.npz"))
            lidars = [Lidar(SensorConfig(name=f"l{j}", type="lidar", preset=cfg.get("preset"), seed=job["seed"],
                                         rate_hz=cfg.get("rate_hz", 10.0),
                                         mount=MountPose(*cfg.get("mount", [0, 0, 0, 0, 0, 0])),
                                         parameters={**dict(cfg.get("params", {})), **NO_FOG_BACKSCATTER}))
                      for j, cfg in enumerate(job["lidars"])]
            if job.get("bitgen"):               # another bit generator (numpy's own draws where not decoded)
                for lid in lidars:
                    lid.rng = np.random.Generator(getattr(np.random, job["bitgen"])(job["seed"]))
            from sensors.camera import Camera
            cameras = [Camera(SensorConfig(name=f"c{j}", type="camera", seed=job["seed"],
                                           mount=MountPose(*cfg.get("mount", [0, 0, 0, 0, 0, 0])),
                                           parameters=dict(cfg.get("params", {}))))
                       for j, cfg in enumerate(job.get("cameras", []))]
            for sweep in job["sweeps"]:
                snap = snapshot(sweep)
                scene = SensorScene(static, snap)
                for lid in lidars:
                    for _ in range(sweep.get("prime", 0)):   # another user of the generator: a buffered half word
                        lid.rng.random(dtype=np.float32)
                    try:
                        d, n = digest(lid.sense(snap, scene))
                    except Exception as exc:  # noqa: BLE001
                        d, n = f"exc {type(exc).__name__}: {str(exc)[:80]}", -1
                    out.append(d + " " + hashlib.sha256(repr(lid.rng.bit_generator.state).encode()).hexdigest()[:8])
                    counts.append(n)
                for cam in cameras:
                    try:
                        frame = cam.sense(snap, scene)
                        h = hashlib.sha256(repr([(k, v) for k, v in sorted(vars(frame).items())
                                                 if not isinstance(v, np.ndarray)]).encode())
                        for k, v in sorted(vars(frame).items()):
                            if isinstance(v, np.ndarray):
                                h.update(k.encode() + str(v.dtype).encode() + np.ascontiguousarray(v).tobytes())
                        out.append("cam " + h.hexdigest()[:16])
                    except Exception as exc:  # noqa: BLE001
                        out.append(f"cam exc {type(exc).__name__}: {str(exc)[:80]}")
                    counts.append(-2)
        except Exception as exc:  # noqa: BLE001
            out.append(f"job exc {type(exc).__name__}: {str(exc)[:200]}")
        print(json.dumps({"id": job["id"], "sweeps": out, "points": counts, "culled": culled[:]}), flush=True)


if __name__ == "__main__":
    main()
