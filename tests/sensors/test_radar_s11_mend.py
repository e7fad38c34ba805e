"""Rain clutter's per-scan cost: the cells' geometry is worked out once, the Doppler spectrum once a motion.

The kept clutter cells are fixed in the sensor frame, so their centre directions and the directions'
derivatives (``CellGeometry``) depend on the radar's cell layout and mount only; a scan adds the rain's
velocity relative to the sensor.  The outputs are the code's before this cache, bit for bit."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from sensors import radar_clutter
from sensors.base import SensorConfig
from sensors.frames import MountPose
from sensors.radar import Radar
from sensors.radar_messages import RAIN_CLUTTER
from sensors.scene import SensorScene, static_world_for

from radar_at_commit import radar_at_commit
from sensors_testworld import entity, snapshot, wall

BEFORE = "c090225c14514de7aeaaf00c2f4ac99f9ed42bbd"     # rain clutter before the geometry cache
RADAR_MODULES = ("radar", "radar_clutter", "radar_rain_backscatter", "radar_physics", "radar_weather",
                 "radar_multipath", "radar_messages", "radar_tracks")


def rain(mm_h: float) -> dict:
    return {"precipitation_type": "rain", "precipitation_intensity_mm_h": mm_h}


def _config(**parameters) -> SensorConfig:
    return SensorConfig(name="front", type="radar", mount=MountPose(x=3.5, z=0.5), parameters=parameters, seed=7)


def _drive(step: int, environment) -> tuple:
    """A turning ego at 15 m/s behind a car, a pedestrian crossing, a guard rail on the right."""
    t = 0.05 * step
    snap = snapshot(entity("ego", ego=True, x=15.0 * t, heading=0.03 * math.sin(t), vx=15.0, yaw_rate=0.02),
                    entity("car", x=40.0 + 5.0 * t, y=2.0, vx=5.0),
                    entity("ped", x=25.0, y=-2.0 + 0.4 * t, category="pedestrian", bbox=(0.5, 0.6, 1.8, 0.0, 0.0, 0.9)),
                    time=t, environment=environment)
    rail = wall(0.0, yaw=-math.pi / 2, size=400.0, material="guard_rail")
    rail.mesh.translate([0.0, -4.0, 0.0])
    return snap, SensorScene(static_world_for([rail]), snap)


def test_a_rainy_scan_works_out_no_geometry_of_the_kept_cells(monkeypatch):
    sensor = Radar(_config())
    snap, scene = _drive(0, rain(25.0))
    sensor.sense(snap, scene)
    kept = len(sensor.clutter.cells.cnr)
    assert kept > 1000
    sizes: list[int] = []
    original = radar_clutter.ClutterCells.centre_directions

    def counted(cells):
        sizes.append(len(cells.cnr))
        return original(cells)

    monkeypatch.setattr(radar_clutter.ClutterCells, "centre_directions", counted)
    for step in range(1, 6):
        sensor.sense(*_drive(step, rain(25.0)))
    assert kept not in sizes                       # the target cells' few directions only
    # the cached geometry is the one worked out afresh, bit for bit
    fresh = radar_clutter.CellGeometry.of(sensor.clutter.cells)
    for name in ("u", "du_da", "du_de", "az_width", "el_width"):
        assert getattr(fresh, name).tobytes() == getattr(sensor.clutter.geometry, name).tobytes()


def test_doppler_cells_and_draw_of_one_scan_share_one_spectrum(monkeypatch):
    sensor = Radar(_config())
    sensor.sense(*_drive(0, rain(25.0)))
    clutter = sensor.clutter
    calls: list[int] = []
    original = radar_clutter.RainClutter.spectrum

    def counted(self, cells, *args, **kwargs):
        calls.append(len(cells.cnr))
        return original(self, cells, *args, **kwargs)

    monkeypatch.setattr(radar_clutter.RainClutter, "spectrum", counted)
    rotation, velocity = sensor._scan_motion
    clutter.doppler_cells(rotation, velocity)       # what the scan's draw already worked out
    assert calls == []
    turned = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]) @ rotation
    for motion in ((turned, velocity), (turned, velocity + 1.0)):
        clutter.doppler_cells(*motion)
        clutter.draw(np.random.default_rng(1), *motion)
    assert calls == [len(clutter.cells.cnr)] * 2    # one spectrum a motion
    direct = original(clutter, clutter.cells, turned, velocity + 1.0)
    assert all(a.tobytes() == b.tobytes() for a, b in zip(direct, clutter.kept_spectrum(turned, velocity + 1.0)))


# ---------------------------------------------------------------- the clutter code before the cache
@pytest.fixture(scope="module")
def radar_before(tmp_path_factory):
    """``sensors/radar*.py`` at ``BEFORE``, importable as ``radar_cache_before`` (the rest of ``sensors`` as now)."""
    with radar_at_commit(BEFORE, RADAR_MODULES, "radar_cache_before", tmp_path_factory.mktemp("before")) as radar:
        yield radar


@pytest.mark.parametrize("rate, parameters", [
    (25.0, {"multipath": True, "tracks": True}),
    (100.0, {"rain_clutter_turbulence_mps": 0.2, "horizontal_fov_deg": 40.0, "max_range_m": 60.0, "tracks": True}),
], ids=["default-multipath-tracks", "still-air-many-detections"])
def test_rainy_scans_are_bit_identical_to_the_code_before_the_cache(radar_before, rate, parameters):
    now, before = Radar(_config(**parameters)), radar_before.Radar(_config(**parameters))
    clutter_seen = 0
    for step in range(12):
        snap, scene = _drive(step, rain(rate))
        a, b = now.sense(snap, scene), before.sense(snap, scene)
        assert a.returns.tobytes() == b.returns.tobytes() and a.truth.tobytes() == b.truth.tobytes()
        assert repr(now.last_tracks) == repr(before.last_tracks)
        clutter_seen += int(np.count_nonzero(a.truth["kind"] == RAIN_CLUTTER))
    assert clutter_seen > 0                        # the clutter was drawn, not only its effect on targets
