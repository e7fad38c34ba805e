"""Session 11 (Livox): with a second CPU free, a sweep starts the next rosette frame's kernel on a worker
(``lidar_frame_next``) and the next sweep takes it by its done flag.  The frame is the one built in line, bit
for bit; a job not begun is cancelled and the frame built in line; the clouds do not change."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import sensors.lidar as lidar_module
import sensors.lidar_frame_next as frame_next
import sensors.lidar_frame_rosette as rosette
from sensors.base import SensorConfig
from sensors.frames import MountPose
from sensors.lidar import Lidar
from sensors.lidar_patterns import PRESETS, pattern_tables, risley_pattern
from sensors.scene import SensorScene, static_world_for
from sensors.worker_thread import process_queue

from sensors_testworld import entity, plane, snapshot

SPEC = PRESETS["Livox-Mid40"]
TABLE_FIELDS = ("cast_order", "cast_position", "columns", "time", "cast_directions", "cast_time", "elevation",
                "azimuth_elevation", "azimuth_position", "elevation_range")
PATTERN_FIELDS = ("directions", "ring", "time", "azimuth_order", "sorted_azimuth", "period_s")


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    return a == b


def _assert_same_frame(got, want) -> None:
    for name in PATTERN_FIELDS:
        assert _same(getattr(got, name), getattr(want, name)), name
    tables, reference = pattern_tables(got), pattern_tables(want)
    for name in TABLE_FIELDS:
        assert _same(getattr(tables, name), getattr(reference, name)), name
    assert _same(tables.homogeneous.numpy(), reference.homogeneous.numpy())
    assert _same(tables.cast_deflection, reference.cast_deflection)
    assert tables.deflection_extent == reference.deflection_extent


def _ended(job: "frame_next.NextFrame") -> "frame_next.NextFrame":
    """``job`` once its kernel has written its done flag (a frame asked for earlier may be built in line)."""
    limit = time.monotonic() + 30.0
    while not job.done[0] and time.monotonic() < limit:
        time.sleep(0.001)
    return job


def _blocked_worker():
    """Hold the next-frame worker in a job of ours until the returned event is set (jobs queue behind it)."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        holding.set()
        release.wait(10.0)

    process_queue(frame_next.WORKER).put(hold)
    assert holding.wait(10.0)
    return release


@pytest.mark.parametrize("frame", [0, 7, 123_457, 2_000_001])
def test_a_frame_built_on_the_worker_is_the_frame_built_in_line(frame):
    got = _ended(frame_next.NextFrame(SPEC, 10.0, frame)).collect()
    assert got is not None
    _assert_same_frame(got, rosette._build_frame(SPEC, 10.0, frame))


def test_a_job_not_begun_is_cancelled_and_never_runs():
    release = _blocked_worker()
    try:
        job = frame_next.NextFrame(SPEC, 10.0, 4_400)
        assert job.collect() is None                        # queued behind ours: cancelled, built in line
    finally:
        release.set()
    done = frame_next.NextFrame(SPEC, 10.0, 4_401)          # runs after the cancelled one was skipped
    assert _ended(done).collect() is not None
    assert job.done[0] == 0                                 # the cancelled kernel never wrote its flag


@pytest.mark.parametrize("flag_in_order", [True, False])
def test_a_running_job_is_waited_for(monkeypatch, flag_in_order):
    monkeypatch.setattr(frame_next, "FLAG_IN_ORDER", flag_in_order)
    entered, go = threading.Event(), threading.Event()
    kernel = frame_next.frame_cast_side_done

    def slow(*args):
        entered.set()
        go.wait(10.0)
        return kernel(*args)

    monkeypatch.setattr(frame_next, "frame_cast_side_done", slow)
    job = frame_next.NextFrame(SPEC, 10.0, 5_500)
    assert entered.wait(10.0)                               # begun: no longer cancellable
    threading.Timer(0.05, go.set).start()
    got = job.collect()                                     # waits for the kernel's end
    assert got is not None and job.done[0] == 1
    _assert_same_frame(got, rosette._build_frame(SPEC, 10.0, 5_500))


def test_a_job_of_the_parent_process_is_not_taken_after_a_fork(monkeypatch):
    job = frame_next.NextFrame(SPEC, 10.0, 6_600)
    job.pid = -1
    assert job.collect() is None


