"""Rain clutter on the radar: the drops' Mie backscatter fills the radar's cells, is detected at short range
near the stationary world's Doppler, and lowers a target's detection probability through its SINR.

Covers ``sensors/radar_rain_backscatter.py`` (η and the fall-speed moments), ``sensors/radar_clutter.py``
(cell clutter, Doppler spectrum, CFAR probabilities, drawing) and their use in ``sensors/radar.py``.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy.special import ndtr

from sensors.base import SensorConfig
from sensors.frames import MountPose
from sensors.radar import Radar
from sensors.radar_messages import FALSE_ALARM, RAIN_CLUTTER, TARGET
from sensors.radar_rain_backscatter import (marshall_palmer, mie_backscatter_efficiency, rain_backscatter,
                                            rayleigh_reflectivity_per_m, refractive_index_of_water)
from sensors.radar_weather import rain_db_per_km
from sensors.scene import SensorScene, static_world_for
from simplatform.errors import ConfigError

from radar_at_commit import radar_at_commit
from sensors_testworld import entity, snapshot, wall

BEFORE = "ced3af170c7dc5510a183eafb1cf6ba8a1694886"     # the radar as it was before rain clutter
EXACT = dict(range_accuracy_m=0.0, azimuth_accuracy_deg=0.0, elevation_accuracy_deg=0.0, velocity_accuracy_mps=0.0)
# a coarse, sensitive radar: a pedestrian is one cell (as in the weather tests), rain fills it
COARSE = dict(range_resolution_m=3.0, azimuth_resolution_deg=5.0, elevation_resolution_deg=20.0,
              vertical_fov_deg=10.0, horizontal_fov_deg=20.0, false_alarms=False, ray_resolution_deg=1.0,
              reference_snr_db=40.0, reference_range_m=40.0, reference_rcs_dbsm=-8.0)


def rain(mm_h: float) -> dict:
    return {"precipitation_type": "rain", "precipitation_intensity_mm_h": mm_h}


def radar(seed=3, preset=None, **parameters) -> Radar:
    return Radar(SensorConfig(name="front", type="radar", mount=MountPose(x=3.5, z=0.5), parameters=parameters,
                              seed=seed, preset=preset))


def _world(*others, ego_speed=0.0):
    snap = snapshot(entity("ego", ego=True, vx=ego_speed), *others)
    return snap, SensorScene(static_world_for(None), snap)


# ---------------------------------------------------------------- the backscatter
def test_mie_series_meets_rayleigh_for_small_drops_and_an_independent_mie_code():
    m = refractive_index_of_water(77.0)
    k2 = abs((m * m - 1) / (m * m + 2)) ** 2
    assert k2 == pytest.approx(0.832, abs=1e-3)                     # |K|² of water at 77 GHz, 15 °C
    small = np.array([0.001, 0.01, 0.05])
    np.testing.assert_allclose(mie_backscatter_efficiency(m, small), 4 * small ** 4 * k2, rtol=2e-3)
    # Q_back at x = 1, 2, 4 as miepython 3.3.0 (an independent Mie code) computes it for this m
    q = mie_backscatter_efficiency(m, np.array([1.0, 2.0, 4.0]))
    np.testing.assert_allclose(q, [2.0130285454, 0.6910450403, 0.2551629462], rtol=1e-8)


def test_reflectivity_at_77_ghz_is_far_below_rayleigh_and_rises_with_rain_rate():
    etas = [rain_backscatter(r).reflectivity_per_m for r in (1.0, 5.0, 25.0, 100.0)]
    assert np.all(np.diff(etas) > 0)
    assert etas[2] == pytest.approx(1.217e-3, rel=2e-3)             # 25 mm/h: −29 dB m²/m³
    ratios = [rayleigh_reflectivity_per_m(r) / rain_backscatter(r).reflectivity_per_m for r in (5.0, 25.0, 100.0)]
    assert 5 < ratios[0] < ratios[1] < ratios[2]                    # big drops are where Rayleigh fails most
    # at 1 GHz (λ = 30 cm, |m|·x < 0.7 for every drop) drops are Rayleigh scatterers: Mie is π⁵|K|²/λ⁴·∫N D⁶ dD
    d = np.linspace(0.05, 7.0, 1391)
    z = np.trapz(marshall_palmer(25.0, d) * d ** 6, d) * 1e-18
    m = refractive_index_of_water(1.0)
    k2 = abs((m * m - 1) / (m * m + 2)) ** 2
    rayleigh = math.pi ** 5 * k2 / (299_792_458.0 / 1e9) ** 4 * z
    assert rain_backscatter(25.0, 1.0).reflectivity_per_m == pytest.approx(rayleigh, rel=0.01)
    b = rain_backscatter(25.0)
    assert 4.0 < b.fall_speed_mps < 7.0 and 0.5 < b.fall_speed_spread_mps < 2.0
    assert rain_backscatter(0.0).reflectivity_per_m == 0.0


# ---------------------------------------------------------------- clutter detections
def _expected(sensor: Radar):
    """Expected rain detections per kept cell in the last scan, and the cells' mid ranges."""
    cells = sensor.clutter.doppler_cells(*sensor._scan_motion)
    return cells.probability.sum(axis=1), 0.5 * (sensor.clutter.cells.r[0] + sensor.clutter.cells.r[1])


