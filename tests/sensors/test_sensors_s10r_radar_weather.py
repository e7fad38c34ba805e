"""Radar in weather: ITU-R P.838-3 rain and ITU-R P.840 fog attenuate the radar equation's SNR two-way.

Covers ``sensors/radar_weather.py`` (the attenuation laws), its use in ``sensors/radar.py`` (SNR,
detection probability, amplitude) and ``sensors/radar_multipath.py`` (ghost path), and the chain from an
OpenSCENARIO EnvironmentAction through the engine's snapshot environment to the radar.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from sensors.base import SensorConfig
from sensors.frames import MountPose
from sensors.radar import Radar
from sensors.radar_messages import GHOST
from sensors.radar_weather import (cloud_specific_coefficient, fog_db_per_km, fog_liquid_water_g_m3,
                                   rain_coefficients, rain_db_per_km)
from sensors.scene import SensorScene, static_world_for

from sensors_testworld import entity, snapshot, wall

RAIN_50 = {"precipitation_type": "rain", "precipitation_intensity_mm_h": 50.0}
EXACT = dict(range_accuracy_m=0.0, azimuth_accuracy_deg=0.0, elevation_accuracy_deg=0.0, velocity_accuracy_mps=0.0)


def radar(seed=3, **parameters) -> Radar:
    return Radar(SensorConfig(name="front", type="radar", mount=MountPose(x=3.5, z=0.5), parameters=parameters, seed=seed))


# ---------------------------------------------------------------- the laws
@pytest.mark.parametrize("f, kh, ah, kv, av", [
    # ITU-R P.838-3 Table 5 rows (k to 4 significant digits, α to 4 decimals), computed by the
    # recommendation from its eqs. (2)-(3): the fit and its constants are transcribed correctly.
    (10.0, 0.01217, 1.2571, 0.01129, 1.2156),
    (20.0, 0.09164, 1.0568, 0.09611, 0.9847),
])
def test_p838_coefficients_match_the_recommendations_table(f, kh, ah, kv, av):
    k_h, a_h = rain_coefficients(f, tilt_deg=0.0)
    k_v, a_v = rain_coefficients(f, tilt_deg=90.0)
    assert k_h == pytest.approx(kh, rel=6e-4) and k_v == pytest.approx(kv, rel=6e-4)
    assert a_h == pytest.approx(ah, abs=6e-5) and a_v == pytest.approx(av, abs=6e-5)


def test_rain_attenuation_at_77_ghz_for_10_and_50_mm_h():
    # P.838-3 at 77 GHz: k_H = 1.1320, α_H = 0.7177; k_V = 1.1276, α_V = 0.7073 (eqs. 2-3, 4 digits)
    k_h, a_h = rain_coefficients(77.0)
    k_v, a_v = rain_coefficients(77.0, tilt_deg=90.0)
    assert (round(k_h, 4), round(a_h, 4), round(k_v, 4), round(a_v, 4)) == (1.1320, 0.7177, 1.1276, 0.7073)
    for rate, horizontal, vertical in ((10.0, 5.909, 5.747), (50.0, 18.757, 17.941)):
        assert rain_db_per_km(rate) == pytest.approx(horizontal, abs=2e-3)
        assert rain_db_per_km(rate, 77.0, 90.0) == pytest.approx(vertical, abs=2e-3)
        assert rain_db_per_km(rate) == pytest.approx(k_h * rate ** a_h, rel=1e-12)
    # circular polarisation (τ = 45°) lies between the two linear ones (eqs. 4-5)
    assert rain_db_per_km(10.0, 77.0, 90.0) < rain_db_per_km(10.0, 77.0, 45.0) < rain_db_per_km(10.0)
    assert rain_db_per_km(0.0) == 0.0


def test_fog_liquid_water_and_p840_coefficient():
    # Eldridge: M = (0.024/V[km])^1.54 — 100 m → 0.111 g/m³
    assert fog_liquid_water_g_m3(100.0) == pytest.approx((0.024 / 0.1) ** 1.54)
    assert fog_liquid_water_g_m3(math.inf) == fog_liquid_water_g_m3(1000.0) == 0.0    # WMO: fog is V < 1 km
    assert fog_liquid_water_g_m3(999.0) > 0.0
    # P.840 K_l grows as water cools (relaxation frequency falls) and with frequency in the Rayleigh band
    assert cloud_specific_coefficient(77.0, 273.15) == pytest.approx(3.537, abs=2e-3)
    assert cloud_specific_coefficient(77.0, 288.15) == pytest.approx(2.927, abs=2e-3)
    assert cloud_specific_coefficient(35.0, 273.15) < cloud_specific_coefficient(77.0, 273.15)
    assert fog_db_per_km(50.0) == pytest.approx(2.927 * (0.024 / 0.05) ** 1.54, rel=1e-3)


# ---------------------------------------------------------------- in the radar
def _one_target_world(distance=60.0, category="car"):
    bbox = (0.5, 0.6, 1.8, 0.0, 0.0, 0.9) if category == "pedestrian" else (4.5, 1.8, 1.5, 1.4, 0.0, 0.75)
    snap = snapshot(entity("ego", ego=True), entity("t", x=distance, category=category, bbox=bbox))
    return snap, SensorScene(static_world_for(None), snap)


def test_rain_lowers_each_cells_snr_by_the_two_way_loss_over_its_range():
    snap, scene = _one_target_world(80.0)
    wet = dataclasses.replace(snap, environment=RAIN_50)
    params = dict(EXACT, false_alarms=False, reference_snr_db=80.0)    # P_d ≈ 1 either way: same cells drawn
    clear_scan = radar(**params).sense(snap, scene)
    sensor = radar(**params)
    wet_scan = sensor.sense(wet, scene)
    assert sensor.weather_loss.rain_db_per_km == pytest.approx(rain_db_per_km(50.0))
    assert len(clear_scan.returns) == len(wet_scan.returns) > 0
    r = clear_scan.returns["range"].astype(float)
    loss_db = 2.0 * rain_db_per_km(50.0) * r / 1000.0
    np.testing.assert_allclose(wet_scan.truth["snr_db"], clear_scan.truth["snr_db"] - loss_db, atol=1e-3)
    np.testing.assert_allclose(wet_scan.returns["amplitude"], clear_scan.returns["amplitude"] - loss_db, atol=1e-3)


def test_detection_probability_in_rain_is_the_radar_equation_with_the_two_way_loss():
    # one pedestrian in one coarse cell: detected or not, at the Swerling-I rate for SNR·L; the rain's
    # backscatter is off (its clutter in this 985 m³ cell would lower the rate: test_radar_s11_rain_clutter)
    distance, rate = 150.0, 50.0
    snap, scene = _one_target_world(distance, "pedestrian")
    wet = dataclasses.replace(snap, environment={"precipitation_type": "rain", "precipitation_intensity_mm_h": rate})
    sensor = radar(range_resolution_m=3.0, azimuth_resolution_deg=5.0, elevation_resolution_deg=20.0,
                   vertical_fov_deg=10.0, horizontal_fov_deg=20.0, false_alarms=False, ray_resolution_deg=1.0,
                   reference_snr_db=40.0, reference_range_m=40.0, reference_rcs_dbsm=-8.0, rain_clutter=False)
    eq, r = sensor.equation, distance - 3.5 - 0.25
    snr = eq.snr(10 ** (-0.8), r) * 10 ** (-2 * rain_db_per_km(rate) * r / 10_000)
    expected = float(eq.false_alarm_probability ** (1 / (1 + snr)))
    clear = float(eq.detection_probability(10 ** (-0.8), r))
    trials = 400
    half_width = 4 * math.sqrt(expected * (1 - expected) / trials) + 0.02
    assert clear - expected > 2 * half_width          # the test tells rain from clear air
    hits = sum(int(np.any(sensor.sense(wet, scene).truth["actor"] == 1)) for _ in range(trials))
    assert abs(hits / trials - expected) < half_width


def test_clear_weather_is_bit_identical_and_weather_off_ignores_rain():
    snap, scene = _one_target_world(40.0)
    clear_env = {"precipitation_type": "dry", "precipitation_intensity_mm_h": 0.0, "precipitation_intensity": 0.0,
                 "road_friction": 1.0, "time_of_day_s": 30000.0}
    reference = radar(seed=11).sense(snap, scene)
    for env in (clear_env, {"precipitation_type": "dry", "precipitation_intensity_mm_h": 30.0}):
        scan = radar(seed=11).sense(dataclasses.replace(snap, environment=env), scene)
        assert scan.returns.tobytes() == reference.returns.tobytes()
        assert scan.truth.tobytes() == reference.truth.tobytes()
    off = radar(seed=11, weather=False).sense(dataclasses.replace(snap, environment=RAIN_50), scene)
    assert off.returns.tobytes() == reference.returns.tobytes()
    a = radar(seed=5).sense(dataclasses.replace(snap, environment=RAIN_50), scene)
    b = radar(seed=5).sense(dataclasses.replace(snap, environment=RAIN_50), scene)
    assert a.returns.tobytes() == b.returns.tobytes() and a.returns.tobytes() != reference.returns.tobytes()


def test_snow_and_fog_attenuate_and_temperature_is_read():
    sensor = radar()
    snow = sensor.weather_loss_for({"precipitation_type": "snow", "precipitation_intensity_mm_h": 10.0})
    assert snow.rain_db_per_km == pytest.approx(rain_db_per_km(10.0))      # liquid-water equivalent, as the lidar
    fog = sensor.weather_loss_for({"fog_visual_range_m": 50.0})
    assert fog.rain_db_per_km == 0.0 and fog.fog_db_per_km == pytest.approx(fog_db_per_km(50.0))
    cold = sensor.weather_loss_for({"fog_visual_range_m": 50.0, "temperature_k": 273.15})
    assert cold.fog_db_per_km == pytest.approx(cloud_specific_coefficient(77.0, 273.15) * fog_liquid_water_g_m3(50.0))
    assert radar(frequency_ghz=24.0).weather_loss_for(RAIN_50).db_per_km == pytest.approx(rain_db_per_km(50.0, 24.0))


def test_ghost_in_rain_carries_the_loss_of_its_longer_path():
    snap = snapshot(entity("ego", ego=True), entity("car", x=40.0, y=2.0))
    rail = wall(0.0, yaw=-math.pi / 2, size=400.0, material="guard_rail")
    rail.mesh.translate([0.0, -4.0, 0.0])
    scene = SensorScene(static_world_for([rail]), snap)
    params = dict(EXACT, multipath=True, reference_snr_db=80.0, false_alarms=False, static_returns=False)
    clear = radar(**params).sense(snap, scene)
    wet = radar(**params).sense(dataclasses.replace(snap, environment=RAIN_50), scene)
    g_clear, g_wet = clear.truth["kind"] == GHOST, wet.truth["kind"] == GHOST
    assert g_clear.sum() == g_wet.sum() > 0
    loss_db = 2.0 * rain_db_per_km(50.0) * clear.returns["range"][g_clear].astype(float) / 1000.0
    np.testing.assert_allclose(wet.returns["amplitude"][g_wet], clear.returns["amplitude"][g_clear] - loss_db, atol=1e-3)


# ---------------------------------------------------------------- from the scenario
def _rain_later_scenario(directory: Path, minor: int) -> Path:
    sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))
    import engine_scenario_files as scenarios
    from scenariogeneration import xosc

    odr = scenarios.straight_road(directory / "straight.xodr", length=300.0)
    entities = xosc.Entities()
    entities.add_scenario_object("Ego", scenarios._vehicle("ego"))
    init = xosc.Init()
    init.add_init_action("Ego", xosc.TeleportAction(xosc.LanePosition(20, 0, -1, 0)))
    v10 = ({"sun": xosc.Sun(20000.0, 0.0, 0.5), "fog": xosc.Fog(100_000.0), "cloudstate": xosc.CloudState.free}
           if minor == 0 else {})                   # 1.0 requires them; a 100 km fog is clear air
    init.add_global_action(xosc.EnvironmentAction(xosc.Environment(
        "dry", weather=xosc.Weather(precipitation=xosc.Precipitation(xosc.PrecipitationType.dry, 0.0), **v10))))
    ev = xosc.Event("rain", xosc.Priority.override if minor >= 2 else xosc.Priority.overwrite)
    amount = 50.0 if minor >= 1 else 0.5             # 1.0: intensity in [0, 1], read as a fraction of 50 mm/h
    ev.add_action("downpour", xosc.EnvironmentAction(xosc.Environment(
        "wet", weather=xosc.Weather(precipitation=xosc.Precipitation(xosc.PrecipitationType.rain, amount), **v10))))
    ev.add_trigger(xosc.ValueTrigger("at1", 0, xosc.ConditionEdge.rising,
                                     xosc.SimulationTimeCondition(1.0, xosc.Rule.greaterThan)))
    man = xosc.Maneuver("m")
    man.add_event(ev)
    mg = xosc.ManeuverGroup("g")
    mg.add_actor("Ego")
    mg.add_maneuver(man)
    act = xosc.Act("a")
    act.add_maneuver_group(mg)
    story = xosc.Story("s")
    story.add_act(act)
    stop = xosc.ValueTrigger("stop", 0, xosc.ConditionEdge.rising,
                             xosc.SimulationTimeCondition(3.0, xosc.Rule.greaterThan), "stop")
    sb = xosc.StoryBoard(init, stop)
    sb.add_story(story)
    sce = xosc.Scenario("rain", "t", xosc.ParameterDeclarations(), entities, sb, xosc.RoadNetwork(odr.name),
                        xosc.Catalog(), osc_minor_version=minor)
    out = directory / f"rain_{minor}.xosc"
    sce.write_xml(str(out))
    return out


@pytest.mark.parametrize("minor, mm_h", [(2, 50.0), (0, 25.0)])
def test_environment_action_mid_run_reaches_the_radar(tmp_path, minor, mm_h):
    from simplatform.engine.run import play_to

    path = _rain_later_scenario(tmp_path, minor)
    before, _ = play_to(path, 0.5)
    after, _ = play_to(path, 2.0)
    snap, scene = _one_target_world(80.0)
    sensor = radar(**EXACT, false_alarms=False, reference_snr_db=80.0)
    dry = sensor.sense(dataclasses.replace(snap, environment=before.environment), scene)
    assert sensor.weather_loss.db_per_km == 0.0
    wet = sensor.sense(dataclasses.replace(snap, environment=after.environment), scene)
    assert sensor.weather_loss.rain_db_per_km == pytest.approx(rain_db_per_km(mm_h))
    assert wet.truth["snr_db"].max() < dry.truth["snr_db"].max() - 2 * rain_db_per_km(mm_h) * 0.07
