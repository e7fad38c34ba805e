"""Wall-clock timeline of Livox-Mid40 sweeps (``Lidar.sense`` + PointCloud2), same frame or a new frame each.

A non-repetitive head's sweep is small (10 000 rays, a raw cast of ~0.5 ms
wall), so what it costs beyond the cast is a fixed cost per sweep: Python
glue, table look-ups, the actor pairs, the returns, PointCloud2, thread
hand-overs and (every sweep in a run) a new frame's tables.  This wraps the
stages of ``bench/lidar_timeline.py`` and the rosette frame's
(``lidar_frame_rosette``) with ``time.perf_counter`` stamps (~1 µs each),
runs N sweeps, prints the fastest as a timeline of both threads, and the
median of each stage over all N (start, length), so the wall time beyond
the cast can be read stage by stage.

Run: ``.venv/bin/python bench/livox_timeline.py [--sweeps N] [--new-frame] [--threads on|off|auto]
[--ahead on|off|default]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import lidar_timeline as tl  # noqa: E402
import sensors.lidar as lidar_module  # noqa: E402
import sensors.lidar_frame_next as frame_next  # noqa: E402
import sensors.lidar_frame_rosette as rosette  # noqa: E402
import sensors.scene as scene_module  # noqa: E402
import sensors.static_cast as static_cast  # noqa: E402
from sensor_bench import bench_scene  # noqa: E402
from sensors.base import SensorConfig  # noqa: E402
from sensors.frames import MountPose  # noqa: E402
from sensors.ros_messages import to_point_cloud2  # noqa: E402

LIVOX_STAGES = {
    lidar_module: ("pattern_tables", "frame_ahead", "sweep_returns"),
    scene_module: ("merge_box_hits",),
    static_cast: ("cast_static",),
    frame_next: ("frame_cast_side_done", "start_next"),
}
LIVOX_METHODS = (
    (lidar_module.Lidar, "pattern", "pattern (frame built inline when new)"),
    (lidar_module.Lidar, "_next_frame_beside", "_next_frame_beside"),
    (lidar_module.Lidar, "_sweep", "_sweep"),
    (rosette._FrameWork, "cast_side", "frame 1 cast_side"),
    (rosette._FrameWork, "angles", "frame 2 angles"),
    (rosette._FrameWork, "azimuth_side", "frame 3 azimuth_side"),
    (rosette._FrameWork, "assemble", "frame assemble"),
    (rosette.FrameAhead, "_beside", "FrameAhead hand-over"),
    (rosette.FrameAhead, "advance", "FrameAhead.advance"),
    (rosette.FrameAhead, "finish", "FrameAhead.finish"),
    (frame_next.NextFrame, "collect", "next frame collect"),
    (scene_module.SensorScene, "__init__", "SensorScene"),
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sweeps", type=int, default=300)
    ap.add_argument("--new-frame", action="store_true", help="a new rosette frame every sweep (what a run pays)")
    ap.add_argument("--threads", choices=("on", "off", "auto"), default="auto",
                    help="force a free second CPU on or off (the cloud is the same), or let the load decide")
    ap.add_argument("--ahead", choices=("on", "off", "default"), default="default",
                    help="on: frames built beside sweeps the old way (sensors.lidar.FRAME_AHEAD and "
                         "lidar_frame_rosette.BESIDE on), off: both off (every frame inline), default: as the "
                         "package sets them (the next frame's kernel on the worker where a second CPU is free, "
                         "lidar_frame_next, since session 11)")
    args = ap.parse_args()
    stages = {module: tuple(names) for module, names in tl.STAGES.items()}
    for module, names in LIVOX_STAGES.items():             # both lists of a module (a dict merge kept one)
        stages[module] = stages.get(module, ()) + tuple(n for n in names if n not in stages.get(module, ()))
    for module, names in stages.items():
        for name in names:
            tl._wrap(module, name, name)
    for owner, name, label in tl.METHODS + LIVOX_METHODS:
        static = isinstance(owner.__dict__.get(name), staticmethod)
        tl._wrap(owner, name, label)
        if static:                                              # keep a static method static
            setattr(owner, name, staticmethod(getattr(owner, name)))
    if args.threads != "auto":
        lidar_module._spare_cpu = lambda own: args.threads == "on"
    if args.ahead != "default":
        lidar_module.FRAME_AHEAD = rosette.BESIDE = args.ahead == "on"
    _, what, snap, static = bench_scene()
    lidar = lidar_module.Lidar(SensorConfig(name="bench", type="lidar", preset="Livox-Mid40",
                                            mount=MountPose(x=1.3, z=1.9), parameters={"dropout_probability": 0.01}))
    sweeps = []
    for k in range(args.sweeps + 20):
        s = replace(snap, time=0.1 * (k + 1)) if args.new_frame else snap
        tl.events.clear()
        tl.recording[0] = k >= 20                               # twenty warm-up sweeps
        t0, c0 = time.perf_counter(), time.process_time()
        cloud = lidar.sense(s, scene_module.SensorScene(static, s))
        t1 = time.perf_counter()
        to_point_cloud2(cloud)
        t2, c2 = time.perf_counter(), time.process_time()
        if tl.recording[0]:
            sweeps.append((t2 - t0, c2 - c0, t0, t1, t2, list(tl.events)))
    tl.recording[0] = False
    walls = np.array([s[0] for s in sweeps]) * 1e3
    cpus = np.array([s[1] for s in sweeps]) * 1e3
    wall, cpu, t0, t1, t2, best = min(sweeps, key=lambda s: s[0])
    print(f"Livox-Mid40 on {what}, {'a new frame each sweep' if args.new_frame else 'the same frame'}: "
          f"{args.sweeps} instrumented sweeps, wall ms min {walls.min():.3f} median {np.median(walls):.3f}, "
          f"CPU ms min {cpus.min():.3f} median {np.median(cpus):.3f}; load average {os.getloadavg()[0]:.2f}; "
          f"threads {args.threads}, frame ahead {args.ahead}")
    print(f"fastest sweep: {wall * 1e3:.3f} ms wall, {cpu * 1e3:.3f} ms CPU")
    print(f"  {'thread':14s} {'from ms':>8s} {'to ms':>8s} {'ms':>7s}  stage")
    for thread, label, a, b in sorted(best, key=lambda e: e[2]):
        print(f"  {thread[:14]:14s} {(a - t0) * 1e3:8.3f} {(b - t0) * 1e3:8.3f} {(b - a) * 1e3:7.3f}  {label}")
    print(f"  {'MainThread':14s} {(t1 - t0) * 1e3:8.3f} {(t2 - t0) * 1e3:8.3f} {(t2 - t1) * 1e3:7.3f}  PointCloud2")
    starts, lengths = defaultdict(list), defaultdict(list)
    for _, _, s0, _, _, evs in sweeps:
        seen = set()
        for thread, label, a, b in evs:
            key = (thread[:14], label)
            if key in seen:                                     # first call of a stage in a sweep
                continue
            seen.add(key)
            starts[key].append(a - s0)
            lengths[key].append(b - a)
    print(f"medians over {len(sweeps)} sweeps (first call of each stage; n = sweeps it ran in):")
    print(f"  {'thread':14s} {'from ms':>8s} {'ms':>7s} {'n':>5s}  stage")
    for key in sorted(starts, key=lambda k: np.median(starts[k])):
        print(f"  {key[0]:14s} {np.median(starts[key]) * 1e3:8.3f} {np.median(lengths[key]) * 1e3:7.3f} "
              f"{len(starts[key]):5d}  {key[1]}")


if __name__ == "__main__":
    main()