def test_clutter_count_rises_with_rain_rate_and_falls_with_range():
    snap, scene = _world(ego_speed=15.0)
    totals, bands = [], []
    for rate in (5.0, 25.0, 100.0):
        sensor = radar()
        sensor.sense(dataclasses.replace(snap, environment=rain(rate)), scene)
        per_cell, r = _expected(sensor)
        totals.append(per_cell.sum())
        bands.append([per_cell[(r >= lo) & (r < hi)].sum() for lo, hi in ((2, 5), (5, 10), (10, 20), (20, 1e9))])
    assert np.all(np.diff(totals) > 0) and totals[0] > 0.1
    for b in bands:
        assert np.all(np.diff(b) < 0)                                # power ∝ 1/r²: fewer farther out
    # drawn counts follow the expectation (a radar whose CFAR window reaches past the spectrum sees many)
    sensor = radar(rain_clutter_turbulence_mps=0.2, horizontal_fov_deg=20.0, max_range_m=40.0)
    wet = dataclasses.replace(snap, environment=rain(25.0))
    scans = [sensor.sense(wet, scene) for _ in range(10)]
    expected = _expected(sensor)[0].sum()
    counts = np.array([np.count_nonzero(s.truth["kind"] == RAIN_CLUTTER) for s in scans])
    assert expected > 20
    assert abs(counts.mean() - expected) < 5 * math.sqrt(expected / len(scans))
    ranges = np.concatenate([s.returns["range"][s.truth["kind"] == RAIN_CLUTTER] for s in scans])
    near, mid, far = (np.count_nonzero((ranges >= lo) & (ranges < hi)) for lo, hi in ((0, 5), (5, 10), (10, 40)))
    assert near > mid > far


@pytest.mark.parametrize("parameters", [{}, {"rain_clutter_turbulence_mps": 0.05}, {"cfar_reference_cells": 32},
                                        {"velocity_resolution_mps": 1.0, "cfar_guard_cells": 0}])
def test_the_thinning_bound_holds_for_every_doppler_cell(parameters):
    # ``draw`` thins Bernoulli(H) trials; it is exact only if H bounds every Doppler cell's probability
    snap, scene = _world(ego_speed=25.0)
    sensor = radar(horizontal_fov_deg=60.0, max_range_m=60.0, **parameters)
    sensor.sense(dataclasses.replace(snap, environment=rain(100.0)), scene)
    clutter = sensor.clutter
    cells = clutter.doppler_cells(*sensor._scan_motion)
    _, spread = clutter.spectrum(clutter.cells, *sensor._scan_motion)
    bound = clutter._bound(clutter.cells.cnr, spread)
    assert cells.probability.max() > 1e-5                                 # not a vacuous check
    assert np.all(cells.probability <= bound[:, None] * (1 + 1e-9) + 1e-300)


def test_clutter_doppler_is_the_ego_motion_plus_the_drops_fall():
    speed = 20.0
    snap, scene = _world(ego_speed=speed)
    sensor = radar(rain_clutter_turbulence_mps=0.2, horizontal_fov_deg=20.0, max_range_m=40.0)
    scans = [sensor.sense(dataclasses.replace(snap, environment=rain(50.0)), scene) for _ in range(5)]
    ret = np.concatenate([s.returns[s.truth["kind"] == RAIN_CLUTTER] for s in scans])
    assert len(ret) > 50
    az, el = ret["azimuth"].astype(float), ret["elevation"].astype(float)
    fall = rain_backscatter(50.0).fall_speed_mps
    stationary = -speed * np.cos(az) * np.cos(el) - fall * np.sin(el)     # (v_rain − v_sensor)·u
    residual = ret["doppler_velocity"] - stationary
    assert abs(residual.mean()) < 0.3 and residual.std() < 1.0
    assert np.all(ret["amplitude"] < 0.0)                                   # weak echoes
    assert np.all(scans[0].truth["actor"][scans[0].truth["kind"] == RAIN_CLUTTER] == -1)


