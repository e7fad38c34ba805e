"""Session-5 Livox sweep: the next rosette frame built beside a sweep (``FrameAhead``) is the frame built
inline, byte for byte; a sweep's cloud does not depend on whether it was; nothing runs between sweeps."""

from __future__ import annotations

import numpy as np
import pytest

import sensors.lidar as lidar_module
import sensors.lidar_frame_rosette as rosette
from sensors.base import SensorConfig
from sensors.frames import MountPose
from sensors.lidar import Lidar
from sensors.lidar_patterns import PRESETS, pattern_tables, risley_pattern, risley_pattern_reference
from sensors.scene import SensorScene, static_world_for

from sensors_testworld import entity, plane, snapshot

SPEC = PRESETS["Livox-Mid40"]


@pytest.fixture(autouse=True)
def _pin_beside_on(monkeypatch):
    """Session 10: frames are built beside sweeps only where ``lidar_frame_rosette.BESIDE`` says (off by
    default, measured); these tests are about that path."""
    monkeypatch.setattr(rosette, "BESIDE", True)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _assert_reference(pattern, frame: int, rate_hz: float = 10.0) -> None:
    want_pattern, want_tables = risley_pattern_reference(SPEC, rate_hz, frame)
    tables = pattern_tables(pattern)
    for name in ("directions", "ring", "time", "azimuth_order", "sorted_azimuth"):
        assert _same(getattr(pattern, name), getattr(want_pattern, name)), name
    for name in ("columns", "elevation", "cast_position", "cast_order", "azimuth_elevation", "azimuth_position"):
        assert _same(getattr(tables, name), getattr(want_tables, name)), name
    assert _same(tables.homogeneous.numpy(), want_tables.homogeneous.numpy())
    assert tables.elevation_range == want_tables.elevation_range


@pytest.mark.parametrize("stage2_in_advance", [False, True])
def test_a_frame_built_beside_is_the_reference_and_is_kept(stage2_in_advance):
    # (session 7: the azimuth tables, once stage 3 on the worker, are built when first read)
    frame = 880_001 + stage2_in_advance
    ahead = rosette.frame_ahead(SPEC, 10.0, frame)
    assert ahead is not None
    if stage2_in_advance:
        ahead._cast.result()                                            # stage 1 done: advance runs stage 2
    ahead.advance()
    if stage2_in_advance:
        assert ahead._angles
    ahead.finish()
    kept = rosette._FRAMES[(SPEC, 10.0, frame)]
    assert risley_pattern(SPEC, 10.0, frame) is kept                    # served from the store, not rebuilt
    _assert_reference(kept, frame)
    assert rosette.frame_ahead(SPEC, 10.0, frame) is None               # kept: not built again


def test_a_failed_stage_keeps_nothing_and_the_sweep_builds_inline(monkeypatch):
    frame = 880_201
    cast_side = rosette._FrameWork.cast_side
    calls = {"n": 0}

    def failing_once(self):
        calls["n"] += 1
        if calls["n"] == 1:
            raise MemoryError("no room")
        return cast_side(self)

    monkeypatch.setattr(rosette._FrameWork, "cast_side", failing_once)
    ahead = rosette.frame_ahead(SPEC, 10.0, frame)
    ahead.advance()
    ahead.finish()                                                      # the current sweep does not fail
    assert (SPEC, 10.0, frame) not in rosette._FRAMES
    _assert_reference(risley_pattern(SPEC, 10.0, frame), frame)
    assert calls["n"] == 2


def _sweeps(times, prefetch: bool, monkeypatch, params) -> list:
    static = static_world_for(plane(400.0))
    cars = [entity(f"c{k}", x=x, y=y, heading=h) for k, (x, y, h) in
            enumerate([(12.0, 1.0, 0.2), (25.0, -3.0, 0.0), (40.0, 4.0, 1.0), (8.0, -1.5, -0.4)])]
    built_beside: list[int] = []
    real = lidar_module.frame_ahead

    def counting(spec, rate_hz, frame, *then):                         # then: the sweep's words (session 7)
        built_beside.append(frame)
        return real(spec, rate_hz, frame, *then)

    lidar = Lidar(SensorConfig(name="t", type="lidar", preset="Livox-Mid40", mount=MountPose(x=1.3, z=1.9),
                               parameters=params))
    out = []
    with monkeypatch.context() as m:
        m.setattr(lidar_module, "second_cpu_free", lambda: prefetch)
        m.setattr(lidar_module, "frame_ahead", counting)
        for k, t in enumerate(times):
            snap = snapshot(entity("ego", x=2.0 * k, vx=20.0, yaw_rate=0.1, ego=True), *cars, time=t)
            before = len(built_beside)
            out.append(lidar.sense(snap, SensorScene(static, snap)))
            if len(built_beside) > before:          # returned once the frame beside is built and kept
                assert (SPEC, 10.0, built_beside[-1]) in rosette._FRAMES
                assert rosette._worker()._work_queue.qsize() == 0
    return out, built_beside


