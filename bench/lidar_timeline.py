"""Wall-clock timeline of one lidar sweep (``Lidar.sense`` + PointCloud2) on both threads.

Where ``sensor_bench.py`` gives each stage's CPU time, this shows when each
stage runs and on which thread, so idle time and hand-overs are visible: the
stages' functions are wrapped with ``time.perf_counter`` stamps (each wrap
costs ~1 µs, so the sweep is a little slower than unwrapped), N sweeps are
run and the fastest is printed, then the medians over all N of the return
passes' phases.  Scene: the bench's (``sensor_bench.road``, ``traffic``).

Run: ``.venv/bin/python bench/lidar_timeline.py [PRESET] [--sweeps N] [--threads on|off|auto]``.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sensors.lidar as lidar_module  # noqa: E402
import sensors.lidar_draws as draws  # noqa: E402
import sensors.lidar_sweep_passes as passes  # noqa: E402
import sensors.scene as scene_module  # noqa: E402
import sensors.static_cast as static_cast  # noqa: E402
from sensor_bench import road, traffic  # noqa: E402
from sensors.base import SensorConfig  # noqa: E402
from sensors.frames import MountPose  # noqa: E402
from sensors.ros_messages import to_point_cloud2  # noqa: E402

STAGES = {
    lidar_module: ("sensor_transform", "two_threads", "buffer_then_draws", "ray_buffer", "candidate_pairs",
                   "pattern_slab_hits", "dz_bounds"),
    passes: ("stream_for", "count_returns", "decode", "gather_select", "_fill", "normal_end", "finish"),
    static_cast: ("_horizon", "prove_box_first", "collect_part", "_cast"),
    scene_module: ("apply_box_slab_hits",),
}
METHODS = ((scene_module.SensorScene, "cast_rays", "cast_rays (static + boxes)"), (lidar_module.Lidar, "_returns", "returns"),
           (draws.WordStream, "ensure", "random words"),
           (lidar_module.Lidar, "_pose", "pose (sensor_transform when the ego moved)"))

events: list[tuple[str, str, float, float]] = []
recording = [False]


def _wrap(owner, name: str, label: str) -> None:
    fn = getattr(owner, name, None)
    if fn is None:
        return

    @functools.wraps(fn)
    def stamped(*args, **kwargs):
        if not recording[0]:
            return fn(*args, **kwargs)
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            events.append((threading.current_thread().name, label, t0, time.perf_counter()))

    setattr(owner, name, stamped)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("preset", nargs="?", default="HDL-64E")
    ap.add_argument("--sweeps", type=int, default=60)
    ap.add_argument("--threads", choices=("on", "off", "auto"), default="auto",
                    help="force the two-thread passes on or off (the cloud is the same), or let the load decide")
    args = ap.parse_args()
    for module, names in STAGES.items():
        for name in names:
            _wrap(module, name, name)
    for owner, name, label in METHODS:
        _wrap(owner, name, label)
    if args.threads != "auto":
        lidar_module._spare_cpu = lambda own: args.threads == "on"
    mesh, what = road()
    verts = np.asarray(mesh.mesh.vertices)
    centre = verts.mean(axis=0)
    centre[2] = float(np.median(verts[:, 2]))
    snap = traffic(centre, 0.0)
    static = scene_module.static_world_for(mesh)
    lidar = lidar_module.Lidar(SensorConfig(name="bench", type="lidar", preset=args.preset, mount=MountPose(x=1.3, z=1.9),
                                            parameters={"dropout_probability": 0.01}))
    sweeps = []
    for k in range(args.sweeps + 10):
        events.clear()
        recording[0] = k >= 10                                  # ten warm-up sweeps
        t0, c0 = time.perf_counter(), time.process_time()
        cloud = lidar.sense(snap, scene_module.SensorScene(static, snap))
        t1 = time.perf_counter()
        to_point_cloud2(cloud)
        t2, c2 = time.perf_counter(), time.process_time()
        if recording[0]:
            sweeps.append((t2 - t0, c2 - c0, t0, t1, t2, list(events)))
    recording[0] = False
    wall, cpu, t0, t1, t2, best = min(sweeps, key=lambda s: s[0])
    print(f"{args.preset} on {what}: fastest of {args.sweeps} instrumented sweeps {wall * 1e3:.2f} ms wall, "
          f"{cpu * 1e3:.2f} ms CPU (all threads); load average {os.getloadavg()[0]:.2f}; threads {args.threads}")
    print(f"  {'thread':14s} {'from ms':>8s} {'to ms':>8s} {'ms':>7s}  stage")
    for thread, label, a, b in sorted(best, key=lambda e: e[2]):
        print(f"  {thread[:14]:14s} {(a - t0) * 1e3:8.3f} {(b - t0) * 1e3:8.3f} {(b - a) * 1e3:7.3f}  {label}")
    print(f"  {'MainThread':14s} {(t1 - t0) * 1e3:8.3f} {(t2 - t0) * 1e3:8.3f} {(t2 - t1) * 1e3:7.3f}  PointCloud2")
    rows = []
    for _, _, s0, _, s2, evs in sweeps:
        cast = [e for e in evs if e[1] == "cast_rays (static + boxes)"]
        ret = [e for e in evs if e[1] == "returns"]
        if cast and ret:
            rows.append((cast[0][2] - s0, cast[0][3] - cast[0][2], ret[0][3] - ret[0][2], s2 - ret[0][3]))
    if rows:
        med = np.median(np.array(rows), axis=0) * 1e3
        print(f"  medians over {len(rows)} sweeps: before the cast {med[0]:.3f} ms, cast {med[1]:.3f}, returns "
              f"{med[2]:.3f}, after them (PointCloud2 included) {med[3]:.3f}")


if __name__ == "__main__":
    main()