def test_no_clutter_without_rain_or_when_switched_off():
    snap, scene = _world(entity("car", x=40.0), ego_speed=10.0)
    for env in (None, {"precipitation_type": "dry", "precipitation_intensity_mm_h": 30.0},
                {"precipitation_type": "snow", "precipitation_intensity_mm_h": 10.0}, {"fog_visual_range_m": 50.0}):
        sensor = radar()
        scan = sensor.sense(dataclasses.replace(snap, environment=env), scene)
        assert sensor.clutter is None and not np.any(scan.truth["kind"] == RAIN_CLUTTER)
    for off in ({"rain_clutter": False}, {"weather": False}, {"false_alarms": False}):
        scan = radar(rain_clutter_turbulence_mps=0.2, **off).sense(dataclasses.replace(snap, environment=rain(50.0)), scene)
        assert not np.any(scan.truth["kind"] == RAIN_CLUTTER)


# ---------------------------------------------------------------- the code before rain clutter
@pytest.fixture(scope="module")
def radar_before(tmp_path_factory):
    """``sensors/radar*.py`` at ``BEFORE``, importable as ``radar_before`` (the rest of ``sensors`` as now)."""
    with radar_at_commit(BEFORE, ("radar", "radar_physics", "radar_weather", "radar_multipath", "radar_messages", "radar_tracks"), "radar_before", tmp_path_factory.mktemp("before")) as radar:
        yield radar


@pytest.mark.parametrize("environment, parameters", [
    (None, {}),
    ({"precipitation_type": "dry", "precipitation_intensity_mm_h": 0.0, "time_of_day_s": 30000.0}, {}),
    ({"fog_visual_range_m": 50.0}, {}),
    ({"precipitation_type": "snow", "precipitation_intensity_mm_h": 10.0}, {}),
    (rain(50.0), {"rain_clutter": False}),
    (rain(50.0), {"weather": False}),
    (None, {"multipath": True, "tracks": True}),
], ids=["none", "dry", "fog", "snow", "rain-clutter-off", "weather-off", "multipath"])
def test_outputs_are_bit_identical_to_the_code_before_without_rain_clutter(radar_before, environment, parameters):
    rail = wall(0.0, yaw=-math.pi / 2, size=400.0, material="guard_rail")
    rail.mesh.translate([0.0, -4.0, 0.0])
    snap = snapshot(entity("ego", ego=True, vx=12.0), entity("car", x=40.0, y=2.0, vx=5.0),
                    entity("ped", x=25.0, y=-2.0, category="pedestrian", bbox=(0.5, 0.6, 1.8, 0.0, 0.0, 0.9)))
    snap = dataclasses.replace(snap, environment=environment)
    scene = SensorScene(static_world_for([rail]), snap)
    config = SensorConfig(name="front", type="radar", mount=MountPose(x=3.5, z=0.5), parameters=parameters, seed=7)
    old = {k: v for k, v in parameters.items() if k != "rain_clutter"}         # a parameter it did not know
    now, before = Radar(config), radar_before.Radar(dataclasses.replace(config, parameters=old))
    for _ in range(3):
        a, b = now.sense(snap, scene), before.sense(snap, scene)
        assert len(a.returns) > 0
        assert a.returns.tobytes() == b.returns.tobytes() and a.truth.tobytes() == b.truth.tobytes()
        if parameters.get("tracks"):
            assert repr(now.last_tracks) == repr(before.last_tracks)          # the same fields, bit for bit


# ---------------------------------------------------------------- targets in rain
def _pedestrian_pd(sensor: Radar, distance: float, rate: float) -> tuple[float, float, float]:
    """(clear, attenuated, with clutter) detection probability of a stationary pedestrian's one cell, worked
    out here from the radar equation, the cell's rain and the CFAR's Doppler window."""
    eq = sensor.equation
    el_target = math.atan2(0.9 - 0.5, distance - 0.25 - 3.5)
    r = (distance - 0.25 - 3.5) / math.cos(el_target)
    sigma = 10 ** (-0.8)
    loss = 10 ** (-2 * rain_db_per_km(rate) * r / 10_000)
    snr = float(eq.snr(sigma, r))
    b = rain_backscatter(rate)
    res_r, res_a, res_v = 3.0, math.radians(5.0), sensor.res[3]
    r0 = math.floor(r / res_r) * res_r
    r1 = r0 + res_r
    e1 = math.radians(5.0)                                   # elevation bin [0°, 20°) clipped to the FoV
    cnr = float(eq.snr(b.reflectivity_per_m * res_a * math.sin(e1) * (1 / r0 - 1 / r1), 1.0)) \
        * 10 ** (-2 * rain_db_per_km(rate) * (r0 + r1) / 2 / 10_000)
    a, e = res_a / 2, e1 / 2                                 # the cell's centre direction
    mean = -b.fall_speed_mps * math.sin(e)                   # stationary radar: only the fall projects
    var = sensor.rain_clutter_turbulence ** 2 + (b.fall_speed_spread_mps * math.sin(e)) ** 2 \
        + (b.fall_speed_mps * math.cos(e) * e1) ** 2 / 12
    share = lambda k: ndtr(((k + 1) * res_v - mean) / math.sqrt(var)) - ndtr((k * res_v - mean) / math.sqrt(var))  # noqa: E731
    g, m = sensor.cfar_guard_cells, sensor.cfar_reference_cells
    reference = np.mean([share(k) for k in [*range(-g - m, -g), *range(g + 1, g + m + 1)]])
    pfa = eq.false_alarm_probability
    return (pfa ** (1 / (1 + snr)), pfa ** (1 / (1 + snr * loss)),
            pfa ** ((1 + cnr * reference) / (1 + cnr * share(0) + snr * loss)))


