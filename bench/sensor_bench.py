"""Sensor throughput: lidar rays/s end to end vs raw open3d ``cast_rays``; camera frames/s.

Scene: the road mesh of ``scenarios/maps/highway_straight.xodr`` (or a plane
when the map or the mesh builder is missing) with 20 cars around the ego.
"Raw" is one ``cast_rays`` call of the same rays against one open3d scene
holding the road and the 20 boxes — the best open3d alone can do.  "End to
end" is what a step costs the platform: the step's ``SensorScene``,
``Lidar.sense`` (pattern, pose, the static cast of the rays that can reach
the ground, the analytic actor boxes, noise, dropout, intensity, weather) and
packing the ``sensor_msgs/PointCloud2``.  Targets (2 cores): end to end
≥ 60 % of raw; HDL-64E at 10 Hz ≥ 10× real time.

The "where the HDL-64E sweep goes" block times each stage in CPU time
(``time.process_time``, all threads, minimum of rounds) and the floor open3d
sets: the raw cast on one thread (Mrays/s per core) and the per-ray cost of
``cast_rays`` against two triangles (what every ray pays before any BVH).

A non-repetitive head (Livox-Mid40) draws a new frame every sweep; the table
row reuses frame 0 like its raw cast.  The Livox lines after the table give
what a run pays: the mean per sweep over 200 new frames, and the table's
ratio with a new frame every round (its end to end against the raw cast of
that same frame's rays, minimum of rounds), with the next frame built beside
each sweep (where a second CPU is free: ``sensors.lidar.FrameAhead``) and
inline.

Timing: each figure is the minimum over interleaved rounds (raw and end to
end alternate, so both see the same load); on a shared machine the minimum is
the least-disturbed run.  ``cast ms`` beside the camera is the raw cast of the
frame's rays; the driving row is a mean, so it includes the static-region
rebuilds a moving ego causes.  Absolute figures depend on the machine's load
(printed at start and end).

``bench/lidar_timeline.py`` shows one sweep as a wall-clock timeline of its
stages on both threads (where the wall time goes, idle time and hand-overs
included), which CPU sums do not.

"2 threads" says whether the sweep's per-return passes ran on two threads
(``sensors.lidar.two_threads``: sweeps of at least 32 768 rays while other
processes leave a core free); the wall ratios depend on it, the clouds do not.

Run: ``.venv/bin/python bench/sensor_bench.py [--repeat N] [--lidar-only]``.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
import sys
import time
from pathlib import Path

import numpy as np
import open3d as o3d

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sensors.base import SensorConfig  # noqa: E402
from sensors.camera import Camera  # noqa: E402
from sensors.camera_model import pixel_rays  # noqa: E402
from sensors.frames import MountPose, sensor_transform  # noqa: E402
from sensors.lidar import Lidar, two_threads  # noqa: E402
from sensors.lidar_patterns import PRESETS, risley_pattern  # noqa: E402
from sensors.ros_messages import to_point_cloud2  # noqa: E402
from sensors.scene import SensorScene, SimpleMesh, actor_box_corners, _BOX_TRIANGLES, static_world_for  # noqa: E402
from simplatform.world import BoundingBox, EntityKind, EntityState, WorldSnapshot  # noqa: E402


def road():
    try:
        from simplatform.opendrive import load_opendrive
        from simplatform.opendrive.mesh import build_road_mesh

        mesh = build_road_mesh(load_opendrive(ROOT / "scenarios" / "maps" / "highway_straight.xodr"))
        return mesh, "highway_straight.xodr road mesh"
    except Exception as exc:  # the map or the mesh builder is not there: a plane does for a benchmark
        box = o3d.geometry.TriangleMesh.create_box(400, 40, 0.1).translate([-200, -20, -0.1])
        return SimpleMesh.single(box, "asphalt"), f"plane ({type(exc).__name__})"


def bench_scene():
    """The benches' scene: (road mesh, what it is, snapshot, static world) — the road mesh (``road``), 20 cars
    around its centre at the median height of its vertices (``traffic``) and the map's static world."""
    mesh, what = road()
    verts = np.asarray(mesh.mesh.vertices)
    centre = verts.mean(axis=0)
    centre[2] = float(np.median(verts[:, 2]))
    return mesh, what, traffic(centre, 0.0), static_world_for(mesh)


