"""The static cast's single-thread sections on two threads (``sensors.static_split``) change no bit.

What must hold: a cast given a free helper returns the same t, normal, material and actor bytes with the split
on as with it off (and as without a helper), for any cut of the rows, and leaves the ray buffer as it found it;
both halves really run (on the helper when it is free, here when it is busy); a failing half raises and
still restores the buffer; the fused test-and-gather kernel equals the miss test and the box-first drop one
after the other; the learnt cut moves towards the thread that finished first; two-thread lidar sweeps give
the same clouds with the split on and off.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from sensors_testworld import entity, every_box_pair, snapshot

import sensors.lidar as lidar_module
import sensors.static_split as static_split
from sensors.base import SensorConfig
from sensors.frames import MountPose
from sensors.lidar import Lidar
from sensors.ros_messages import to_point_cloud2
from sensors.scene import SensorScene, StaticWorld
from sensors.static_boxes import drop_rows
from sensors.static_horizon import NORM_BOUND, cull_gather, cull_gather_unproved

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


def _scene(world: StaticWorld, origin: np.ndarray, seed: int = 11) -> tuple[SensorScene, object]:
    rng = np.random.default_rng(seed)
    states = [entity("ego", origin[0], origin[1], origin[2] - 1.9)]
    for k in range(20):
        dx, dy = rng.uniform(-40, 40), rng.choice([-5.25, -1.75, 1.75, 5.25])
        states.append(entity(f"car{k}", origin[0] + dx, origin[1] + dy, origin[2] - 1.9,
                             heading=float(rng.uniform(-0.2, 0.2))))
    snap = snapshot(*states)
    return SensorScene(world, snap), snap


def _rays(origin: np.ndarray, rings: int = 64, columns: int = 1800) -> np.ndarray:
    """A spinning head's buffer, lowest ring first (a long leading run, then the rays the miss proof tests)."""
    el = np.linspace(-0.43, 0.035, rings)
    az = np.linspace(-np.pi, np.pi, columns, endpoint=False)
    e, a = np.meshgrid(el, az, indexing="ij")
    d = np.stack([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)], axis=-1).reshape(-1, 3)
    return np.ascontiguousarray(np.concatenate([np.tile(origin, (len(d), 1)), d], axis=1), dtype=np.float32)


def _cast(scene, rays, pairs, slabs, helper):
    buf = rays.copy()
    hits = scene.cast_rays(buf, max_range=120.0, actor_pairs=pairs, pair_hits=slabs,
                           origin_ball=(rays[0, :3].astype(np.float64), 0.0), own_rays=True, helper=helper)
    assert buf.tobytes() == rays.tobytes()                  # the buffer is restored
    return tuple(np.ascontiguousarray(a).tobytes() for a in (hits.t, hits.normal, hits.material, hits.actor))


@pytest.fixture(scope="module")
def cast_case(world):
    origin = _origin(world)
    scene, _ = _scene(world, origin)
    rays = _rays(origin)
    pairs, slabs = every_box_pair(scene, rays)
    return scene, rays, pairs, slabs


class _Spy:
    """Records on which thread each half ran (``_pre`` and ``_post``).  With ``meet``, this thread's half waits
    until the helper's has started (on a loaded machine a fresh helper may start after this thread's half is
    done, and its half is then run here, by design): the halves then surely run on both threads."""

    def __init__(self, monkeypatch, meet: bool = False) -> None:
        self.pre: list[bool] = []
        self.post: list[bool] = []
        pre, post = static_split._pre, static_split._post
        started = {"pre": threading.Event(), "post": threading.Event()}

        def stamp(log: list, key: str) -> None:
            here = threading.current_thread() is threading.main_thread()
            log.append(here)
            if not here:
                started[key].set()
            elif meet:
                assert started[key].wait(30)
                started[key].clear()

        def spy_pre(*args):
            stamp(self.pre, "pre")
            pre(*args)

        def spy_post(*args):
            stamp(self.post, "post")
            post(*args)

        copies = static_split._head_copies

        def spy_copies(*args):
            self.copies.append(threading.current_thread() is threading.main_thread())
            copies(*args)

        self.copies: list[bool] = []
        monkeypatch.setattr(static_split, "_pre", spy_pre)
        monkeypatch.setattr(static_split, "_post", spy_post)
        monkeypatch.setattr(static_split, "_head_copies", spy_copies)