def test_pedestrian_in_heavy_rain_is_detected_as_its_sinr_says():
    distance, rate, trials = 100.0, 25.0, 400
    snap, scene = _world(entity("p", x=distance, category="pedestrian", bbox=(0.5, 0.6, 1.8, 0.0, 0.0, 0.9)))
    sensor = radar(**COARSE)
    clear, attenuated, expected = _pedestrian_pd(sensor, distance, rate)
    half_width = 4 * math.sqrt(expected * (1 - expected) / trials) + 0.02
    assert attenuated - expected > 2 * half_width and clear > attenuated      # the clutter, not only the loss
    wet = dataclasses.replace(snap, environment=rain(rate))
    hits = sum(int(np.any(sensor.sense(wet, scene).truth["actor"] == 1)) for _ in range(trials))
    assert abs(hits / trials - expected) < half_width


def test_wide_clutter_spectrum_gives_the_swerling_law_at_the_sinr():
    # air motion of 1 km/s spreads the rain evenly over the CFAR window: P_d = P_fa^(1/(1+SINR))
    snap, scene = _world()
    sensor = radar(rain_clutter_turbulence_mps=1000.0, false_alarms=False)
    sensor.sense(dataclasses.replace(snap, environment=rain(50.0)), scene)
    keys = np.array([[20, 0, 0, 0], [60, -3, -1, 5], [200, 10, 0, -40]])
    snr = np.array([3.0, 30.0, 300.0])
    pd = sensor.clutter.detection_probability(keys, snr, *sensor._scan_motion)
    from sensors.radar_clutter import cell_cnr
    cnr = cell_cnr(sensor, sensor.clutter.grid, rain_backscatter(50.0).reflectivity_per_m, keys[:, :3]).cnr
    sinr = snr / (1 + cnr * sensor.res[3] / (math.sqrt(2 * math.pi) * 1000.0))
    np.testing.assert_allclose(pd, sensor.equation.false_alarm_probability ** (1 / (1 + sinr)), rtol=1e-5)
    assert np.all(sinr < snr)


def test_car_at_100_m_is_detected_less_in_heavy_rain():
    snap, scene = _world(entity("car", x=104.35))            # its rear face 100 m from the radar
    probabilities = {}
    for rate in (0.0, 25.0):
        sensor = radar(seed=1)
        wet = dataclasses.replace(snap, environment=rain(rate))
        probabilities[rate] = np.mean([np.any(sensor.sense(wet, scene).truth["actor"] == 1) for _ in range(60)])
    assert probabilities[25.0] < probabilities[0.0]


# ---------------------------------------------------------------- determinism and configuration
def test_same_seed_same_rain_clutter_other_seed_other_clutter():
    snap, scene = _world(entity("car", x=30.0), ego_speed=10.0)
    wet = dataclasses.replace(snap, environment=rain(50.0))
    a = [radar(seed=4, rain_clutter_turbulence_mps=0.2).sense(wet, scene) for _ in range(2)]
    b = radar(seed=5, rain_clutter_turbulence_mps=0.2).sense(wet, scene)
    assert a[0].returns.tobytes() == a[1].returns.tobytes() and a[0].truth.tobytes() == a[1].truth.tobytes()
    assert np.any(a[0].truth["kind"] == RAIN_CLUTTER)
    assert a[0].returns.tobytes() != b.returns.tobytes()
    kinds = set(a[0].truth["kind"].tolist())
    assert {TARGET, RAIN_CLUTTER} <= kinds and kinds <= {TARGET, RAIN_CLUTTER, FALSE_ALARM, 1}


@pytest.mark.parametrize("parameters, key", [
    ({"rain_clutter": "yes"}, "rain_clutter"),
    ({"cfar_reference_cells": 0}, "cfar_reference_cells"),
    ({"cfar_guard_cells": 1.5}, "cfar_guard_cells"),
    ({"rain_clutter_turbulence_mps": -1.0}, "rain_clutter_turbulence_mps"),
])
def test_bad_clutter_parameters_are_clear_errors(parameters, key):
    with pytest.raises(ConfigError, match=key):
        radar(**parameters)