def traffic(centre: np.ndarray, heading: float) -> WorldSnapshot:
    rng = np.random.default_rng(0)
    states = [EntityState("ego", EntityKind.VEHICLE, "car", float(centre[0]), float(centre[1]), float(centre[2]), heading,
                          0.0, 0.0, 20.0, 20.0, 0.0, 0.0, 0.0, 0.0, BoundingBox(4.6, 1.9, 1.5, 1.4, 0, 0.75), None,
                          is_ego=True)]
    for k in range(20):
        dx, dy = rng.uniform(-60, 60), rng.choice([-7.0, -3.5, 0.0, 3.5, 7.0])
        if abs(dx) < 6 and dy == 0:
            dx += 12
        c, s = np.cos(heading), np.sin(heading)
        states.append(EntityState(f"car{k}", EntityKind.VEHICLE, "car", float(centre[0] + c * dx - s * dy),
                                  float(centre[1] + s * dx + c * dy), float(centre[2]), heading, 0.0, 0.0, 25.0,
                                  25.0, 0.0, 0.0, 0.0, 0.0, BoundingBox(4.6, 1.9, 1.5, 1.4, 0, 0.75), None))
    return WorldSnapshot.from_states(0.0, 0, states, ego="ego")


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split(" ")[0]
    except OSError:
        return "n/a"


ROW_BUDGET_S = 0.5
"""Wall seconds of interleaved rounds each preset row gets at least (``fastest``'s ``budget_s``)."""


