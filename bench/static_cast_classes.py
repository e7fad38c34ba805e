"""Where an HDL-64E sweep's cast rays go, and what each class costs open3d.

Scene: ``bench/sensor_bench.py``'s (the ``highway_straight`` road mesh, 20 cars
around the ego).  The sweep's rays are split as ``sensors.static_cast`` splits
them (rays that cannot reach the height band, the near block of steep rays,
the rays proved to miss, the rest), and the rays it casts are sorted by what
they hit on the crop that serves them: the road within 15 m, farther, a miss
the horizon does not prove, and rays whose actor-box hit comes first (and of
those, how many ``sensors.static_boxes`` proves).  Each class is then cast
alone (a compact copy, one thread) against the crop that serves it and against
the full-range crop, and against smaller canonical crops around the sensor
(what a smaller crop for the steep rays would save), beside open3d's floor:
the same rays against two triangles far below (all miss) and against a plane
(all hit).  CPU time (``time.process_time``), minimum of ``--repeat`` runs.

Run: ``.venv/bin/python bench/static_cast_classes.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import open3d as o3d

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sensor_bench import bench_scene, hdl64_sweep, loadavg  # noqa: E402
from sensors import static_cast as sc  # noqa: E402
from sensors.lidar_actors import candidate_pairs  # noqa: E402
from sensors.lidar_sweep_boxes import pattern_slab_hits  # noqa: E402
from sensors.scene import SensorScene  # noqa: E402
from sensors.static_boxes import prove_box_first  # noqa: E402
from sensors.static_horizon import NORM_BOUND, cull_gather  # noqa: E402


def cpu_min(fn, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        c0 = time.process_time()
        fn()
        best = min(best, time.process_time() - c0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    _, what, snap, static = bench_scene()
    lidar, pattern, tables, to_world, m, buf = hdl64_sweep(snap)
    scene = SensorScene(static, snap)
    r_max = lidar.max_range
    c = to_world.translation
    n = len(buf)
    bounds = lidar._ring_bounds(pattern, tables, m)
    region = static.region(c, r_max)
    dz = buf[:, 5]
    z = (float(c[2]),) * 2
    a, b = sc.reaching_span(dz, region.z_range, z, r_max, bounds)
    near_reach = sc.NEAR_FRACTION * r_max
    p, q = sc.near_block(dz, region.z_range[0], z[1], near_reach, bounds, a, b)
    near = static.region(c, near_reach)
    horizon = sc._horizon(static, c, 0.0, r_max, b - a)
    t = region.scene.cast_rays(o3d.core.Tensor.from_numpy(buf), nthreads=1)["t_hit"].numpy()
    kept, rows = np.empty((n, 6), np.float32), np.empty(n, np.int64)
    scratch = np.empty(n, np.float32), np.empty((n, 3), np.float32), np.empty(n, np.int32)
    k = cull_gather(buf, a, b, horizon, NORM_BOUND, kept, rows, *scratch)
    culled = np.zeros(n, bool)
    culled[a:b] = True
    culled[rows[:k]] = False
    cast = np.zeros(n, bool)
    cast[a:b] = True
    cast &= ~culled
    inner = np.zeros(n, bool)
    inner[a + p:a + q] = True
    pairs = candidate_pairs(scene.actor_boxes, pattern, tables.cast_position, to_world, r_max)
    pair_t, _ = pattern_slab_hits(scene.actor_boxes, tables.homogeneous.numpy(), m, pairs[0], pairs[1])
    box_t = np.full(n, np.inf, np.float32)
    np.minimum.at(box_t, pairs[0], np.where(np.isnan(pair_t), np.inf, pair_t))
    box_first = np.isfinite(box_t) & (box_t < t)
    found = prove_box_first(static.height_grid, buf, c, 0.0, r_max, a, b, (pairs[0], pair_t))
    proved = found.skip if found is not None else np.zeros(n, bool)
    print(f"{what}: {static.triangle_count} triangles; crop {region.triangle_count} (radius {region.radius:g} m), "
          f"near crop {near.triangle_count} ({near.radius:g} m); HDL-64E {n} rays; load average {loadavg()}")
    print(f"  not reaching the height band {n - (b - a)}, proved to miss {int(culled.sum())}, cast {int(cast.sum())} "
          f"(near block {int((cast & inner).sum())}); {len(pairs[0])} box pairs")
    classes = {
        "road within 15 m": cast & (t <= 15) & ~box_first,
        "static hit 15 m .. range": cast & (t > 15) & (t <= r_max) & ~box_first,
        "static hit beyond range": cast & (t > r_max) & np.isfinite(t) & ~box_first,
        "miss the horizon keeps": cast & ~np.isfinite(t) & ~box_first,
        "box hit first": cast & box_first,
        "  of which proved (static_boxes)": cast & box_first & proved,
    }
    far = o3d.t.geometry.RaycastingScene()
    far.add_triangles(o3d.core.Tensor(np.array([[0, 0, -1e4], [1, 0, -1e4], [0, 1, -1e4]], np.float32)),
                      o3d.core.Tensor(np.array([[0, 1, 2]], np.uint32)))
    plane = o3d.t.geometry.RaycastingScene()
    plane.add_triangles(o3d.core.Tensor(np.array([[-1e3, -1e3, 0], [1e3, -1e3, 0], [1e3, 1e3, 0], [-1e3, 1e3, 0]],
                                                 np.float32) + np.float32([*c[:2], 0.0])),
                        o3d.core.Tensor(np.array([[0, 1, 2], [0, 2, 3]], np.uint32)))
    print(f"  {'class (rays cast)':34s} {'rays':>7s} {'serving crop':>13s} {'full crop':>10s} {'miss floor':>10s} "
          f"{'plane':>7s}   (ns a ray, one thread)")
    for name, mask in classes.items():
        idx = np.flatnonzero(mask)
        if len(idx) == 0:
            print(f"  {name:34s} {0:7d}")
            continue
        sub = o3d.core.Tensor.from_numpy(np.ascontiguousarray(buf[idx]))
        serving = near if inner[idx].mean() > 0.5 else region
        ns = [cpu_min(lambda s=s: s.cast_rays(sub, nthreads=1), args.repeat) / len(idx) * 1e9
              for s in (serving.scene, region.scene, far, plane)]
        print(f"  {name:34s} {len(idx):7d} {ns[0]:13.0f} {ns[1]:10.0f} {ns[2]:10.0f} {ns[3]:7.0f}")
    steep = cast & inner & (t <= 15)
    sub = o3d.core.Tensor.from_numpy(np.ascontiguousarray(buf[steep]))
    print(f"  the {int(steep.sum())} near-block rays hitting within 15 m against canonical crops of reach R "
          f"(crop radius R + margin):")
    for reach in (15.0, 20.0, near_reach, 60.0, r_max):
        crop = static.region(c, reach)
        ns = cpu_min(lambda: crop.scene.cast_rays(sub, nthreads=1), args.repeat) / len(sub) * 1e9
        print(f"    R {reach:5.0f} m: {crop.triangle_count:6d} triangles, {ns:5.0f} ns a ray")


if __name__ == "__main__":
    main()