@pytest.mark.parametrize("halves", [False, True])
@pytest.mark.parametrize("share", [0.1, 0.27, 0.5, 0.73, 0.9])
def test_every_cut_gives_the_same_hits(cast_case, monkeypatch, share, halves):
    scene, rays, pairs, slabs = cast_case
    monkeypatch.setattr(static_split, "SPLIT_SERIAL", False)
    with ThreadPoolExecutor(1) as helper:
        before = _cast(scene, rays, pairs, slabs, helper)
    alone = _cast(scene, rays, pairs, slabs, None)
    monkeypatch.setattr(static_split, "SPLIT_SERIAL", True)
    monkeypatch.setattr(static_split, "POST_HALVES", halves)
    monkeypatch.setattr(static_split, "_learn", lambda *args: None)
    monkeypatch.setitem(static_split._cuts, len(rays), share)
    spy = _Spy(monkeypatch, meet=True)
    with ThreadPoolExecutor(1) as helper:
        split = _cast(scene, rays, pairs, slabs, helper)
    assert split == before == alone
    assert sorted(spy.pre) == [False, True]                 # one half here, one on the free helper
    if halves:
        assert sorted(spy.post) == [False, True]
    else:
        assert spy.post == [] and len(spy.copies) >= 1      # the leading run's copies handed over (or run here)


def test_a_busy_helper_is_not_waited_for(cast_case, monkeypatch):
    scene, rays, pairs, slabs = cast_case
    alone = _cast(scene, rays, pairs, slabs, None)
    spy = _Spy(monkeypatch)
    release = threading.Event()
    with ThreadPoolExecutor(1) as helper:
        helper.submit(release.wait, 30)                     # its thread busy with another job
        try:
            split = _cast(scene, rays, pairs, slabs, helper)
        finally:
            release.set()
    assert split == alone
    assert spy.pre == [True, True] and spy.copies and all(spy.copies)     # cancelled there, run here


@pytest.mark.parametrize("where", ["pre", "post", "copies"])
def test_a_failing_half_raises_and_restores_the_buffer(cast_case, monkeypatch, where):
    scene, rays, pairs, slabs = cast_case
    monkeypatch.setattr(static_split, "POST_HALVES", where == "post")
    name = {"pre": "cull_gather_unproved", "post": "scatter_hits", "copies": "write_misses"}[where]
    real = getattr(static_split, name)
    calls = []

    def broken(*args):
        calls.append(1)
        if len(calls) == 2:                                 # the second call: one half already done
            raise RuntimeError("half failed")
        return real(*args)

    monkeypatch.setattr(static_split, name, broken)
    buf = rays.copy()
    with ThreadPoolExecutor(1) as helper, pytest.raises(RuntimeError, match="half failed"):
        scene.cast_rays(buf, max_range=120.0, actor_pairs=pairs, pair_hits=slabs,
                        origin_ball=(rays[0, :3].astype(np.float64), 0.0), own_rays=True, helper=helper)
    assert buf.tobytes() == rays.tobytes()


