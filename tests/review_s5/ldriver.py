"""Differential driver for the lidar (review, session 5): run in a subprocess whose ``sys.path[0]`` is
one tree; print per job the SHA-256 of every sweep's cloud (PointCloud arrays and fields, the
PointCloud2 bytes) and of the random generator's state after each sweep.

    python ldriver.py JOBS.json OUT_DIR

A job: {"id", "seed", "presets": [..] (several lidars sharing one scene), "params": {...},
"times": [sweep times in the order sensed], "threads": "on"|"off"|"random", "ahead": bool,
"actors": int, "env": [environment per sweep or null], "fail": [sweep indices whose worker stage raises]}
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
from pathlib import Path

import numpy as np

_MESH = None


def static_world():
    global _MESH
    if _MESH is None:
        from sensors.scene import static_world_for
        from simplatform.opendrive import load_opendrive
        from simplatform.opendrive.mesh import build_road_mesh
        import sensors
        root = Path(sensors.__file__).resolve().parents[1]
        mesh = build_road_mesh(load_opendrive(root / "scenarios" / "maps" / "highway_straight.xodr"))
        verts = np.asarray(mesh.mesh.vertices)
        centre = verts.mean(axis=0)
        centre[2] = float(np.median(verts[:, 2]))
        _MESH = (static_world_for(mesh), centre)
    return _MESH


def snapshot(rng, centre, n_actors: int, t: float, k: int, env):
    from simplatform.world import BoundingBox, EntityKind, EntityState, WorldSnapshot
    heading = 0.0
    ego_speed = 20.0
    ex = float(centre[0]) + ego_speed * t
    states = [EntityState("ego", EntityKind.VEHICLE, "car", ex, float(centre[1]), float(centre[2]), heading,
                          0.0, 0.0, ego_speed, ego_speed, 0.0, 0.0, 0.0, 0.2, BoundingBox(4.6, 1.9, 1.5, 1.4, 0, 0.75),
                          None, is_ego=True)]
    for i in range(n_actors):
        dx, dy = rng.uniform(-50, 50), rng.choice([-7.0, -3.5, 0.0, 3.5, 7.0])
        if abs(dx) < 6 and dy == 0:
            dx += 12
        kind, cat, box = ((EntityKind.PEDESTRIAN, "pedestrian", BoundingBox(0.6, 0.6, 1.8, 0, 0, 0.9))
                          if rng.random() < 0.2 else (EntityKind.VEHICLE, "car", BoundingBox(4.6, 1.9, 1.5, 1.4, 0, 0.75)))
        states.append(EntityState(f"a{i}", kind, cat, ex + dx, float(centre[1]) + dy, float(centre[2]),
                                  float(rng.uniform(-0.2, 0.2)), 0.0, 0.0, 25.0, 25.0, 0.0, 0.0, 0.0, 0.0, box, None))
    return WorldSnapshot.from_states(t, k, states, ego="ego", environment=env or {})


def digest_cloud(cloud) -> str:
    from sensors.ros_messages import to_point_cloud2
    h = hashlib.sha256()
    h.update(repr(sorted((k, repr(v)) for k, v in vars(cloud).items() if not isinstance(v, np.ndarray))).encode())
    for k, v in sorted(vars(cloud).items()):
        if isinstance(v, np.ndarray):
            h.update(k.encode())
            h.update(str(v.dtype).encode() + str(v.shape).encode())
            h.update(np.ascontiguousarray(v).tobytes())
    msg = to_point_cloud2(cloud)
    h.update(bytes(msg.data) if hasattr(msg, "data") else repr(msg).encode())
    return h.hexdigest()[:16]


def main() -> None:
    import sensors.lidar as lidar_module
    from sensors.base import SensorConfig
    from sensors.frames import MountPose
    from sensors.lidar import Lidar
    from sensors.scene import SensorScene
    jobs = json.loads(Path(sys.argv[1]).read_text())
    static, centre = static_world()
    mode = {"threads": "off", "rng": None}
    real_loadavg = os.getloadavg

    def cores():
        m = mode["threads"]
        if m == "random":
            return 2 if mode["rng"].random() < 0.5 else 1
        return 2 if m == "on" else 1

    lidar_module.cores = cores
    os.getloadavg = lambda: (0.0, 0.0, 0.0)
    for job in jobs:
        rng = np.random.default_rng(job["seed"])
        mode["threads"] = job.get("threads", "off")
        mode["rng"] = np.random.default_rng(job["seed"] + 99)
        if hasattr(lidar_module, "FRAME_AHEAD"):
            lidar_module.FRAME_AHEAD = bool(job.get("ahead", True))
            import sensors.lidar_frame_rosette as rosette
            if hasattr(rosette, "BESIDE"):                # session 10: the frame module's own switch
                rosette.BESIDE = lidar_module.FRAME_AHEAD
        lidars = []
        out = []
        try:
            for j, name in enumerate(job["presets"]):
                params = dict(job.get("params", {}))
                lidars.append(Lidar(SensorConfig(name=f"l{j}", type="lidar", preset=name, seed=job["seed"],
                                                 mount=MountPose(x=1.3, y=0.3 * j, z=1.9, yaw=0.4 * j),
                                                 parameters=params)))
            bitgen = job.get("bitgen")
            for lid in lidars:
                if bitgen:   # another bit generator (the draws' reference path) or a generator shared with others
                    lid.rng = np.random.Generator(getattr(np.random, bitgen)(job["seed"]))
            n_act = job.get("actors", 10)
            snaps = {}
            for i, t in enumerate(job["times"]):
                env = (job.get("env") or [None] * len(job["times"]))[i]
                key = (t, json.dumps(env, sort_keys=True))
                if key not in snaps:  # the same time: the same world
                    snaps[key] = snapshot(np.random.default_rng([job["seed"], int(round(t * 1000))]), centre, n_act,
                                          t, int(round(t * 10)), env)
                snap = snaps[key]
                if i in job.get("nan_at", []):
                    from dataclasses import replace as _replace
                    bad = snap.x.copy()
                    bad[0] = float("nan") if i % 2 else float("inf")
                    snap = _replace(snap, x=bad)
                scene = SensorScene(static, snap)
                for lid in lidars:
                    for _ in range((job.get("prime") or [0] * len(job["times"]))[i]):
                        lid.rng.random(dtype=np.float32)   # another user of the generator: a buffered half word
                    try:
                        cloud = lid.sense(snap, scene)
                        d = digest_cloud(cloud)
                    except Exception as exc:  # noqa: BLE001
                        d = f"exc {type(exc).__name__}: {str(exc)[:80]}"
                    st = repr(lid.rng.bit_generator.state)
                    out.append(d + " " + hashlib.sha256(st.encode()).hexdigest()[:8])
        except Exception as exc:  # noqa: BLE001
            out.append(f"job exc {type(exc).__name__}: {str(exc)[:200]}")
        print(json.dumps({"id": job["id"], "sha": hashlib.sha256("|".join(out).encode()).hexdigest()[:16],
                          "sweeps": out, "problems": []}), flush=True)
    os.getloadavg = real_loadavg


if __name__ == "__main__":
    main()
