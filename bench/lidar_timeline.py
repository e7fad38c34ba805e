"""Wall-clock timeline of one lidar sweep (``Lidar.sense`` + PointCloud2) on both threads.

Where ``sensor_bench.py`` gives each stage's CPU time, this shows when each
stage runs and on which thread, so idle time and hand-overs are visible: the
stages' functions are wrapped with ``time.perf_counter`` stamps (each wrap
costs ~1 µs, so the sweep is a little slower than unwrapped), N sweeps are
run and the fastest is printed, then the medians over all N of the return
passes' phases.  Scene: the bench's (``sensor_bench.bench_scene``).

Then medians over the N sweeps of the set-up's hand-over (when the worker's
job starts and fills the ray buffer, when this thread's pairs and slab tests
end, when the cast starts, and in how many sweeps the cast started only after
the worker's random words ended) and of the cast's single-thread parts on this
thread outside open3d's casts.  ``--schedstat`` adds how much of the worker's
start latency, and of this thread's wait from its slab tests to the cast, was
a wait for a CPU (/proc schedstat run-queue time): on the shared 2-core
machine most of a late start is other processes' load, not the GIL.  (open3d's
``cast_rays`` itself holds the GIL while it casts, so a worker job that is not
already inside a ``nogil`` kernel when a cast starts waits for its end.)

``--split off`` runs the static cast's single-thread sections on one thread
(``static_split.SPLIT_SERIAL``; the hits are the same).

Run: ``.venv/bin/python bench/lidar_timeline.py [PRESET] [--sweeps N] [--threads on|off|auto] [--schedstat]
[--split on|off]``.
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
import open3d as o3d

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sensors.lidar as lidar_module  # noqa: E402
import sensors.lidar_draws as draws  # noqa: E402
import sensors.lidar_sweep_passes as passes  # noqa: E402
import sensors.scene as scene_module  # noqa: E402
import sensors.static_boxes as static_boxes  # noqa: E402
import sensors.static_cast as static_cast  # noqa: E402
import sensors.static_split as static_split  # noqa: E402
from sensor_bench import bench_scene  # noqa: E402
from sensors.base import SensorConfig  # noqa: E402
from sensors.frames import MountPose  # noqa: E402
from sensors.ros_messages import to_point_cloud2  # noqa: E402

STAGES = {
    lidar_module: ("sensor_transform", "two_threads", "buffer_then_draws", "ray_buffer", "candidate_pairs",
                   "pattern_slab_hits", "dz_bounds"),
    passes: ("stream_for", "count_returns", "decode", "gather_select", "_fill", "normal_end", "finish"),
    static_cast: ("_horizon", "prove_box_first", "collect_part", "_cast", "cull_gather", "drop_rows", "scatter_hits",
                  "reaching_span", "near_block", "_runs", "_join", "_collect_beside", "_scratch"),
    scene_module: ("apply_box_slab_hits",),
    static_split: ("cast_split", "_pre", "_post", "_head_copies", "neutralize", "cull_gather", "cull_gather_unproved", "scatter_hits",
                   "restore", "write_misses"),
}
METHODS = ((scene_module.SensorScene, "cast_rays", "cast_rays (static + boxes)"), (lidar_module.Lidar, "_returns", "returns"),
           (draws.WordStream, "ensure", "random words"),
           (lidar_module.Lidar, "_pose", "pose (sensor_transform when the ego moved)"),
           (o3d.t.geometry.RaycastingScene, "cast_rays", "open3d cast_rays"),
           (static_boxes.BoxFirst, "neutralize", "neutralize"), (static_boxes.BoxFirst, "restore", "restore"),
           (static_boxes.BoxProof, "prove", "prove (rows)"),
           (scene_module.StaticWorld, "region", "region"), (scene_module.StaticWorld, "cast_hits", "cast_hits"))

events: list[tuple[str, str, float, float]] = []
recording = [False]
run_delay: list[tuple[str, int, float]] = []      # (label, worker thread's run-queue wait in ns, stamp): --schedstat


def _worker_wait() -> int:
    """The lidar worker thread's total time spent runnable but not running (ns, /proc schedstat's 2nd field):
    a delay that grows by it was a wait for a CPU, not for the GIL or a wake-up."""
    for t in threading.enumerate():
        if t.name.startswith("lidar-returns"):
            with open(f"/proc/self/task/{t.native_id}/schedstat") as f:
                return int(f.read().split()[1])
    return -1


def _own_wait() -> int:
    with open("/proc/thread-self/schedstat") as f:
        return int(f.read().split()[1])


def _stamp_wait(label: str) -> None:
    if recording[0] and SCHEDSTAT[0]:
        run_delay.append((label, _worker_wait(), time.perf_counter()))


def _stamp_own(label: str) -> None:
    if recording[0] and SCHEDSTAT[0]:
        run_delay.append((label, _own_wait(), time.perf_counter()))


SCHEDSTAT = [False]


def _wrap(owner, name: str, label: str) -> None:
    fn = getattr(owner, name, None)
    if fn is None:
        return

    @functools.wraps(fn)
    def stamped(*args, **kwargs):
        if not recording[0]:
            return fn(*args, **kwargs)
        if name == "ray_buffer":
            _stamp_wait(name)
        if name == "cast_rays" and owner is scene_module.SensorScene:
            _stamp_own("main at cast")
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            if name == "buffer_then_draws":
                _stamp_wait(name)
            if name == "pattern_slab_hits":
                _stamp_own("main at slabs' end")
            events.append((threading.current_thread().name, label, t0, time.perf_counter()))

    setattr(owner, name, stamped)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("preset", nargs="?", default="HDL-64E")
    ap.add_argument("--sweeps", type=int, default=60)
    ap.add_argument("--threads", choices=("on", "off", "auto"), default="auto",
                    help="force the two-thread passes on or off (the cloud is the same), or let the load decide")
    ap.add_argument("--schedstat", action="store_true",
                    help="also read the worker's run-queue wait (/proc schedstat) around the set-up's hand-over")
    ap.add_argument("--split", choices=("on", "off"), default="on",
                    help="the static cast's single-thread sections on two threads (static_split), or one (the same hits)")
    args = ap.parse_args()
    SCHEDSTAT[0] = args.schedstat
    static_split.SPLIT_SERIAL = args.split == "on"
    for module, names in STAGES.items():
        for name in names:
            _wrap(module, name, name)
    for owner, name, label in METHODS:
        _wrap(owner, name, label)
    if args.threads != "auto":
        lidar_module._spare_cpu = lambda own: args.threads == "on"
    _, what, snap, static = bench_scene()
    lidar = lidar_module.Lidar(SensorConfig(name="bench", type="lidar", preset=args.preset, mount=MountPose(x=1.3, z=1.9),
                                            parameters={"dropout_probability": 0.01}))
    sweeps = []
    waits: list[list] = []
    for k in range(args.sweeps + 10):
        events.clear()
        run_delay.clear()
        recording[0] = k >= 10                                  # ten warm-up sweeps
        t0, c0 = time.perf_counter(), time.process_time()
        cloud = lidar.sense(snap, scene_module.SensorScene(static, snap))
        t1 = time.perf_counter()
        to_point_cloud2(cloud)
        t2, c2 = time.perf_counter(), time.process_time()
        if recording[0]:
            sweeps.append((t2 - t0, c2 - c0, t0, t1, t2, list(events)))
            waits.append(list(run_delay))
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
    setup_statistics(sweeps)
    if args.schedstat:
        wait_statistics(waits)
    serial_statistics(sweeps)
    split_statistics(sweeps)


def _first(evs, label: str, main: bool | None = None):
    for e in evs:
        if e[1] == label and (main is None or (e[0] == "MainThread") == main):
            return e
    return None


def setup_statistics(sweeps) -> None:
    """Medians over the sweeps of the hand-over before the cast (ms from the sweep's start): when the worker's
    job starts and ends its fill (ray buffer + ring bounds), when this thread's pairs and slab tests end, when
    the cast starts, and whether the worker's words overlap the cast or delay it."""
    rows = []
    for _, _, s0, _, _, evs in sweeps:
        sub, buf, bounds = _first(evs, "buffer_then_draws"), _first(evs, "ray_buffer"), _first(evs, "dz_bounds")
        slab, cast = _first(evs, "pattern_slab_hits"), _first(evs, "cast_rays (static + boxes)")
        words = _first(evs, "random words", main=False)
        if None in (sub, buf, bounds, slab, cast):
            continue
        fill_end = bounds[3]
        w0, w1 = (words[2], words[3]) if words else (np.nan, np.nan)
        rows.append((sub[3] - s0, buf[2] - s0, fill_end - s0, slab[3] - s0, cast[2] - s0,
                     cast[2] - max(fill_end, slab[3]), w0 - s0, w1 - s0, float(cast[2] >= w1) if words else np.nan))
    if not rows:
        return
    a = np.array(rows) * np.array([1e3] * 8 + [1.0])
    med = np.nanmedian(a, axis=0)
    print(f"  set-up medians over {len(rows)} sweeps (ms from the sweep's start): job submitted {med[0]:.3f}, "
          f"worker's ray buffer starts {med[1]:.3f}, fill done {med[2]:.3f}; pairs + slab tests done {med[3]:.3f}; "
          f"cast starts {med[4]:.3f} ({med[5]:.3f} after both); worker's words {med[6]:.3f}-{med[7]:.3f}; "
          f"cast started after the words ended in {np.nansum(a[:, 8]):.0f} of {np.sum(~np.isnan(a[:, 8]))} sweeps")


def wait_statistics(waits) -> None:
    """Medians of the worker's start latency (job submitted -> its ray buffer starts) beside the part of it the
    worker spent waiting for a CPU (schedstat): the rest is the wake-up and the GIL."""
    rows = []
    for w in waits:
        d = {label: (ns, t) for label, ns, t in w}
        if "buffer_then_draws" in d and "ray_buffer" in d and d["buffer_then_draws"][0] >= 0:
            (n0, t0), (n1, t1) = d["buffer_then_draws"], d["ray_buffer"]
            rows.append(((t1 - t0) * 1e3, (n1 - n0) * 1e-6))
    main = []
    for w in waits:
        d = {label: (ns, t) for label, ns, t in w}
        if "main at slabs' end" in d and "main at cast" in d:
            (n0, t0), (n1, t1) = d["main at slabs' end"], d["main at cast"]
            main.append(((t1 - t0) * 1e3, (n1 - n0) * 1e-6))
    if main:
        a = np.array(main)
        print(f"  this thread from its slab tests' end to the cast over {len(a)} sweeps: median {np.median(a[:, 0]):.3f} "
              f"ms, of which waiting for a CPU {np.median(a[:, 1]):.3f} ms (sum {a[:, 0].sum():.1f} vs {a[:, 1].sum():.1f})")
    if rows:
        a = np.array(rows)
        print(f"  worker start after the hand-over over {len(a)} sweeps: median {np.median(a[:, 0]):.3f} ms, of which "
              f"waiting for a CPU {np.median(a[:, 1]):.3f} ms (median; sum {a[:, 0].sum():.1f} vs {a[:, 1].sum():.1f})")


def split_statistics(sweeps) -> None:
    """Medians of the split cast's two hand-overs (``static_split``): for the rows before the casts (``_pre``)
    and the copies after them (``_post``), when each thread's half starts and ends (ms from the hand-over), and
    in how many sweeps the worker's half ran here instead (its thread busy: cancelled)."""
    for stage in ("_pre", "_post"):
        rows, here = [], 0
        for _, _, _, _, _, evs in sweeps:
            mine = [e for e in evs if e[1] == stage]
            main = [e for e in mine if e[0] == "MainThread"]
            worker = [e for e in mine if e[0] != "MainThread"]
            if len(main) == 2:
                here += 1
            if len(main) != 1 or len(worker) != 1:
                continue
            m, w = main[0], worker[0]
            rows.append(((m[3] - m[2]), (w[2] - m[2]), (w[3] - m[2]), max(m[3], w[3]) - m[2]))
        if rows:
            med = np.median(np.array(rows), axis=0) * 1e3
            print(f"  split {stage} medians over {len(rows)} sweeps (ms from this thread's start): this thread's half "
                  f"{med[0]:.3f}; the worker's {med[1]:.3f}-{med[2]:.3f}; both done {med[3]:.3f}; run here in "
                  f"{here} sweeps")


def serial_statistics(sweeps) -> None:
    """Medians of the cast's parts on this thread outside open3d's (two-thread) casts: the single-thread time
    on the sweep's critical path inside ``cast_rays``."""
    rows = []
    for _, _, _, _, _, evs in sweeps:
        cast = _first(evs, "cast_rays (static + boxes)")
        if cast is None:
            continue
        inner = [e for e in evs if e[0] == "MainThread" and cast[2] <= e[2] and e[3] <= cast[3]]
        o3d_ms = sum(e[3] - e[2] for e in inner if e[1] == "open3d cast_rays")
        rows.append([cast[3] - cast[2], o3d_ms] + [sum(e[3] - e[2] for e in inner if e[1] == n) for n in SERIAL])
    med = np.median(np.array(rows), axis=0) * 1e3
    print(f"  cast medians (ms): whole {med[0]:.3f}, open3d casts {med[1]:.3f}, rest {med[0] - med[1]:.3f}: "
          + ", ".join(f"{n} {v:.3f}" for n, v in zip(SERIAL, med[2:])))


SERIAL = ("cast_hits", "region", "reaching_span", "near_block", "_horizon", "prove_box_first", "_runs", "neutralize",
          "restore", "_collect_beside", "_scratch", "cull_gather", "drop_rows", "scatter_hits", "_join",
          "apply_box_slab_hits", "_pre", "_post")
"""The stages the cast's median line sums on this thread (``static_split``'s ``_pre`` and ``_post``: this
thread's half of the rows before and after the casts, the worker's half beside them)."""


if __name__ == "__main__":
    main()
