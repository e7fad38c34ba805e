"""Driver-model controllers and traffic actions: given a road and drivers, traffic behaves as the models say."""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import engine_scenario_files as scenarios  # noqa: E402

from simplatform.engine.run import RunConfig, run_scenario  # noqa: E402
from vehicle_models.drivers import IDMParameters, equilibrium_gap  # noqa: E402


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path) as f:
        return list(csv.DictReader(f, skipinitialspace=True))


def test_idm_follower_converges_to_the_equilibrium_gap(tmp_path):
    path = scenarios.idm_follow(tmp_path, lead_speed=15.0, desired=30.0, gap0=80.0, duration=70.0)
    run_scenario(path, RunConfig(out_dir=tmp_path / "o"))
    rows = _rows(tmp_path / "o" / "idm_follow.csv")
    last = {r["name"]: r for r in rows[-2:]}
    lead, follower = last["Lead"], last["Follower"]
    # rear axles on the same lane; both bodies 5 m long with the same centre offset
    gap = float(lead["x"]) - float(follower["x"]) - 5.0
    expected = equilibrium_gap(IDMParameters(desired_speed=30.0), 15.0)
    assert gap == pytest.approx(expected, abs=0.3)
    assert float(follower["speed"]) == pytest.approx(15.0, abs=0.05)
    assert abs(float(follower["y"]) - float(lead["y"])) < 0.05  # pure pursuit keeps the lane centre
    # on the way the follower first closed in faster than the lead
    speeds = [float(r["speed"]) for r in rows if r["name"] == "Follower"]
    assert max(speeds) > 17.0


def test_swarm_fills_the_road_around_the_ego_and_is_deterministic(tmp_path):
    path = scenarios.swarm(tmp_path, number=8, duration=8.0)
    result = run_scenario(path, RunConfig(out_dir=tmp_path / "a", seed=7))
    rows = _rows(tmp_path / "a" / "swarm.csv")
    final_t = max(float(r["time"]) for r in rows)
    at_end = [r for r in rows if float(r["time"]) == final_t and r["name"] != "Ego"]
    ego = next(r for r in rows if float(r["time"]) == final_t and r["name"] == "Ego")
    assert len(at_end) == 8
    for r in at_end:
        dx, dy = float(r["x"]) - float(ego["x"]), float(r["y"]) - float(ego["y"])
        assert (dx / 200) ** 2 + (dy / 40) ** 2 <= 1.0 + 1e-6
        assert r["laneId"] in {"-2", "-1", "1", "2"}
    spawned = {e.entities[0] for e in result.events if e.kind == "TrafficSpawn"}
    assert len(spawned) >= 8
    again = run_scenario(path, RunConfig(out_dir=tmp_path / "b", seed=7))
    assert (tmp_path / "a" / "swarm.csv").read_bytes() == (tmp_path / "b" / "swarm.csv").read_bytes()
    other = run_scenario(path, RunConfig(out_dir=tmp_path / "c", seed=8))
    assert (tmp_path / "c" / "swarm.csv").read_bytes() != (tmp_path / "a" / "swarm.csv").read_bytes()
    del again, other


def test_unknown_driver_property_is_a_clear_input_error(tmp_path, capsys):
    from simplatform.cli import main

    path = scenarios.idm_follow(tmp_path, duration=1.0)
    text = path.read_text().replace('name="model"', 'name="modell"')
    path.write_text(text)
    assert main(["run", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "modell" in err and "Traceback" not in err


def test_brake_override_stops_a_model_driven_vehicle(tmp_path):
    path = scenarios.idm_follow(tmp_path, duration=12.0)
    brake = ('<Event name="brake" priority="parallel"><Action name="b"><PrivateAction><ControllerAction>'
             '<OverrideControllerValueAction><Throttle active="true" value="0"/><Brake active="true" value="1"/>'
             '<Clutch active="false" value="0"/><ParkingBrake active="false" value="0"/>'
             '<SteeringWheel active="false" value="0"/><Gear active="false" number="1"/>'
             '</OverrideControllerValueAction></ControllerAction></PrivateAction></Action><StartTrigger><ConditionGroup>'
             '<Condition name="at2" delay="0" conditionEdge="rising"><ByValueCondition><SimulationTimeCondition '
             'value="2" rule="greaterOrEqual"/></ByValueCondition></Condition></ConditionGroup></StartTrigger></Event>')
    story = ('<Story name="s"><Act name="a"><ManeuverGroup maximumExecutionCount="1" name="g"><Actors '
             'selectTriggeringEntities="false"><EntityRef entityRef="Follower"/></Actors><Maneuver name="m">'
             + brake + '</Maneuver></ManeuverGroup><StartTrigger><ConditionGroup><Condition name="go" delay="0" '
             'conditionEdge="none"><ByValueCondition><SimulationTimeCondition value="0" rule="greaterOrEqual"/>'
             '</ByValueCondition></Condition></ConditionGroup></StartTrigger></Act></Story>')
    text = path.read_text()
    text = text.replace("<StopTrigger>", story + "<StopTrigger>", 1)
    path.write_text(text)
    run_scenario(path, RunConfig(out_dir=tmp_path / "o"))
    rows = [r for r in _rows(tmp_path / "o" / "idm_follow.csv") if r["name"] == "Follower"]
    assert float(rows[-1]["speed"]) == pytest.approx(0.0, abs=0.05)
    at3 = next(r for r in rows if abs(float(r["time"]) - 3.0) < 1e-6)
    assert float(at3["speed"]) < 14.0  # braking hard from 15 m/s after t = 2 s
