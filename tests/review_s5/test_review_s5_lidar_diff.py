"""Review (session 5): lidar clouds of the current code against the code at 3401fd1, side by side in
separate processes (``diffrun``, ``ldriver``): every preset, several lidars sharing one scene, dropout /
range noise / labels / motion distortion / 1550 nm, clear, rain and fog changing between sweeps, sweeps in
order, repeated, skipped, backwards and at random, the two-thread split and FrameAhead forced on, off and
random per sweep, a sweep with a non-finite ego pose in between.  Per sweep: the PointCloud arrays and
fields, the PointCloud2 bytes and the random generator's state after it.  The fast test checks, in this
process, that a Livox-like head's clouds do not depend on FrameAhead or threads (same seed, same times)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import ldriver
from review_trees import REPO
from diffrun import compare

HERE = Path(__file__).resolve().parent

PRESETS = ["VLP-16", "HDL-32E", "HDL-64E", "OS1-128", "Livox-Mid40"]


def _jobs(n: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    jobs = []
    for i in range(n):
        presets = [PRESETS[i % 5]] if i < 5 else [str(rng.choice(PRESETS)) for _ in range(int(rng.choice([1, 2, 3])))]
        params = {"dropout_probability": float(rng.choice([0.0, 0.01, 0.3])), "labels": bool(rng.random() < 0.5),
                  "motion_distortion": bool(rng.random() < 0.3)}
        if rng.random() < 0.5:
            params["range_noise_m"] = float(rng.choice([0.0, 0.02, 0.2]))
        k = int(rng.integers(3, 7))
        order = [list(range(k)), sorted(list(range(k)) * 2), list(range(0, 2 * k, 2)), list(range(k))[::-1],
                 [int(v) for v in rng.integers(0, k, k)]][i % 5]
        t0 = float(rng.choice([0.0, 3.7, 100.0]))
        envs, env = [], None
        for _ in order:
            if rng.random() < 0.35:
                env = [None, {"precipitation_type": "rain", "precipitation_intensity_mm_h": float(rng.uniform(0, 30))},
                       {"fog_visual_range_m": float(rng.uniform(30, 500))}, {"fog_visual_range_m": 1000}][int(rng.integers(0, 4))]
            envs.append(env)
        job = {"id": f"L{i}", "seed": i, "presets": presets, "params": params,
               "times": [round(t0 + 0.1 * j, 6) for j in order], "threads": ["on", "off", "random"][i % 3],
               "ahead": bool(i % 4), "actors": int(rng.choice([0, 1, 5, 20])), "env": envs}
        if i % 7 == 3:
            job["nan_at"] = [1]
        jobs.append(job)
    return jobs


@pytest.mark.slow
def test_clouds_equal_to_3401fd1(base_tree, numba_caches, tmp_path) -> None:
    report = compare(base_tree, REPO, HERE / "ldriver.py", _jobs(15, 11), tmp_path, cache_root=numba_caches)
    assert all(r["same"] for r in report), json.dumps([r for r in report if not r["same"]], default=str)[:3000]


def _livox_clouds(threads: str, ahead: bool) -> list[str]:
    import os
    import sensors.lidar as lidar_module
    from sensors.base import SensorConfig
    from sensors.frames import MountPose
    from sensors.scene import SensorScene
    cores, loadavg, flag = lidar_module.cores, os.getloadavg, lidar_module.FRAME_AHEAD
    lidar_module.cores = (lambda: 2) if threads == "on" else (lambda: 1)
    os.getloadavg = lambda: (0.0, 0.0, 0.0)
    lidar_module.FRAME_AHEAD = ahead
    import sensors.lidar_frame_rosette as rosette
    beside = getattr(rosette, "BESIDE", None)
    rosette.BESIDE = ahead                                # session 10: the frame module's own switch (off by default)
    try:
        with rosette._FRAME_LOCK:
            rosette._FRAMES.clear()    # each run builds its frames (inline or beside), none found kept
        static, centre = ldriver.static_world()
        lidar = lidar_module.Lidar(SensorConfig(name="l", type="lidar", preset="Livox-Mid40", seed=3,
                                                mount=MountPose(x=1.3, z=1.9), parameters={"dropout_probability": 0.01,
                                                                                            "labels": True}))
        out = []
        for t in (0.1, 0.2, 0.2, 0.4):
            snap = ldriver.snapshot(np.random.default_rng(int(t * 10)), centre, 5, t, int(t * 10), None)
            cloud = lidar.sense(snap, SensorScene(static, snap))
            out.append(ldriver.digest_cloud(cloud) + repr(lidar.rng.bit_generator.state))
        return out
    finally:
        lidar_module.cores, os.getloadavg, lidar_module.FRAME_AHEAD = cores, loadavg, flag
        rosette.BESIDE = beside


def test_livox_clouds_do_not_depend_on_frame_ahead_or_threads() -> None:
    reference = _livox_clouds("off", False)
    assert _livox_clouds("on", True) == reference
    assert _livox_clouds("on", False) == reference


def _sweeps(preset: str, times, fail_at: int | None, fail) -> list[str]:
    """Clouds (and generator states) of one lidar over ``times`` with two threads allowed; at sweep
    ``fail_at`` ``fail`` makes something raise (the sweep's exception is part of the output)."""
    import os
    import sensors.lidar as lidar_module
    from sensors.base import SensorConfig
    from sensors.frames import MountPose
    from sensors.scene import SensorScene
    cores, loadavg = lidar_module.cores, os.getloadavg
    lidar_module.cores = lambda: 2
    os.getloadavg = lambda: (0.0, 0.0, 0.0)
    try:
        import sensors.lidar_frame_rosette as rosette
        with rosette._FRAME_LOCK:
            rosette._FRAMES.clear()    # no frame kept from another run: this one builds (or prefetches) its own
        static, centre = ldriver.static_world()
        lidar = lidar_module.Lidar(SensorConfig(name="l", type="lidar", preset=preset, seed=5,
                                                mount=MountPose(x=1.3, z=1.9),
                                                parameters={"dropout_probability": 0.01, "range_noise_m": 0.02}))
        out = []
        for i, t in enumerate(times):
            snap = ldriver.snapshot(np.random.default_rng(int(t * 10)), centre, 5, t, int(t * 10), None)
            scene = SensorScene(static, snap)
            undo = fail(scene) if i == fail_at else None
            try:
                out.append(ldriver.digest_cloud(lidar.sense(snap, scene)) + repr(lidar.rng.bit_generator.state))
            except RuntimeError as exc:
                out.append(f"raised {exc}")
            finally:
                if undo:
                    undo()
        return out
    finally:
        lidar_module.cores, os.getloadavg = cores, loadavg


def test_a_failed_frame_ahead_stage_leaves_the_clouds_unchanged() -> None:
    """A Livox head's FrameAhead worker stage raising: this sweep and the next give the reference clouds."""
    import sensors.lidar_frame_rosette as rosette
    times = (0.1, 0.2, 0.3, 0.4)
    reference = _sweeps("Livox-Mid40", times, None, None)
    original = rosette._FrameWork.cast_side

    calls = []

    def fail(scene):
        def broken(self):
            calls.append(self)
            raise RuntimeError("worker stage failed")
        rosette._FrameWork.cast_side = broken
        return lambda: setattr(rosette._FrameWork, "cast_side", original)

    beside = getattr(rosette, "BESIDE", None)
    rosette.BESIDE = True                                 # session 10: off by default, measured
    try:
        assert _sweeps("Livox-Mid40", times, 2, fail) == reference
    finally:
        rosette.BESIDE = beside
    assert calls, "the FrameAhead stage did not run"


def test_a_sweep_whose_cast_raises_leaves_the_next_sweeps_unchanged() -> None:
    """An HDL-64E two-thread sweep (its random words drawn beside the cast) whose cast raises: the sweeps
    after it give the clouds and generator states of a lidar that never made it (as at 3401fd1, where
    nothing was drawn before the cast)."""
    times = (0.1, 0.2, 0.3)
    reference = _sweeps("HDL-64E", times, None, None)

    def fail(scene):
        def broken(*a, **k):
            raise RuntimeError("cast failed")
        scene.cast_rays = broken
        return None

    got = _sweeps("HDL-64E", (0.1, 0.2, 0.2, 0.3), 1, fail)
    assert got[1] == "raised cast failed"
    assert [got[0], got[2], got[3]] == reference
