"""Sensor throughput: lidar rays/s end to end vs raw open3d ``cast_rays``; camera frames/s.

Scene: the road mesh of ``scenarios/maps/highway_straight.xodr`` (or a plane
when the map or the mesh builder is missing) with 20 cars around the ego.
"Raw" is one ``cast_rays`` call of the same rays against one open3d scene
holding the road and the 20 boxes — the best open3d alone can do.  "End to
end" is what a step costs the platform: building the per-step actor scene,
``Lidar.sense`` (pattern, pose, casting, noise, dropout, intensity, weather)
and packing the ``sensor_msgs/PointCloud2``.  Targets (2 cores): end to end
≥ 60 % of raw; HDL-64E at 10 Hz ≥ 10× real time.

Run: ``.venv/bin/python bench/sensor_bench.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import open3d as o3d

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sensors.base import SensorConfig  # noqa: E402
from sensors.camera import Camera  # noqa: E402
from sensors.frames import MountPose, sensor_transform  # noqa: E402
from sensors.lidar import Lidar  # noqa: E402
from sensors.lidar_patterns import PRESETS  # noqa: E402
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


def best(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    mesh, what = road()
    verts = np.asarray(mesh.mesh.vertices)
    centre = verts.mean(axis=0)
    centre[2] = float(np.median(verts[:, 2]))
    snap = traffic(centre, 0.0)
    static = static_world_for(mesh)
    print(f"scene: {what}, {static.triangle_count} static triangles, 20 actor boxes; "
          f"cpu cores: {os.cpu_count()}, open3d {o3d.__version__}")
    # one open3d scene with everything, for the raw figure
    full = o3d.t.geometry.RaycastingScene()
    full.add_triangles(o3d.t.geometry.TriangleMesh.from_legacy(mesh.mesh))
    idx = np.arange(1, len(snap))
    corners = actor_box_corners(snap, idx).reshape(-1, 3)
    tris = (_BOX_TRIANGLES[None] + 8 * np.arange(len(idx))[:, None, None]).reshape(-1, 3)
    full.add_triangles(o3d.core.Tensor(corners.astype(np.float32)), o3d.core.Tensor(tris.astype(np.uint32)))

    print(f"\n{'lidar':12s} {'rays':>8s} {'raw Mrays/s':>12s} {'e2e Mrays/s':>12s} {'e2e/raw':>8s} "
          f"{'sweep ms':>9s} {'x real time':>11s}")
    for name in PRESETS:
        lidar = Lidar(SensorConfig(name="bench", type="lidar", preset=name, mount=MountPose(x=1.3, z=1.9),
                                   parameters={"dropout_probability": 0.01}))
        pattern = lidar.pattern(0.0)
        to_world = sensor_transform(snap, lidar.config.mount)
        rays = np.empty((pattern.size, 6), dtype=np.float32)
        rays[:, :3] = to_world.translation
        rays[:, 3:] = pattern.directions @ to_world.rotation.T
        rays_t = o3d.core.Tensor(rays)
        raw = best(lambda: full.cast_rays(rays_t), args.repeat)

        def end_to_end():
            scene = SensorScene(static, snap)
            to_point_cloud2(lidar.sense(snap, scene))

        e2e = best(end_to_end, args.repeat)
        n = pattern.size
        print(f"{name:12s} {n:8d} {n / raw / 1e6:12.2f} {n / e2e / 1e6:12.2f} {raw / e2e:8.0%} "
              f"{e2e * 1e3:9.1f} {pattern.period_s / e2e:11.1f}")

    print(f"\n{'camera':12s} {'fps':>8s} {'ms/frame':>9s}")
    for w, h in ((640, 480), (1920, 1080)):
        cam = Camera(SensorConfig(name="bench_cam", type="camera", mount=MountPose(x=1.9, z=1.45),
                                  parameters={"width": w, "height": h}))

        def frame():
            cam.sense(snap, SensorScene(static, snap))

        t = best(frame, max(2, args.repeat // 2))
        print(f"{f'{w}x{h}':12s} {1 / t:8.2f} {t * 1e3:9.1f}")


if __name__ == "__main__":
    main()
