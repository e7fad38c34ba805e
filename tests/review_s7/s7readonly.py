"""Replay of an HDL-64E sweep's cast (``SensorScene.cast_rays`` with the lidar's box pairs, one thread) on a
read-only copy of its ray buffer (review, session 7); run in a subprocess (the bug it shows is a crash).

    python s7readonly.py mmap|flag|tensor DIR

``mmap``: the rays as ``np.load(..., mmap_mode="r")`` (a PROT_READ mapping); ``tensor``: that mapping
passed as the caller's own ``o3d.core.Tensor.from_numpy`` of it; ``flag``: an array with
``writeable = False``, watched from inside the cast (``static_boxes.restore``, where the tree has it: the
moment the neutralized rays are about to be put back).  Prints one JSON line: whether the hits equal those
of a writeable copy, whether the caller's array was ever seen changed, and whether it is intact after.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "review_s6")]

import numpy as np  # noqa: E402


def main() -> None:
    import s6jobs
    import s6worlds
    import s7driver
    import sensors.lidar as lidar_module
    from sensors.base import SensorConfig
    from sensors.frames import MountPose
    from sensors.lidar import Lidar
    from sensors.scene import SensorScene, StaticWorld

    mode, work = sys.argv[1], Path(sys.argv[2])
    lidar_module.cores = lambda: 1
    world = StaticWorld(s6jobs._as_parts(s6worlds.synthetic("walls", 6)))
    cars = [{"p": [8.0 + 3 * k, -3.0 + 2 * (k % 4), 0.0, 0.3 * k, 0, 0], "bb": [4.6, 1.9, 1.5, 0, 0, 0.75],
             "ped": False} for k in range(10)]
    snap = s7driver.snapshot({"t": 0.0, "ego": [0.0] * 9, "actors": cars})
    scene = SensorScene(world, snap)
    seen: dict = {}
    real = SensorScene.cast_rays

    def spy(self, rays, **kw):
        seen["rays"] = np.array(rays.numpy() if hasattr(rays, "numpy") else rays, copy=True)
        seen["kw"] = {k: v for k, v in kw.items() if k in ("max_range", "actor_pairs", "origin_ball", "dz_bounds")}
        return real(self, rays, **kw)

    SensorScene.cast_rays = spy
    Lidar(SensorConfig(name="l", type="lidar", preset="HDL-64E", seed=1, mount=MountPose(1.3, 0, 1.9, 0, 0, 0),
                       parameters={})).sense(snap, scene)
    SensorScene.cast_rays = real
    original, kw = seen["rays"], seen["kw"]
    ref = scene.cast_rays(original.copy(), **kw)
    if mode in ("mmap", "tensor"):
        np.save(work / "rays.npy", original)
        rays = np.load(work / "rays.npy", mmap_mode="r")
    else:
        rays = original.copy()
        rays.flags.writeable = False
    changed = []
    try:
        import sensors.static_boxes as static_boxes
    except ImportError:                 # a tree before the box-first proof (e23f302): nothing to watch
        static_boxes = None
    if static_boxes is not None:
        real_restore = static_boxes.restore

        def watching(buf, *a):
            changed.append(not np.array_equal(rays, original))
            return real_restore(buf, *a)
        static_boxes.restore = watching
    if mode == "tensor":                # the caller's own open3d tensor over the read-only mapping
        import open3d as o3d
        got = scene.cast_rays(o3d.core.Tensor.from_numpy(rays), **kw)
    else:
        got = scene.cast_rays(rays, **kw)
    print(json.dumps({"same_hits": bool(np.array_equal(got.t, ref.t) and np.array_equal(got.actor, ref.actor)),
                      "seen_changed": any(changed), "intact": bool(np.array_equal(rays, original))}), flush=True)


if __name__ == "__main__":
    main()
