"""The static part of a lidar sweep: the HDL-64E sweep end to end, its static cast, and region rebuilds.

Scene: ``bench/sensor_bench.py``'s (the ``highway_straight`` road mesh, 20 boxes
around the ego).  Rows, each the minimum over interleaved rounds (CPU time with
``time.process_time``, all threads, and wall time):

- ``sweep``: the step's ``SensorScene`` + ``Lidar.sense`` + ``PointCloud2`` (what
  ``sensor_bench``'s HDL-64E row times);
- ``static cast``: ``StaticWorld.cast_hits`` of the sweep's rays as the sweep makes
  it (cropped region, the parts, the rays proved to miss left out), default
  threads and one thread; ``static cast, box hits`` with the sweep's box hits
  given (``box_hits``: the rays proved to hit a box first left out too,
  ``sensors.static_boxes``) and ``static + boxes`` the whole
  ``SensorScene.cast_rays`` of the sweep (slab tests made before it);
- ``driving``: 40 sweeps of an ego at 25 m/s (mean, so the region rebuilds
  count), and what the rebuilds cost: each ``RegionCache._build`` and the
  BVH open3d builds for it (on its first cast, made inside the timing) timed
  in the run; beside it the mean of 40 sweeps of a standing ego at the
  driving row's first pose (the driving mean minus this is what driving adds).

Run from a tree's root (``--root`` picks another checkout, for before/after):
``.venv/bin/python bench/static_cast_bench.py [--repeat N] [--root DIR]``.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--root", default=str(Path(__file__).resolve().parents[1]))
    ap.add_argument("--no-driving", action="store_true")
    args = ap.parse_args()
    root = Path(args.root).resolve()
    sys.path.insert(0, str(root / "bench"))
    sys.path.insert(0, str(root))

    import numpy as np
    import open3d as o3d

    from sensor_bench import fastest, hdl64_sweep, loadavg, moved, road, traffic
    from sensors.base import SensorConfig
    from sensors.frames import MountPose
    from sensors.lidar import Lidar
    from sensors.ros_messages import to_point_cloud2
    from sensors.scene import SensorScene, static_world_for
    from sensors import scene_region
    from sensors.lidar_actors import candidate_pairs
    from sensors.lidar_sweep_boxes import pattern_slab_hits

    mesh, what = road()
    verts = np.asarray(mesh.mesh.vertices)
    centre = verts.mean(axis=0)
    centre[2] = float(np.median(verts[:, 2]))
    snap = traffic(centre, 0.0)
    static = static_world_for(mesh)
    lidar, pattern, tables, to_world, m, buf = hdl64_sweep(snap)
    rays = o3d.core.Tensor.from_numpy(buf)
    bounds = lidar._ring_bounds(pattern, tables, m)
    z = (float(to_world.translation[2]),) * 2

    def sweep():
        to_point_cloud2(lidar.sense(snap, SensorScene(static, snap)))

    scene = SensorScene(static, snap)
    pairs = candidate_pairs(scene.actor_boxes, pattern, tables.cast_position, to_world, lidar.max_range)
    slabs = pattern_slab_hits(scene.actor_boxes, tables.homogeneous.numpy(), m, pairs[0], pairs[1])

    def cast(nthreads=0, box_hits=None):
        extra = {} if box_hits is None else {"box_hits": box_hits}    # a tree before the proof has no such argument
        return lambda: static.cast_hits(rays, to_world.translation, lidar.max_range, nthreads,
                                        max_range=lidar.max_range, origin_z=z, dz_bounds=bounds, **extra)

    own = {"own_rays": True} if "own_rays" in inspect.signature(scene.cast_rays).parameters else {}

    def with_boxes():
        scene.cast_rays(rays, max_range=lidar.max_range, actor_pairs=pairs, origin_ball=(to_world.translation, 0.0),
                        pair_hits=slabs, trim=False, dz_bounds=bounds, **own)

    sweep()
    print(f"tree {root}; {what}, {static.triangle_count} static triangles; HDL-64E {pattern.size} rays; "
          f"load average {loadavg()}")
    rows = {"sweep": sweep, "static cast": cast(), "static cast, 1 thread": cast(1)}
    if "box_hits" in inspect.signature(static.cast_hits).parameters:      # a tree before it has no such row
        rows["static cast, box hits"] = cast(0, (pairs[0], slabs[0]))
    rows["static + boxes"] = with_boxes
    wall, cpu = fastest(rows, args.repeat)
    for k in wall:
        print(f"  {k:24s} {cpu[k] * 1e3:7.2f} ms CPU {wall[k] * 1e3:7.2f} ms wall (min of {args.repeat})")
    if args.no_driving:
        return
    build_s: list[float] = []
    cache = static._regions
    original = cache._build

    probe = o3d.core.Tensor(np.zeros((1, 6), np.float32))

    def timed_build(*a, **kw):
        # the crop's selection and scene, and its BVH: open3d builds it on the first cast, made here
        c0 = time.process_time()
        region = original(*a, **kw)
        if region.scene is not static.scene:
            region.scene.cast_rays(probe, nthreads=1)
        build_s.append(time.process_time() - c0)
        return region

    cache._build = timed_build
    driver = Lidar(SensorConfig(name="bench", type="lidar", preset="HDL-64E", mount=MountPose(x=1.3, z=1.9)))
    for rnd in range(3):
        snaps = [moved(snap, -200.0 + 2.5 * k + 0.01 * rnd) for k in range(40)]
        build_s.clear()
        cache._cache.clear()                             # every round drives into uncached cells
        t0, c0 = time.perf_counter(), time.process_time()
        for s in snaps:
            to_point_cloud2(driver.sense(s, SensorScene(static, s)))
        n = len(snaps)
        w, c = (time.perf_counter() - t0) / n, (time.process_time() - c0) / n
        print(f"  driving 25 m/s (round {rnd}): {w * 1e3:6.2f} ms wall {c * 1e3:6.2f} ms CPU per sweep (mean of {n}); "
              f"{len(build_s)} region builds with their BVH, {sum(build_s) * 1e3:.1f} ms CPU in all "
              f"({sum(build_s) / n * 1e3:.2f} ms per sweep)")
    cache._build = original
    # the same 40 sweeps' mean from a standing ego: what the driving mean adds is the rebuilds and the new crops
    standing = [moved(snap, -200.0)] * 40
    driver.sense(standing[0], SensorScene(static, standing[0]))
    t0, c0 = time.perf_counter(), time.process_time()
    for s in standing:
        to_point_cloud2(driver.sense(s, SensorScene(static, s)))
    w, c = (time.perf_counter() - t0) / 40, (time.process_time() - c0) / 40
    print(f"  standing (same pose):    {w * 1e3:6.2f} ms wall {c * 1e3:6.2f} ms CPU per sweep (mean of 40)")
    print(f"  load average at the end {loadavg()}; region module {scene_region.__file__}")


if __name__ == "__main__":
    main()
