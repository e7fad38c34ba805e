"""Weather@temperature (OpenSCENARIO 1.2, kelvin) reaches the snapshot environment and the radar's fog loss.

ITU-R P.840's liquid-water coefficient K_l depends on the temperature, so a
cold fog attenuates a 77 GHz radar more than the default 288.15 K assumes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))


def _cold_fog_scenario(directory: Path, temperature_k: float | None) -> Path:
    import engine_scenario_files as scenarios
    from scenariogeneration import xosc

    odr = scenarios.straight_road(directory / "straight.xodr", length=300.0)
    entities = xosc.Entities()
    entities.add_scenario_object("Ego", scenarios._vehicle("ego"))
    init = xosc.Init()
    init.add_init_action("Ego", xosc.TeleportAction(xosc.LanePosition(20, 0, -1, 0)))
    init.add_global_action(xosc.EnvironmentAction(xosc.Environment(
        "fog", weather=xosc.Weather(temperature=temperature_k, fog=xosc.Fog(50.0)))))
    stop = xosc.ValueTrigger("stop", 0, xosc.ConditionEdge.none,
                             xosc.SimulationTimeCondition(1.0, xosc.Rule.greaterThan), "stop")
    sb = xosc.StoryBoard(init, stop)
    sce = xosc.Scenario("fog", "t", xosc.ParameterDeclarations(), entities, sb, xosc.RoadNetwork(odr.name),
                        xosc.Catalog(), osc_minor_version=2)
    out = directory / f"fog_{temperature_k}.xosc"
    sce.write_xml(str(out))
    return out


def test_weather_temperature_reaches_the_environment_and_the_radar_fog_loss(tmp_path):
    from simplatform.engine.run import play_to
    from sensors.radar import Radar
    from sensors.base import SensorConfig

    cold, _ = play_to(_cold_fog_scenario(tmp_path, 263.15), 0.5)
    unstated, _ = play_to(_cold_fog_scenario(tmp_path, None), 0.5)
    assert cold.environment["temperature_k"] == pytest.approx(263.15)
    assert "temperature_k" not in unstated.environment
    radar = Radar(SensorConfig(name="r", type="radar"))
    cold_loss = radar.weather_loss_for(cold.environment).db_per_km
    default_loss = radar.weather_loss_for(unstated.environment).db_per_km
    assert cold_loss > default_loss > 0.0                 # K_l grows as the water cools (P.840)