def test_fused_gather_equals_the_test_then_the_drop():
    rng = np.random.default_rng(5)
    n = 5000
    d = rng.normal(size=(n, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    d[::97] = 0.0                                           # no direction: cast
    d[::89, 2] = np.nan
    rays = np.concatenate([rng.normal(size=(n, 3)), d], axis=1).astype(np.float32)
    horizon = rng.uniform(-0.5, 0.3, 1024)
    skip = rng.random(n) < 0.3
    out = []
    for fused in (True, False):
        t, normal, material = np.full(n, 7.0, np.float32), np.full((n, 3), 7.0, np.float32), np.full(n, 7, np.int32)
        kept, rows = np.full((n, 6), 9.0, np.float32), np.full(n, -9, np.int64)
        if fused:
            k = cull_gather_unproved(rays, 100, 4900, horizon, NORM_BOUND, skip, kept, rows, t, normal, material)
        else:
            k = cull_gather(rays, 100, 4900, horizon, NORM_BOUND, kept, rows, t, normal, material)
            k = drop_rows(kept, rows, k, skip, t, normal, material)
        out.append((k, t.tobytes(), normal.tobytes(), material.tobytes(), kept[:k].tobytes(), rows[:k].tobytes()))
    assert out[0] == out[1]
    assert 0 < out[0][0] < 4800


def test_the_cut_moves_towards_the_thread_that_finished_first():
    n = 10 ** 6 + 17                                        # a size no cast here has
    static_split._cuts.pop(n, None)
    first = static_split._Range(0, 500, start=0.0, end=2e-3)      # this thread: 4 µs a row
    second = static_split._Range(500, 1000, start=0.0, end=1e-3)  # the helper: 2 µs a row
    static_split._learn(n, 0, 1000, 500, (first, second))
    assert static_split._cuts[n] == pytest.approx(1 / 3)   # 4·x = 2·(1000 − x)
    second = static_split._Range(333, 1000, start=0.2e-3, end=0.2e-3 + 667 * 2e-6)   # starts 0.2 ms late
    first = static_split._Range(0, 333, start=0.0, end=333 * 4e-6)
    static_split._learn(n, 0, 1000, 333, (first, second))
    assert static_split._cuts[n] == pytest.approx(1 / 3 + static_split.CUT_LEARN * ((2.2 / 6) - 1 / 3))
    static_split._cuts.pop(n)


def test_two_thread_sweeps_are_the_same_with_the_split_off(world, monkeypatch):
    monkeypatch.setattr(lidar_module, "_spare_cpu", lambda own: True)
    origin = _origin(world)
    scene, snap = _scene(world, origin, seed=3)
    spy = _Spy(monkeypatch)
    out = []
    for on in (True, False):
        monkeypatch.setattr(static_split, "SPLIT_SERIAL", on)
        lidar = Lidar(SensorConfig(name="l", type="lidar", preset="HDL-64E", mount=MountPose(z=1.9),
                                   parameters={"dropout_probability": 0.01, "labels": True}))
        clouds = [lidar.sense(snap, SensorScene(scene.static, snap)) for _ in range(2)]
        out.append([bytes(to_point_cloud2(c).data) + np.asarray(c.labels).tobytes() for c in clouds])
    assert out[0] == out[1]
    assert len(spy.pre) == 4                                # the split ran in both sweeps with it on (2 halves)


def test_words_parked_after_the_share_give_the_same_clouds_and_generator(world, monkeypatch):
    monkeypatch.setattr(lidar_module, "_spare_cpu", lambda own: True)
    origin = _origin(world)
    scene, snap = _scene(world, origin, seed=4)
    out = []
    for parked in (True, False):
        monkeypatch.setattr(lidar_module, "WORDS_AFTER_SHARE", parked)
        lidar = Lidar(SensorConfig(name="l", type="lidar", preset="HDL-64E", mount=MountPose(z=1.9),
                                   parameters={"dropout_probability": 0.02}))
        clouds = [bytes(to_point_cloud2(lidar.sense(snap, SensorScene(scene.static, snap))).data) for _ in range(3)]
        out.append((clouds, lidar.rng.bit_generator.state))
    assert out[0] == out[1]


@pytest.mark.timeout(120)
def test_a_failed_cast_still_draws_the_parked_words(world, monkeypatch):
    """The words are pended for the next ``stream_for``: a cast that raises must not leave them parked (the
    next sweep would wait for them for ever)."""
    monkeypatch.setattr(lidar_module, "_spare_cpu", lambda own: True)
    origin = _origin(world)
    scene, snap = _scene(world, origin, seed=5)
    lidar = Lidar(SensorConfig(name="l", type="lidar", preset="HDL-64E", mount=MountPose(z=1.9),
                               parameters={"dropout_probability": 0.02}))
    reference = Lidar(SensorConfig(name="l", type="lidar", preset="HDL-64E", mount=MountPose(z=1.9),
                                   parameters={"dropout_probability": 0.02}))
    expected = [bytes(to_point_cloud2(reference.sense(snap, SensorScene(scene.static, snap))).data) for _ in range(2)]
    first = bytes(to_point_cloud2(lidar.sense(snap, SensorScene(scene.static, snap))).data)   # words learnt
    real = SensorScene.cast_rays

    def broken(self, *args, **kwargs):
        raise RuntimeError("cast failed")

    monkeypatch.setattr(SensorScene, "cast_rays", broken)
    with pytest.raises(RuntimeError, match="cast failed"):
        lidar.sense(snap, SensorScene(scene.static, snap))
    monkeypatch.setattr(SensorScene, "cast_rays", real)
    second = bytes(to_point_cloud2(lidar.sense(snap, SensorScene(scene.static, snap))).data)
    assert [first, second] == expected                     # the failed sweep drew nothing from the generator


def test_a_two_thread_hdl64_sweep_proves_misses_and_boxes_in_the_split(world, monkeypatch):
    """The split path really proves: thousands of rays proved to miss or to hit a box first among cars, the
    cloud the one-thread cast gives."""
    monkeypatch.setattr(lidar_module, "_spare_cpu", lambda own: True)
    origin = _origin(world)
    scene, snap = _scene(world, origin, seed=6)
    left = []

    def spying(name):
        real = getattr(static_split, name)

        def spy(rays, start, stop, *rest):
            k = real(rays, start, stop, *rest)
            left.append(stop - start - k)
            return k

        monkeypatch.setattr(static_split, name, spy)

    spying("cull_gather_unproved")
    spying("cull_gather")
    split = []
    real_split = static_split.cast_split
    monkeypatch.setattr(static_split, "cast_split", lambda *a: (split.append(1), real_split(*a))[1])
    config = SensorConfig(name="l", type="lidar", preset="HDL-64E", mount=MountPose(z=1.9),
                          parameters={"dropout_probability": 0.01, "labels": True})
    got = Lidar(config).sense(snap, SensorScene(scene.static, snap))
    monkeypatch.setattr(static_split, "SPLIT_SERIAL", False)
    want = Lidar(config).sense(snap, SensorScene(scene.static, snap))
    assert got.points.tobytes() == want.points.tobytes() and got.labels.tobytes() == want.labels.tobytes()
    assert split and sum(left) > 20000, (split, left)
