"""Given an Environment and traffic signals in a scenario, the snapshot carries them for sensors and metrics."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
from scenariogeneration import xosc

sys.path.insert(0, str(Path(__file__).parent))
import engine_scenario_files as scenarios  # noqa: E402

from simplatform.engine.run import RunConfig, ScenarioSpec, load_scenario_and_road, play_to  # noqa: E402
from simplatform.engine.signals import LAMP_STATES, signal_color  # noqa: E402


def _at(name: str, t: float, point: str = "start") -> xosc.ValueTrigger:
    return xosc.ValueTrigger(name, 0, xosc.ConditionEdge.rising,
                             xosc.SimulationTimeCondition(t, xosc.Rule.greaterOrEqual), point)


def _scenario(directory: Path) -> Path:
    odr = scenarios.straight_road(directory / "straight.xodr", length=300.0)
    entities = xosc.Entities()
    entities.add_scenario_object("Ego", scenarios._vehicle("ego"))
    init = xosc.Init()
    step = xosc.TransitionDynamics(xosc.DynamicsShapes.step, xosc.DynamicsDimension.time, 1)
    init.add_init_action("Ego", xosc.TeleportAction(xosc.LanePosition(20, 0, -1, 0)))
    init.add_init_action("Ego", xosc.AbsoluteSpeedAction(10.0, step))
    weather = xosc.Weather(sun=xosc.Sun(20000.0, math.pi / 2, 0.3), fog=xosc.Fog(300),
                           precipitation=xosc.Precipitation(xosc.PrecipitationType.rain, 5.0))
    init.add_global_action(xosc.EnvironmentAction(xosc.Environment(
        "wet_morning", xosc.TimeOfDay(True, 2023, 6, 21, 8, 30, 0), weather, xosc.RoadCondition(0.6))))
    init.add_global_action(xosc.TrafficSignalStateAction("7", LAMP_STATES["red"]))
    ev = xosc.Event("clear", xosc.Priority.override)
    ev.add_action("fog_lifts", xosc.EnvironmentAction(xosc.Environment(
        "clear", weather=xosc.Weather(fog=xosc.Fog(5000)))))
    ev.add_action("green", xosc.TrafficSignalStateAction("7", "off;off;on"))
    ev.add_trigger(_at("at1", 1.0))
    man = xosc.Maneuver("m")
    man.add_event(ev)
    mg = xosc.ManeuverGroup("g")
    mg.add_actor("Ego")
    mg.add_maneuver(man)
    act = xosc.Act("a")
    act.add_maneuver_group(mg)
    story = xosc.Story("s")
    story.add_act(act)
    sb = xosc.StoryBoard(init, _at("stop", 5.0, "stop"))
    sb.add_story(story)
    sce = xosc.Scenario("env", "t", xosc.ParameterDeclarations(), entities, sb, xosc.RoadNetwork(odr.name),
                        xosc.Catalog(), osc_minor_version=2)
    out = directory / "env.xosc"
    sce.write_xml(str(out))
    return out


def test_environment_keys_follow_init_and_later_environment_actions(tmp_path):
    path = _scenario(tmp_path)
    before, road = play_to(path, 0.5)
    assert road is not None and "0" in road.roads
    env = before.environment
    assert env["time_of_day"] == "2023-06-21T08:30:00.500000"  # animated: the clock runs with the scenario
    assert env["time_of_day_s"] == pytest.approx(8.5 * 3600 + 0.5)
    assert env["fog_visual_range_m"] == 300.0
    assert env["precipitation_type"] == "rain" and env["precipitation_intensity_mm_h"] == 5.0
    assert env["sun_elevation_rad"] == 0.3 and env["sun_azimuth_rad"] == pytest.approx(math.pi / 2)
    assert env["sun_intensity"] == 20000.0
    assert env["road_friction"] == 0.6
    assert signal_color(before.signals["7"]) == "red"

    after, _ = play_to(path, 2.0, RunConfig(dt=0.02))
    env = after.environment
    assert after.time == pytest.approx(2.0)
    assert env["fog_visual_range_m"] == 5000.0  # the action stated only the fog ...
    assert env["precipitation_intensity_mm_h"] == 5.0 and env["road_friction"] == 0.6  # ... the rest stays
    assert env["time_of_day_s"] == pytest.approx(8.5 * 3600 + 2.0)
    assert after.signals["7"] == "off;off;on" and signal_color(after.signals["7"]) == "green"


def test_play_to_stops_at_the_stop_trigger_and_loads_publicly(tmp_path):
    path = _scenario(tmp_path)
    scenario, road = load_scenario_and_road(ScenarioSpec(path))
    assert scenario.road_network_path is not None and road is not None
    snap, _ = play_to(path, 60.0)
    assert snap.time == pytest.approx(5.0, abs=0.011)
    assert snap.entity("Ego").x == pytest.approx(20.0 + 10.0 * snap.time, abs=1e-6)


@pytest.mark.parametrize("state, color", [
    ("on;off;off", "red"), ("off;on;off", "amber"), ("off;off;on", "green"), ("off;off;off", "off"),
    ("on;on;off", "red"), ("off;flashing;off", "amber"), ("Red", "red"), ("yellow", "amber"), ("go", "green"),
    ("", "unknown"), ("blue", "unknown"), ("on;off", "unknown"),
])
def test_signal_state_strings_read_as_colors(state, color):
    assert signal_color(state) == color
