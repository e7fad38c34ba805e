"""Compile, or load from numba's on-disk cache, the sensors' kernels: ``python -m sensors.warmup``.

The lidar's ray buffer, pattern tables and per-return passes, its actor
windows and pairs, the analytic actor boxes, the static-cast ray runs and the
range trim are numba kernels (``sensors.lidar_kernels``, ``sensors.lidar_windows``,
``sensors.lidar_gather``, ``sensors.lidar_draws``, ``sensors.lidar_sort``, ``sensors.lidar_frame``,
``sensors.lidar_unit``, ``sensors.lidar_band_pairs``, ``sensors.actor_boxes``, ``sensors.lidar_sweep_boxes``, ``sensors.static_cast``, ``sensors.static_runs``,
``sensors.static_horizon``, ``sensors.static_boxes``).  A
small sweep compiles the per-return passes (a two-thread sweep runs the same kernels on two column ranges),
one in fog the passes with extinction (``sweep_returns``' reference path); the kernels no sweep of the
warm-up calls are called once with their argument types.  The actors' box frames and the
object list's kernels (``sensors.objlist_boxes``, ``sensors.objlist_fov``,
``sensors.objlist_rays``, ``sensors.objlist_output``) are compiled by one
object-list cycle that reports an object.
The first sweep of a process loads them from the cache next to the sources,
or compiles them when the cache is empty (about five seconds of CPU on the
2-core reference machine).  Workers started in parallel on an empty cache
would each compile; running this once beforehand lets them load it instead.
Every kernel is self-contained in its file, so numba's per-file cache
invalidation is enough (unlike ``vehicle_models.jit``'s cross-module kernels).
"""

from __future__ import annotations

import dataclasses
import time

import open3d as o3d

from simplatform.world import BoundingBox, EntityKind, EntityState, WorldSnapshot


def warm_up() -> float:
    """One sweep of each pattern kind, one camera frame and one object list; seconds taken."""
    from sensors.base import SensorConfig
    from sensors.camera import Camera
    from sensors.frames import MountPose
    from sensors.lidar import Lidar
    from sensors.object_list import ObjectListSensor
    from sensors.scene import SensorScene, SimpleMesh, static_world_for

    start = time.perf_counter()
    plane = o3d.geometry.TriangleMesh.create_box(200.0, 200.0, 0.1).translate([-100.0, -100.0, -0.1])
    static = static_world_for(SimpleMesh.single(plane, "asphalt"))
    box = BoundingBox(4.5, 1.8, 1.5, 1.4, 0.0, 0.75)

    def state(name: str, x: float, ego: bool = False) -> EntityState:
        return EntityState(name, EntityKind.VEHICLE, "car", x, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                           box, None, is_ego=ego)

    snap = WorldSnapshot.from_states(0.0, 0, [state("ego", 0.0, True), state("car", 15.0)], ego="ego")
    fog = dataclasses.replace(snap, environment={"fog_visual_range_m": 200.0})
    for preset in ("VLP-16", "Livox-Mid40"):
        for distortion in (False, True):
            lidar = Lidar(SensorConfig(name="w", type="lidar", preset=preset, mount=MountPose(z=1.9),
                                       parameters={"dropout_probability": 0.01, "motion_distortion": distortion}))
            lidar.sense(snap, SensorScene(static, snap))
            lidar.sense(fog, SensorScene(static, fog))     # extinction: the passes one by one (the reference path)
    _warm_normal_walks()
    _warm_static_cast_paths()
    _warm_two_thread_set_up()
    _warm_window_pairs()
    _warm_switched_off_passes()
    _warm_frame_angles()
    camera = Camera(SensorConfig(name="c", type="camera", mount=MountPose(x=1.9, z=1.4),
                                 parameters={"width": 64, "height": 48}))
    camera.sense(snap, SensorScene(static, snap))
    objects = ObjectListSensor(SensorConfig(name="o", type="objects", mount=MountPose(x=1.5, z=1.5),
                                            parameters={"ideal": True}))
    objects.sense(snap, SensorScene(static, snap))
    return time.perf_counter() - start


def _warm_normal_walks() -> None:
    """The walk a two-thread sweep takes to the end of its kept points' normals (``lidar_draws.skip_normals``),
    which the warm-up's small sweeps do not call."""
    import numpy as np

    from sensors.lidar_draws import normals, skip_normals

    normals(np.zeros(4, np.uint32), 0, 0, 0, np.empty(2, np.float32), np.zeros(1, np.int64))
    skip_normals(np.zeros(4, np.uint32), 0, 0, 0, 2)