def fastest(fns: dict, repeat: int, budget_s: float = 0.0) -> tuple[dict, dict]:
    """Minimum wall time and minimum CPU time (all threads) of each function over interleaved rounds.

    Interleaving puts every contender under the same machine load; the minimum
    (not the median) is the run least disturbed by other processes.  CPU time
    is the steadier figure on a loaded machine (it does not count time spent
    descheduled), so the bench prints ratios of both.  ``repeat`` rounds at
    least, and as many more as fit in ``budget_s`` (at most 1,000): a minimum
    over 15 rounds of a 1 ms sweep samples 30 ms of the machine, one of a
    10 ms sweep ten times as much, so short sweeps get the same time budget.
    """
    t0 = time.perf_counter()
    for fn in fns.values():
        fn()
    first_round = time.perf_counter() - t0
    if budget_s > 0 and first_round > 0:
        repeat = max(repeat, min(1000, int(budget_s / first_round)))
    wall = {k: np.inf for k in fns}
    cpu = {k: np.inf for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall[k] = min(wall[k], time.perf_counter() - t0)
            cpu[k] = min(cpu[k], time.process_time() - c0)
    return wall, cpu


def moved(snap: WorldSnapshot, dx: float) -> WorldSnapshot:
    """The same traffic with every entity ``dx`` further along x (the ego drives on)."""
    from dataclasses import replace

    return replace(snap, x=snap.x + dx)


def hdl64_sweep(snap: WorldSnapshot):
    """The bench's HDL-64E (1 % dropout) at the snapshot's ego: (lidar, pattern, tables, to_world, the 4×6 pose
    matrix, the sweep's ray buffer as ``Lidar.sense`` makes it)."""
    from sensors.lidar_kernels import ray_buffer
    from sensors.lidar_patterns import pattern_tables

    lidar = Lidar(SensorConfig(name="bench", type="lidar", preset="HDL-64E", mount=MountPose(x=1.3, z=1.9),
                               parameters={"dropout_probability": 0.01}))
    pattern = lidar.pattern(0.0)
    tables = pattern_tables(pattern)
    to_world = sensor_transform(snap, lidar.config.mount)
    m = np.zeros((4, 6), dtype=np.float32)
    m[:3, 3:] = to_world.rotation.T
    m[3, :3] = to_world.translation
    buf = np.empty((pattern.size, 6), dtype=np.float32)
    ray_buffer(tables.homogeneous.numpy(), m, buf)
    return lidar, pattern, tables, to_world, m, buf


def stage_breakdown(static, snap: WorldSnapshot, repeat: int) -> None:
    """CPU time of each stage of an HDL-64E sweep, and the floor open3d's ``cast_rays`` sets on this machine."""
    from sensors.lidar_actors import candidate_pairs
    from sensors.lidar_kernels import ray_buffer

    lidar, pattern, tables, to_world, m, buf = hdl64_sweep(snap)
    rays = o3d.core.Tensor.from_numpy(buf)
    scene = SensorScene(static, snap)
    pairs = candidate_pairs(scene.actor_boxes, pattern, tables.cast_position, to_world, lidar.max_range)
    ball = (to_world.translation, 0.0)
    # the cast as ``Lidar.sense`` makes it: the pattern's per-ring d_z bounds, hits past max_range left untrimmed
    # (the returns' gather drops them), the boxes' slab tests inside the cast on this one-thread breakdown
    bounds = lidar._ring_bounds(pattern, tables, m)
    hits = scene.cast_rays(rays, max_range=lidar.max_range, actor_pairs=pairs, origin_ball=ball, trim=False,
                           dz_bounds=bounds, own_rays=True)
    cloud = lidar._returns(snap, scene, pattern, tables, rays.numpy(), hits)
    z = (float(to_world.translation[2]),) * 2
    region = static.region(to_world.translation, lidar.max_range)
    plane = o3d.t.geometry.RaycastingScene()
    plane.add_triangles(o3d.core.Tensor(np.array([[-1e3, -1e3, 0], [1e3, -1e3, 0], [1e3, 1e3, 0], [-1e3, 1e3, 0]],
                                                 dtype=np.float32) + np.float32([*to_world.translation[:2], 0.0])),
                        o3d.core.Tensor(np.array([[0, 1, 2], [0, 2, 3]], dtype=np.uint32)))
    returns = int(np.count_nonzero((hits.t >= lidar.min_range) & (hits.t <= lidar.max_range)))
    words_rng = np.random.PCG64(0)
    ray_copy = rays.numpy().copy()
    ray_tensor = o3d.core.Tensor(ray_copy)
    stages = {
        "ray buffer (compiled FMA loop)": lambda: ray_buffer(tables.homogeneous.numpy(), m, buf),
        "actor candidate pairs": lambda: candidate_pairs(scene.actor_boxes, pattern, tables.cast_position, to_world,
                                                         lidar.max_range),
        "static cast (cropped, skipping)": lambda: static.cast_hits(rays, to_world.translation, lidar.max_range,
                                                                    max_range=lidar.max_range, origin_z=z,
                                                                    dz_bounds=bounds),
        "static + boxes (cast_rays)": lambda: scene.cast_rays(rays, max_range=lidar.max_range, actor_pairs=pairs,
                                                              origin_ball=ball, trim=False, dz_bounds=bounds,
                                                              own_rays=True),
        "returns (noise, intensity, records)": lambda: lidar._returns(snap, scene, pattern, tables, rays.numpy(), hits),
        "PointCloud2": lambda: to_point_cloud2(cloud),
        # the sweep's draws are decoded from raw PCG64 words (sensors.lidar_draws): a two-thread sweep's worker
        # draws them beside the cast, the returns row above (no cast before it) draws them inline
        "  of which random words (beside the cast)": lambda: words_rng.random_raw((returns + cloud.width) // 2 + 1),
        "raw: region cast, 1 thread": lambda: region.scene.cast_rays(ray_tensor, nthreads=1),
        "raw: 2-triangle plane, 1 thread": lambda: plane.cast_rays(ray_tensor, nthreads=1),
    }
    _, cpu = fastest(stages, repeat)
    n = pattern.size
    print(f"\nwhere the HDL-64E sweep goes ({n} rays; CPU ms, all threads, minimum of {repeat} rounds; "
          f"load average {loadavg()}):")
    for name, c in cpu.items():
        print(f"  {name:38s} {c * 1e3:7.2f}")
    core = cpu["raw: region cast, 1 thread"]
    floor = cpu["raw: 2-triangle plane, 1 thread"]
    print(f"  open3d on one core: {n / core / 1e6:.1f} Mrays/s on the road region, {n / floor / 1e6:.1f} Mrays/s "
          f"on two triangles ({floor / n * 1e9:.0f} ns per ray before any BVH work)")
    cast = cpu["static + boxes (cast_rays)"]
    prep = cpu["ray buffer (compiled FMA loop)"] + cpu["actor candidate pairs"]
    rest = prep + cpu["returns (noise, intensity, records)"] + cpu["PointCloud2"]
    total = cast + rest
    wall, split_cpu = fastest({"sense": lambda: lidar.sense(snap, scene)}, repeat)
    print(f"  a sweep is {total * 1e3:.1f} ms of CPU ({cast * 1e3:.1f} in cast_rays); Lidar.sense alone: "
          f"{wall['sense'] * 1e3:.1f} ms wall, {split_cpu['sense'] * 1e3:.1f} ms CPU "
          f"(two threads: {'yes' if two_threads(n) else 'no, no free CPU'}; wall < CPU only when the second "
          f"core is free)")
    # the cast and the random words on both cores; ray buffer beside the pairs, gather, normals and record
    # fill in halves; the actor boxes and PointCloud2 serial
    words = cpu["  of which random words (beside the cast)"]
    static_cast = cpu["static cast (cropped, skipping)"]
    best = ((static_cast + words) / 2 + (cast - static_cast) + prep / 2
            + (cpu["returns (noise, intensity, records)"] - words) / 2 + cpu["PointCloud2"])
    print(f"  on 2 idle cores at best about {best * 1e3:.1f} ms ({pattern.period_s / best:.1f}x real time: the static "
          f"cast and the random words split perfectly, the actor boxes and PointCloud2 serial, the two-thread "
          f"passes halved), on one core {total * 1e3:.1f} ms ({pattern.period_s / total:.1f}x)")

def new_frame_ratio(spec_lidar: Lidar, static, snap: WorldSnapshot, full, rounds: int, first_frame: int = 1000) -> None:
    """The table's e2e/raw ratio for what a run pays with a non-repetitive head: every round a new frame.

    Each round takes the next frame: its end-to-end sweep (``SensorScene``,
    ``Lidar.sense`` building the frame and its tables, ``PointCloud2``), then
    one raw ``cast_rays`` of that frame's rays on the road + boxes scene
    (its ray buffer is made outside the timing; it follows the sweep, so it
    finds the BVH paths of these rays warm, as the table's repeated raw cast
    does).  Two sensors alternate round by round: one as the package runs it
    (``sensors.lidar.FRAME_AHEAD``: where a second CPU is free, each sweep
    starts its next frame's kernel on a worker, ``lidar_frame_next``, and the
    next sweep takes it; the kernel runs beside the sweep that starts it), the
    other builds every frame inline at the start of its sweep.  Wall and CPU
    figures are minima over the rounds, as in the table.
    """
    import sensors.lidar as lidar_module
    import sensors.lidar_frame_rosette as rosette_module

    beside_default = rosette_module.BESIDE

    to_world = sensor_transform(snap, spec_lidar.config.mount)
    modes = {"worker": (True, first_frame), "inline": (False, first_frame + 100_000)}
    sensors = {m: Lidar(spec_lidar.config) for m in modes}
    wall = {(m, k): np.inf for m in modes for k in ("raw", "e2e")}
    cpu = dict(wall)
    walls: dict = {key: [] for key in wall}
    n = 0
    free = []
    try:
        for k in range(rounds + 5):
            for mode, (ahead, first) in modes.items():
                lidar_module.FRAME_AHEAD = ahead
                livox = sensors[mode]
                s = replace(snap, time=0.1 * (first + k))                  # frames no other line has used
                free.append(lidar_module.second_cpu_free())
                t0, c0 = time.perf_counter(), time.process_time()
                to_point_cloud2(livox.sense(s, SensorScene(static, s)))
                e2e_wall, e2e_cpu = time.perf_counter() - t0, time.process_time() - c0
                pattern = livox.pattern(s.time)                         # the frame the sweep built (kept)
                n = pattern.size
                rays = np.empty((n, 6), dtype=np.float32)
                rays[:, :3] = to_world.translation
                rays[:, 3:] = pattern.directions @ to_world.rotation.T
                rays_t = o3d.core.Tensor(rays)
                t0, c0 = time.perf_counter(), time.process_time()
                full.cast_rays(rays_t)
                raw_wall, raw_cpu = time.perf_counter() - t0, time.process_time() - c0
                if k < 5:                                               # warm-up rounds
                    continue
                for key, w, c in (((mode, "e2e"), e2e_wall, e2e_cpu), ((mode, "raw"), raw_wall, raw_cpu)):
                    wall[key], cpu[key] = min(wall[key], w), min(cpu[key], c)
                    walls[key].append(w)
    finally:
        lidar_module.FRAME_AHEAD, rosette_module.BESIDE = True, beside_default
    for mode in modes:
        raw_w, raw_c, e2e_w, e2e_c = wall[mode, "raw"], cpu[mode, "raw"], wall[mode, "e2e"], cpu[mode, "e2e"]
        print(f"Livox-Mid40 new frame vs raw cast of that frame's rays, next frame {mode:6s} (minimum of {rounds} "
              f"rounds, a new frame each): raw {raw_w * 1e3:.2f} ms wall / {raw_c * 1e3:.2f} ms CPU, e2e "
              f"{e2e_w * 1e3:.2f} ms wall / {e2e_c * 1e3:.2f} ms CPU; e2e/raw {raw_w / e2e_w:.0%} wall, "
              f"{raw_c / e2e_c:.0%} CPU ({n / e2e_w / 1e6:.2f} Mrays/s end to end)")
        raw_m, e2e_m = np.median(walls[mode, "raw"]), np.median(walls[mode, "e2e"])
        print(f"  medians, next frame {mode:6s}: raw {raw_m * 1e3:.2f} ms, e2e {e2e_m * 1e3:.2f} ms wall; "
              f"e2e/raw {raw_m / e2e_m:.0%}")
    print(f"  a second CPU was free (next frame started on the worker) in {np.mean(free):.0%} of the sweeps")
    # of which building the frame and its tables (the uncached builder, frames no sweep has used)
    build = min(_cpu_of(lambda k=k: risley_pattern.__wrapped__(spec_lidar.spec, spec_lidar.rate_hz,
                                                               first_frame + 10 * rounds + k))
                for k in range(rounds))
    print(f"  building a new frame and its tables inline: {build * 1e3:.2f} ms CPU (minimum of {rounds} frames)")


def driving_hdl64(static, snap: WorldSnapshot) -> None:
    """HDL-64E on a driving ego: mean wall time per sweep, region rebuilds included."""
    # the ego drives at 25 m/s: a new snapshot every sweep, so the cropped static region is rebuilt every
    # few sweeps; mean (not minimum) over 40 sweeps so the rebuilds are counted
    lidar = Lidar(SensorConfig(name="bench", type="lidar", preset="HDL-64E", mount=MountPose(x=1.3, z=1.9)))
    snaps = [moved(snap, -200.0 + 2.5 * k) for k in range(40)]
    builds = static._regions.builds
    t0 = time.perf_counter()
    for s in snaps:
        to_point_cloud2(lidar.sense(s, SensorScene(static, s)))
    mean = (time.perf_counter() - t0) / len(snaps)
    print(f"HDL-64E driving 25 m/s: {mean * 1e3:.1f} ms per sweep (mean of {len(snaps)}, "
          f"{static._regions.builds - builds} region rebuilds), {0.1 / mean:.1f}x real time")


def _cpu_of(fn) -> float:
    c0 = time.process_time()
    fn()
    return time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--lidar-only", action="store_true", help="the lidar rows only: no stage breakdown, no camera")
    ap.add_argument("--livox-only", action="store_true", help="the Livox-Mid40 rows only (implies --lidar-only)")
    args = ap.parse_args()
    mesh, what, snap, static = bench_scene()
    print(f"scene: {what}, {static.triangle_count} static triangles, 20 actor boxes; "
          f"cpu cores: {os.cpu_count()}, open3d {o3d.__version__}, load average {loadavg()}")
    # one open3d scene with everything, for the raw figure
    full = o3d.t.geometry.RaycastingScene()
    full.add_triangles(o3d.t.geometry.TriangleMesh.from_legacy(mesh.mesh))
    idx = np.arange(1, len(snap))
    corners = actor_box_corners(snap, idx).reshape(-1, 3)
    tris = (_BOX_TRIANGLES[None] + 8 * np.arange(len(idx))[:, None, None]).reshape(-1, 3)
    full.add_triangles(o3d.core.Tensor(corners.astype(np.float32)), o3d.core.Tensor(tris.astype(np.uint32)))
    road_only = o3d.t.geometry.RaycastingScene()
    road_only.add_triangles(o3d.t.geometry.TriangleMesh.from_legacy(mesh.mesh))

    print("\nraw = one cast_rays of the sweep's rays on one scene of road + 20 boxes; road = the road mesh alone;\n"
          "e2e = SensorScene for the step + Lidar.sense + PointCloud2 (all times: minimum of interleaved rounds, at least --repeat and at least ROW_BUDGET_S = 0.5 s of them per row)")
    print(f"\n{'lidar':12s} {'rays':>8s} {'road Mr/s':>10s} {'raw Mr/s':>9s} {'e2e Mr/s':>9s} {'e2e/raw':>8s} "
          f"{'sweep ms':>9s} {'x real time':>11s} {'raw cpu ms':>10s} {'e2e cpu ms':>10s} {'cpu ratio':>9s} {'2 threads':>9s}")
    for name in (["Livox-Mid40"] if args.livox_only else PRESETS):
        lidar = Lidar(SensorConfig(name="bench", type="lidar", preset=name, mount=MountPose(x=1.3, z=1.9),
                                   parameters={"dropout_probability": 0.01}))
        pattern = lidar.pattern(0.0)
        to_world = sensor_transform(snap, lidar.config.mount)
        rays = np.empty((pattern.size, 6), dtype=np.float32)
        rays[:, :3] = to_world.translation
        rays[:, 3:] = pattern.directions @ to_world.rotation.T
        rays_t = o3d.core.Tensor(rays)

        def end_to_end():
            scene = SensorScene(static, snap)
            to_point_cloud2(lidar.sense(snap, scene))

        t, c = fastest({"road": lambda: road_only.cast_rays(rays_t), "raw": lambda: full.cast_rays(rays_t),
                        "e2e": end_to_end}, args.repeat, ROW_BUDGET_S)
        n = pattern.size
        print(f"{name:12s} {n:8d} {n / t['road'] / 1e6:10.2f} {n / t['raw'] / 1e6:9.2f} {n / t['e2e'] / 1e6:9.2f} "
              f"{t['raw'] / t['e2e']:8.0%} {t['e2e'] * 1e3:9.1f} {pattern.period_s / t['e2e']:11.1f} "
              f"{c['raw'] * 1e3:10.1f} {c['e2e'] * 1e3:10.1f} {c['raw'] / c['e2e']:9.0%} "
              f"{'yes' if two_threads(n) else 'no':>9s}")

    if args.livox_only:
        args.lidar_only = True
    else:
        driving_hdl64(static, snap)

    # a non-repetitive head draws a new rosette frame every sweep: the rows above reuse frame 0 (like the raw
    # cast they are compared with); this is what a run with advancing time pays per sweep
    livox = Lidar(SensorConfig(name="bench", type="lidar", preset="Livox-Mid40", mount=MountPose(x=1.3, z=1.9),
                               parameters={"dropout_probability": 0.01}))
    frames = [replace(snap, time=0.1 * k) for k in range(1, 201)]
    c0, t0 = time.process_time(), time.perf_counter()
    for s in frames:
        to_point_cloud2(livox.sense(s, SensorScene(static, s)))
    wall_ms, cpu_ms = (time.perf_counter() - t0) / len(frames) * 1e3, (time.process_time() - c0) / len(frames) * 1e3
    print(f"Livox-Mid40 new frame each sweep: {wall_ms:.2f} ms wall, {cpu_ms:.2f} ms CPU per sweep (mean of "
          f"{len(frames)}), {cpu_ms * 1e6 / livox.pattern(0.0).size:.0f} ns CPU per ray")
    new_frame_ratio(livox, static, snap, full, 3 * args.repeat)

    if args.lidar_only:
        print(f"\nload average at the end: {loadavg()}")
        return
    stage_breakdown(static, snap, args.repeat)

    print(f"\n{'camera':12s} {'fps':>8s} {'ms/frame':>9s} {'cast ms':>8s} {'cpu ms/frame':>13s} {'cast cpu ms':>11s}")
    for w, h in ((640, 480), (1920, 1080)):
        cam = Camera(SensorConfig(name="bench_cam", type="camera", mount=MountPose(x=1.9, z=1.45),
                                  parameters={"width": w, "height": h}))
        to_cam = cam.optical_to_world(snap)
        d = pixel_rays(cam.intrinsics) @ to_cam.rotation.T
        cam_rays = np.empty((len(d), 6), dtype=np.float32)
        cam_rays[:, :3] = to_cam.translation
        cam_rays[:, 3:] = d
        cam_rays_t = o3d.core.Tensor(cam_rays)
        t, c = fastest({"frame": lambda: cam.sense(snap, SensorScene(static, snap)),
                        "raw": lambda: full.cast_rays(cam_rays_t)}, max(3, args.repeat // 3))
        print(f"{f'{w}x{h}':12s} {1 / t['frame']:8.2f} {t['frame'] * 1e3:9.1f} {t['raw'] * 1e3:8.1f} "
              f"{c['frame'] * 1e3:13.1f} {c['raw'] * 1e3:11.1f}")
    print(f"\nload average at the end: {loadavg()}")


if __name__ == "__main__":
    main()