@pytest.mark.parametrize("params", [{"dropout_probability": 0.05, "labels": True},
                                    {"motion_distortion": True, "dropout_probability": 0.0}])
def test_livox_clouds_do_not_depend_on_frames_built_beside(monkeypatch, params):
    # consecutive frames (built beside from the second sweep on), a repeat, a skip and a step back
    times = [0.1 * k + 77.0 for k in range(5)] + [77.4, 77.6, 77.7, 77.2]
    inline, none = _sweeps(times, False, monkeypatch, params)
    rosette._FRAMES.clear()
    beside, frames = _sweeps(times, True, monkeypatch, params)
    assert none == [] and frames == [772, 773, 774, 775, 778]          # only after a sweep of the frame before
    assert sum(c.width for c in inline) > 1000
    for a, b in zip(inline, beside):
        for name, value in vars(a).items():
            other = vars(b)[name]
            if isinstance(value, np.ndarray):
                assert _same(value, other), name
            else:
                assert value == other, name


def test_no_frame_is_built_beside_when_switched_off_or_without_a_free_cpu(monkeypatch):
    times = [0.1 * k + 91.0 for k in range(4)]
    params = {"dropout_probability": 0.0}
    monkeypatch.setattr(lidar_module, "FRAME_AHEAD", False)
    _, frames = _sweeps(times, True, monkeypatch, params)
    assert frames == []
    monkeypatch.setattr(lidar_module, "FRAME_AHEAD", True)
    _, frames = _sweeps([t + 10.0 for t in times], False, monkeypatch, params)
    assert frames == []
    _, frames = _sweeps([t + 20.0 for t in times], True, monkeypatch, params)
    assert frames == [1112, 1113, 1114]


def test_weather_terms_follow_the_environment_items_bit_for_bit(monkeypatch):
    """The lidar parses the environment again only when its items change: clouds equal those of a lidar
    that parses it every sweep, also when one dict is changed in place and for a signed zero."""
    from sensors.environment import Weather

    static = static_world_for(plane(400.0))
    car = entity("c0", x=15.0, y=0.5)
    shared: dict = {}
    environments = [shared, shared, None, {"fog_visual_range_m": 300.0}, {}, None,
                    {"precipitation_intensity_mm_h": 0.0}, {"precipitation_intensity_mm_h": -0.0},
                    {"precipitation_intensity_mm_h": 12.0, "precipitation_type": "rain"}, shared]

    def run(cached: bool) -> list:
        shared.clear()
        shared["precipitation_intensity_mm_h"] = 4.0
        lidar = Lidar(SensorConfig(name="w", type="lidar", preset="VLP-16", mount=MountPose(z=1.9),
                                   parameters={"dropout_probability": 0.02}))
        if not cached:
            def parse(environment):
                weather = Weather.from_environment(environment)
                return weather.lidar_extinction(lidar.wavelength_nm), weather.lidar_rain_range_sigma()

            monkeypatch.setattr(lidar, "_weather_terms", parse)
        out = []
        for k, env in enumerate(environments):
            if k == 1:
                shared["fog_visual_range_m"] = 150.0                  # the same dict, changed in place
            if k == 9:
                shared["precipitation_intensity_mm_h"] = 30.0
            snap = snapshot(entity("ego", ego=True), car, time=0.1 * k, environment=env)
            out.append(lidar.sense(snap, SensorScene(static, snap)))
        return out

    cached, parsed = run(True), run(False)
    for a, b in zip(cached, parsed):
        assert _same(a.points, b.points)
    assert len({cloud.width for cloud in cached}) > 2                     # the weather changes the clouds
    assert not _same(cached[0].points["intensity"], cached[1].points["intensity"])

    # one mapping changed in place between sweeps (a snapshot may share its environment) is parsed again
    lidar = Lidar(SensorConfig(name="w", type="lidar", preset="VLP-16", mount=MountPose(z=1.9)))
    env: dict = {"precipitation_intensity_mm_h": 4.0}
    for change in ({}, {"fog_visual_range_m": 150.0}, {"precipitation_intensity_mm_h": 30.0},
                   {"precipitation_type": "dry"}, {"precipitation_intensity_mm_h": -0.0}):
        env.update(change)
        weather = Weather.from_environment(env)
        want = (weather.lidar_extinction(lidar.wavelength_nm), weather.lidar_rain_range_sigma())
        got = lidar._weather_terms(env)
        assert np.array(got).tobytes() == np.array(want).tobytes(), change