def _warm_static_cast_paths() -> None:
    """The material lookup of a static cast in one part (``static_cast._cast``: a sweep whose rays nearly all
    reach the scene) and the proved misses' kernels (``sensors.static_horizon``), which the warm-up's sweeps
    over a plane do not take, and the box-first proof's (``sensors.static_boxes``)."""
    import numpy as np

    from sensors.static_cast import _materials
    from sensors.static_horizon import NORM_BOUND, HeightGrid, cull_gather, scatter_hits

    _materials(np.zeros(2, np.uint32), np.zeros(2, np.int32), np.empty(2, np.int32))
    # the proved misses (sensors.static_horizon): a sweep of the warm-up's size over a plane is below the
    # thresholds, so the height grid, the horizon, the test and the scatter are compiled here
    grid = HeightGrid.build(np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32), np.array([[0, 1, 2]], np.uint32))
    horizon = grid.horizon(np.array([0.2, 0.2, 1.0]), 0.0, 10.0)
    rays = np.array([[0.2, 0.2, 1.0, 0.0, 0.6, 0.8], [0.2, 0.2, 1.0, 0.0, 0.6, -0.8]], np.float32)
    t, normal, material = np.empty(2, np.float32), np.empty((2, 3), np.float32), np.empty(2, np.int32)
    kept, rows = np.empty((2, 6), np.float32), np.empty(2, np.int64)
    k = cull_gather(rays, 0, 2, horizon, NORM_BOUND, kept, rows, t, normal, material)
    scatter_hits(np.zeros(k, np.float32), np.zeros((k, 3), np.float32), np.zeros(k, np.uint32),
                 np.zeros(2, np.int32), rows, t, normal, material)
    # the rays proved to hit an actor box first (sensors.static_boxes): only casts past the same thresholds
    from sensors.static_boxes import warm_up as warm_box_first

    warm_box_first()


def _warm_two_thread_set_up() -> None:
    """The slab tests a two-thread sweep makes from its pattern rows (``lidar_sweep_boxes.slab_hits_pattern``):
    the warm-up's sweeps are below ``lidar.SPLIT_MIN_RAYS`` and run on one thread."""
    import numpy as np

    from sensors.lidar_sweep_boxes import slab_hits_pattern

    slab_hits_pattern(np.ones((2, 4), np.float32), np.zeros((4, 6), np.float32), np.zeros(1, np.int64),
                      np.array([0, 1], np.int64), np.eye(3)[None].copy(), np.zeros((1, 3)), np.ones((1, 3)),
                      np.empty(1, np.float32), np.empty(1, np.int8))


def _warm_window_pairs() -> None:
    """``lidar_kernels.window_pairs`` called on its own (the sweeps reach it inside ``table_pairs``, which
    compiles it into that kernel; a caller of the public kernel gets it from the cache too)."""
    import numpy as np

    from sensors.lidar_kernels import window_pairs

    window_pairs(np.zeros(2), np.zeros(2, np.int64), np.zeros(1, np.int64), np.ones(1, np.int64),
                 np.zeros(1, np.int64), np.zeros(1), np.ones(1), np.empty(2, np.int64))


def _warm_switched_off_passes() -> None:
    """The per-return kernels a sweep takes only with a switch of ``lidar_sweep_passes`` off (the field-view
    record fill, the permuted gather: the references the in-process A/B and the tests compare with)."""
    import numpy as np

    from sensors.lidar_gather import fill_compact, gather_select_permuted
    from sensors.pointcloud import POINT_DTYPE

    points = np.empty(2, POINT_DTYPE)                    # two records: the field views are strided, as a sweep's
    f32, i32, none = np.ones(2, np.float32), np.zeros(2, np.int32), np.zeros(0, np.float32)
    fill_compact(*(points[f] for f in POINT_DTYPE.names), np.ones((3, 2), np.float32), i32, f32, f32, none, 0.0,
                 1.0, 1.0, np.zeros(2, np.uint16), f32)
    gather_select_permuted(f32, i32, np.zeros((2, 3), np.float32), np.zeros((2, 6), np.float32),
                           np.zeros(2, np.intp), f32, 0.0, 2.0, 0.0, np.zeros(0, np.uint32), 0, 0, 0.0, False,
                           i32.copy(), f32.copy(), i32.copy(), f32.copy())


def _warm_frame_angles() -> None:
    """A rosette frame's angle path: its band pairs on the angles (``lidar_band_pairs.band_pairs``, where the
    deflections cannot decide: a few sweeps in a thousand) and the cast-order azimuths they read
    (``lidar_frame.frame_cast_azimuth``)."""
    import numpy as np

    from sensors.lidar_band_pairs import band_pairs
    from sensors.lidar_patterns import PRESETS, pattern_tables, risley_pattern

    tables = pattern_tables(risley_pattern(PRESETS["Livox-Mid40"], 10.0, 0))
    one = np.zeros(1)
    band_pairs(one, one + 0.1, one, one + 0.1, tables.homogeneous.numpy()[:, 2], tables.cast_order,
               tables.cast_azimuth, tables.elevation, *tables.azimuth_extent, np.empty(2, np.int64))


if __name__ == "__main__":
    print(f"sensors kernels ready in {warm_up():.2f} s")
