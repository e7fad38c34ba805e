"""The static cast's leading-run copies on a helper thread (``static_cast._collect_beside``) change no bit.

What must hold: a cast given a helper executor returns the same t, normal, material and actor bytes as one
without, leaves the ray buffer as it found it, really hands the copies over (a job runs on the helper), runs
the copies here when the helper's thread is busy with another job (cancelled, not waited for), and raises a
failed copy's error; a two-thread lidar sweep gives the same cloud with the overlap on and off.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from sensors_testworld import entity, every_box_pair, snapshot

import sensors.lidar as lidar_module
import sensors.static_cast as static_cast
from sensors.base import SensorConfig
from sensors.frames import MountPose
from sensors.lidar import Lidar
from sensors.ros_messages import to_point_cloud2
from sensors.scene import SensorScene, StaticWorld

MAPS = Path(__file__).parents[2] / "scenarios" / "maps"


@pytest.fixture(scope="module")
def world() -> StaticWorld:
    from simplatform.opendrive import load_opendrive
    from simplatform.opendrive.mesh import build_road_mesh

    return StaticWorld([build_road_mesh(load_opendrive(MAPS / "highway_straight.xodr"))])


def _origin(world: StaticWorld) -> np.ndarray:
    v = world.vertices.astype(np.float64)
    o = v.mean(axis=0)
    o[2] = float(np.median(v[:, 2])) + 1.9
    return o


def _scene(world: StaticWorld, origin: np.ndarray) -> tuple[SensorScene, object]:
    rng = np.random.default_rng(11)
    states = [entity("ego", origin[0], origin[1], origin[2] - 1.9)]
    for k in range(20):
        dx, dy = rng.uniform(-40, 40), rng.choice([-5.25, -1.75, 1.75, 5.25])
        states.append(entity(f"car{k}", origin[0] + dx, origin[1] + dy, origin[2] - 1.9,
                             heading=float(rng.uniform(-0.2, 0.2))))
    snap = snapshot(*states)
    return SensorScene(world, snap), snap


def _rays(origin: np.ndarray, rings: int = 64, columns: int = 1800) -> np.ndarray:
    """A spinning head's buffer, lowest ring first (the static cast's long leading run of steep rays)."""
    el = np.linspace(-0.43, 0.035, rings)
    az = np.linspace(-np.pi, np.pi, columns, endpoint=False)
    e, a = np.meshgrid(el, az, indexing="ij")
    d = np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], axis=-1).reshape(-1, 3)
    return np.ascontiguousarray(np.concatenate([np.tile(origin, (len(d), 1)), d], axis=1), dtype=np.float32)



class _Counting(ThreadPoolExecutor):
    def __init__(self) -> None:
        super().__init__(1, thread_name_prefix="s7-overlap")
        self.jobs = 0

    def submit(self, fn, /, *args, **kwargs):
        self.jobs += 1
        return super().submit(fn, *args, **kwargs)


def _cast(scene, rays, pairs, slabs, helper):
    buf = rays.copy()
    hits = scene.cast_rays(buf, max_range=120.0, actor_pairs=pairs, pair_hits=slabs,
                           origin_ball=(rays[0, :3].astype(np.float64), 0.0), own_rays=True, helper=helper)
    assert buf.tobytes() == rays.tobytes()                  # the buffer is restored
    return tuple(np.ascontiguousarray(a).tobytes() for a in (hits.t, hits.normal, hits.material, hits.actor))


@pytest.fixture
def cast_case(world):
    origin = _origin(world)
    scene, _ = _scene(world, origin)
    rays = _rays(origin)
    pairs, slabs = every_box_pair(scene, rays)
    return scene, rays, pairs, slabs


def test_a_helper_gives_the_same_hits_and_runs_the_copies(cast_case):
    scene, rays, pairs, slabs = cast_case
    alone = _cast(scene, rays, pairs, slabs, None)
    with _Counting() as helper:
        beside = _cast(scene, rays, pairs, slabs, helper)
        assert helper.jobs >= 1                             # the leading run was long enough to hand over
    assert beside == alone


def test_a_busy_helper_is_not_waited_for(cast_case, monkeypatch):
    scene, rays, pairs, slabs = cast_case
    alone = _cast(scene, rays, pairs, slabs, None)
    release = threading.Event()
    ran_here = []
    real = static_cast.collect_part

    def spy(*args):
        ran_here.append(threading.current_thread() is threading.main_thread())
        real(*args)

    monkeypatch.setattr(static_cast, "collect_part", spy)
    with ThreadPoolExecutor(1) as helper:
        helper.submit(release.wait, 30)                     # its thread busy with another job
        try:
            beside = _cast(scene, rays, pairs, slabs, helper)
        finally:
            release.set()
    assert beside == alone
    assert ran_here and all(ran_here)                       # cancelled on the helper, run here


def test_a_failed_copy_raises(cast_case, monkeypatch):
    scene, rays, pairs, slabs = cast_case

    def broken(*args):
        raise RuntimeError("copy failed")

    monkeypatch.setattr(static_cast, "collect_part", broken)
    with ThreadPoolExecutor(1) as helper, pytest.raises(RuntimeError, match="copy failed"):
        _cast(scene, rays, pairs, slabs, helper)


def test_two_thread_sweeps_are_the_same_with_the_overlap_off(world, monkeypatch):
    monkeypatch.setattr(lidar_module, "_spare_cpu", lambda own: True)
    origin = _origin(world)
    scene, snap = _scene(world, origin)
    out = []
    for on in (True, False):
        monkeypatch.setattr(static_cast, "OVERLAP_COLLECT", on)
        lidar = Lidar(SensorConfig(name="l", type="lidar", preset="HDL-64E", mount=MountPose(z=1.9),
                                   parameters={"dropout_probability": 0.01, "labels": True}))
        clouds = [lidar.sense(snap, SensorScene(scene.static, snap)) for _ in range(2)]
        out.append([bytes(to_point_cloud2(c).data) + np.asarray(c.labels).tobytes() for c in clouds])
    assert out[0] == out[1]
