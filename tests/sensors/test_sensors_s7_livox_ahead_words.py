"""Session-7 Livox sweep: with the next frame built beside it, the sweep's random words are drawn on the
same worker job after the frame's stage 1 (``Lidar._next_frame_beside``); clouds and generator states are
those of the sweep drawing them itself, also when the draw or the stage fails."""

from __future__ import annotations

import pytest

import sensors.lidar as lidar_module
import sensors.lidar_frame_rosette as rosette
from sensors.base import SensorConfig
from sensors.frames import MountPose
from sensors.lidar import Lidar
from sensors.lidar_draw_ahead import _owner
from sensors.lidar_patterns import PRESETS
from sensors.scene import SensorScene, static_world_for

from sensors_testworld import entity, plane, snapshot


@pytest.fixture(autouse=True)
def _pin_beside_on(monkeypatch):
    """Session 10: frames are built beside sweeps only where ``lidar_frame_rosette.BESIDE`` says (off by
    default, measured); these tests are about that path."""
    monkeypatch.setattr(rosette, "BESIDE", True)


def _sweeps(monkeypatch, beside: bool, times, params, break_draw: bool = False):
    static = static_world_for(plane(400.0))
    cars = [entity(f"c{k}", x=x, y=y) for k, (x, y) in enumerate([(12.0, 1.0), (30.0, -3.0), (55.0, 2.0)])]
    lidar = Lidar(SensorConfig(name="w", type="lidar", preset="Livox-Mid40", mount=MountPose(x=1.3, z=1.9),
                               parameters=params))
    pended = []
    out = []
    with monkeypatch.context() as m:
        m.setattr(lidar_module, "second_cpu_free", lambda: beside)
        real_pend = lidar_module.pend

        def counting_pend(owner, future):
            pended.append(future)
            real_pend(owner, future)

        m.setattr(lidar_module, "pend", counting_pend)
        if break_draw:
            real_job = lidar_module.ahead_job

            def failing_job(owner, rng):
                job = real_job(owner, rng)
                if job is None:
                    return None

                def fail():
                    raise MemoryError("no room for words")
                return fail

            m.setattr(lidar_module, "ahead_job", failing_job)
        for k, t in enumerate(times):
            snap = snapshot(entity("ego", x=1.5 * k, ego=True), *cars, time=t)
            cloud = lidar.sense(snap, SensorScene(static, snap))
            out.append((cloud.points.tobytes(), repr(lidar.rng.bit_generator.state)))
            assert _owner(lidar).pending is None or _owner(lidar).pending.done()     # nothing left running
    return out, pended


@pytest.mark.parametrize("params", [{"dropout_probability": 0.05}, {"range_noise_m": 0.05},
                                    {"dropout_probability": 0.0, "range_noise_m": 0.0},
                                    {"dropout_probability": 0.02, "labels": True, "motion_distortion": True}])
def test_words_drawn_beside_give_the_clouds_drawn_inline(monkeypatch, params):
    times = [31.0 + 0.1 * k for k in range(6)] + [31.5, 32.0, 32.1]       # consecutive, a repeat, a skip
    rosette._FRAMES.clear()
    inline, none = _sweeps(monkeypatch, False, times, params)
    rosette._FRAMES.clear()
    beside, pended = _sweeps(monkeypatch, True, times, params)
    assert none == []
    if params.get("dropout_probability", 0.0) > 0 or params.get("range_noise_m", 0.02) > 0:
        assert len(pended) >= 4 and all(f.done() for f in pended)
    assert beside == inline


def test_a_failed_draw_beside_leaves_the_sweep_to_draw_its_words(monkeypatch):
    times = [41.0 + 0.1 * k for k in range(5)]
    params = {"dropout_probability": 0.05}
    rosette._FRAMES.clear()
    inline, _ = _sweeps(monkeypatch, False, times, params)
    rosette._FRAMES.clear()
    broken, pended = _sweeps(monkeypatch, True, times, params, break_draw=True)
    assert pended and all(f.exception() is not None for f in pended)
    assert broken == inline


def test_words_are_drawn_even_when_the_frame_stage_fails(monkeypatch):
    """``then`` runs after stage 1 whether it succeeded or not; a failed stage keeps no frame."""
    spec = PRESETS["Livox-Mid40"]
    then_ran = []
    rosette.FrameAhead(spec, 10.0, 991_001, lambda: then_ran.append(1)).finish()
    assert then_ran == [1] and (spec, 10.0, 991_001) in rosette._FRAMES
    monkeypatch.setattr(rosette._FrameWork, "cast_side", lambda self: 1 / 0)
    rosette.FrameAhead(spec, 10.0, 991_002, lambda: then_ran.append(2)).finish()
    assert then_ran == [1, 2] and (spec, 10.0, 991_002) not in rosette._FRAMES


def test_a_livox_sweep_draws_words_for_its_returns_not_for_every_ray(monkeypatch):
    """When the last sweep's count leaves fewer words than rays, a rosette sweep counts its returns (as a
    spinning head does) instead of taking every ray as one: it draws about what it reads."""
    import sensors.lidar_sweep_passes as passes

    seen = []
    real = passes.finish

    def watching(owner, rng, stream, used):
        seen.append((stream.available, used))
        real(owner, rng, stream, used)

    monkeypatch.setattr(passes, "finish", watching)
    monkeypatch.setattr(lidar_module, "second_cpu_free", lambda: False)
    static = static_world_for(plane(400.0))
    lidar = Lidar(SensorConfig(name="few", type="lidar", preset="Livox-Mid40", mount=MountPose(x=1.3, z=1.9),
                               parameters={"dropout_probability": 0.05}))
    for k in range(4):
        snap = snapshot(entity("ego", ego=True), entity("c", x=20.0), time=51.0 + 0.1 * k)
        lidar.sense(snap, SensorScene(static, snap))
    n = lidar.pattern(51.0).size
    assert all(used < n for _, used in seen)
    assert all(available < 2 * used + used // 16 + 2048 for available, used in seen[1:])
