"""Session 6: a two-thread sweep (the set-up before the cast in one worker job, the return passes in two
column ranges, the worker setting the generator's state beside this thread's records) gives the
one-thread sweep's clouds, and an error on either thread reaches the caller."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("parameters", [{"dropout_probability": 0.05}, {"dropout_probability": 0.0},
                                        {"dropout_probability": 0.02, "range_noise_m": 0.0},
                                        {"dropout_probability": 0.0, "range_noise_m": 0.0}])
def test_two_thread_sweeps_give_the_one_thread_clouds(parameters, monkeypatch):
    """Whole sweeps (labels on) with the two-thread passes and without: the same points, labels and
    generator state over three consecutive sweeps, also on a first sweep whose words must be drawn here."""
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


@pytest.mark.parametrize("where", ["gather_select", "count_returns", "decode", "_fill", "normal_end", "finish"])
def test_an_error_on_either_thread_reaches_the_sweep_and_the_next_sweep_is_unchanged(where, monkeypatch):
    """A pass raising on either thread is raised by ``sense`` (neither thread is left waiting for the
    other), and a sweep afterwards gives the cloud it gives without the failure."""
    import sensors.lidar as lidar_module
    import sensors.lidar_sweep_passes as passes
    from sensors.base import SensorConfig
    from sensors.frames import MountPose
    from sensors.scene import SensorScene, static_world_for
    from sensors_testworld import entity, room, snapshot

    monkeypatch.setattr(lidar_module, "two_threads", lambda rays: True)
    snap = snapshot(entity("ego", ego=True), entity("car", x=6.0, y=1.0, heading=0.3, bbox=(4.0, 2.0, 1.6, 0.0, 0.0, 0.8)))
    static = static_world_for(room(12.0))

    def sensor():
        return lidar_module.Lidar(SensorConfig(name="top", type="lidar", preset="HDL-32E", mount=MountPose(z=1.2),
                                               seed=5, parameters={"dropout_probability": 0.02}))

    clean = sensor()
    want = [clean.sense(snap, SensorScene(static, snap)).points.tobytes() for _ in range(2)]
    failing = sensor()
    failing.sense(snap, SensorScene(static, snap))               # the first sweep (no failure)
    state = failing.rng.bit_generator.state
    original = getattr(passes, where)

    def broken(*args, **kwargs):
        raise RuntimeError(f"{where} failed")

    monkeypatch.setattr(passes, where, broken)
    with pytest.raises(RuntimeError, match=where):
        failing.sense(snap, SensorScene(static, snap))
    monkeypatch.setattr(passes, where, original)
    failing.rng.bit_generator.state = state                      # the failed sweep may have drawn
    assert failing.sense(snap, SensorScene(static, snap)).points.tobytes() == want[1]


def test_the_cut_between_the_two_ranges_changes_no_cloud(monkeypatch):
    """Every cut of the columns (none, one tile, a share, all) gives the one-thread sweep's cloud and state:
    the learnt cut (``Balance``) moves only the timing."""
    import numpy as np

    import sensors.lidar as lidar_module
    import sensors.lidar_sweep_passes as passes
    from sensors.base import SensorConfig
    from sensors.frames import MountPose
    from sensors.scene import SensorScene, static_world_for
    from sensors_testworld import entity, room, snapshot

    snap = snapshot(entity("ego", ego=True), entity("car", x=6.0, y=1.0, heading=0.3, bbox=(4.0, 2.0, 1.6, 0.0, 0.0, 0.8)))
    static = static_world_for(room(12.0))

    def sweeps(split: bool, cut=None):
        monkeypatch.setattr(lidar_module, "two_threads", lambda rays: split)
        if cut is not None:
            monkeypatch.setattr(passes, "split_column", lambda balance, columns: min(cut, columns))
        sensor = lidar_module.Lidar(SensorConfig(name="top", type="lidar", preset="HDL-32E", mount=MountPose(z=1.2),
                                                 seed=2, parameters={"labels": True, "dropout_probability": 0.02}))
        clouds = [sensor.sense(snap, SensorScene(static, snap)) for _ in range(2)]
        return [c.points.tobytes() + c.labels.tobytes() for c in clouds], sensor.rng.bit_generator.state

    want = sweeps(False)
    for cut in (0, 16, 512, 1000, 10_000):
        assert sweeps(True, cut) == want


def test_the_balance_learns_the_cut_where_the_threads_meet():
    from sensors.lidar_sweep_passes import Balance, split_column

    b = Balance(1.0, 1.0, 0.0, 0.0)
    assert split_column(b, 1024) == 512
    b.learn(512, 1024, 512e-6, 0.0, 2 * 512e-6, 0.0)            # the worker gathers at half the speed
    cut = split_column(b, 1024)
    assert abs(cut - 2 * 1024 / 3) <= 16 and cut % 16 == 0
    b.learn(cut, 1024, cut * 1e-6, 0.0, (1024 - cut) * 1e-6, 300e-6)   # the same speed, 0.3 ms of normals
    assert split_column(b, 1024) > 512
    slow = Balance(1.0, 100.0, 0.0, 0.0)                        # clamped to 1/8 … 7/8 of the columns
    assert split_column(slow, 1024) == 896