def test_risley_pattern_takes_a_started_frame_and_waiting_jobs_stay_few():
    with rosette._FRAME_LOCK:
        rosette._FRAMES.clear()
        rosette._NEXT.clear()
    assert frame_next.start_next(SPEC, 10.0, 7_700)
    assert not frame_next.start_next(SPEC, 10.0, 7_700)     # started already
    job = rosette._NEXT[(SPEC, 10.0, 7_700)]
    got = risley_pattern(SPEC, 10.0, 7_700)
    assert job.work.key == (SPEC, 10.0, 7_700) and (SPEC, 10.0, 7_700) not in rosette._NEXT
    assert rosette._FRAMES[(SPEC, 10.0, 7_700)] is got
    assert not frame_next.start_next(SPEC, 10.0, 7_700)     # kept already
    for k in range(rosette.RISLEY_FRAMES_KEPT + 3):
        frame_next.start_next(SPEC, 10.0, 8_000 + k)
    assert len(rosette._NEXT) == rosette.RISLEY_FRAMES_KEPT
    for k in range(rosette.RISLEY_FRAMES_KEPT + 3):         # dropped or not: every frame is the frame
        _assert_same_frame(risley_pattern(SPEC, 10.0, 8_000 + k), rosette._build_frame(SPEC, 10.0, 8_000 + k))


@pytest.mark.parametrize("order", ["free", "busy", "alternating"])
def test_clouds_are_those_of_frames_built_in_line(monkeypatch, order):
    """Consecutive new-frame sweeps with a free second CPU (their next frames built on the worker), with
    none, and switching sweep by sweep: the same clouds, labels and generator states; with a free CPU
    each sweep after a consecutive one starts its next frame there, and that sweep asks for it."""
    static = static_world_for(plane(400.0))
    cars = [entity(f"c{k}", x=x, y=y) for k, (x, y) in enumerate([(12.0, 1.0), (30.0, -3.0), (55.0, 2.0)])]
    taken = []
    collect = frame_next.NextFrame.collect
    monkeypatch.setattr(frame_next.NextFrame, "collect", lambda self: taken.append(self.work.key[2]) or collect(self))

    def run(free) -> list:
        with rosette._FRAME_LOCK:
            rosette._FRAMES.clear()
            rosette._NEXT.clear()
        lidar = Lidar(SensorConfig(name="w", type="lidar", preset="Livox-Mid40", mount=MountPose(x=1.3, z=1.9),
                                   parameters={"dropout_probability": 0.03, "labels": True}))
        out = []
        with monkeypatch.context() as m:
            for k in range(6):
                m.setattr(lidar_module, "second_cpu_free", lambda k=k: free(k))
                snap = snapshot(entity("ego", x=1.5 * k, ego=True), *cars, time=44.0 + 0.1 * k)
                cloud = lidar.sense(snap, SensorScene(static, snap))
                out.append((cloud.points.tobytes(), cloud.labels.tobytes(), repr(lidar.rng.bit_generator.state)))
        return out

    reference = run(lambda k: False)
    assert taken == [] and sum(len(p) for p, _, _ in reference) > 0
    free = {"free": lambda k: True, "busy": lambda k: False, "alternating": lambda k: k % 2 == 0}[order]
    assert run(free) == reference
    assert taken == {"free": [442, 443, 444, 445], "busy": [], "alternating": [443, 445]}[order]


def test_a_next_frame_that_cannot_start_leaves_the_sweeps_as_they_were(monkeypatch):
    """Starting the worker's job fails (no thread can be made, say): the sweeps build their frames in line and
    give the clouds they give without a free CPU."""
    static = static_world_for(plane(300.0))
    car = entity("c0", x=14.0, y=1.0)

    def run(free: bool) -> list:
        with rosette._FRAME_LOCK:
            rosette._FRAMES.clear()
            rosette._NEXT.clear()
        lidar = Lidar(SensorConfig(name="x", type="lidar", preset="Livox-Mid40", mount=MountPose(x=1.3, z=1.9),
                                   parameters={"dropout_probability": 0.02}))
        out = []
        with monkeypatch.context() as m:
            m.setattr(lidar_module, "second_cpu_free", lambda: free)
            for k in range(4):
                snap = snapshot(entity("ego", x=1.0 * k, ego=True), car, time=55.0 + 0.1 * k)
                out.append(lidar.sense(snap, SensorScene(static, snap)).points.tobytes())
        return out

    reference = run(False)

    def broken(*args):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(frame_next, "NextFrame", broken)
    assert run(True) == reference
    assert not rosette._NEXT
