"""Session 6: a two-thread sweep's returns in chunks taken from the two ends (``gather_front`` /
``gather_back``, ``chunk_returns``, ``fill_chunks``), checked against the one-pass kernels and numpy."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from sensors.lidar_draws import WordStream
from sensors.lidar_gather import (chunk_returns, count_returns, fill_chunks, fill_compact, gather_back, gather_front,
                                  gather_select)
from sensors.pointcloud import POINT_DTYPE


def _cast(channels: int, columns: int, seed: int):
    """A ring-major cast: misses (inf), hits past the range, NaN, materials, normals and ray directions."""
    rng = np.random.default_rng(seed)
    n = channels * columns
    t = rng.uniform(0.0, 140.0, n).astype(np.float32)
    t[rng.random(n) < 0.2] = np.inf
    t[rng.random(n) < 0.01] = np.nan
    t[:columns] = np.inf
    return (t, rng.integers(0, 5, n).astype(np.int32), rng.normal(size=(n, 3)).astype(np.float32),
            rng.normal(size=(n, 6)).astype(np.float32), rng.uniform(0.05, 0.9, 5).astype(np.float32))


@pytest.mark.parametrize("channels, columns, width", [(8, 50, 16), (16, 37, 16), (3, 5, 16), (32, 200, 32),
                                                      (4, 64, 64)])
def test_chunk_returns_are_the_counts_before_each_chunk(channels, columns, width):
    t = _cast(channels, columns, channels)[0]
    chunks = -(-columns // width)
    j0 = np.full(chunks + 1, -5, np.int64)
    total = chunk_returns(t, channels, columns, width, 1.0, 120.0, j0)
    want = [count_returns(t, channels, columns, 1.0, 120.0, 0, min(c * width, columns)) for c in range(chunks + 1)]
    assert list(j0) == want and total == want[-1]


def _chunked(channels, columns, width, drop, seed, front_share=None):
    """The chunk gather on two threads from the two ends (or, with ``front_share``, a fixed number of chunks
    from the front first), the records filled per chunk; and the one-pass gather and records."""
    t, material, normal, rays, refl = _cast(channels, columns, seed)
    n = len(t)
    chunks = -(-columns // width)
    rng = np.random.default_rng(seed)
    stream = WordStream(rng.bit_generator.state, np.random.PCG64(0))
    stream.ensure(n + 1)
    threshold, dropout = 2e-4, 0.3
    args = (t, material, normal, rays, channels, columns)
    sel = (refl, 1.0, 120.0, threshold, stream.raw32, stream.first, stream.head, dropout, drop)
    room = n + chunks + 2
    out = [np.full(room, -7, np.int32), np.zeros(room, np.float32), np.zeros(room, np.int32), np.zeros(room, np.float32)]
    kept = np.full(chunks, -1, np.int64)
    j0 = np.empty(chunks + 1, np.int64)
    chunk_returns(t, channels, columns, width, 1.0, 120.0, j0)
    counter = np.zeros(1, np.int64)
    if front_share is None:
        got = {}
        back = threading.Thread(target=lambda: got.setdefault("back", gather_back(counter, *args, width, *sel, j0, *out,
                                                                                  kept)))
        back.start()
        front = gather_front(counter, *args, width, *sel, *out, kept)
        back.join()
        assert got["back"] == front
    else:                                                      # the front takes its share, then the back the rest
        front_counter = np.array([chunks - front_share], np.int64)
        front = gather_front(front_counter, *args, width, *sel, *out, kept)
        assert front == front_share
        assert gather_back(np.array([front_share], np.int64), *args, width, *sel, j0, *out, kept) == front_share
    assert (kept >= 0).all()
    one = [np.empty(n + 2, np.int32), np.empty(n + 2, np.float32), np.empty(n + 2, np.int32), np.empty(n + 2, np.float32)]
    k, _ = gather_select(*args, *sel, 0, *one, 0, columns)
    before = np.concatenate([[0], np.cumsum(kept)]).astype(np.int64)
    assert before[-1] == k
    rows = np.concatenate([np.arange(j0[c] + c, j0[c] + c + kept[c]) for c in range(chunks)]).astype(np.intp)
    for a, b in zip(out, one):
        assert a[rows].tobytes() == b[:k].tobytes()
    # the records: per chunk, in two parts, against the one-pass fill
    columns_table = rng.normal(size=(3, n)).astype(np.float32)
    ring = rng.integers(0, channels, n).astype(np.uint16)
    time = rng.uniform(0, 0.1, n).astype(np.float32)
    noise = rng.normal(size=k).astype(np.float32)
    want = np.empty(k, POINT_DTYPE)
    fill_compact(*(want[f] for f in POINT_DTYPE.names), columns_table, one[0][:k], one[1][:k], one[3][:k], noise, 0.05,
                 2550.0, 10.0, ring, time)
    got_points = np.empty(k, POINT_DTYPE)
    fields = [got_points[f] for f in POINT_DTYPE.names]
    for c_begin, c_end in ((0, front), (front, chunks)):
        fill_chunks(*fields, columns_table, out[0], out[1], out[3], noise, 0.05, 2550.0, 10.0, ring, time, j0, kept,
                    before, c_begin, c_end)
    assert got_points.tobytes() == want.tobytes()


@pytest.mark.parametrize("drop", [False, True])
@pytest.mark.parametrize("channels, columns, width", [(8, 50, 16), (16, 37, 16), (3, 5, 16), (32, 200, 32),
                                                      (64, 130, 16)])
def test_chunks_from_two_ends_on_two_threads_are_the_one_pass_gather(drop, channels, columns, width):
    for seed in range(3):
        _chunked(channels, columns, width, drop, seed)


@pytest.mark.parametrize("share", [0, 1, 3, 4])
def test_every_split_between_the_two_ends_gives_the_same_returns(share):
    _chunked(16, 64, 16, True, 11, front_share=share)


def test_records_without_noise():
    t, material, normal, rays, refl = _cast(4, 32, 2)
    n = len(t)
    idx = np.arange(0, n, 3, dtype=np.int32)
    r = np.linspace(1, 50, len(idx)).astype(np.float32)
    echo = np.linspace(0.1, 0.9, len(idx)).astype(np.float32)
    j0 = np.array([0, len(idx)], np.int64)
    kept = np.array([len(idx)], np.int64)
    before = np.array([0, len(idx)], np.int64)
    want = np.empty(len(idx), POINT_DTYPE)
    got = np.empty(len(idx), POINT_DTYPE)
    tables = (np.ones((3, n), np.float32), np.zeros(n, np.uint16), np.zeros(n, np.float32))
    fill_compact(*(want[f] for f in POINT_DTYPE.names), tables[0], idx, r, echo, np.zeros(0, np.float32), 0.0, 2550.0,
                 10.0, tables[1], tables[2])
    fill_chunks(*(got[f] for f in POINT_DTYPE.names), tables[0], idx, r, echo, np.zeros(0, np.float32), 0.0, 2550.0,
                10.0, tables[1], tables[2], j0, kept, before, 0, 1)
    assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("parameters", [{"dropout_probability": 0.05}, {"dropout_probability": 0.0},
                                        {"dropout_probability": 0.02, "range_noise_m": 0.0},
                                        {"dropout_probability": 0.0, "range_noise_m": 0.0}])
def test_two_thread_sweeps_give_the_one_thread_clouds(parameters, monkeypatch):
    """Whole sweeps (labels on) with the chunk passes and without: the same points, labels and generator
    state over three consecutive sweeps, also on a first sweep whose words must be drawn here."""
    import sensors.lidar as lidar_module
    from sensors.base import SensorConfig
    from sensors.frames import MountPose
    from sensors.scene import SensorScene, static_world_for
    from sensors_testworld import entity, room, snapshot

    snap = snapshot(entity("ego", ego=True), entity("car", x=6.0, y=1.0, heading=0.3, bbox=(4.0, 2.0, 1.6, 0.0, 0.0, 0.8)))
    static = static_world_for(room(12.0))
    out = []
    for split in (False, True):
        monkeypatch.setattr(lidar_module, "two_threads", lambda rays, split=split: split)
        sensor = lidar_module.Lidar(SensorConfig(name="top", type="lidar", preset="HDL-32E", mount=MountPose(z=1.2),
                                                 seed=5, parameters={"labels": True, **parameters}))
        clouds = [sensor.sense(snap, SensorScene(static, snap)) for _ in range(3)]
        out.append((clouds, sensor.rng.bit_generator.state))
    (a, sa), (b, sb) = out
    assert sa == sb
    for x, y in zip(a, b):
        assert x.width > 20000
        assert x.points.tobytes() == y.points.tobytes() and x.labels.tobytes() == y.labels.tobytes()
