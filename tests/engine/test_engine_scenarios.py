"""Given a road and a scenario written with scenariogeneration, the engine does what it says."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest
from scenariogeneration import xosc

sys.path.insert(0, str(Path(__file__).parent))
import engine_scenario_files as scenarios  # noqa: E402

from simplatform.cli import main  # noqa: E402
from simplatform.engine.run import RunConfig, ScenarioSpec, run_scenario  # noqa: E402


def _rows(path: Path, name: str) -> list[dict[str, str]]:
    with open(path) as f:
        reader = csv.DictReader(f, skipinitialspace=True)
        return [r for r in reader if r["name"] == name]


def _speed_scenario(directory: Path, *, rate: float, target: float, lane_s: float = 10.0,
                    road_id: int = 0) -> Path:
    odr = scenarios.straight_road(directory / "straight.xodr")
    entities = xosc.Entities()
    entities.add_scenario_object("Ego", scenarios._vehicle("car"))
    init = xosc.Init()
    step = xosc.TransitionDynamics(xosc.DynamicsShapes.step, xosc.DynamicsDimension.time, 1)
    init.add_init_action("Ego", xosc.TeleportAction(xosc.LanePosition(lane_s, 0, -1, road_id)))
    init.add_init_action("Ego", xosc.AbsoluteSpeedAction(10, step))
    ev = xosc.Event("accelerate", xosc.Priority.override)
    ev.add_action("speed", xosc.AbsoluteSpeedAction(target, xosc.TransitionDynamics(
        xosc.DynamicsShapes.linear, xosc.DynamicsDimension.rate, rate)))
    ev.add_trigger(xosc.ValueTrigger("at1", 0, xosc.ConditionEdge.rising,
                                     xosc.SimulationTimeCondition(1.0, xosc.Rule.greaterOrEqual)))
    man = xosc.Maneuver("m")
    man.add_event(ev)
    mg = xosc.ManeuverGroup("g")
    mg.add_actor("Ego")
    mg.add_maneuver(man)
    act = xosc.Act("a")
    act.add_maneuver_group(mg)
    story = xosc.Story("s")
    story.add_act(act)
    sb = xosc.StoryBoard(init, xosc.ValueTrigger("stop", 0, xosc.ConditionEdge.rising,
                                                 xosc.SimulationTimeCondition(10, xosc.Rule.greaterThan), "stop"))
    sb.add_story(story)
    sce = xosc.Scenario("speed", "t", xosc.ParameterDeclarations(), entities, sb, xosc.RoadNetwork(odr.name),
                        xosc.Catalog())
    out = directory / "speed.xosc"
    sce.write_xml(str(out))
    return out


def test_linear_speed_change_reaches_target_on_time(tmp_path):
    path = _speed_scenario(tmp_path, rate=2.0, target=20.0)
    run_scenario(path, RunConfig(out_dir=tmp_path / "out"))
    rows = _rows(tmp_path / "out" / "speed.csv", "Ego")
    speeds = [(float(r["time"]), float(r["speed"])) for r in rows]
    t_reach = next(t for t, v in speeds if v >= 20.0 - 1e-9)
    # starts at t=1 s, 10 m/s more at 2 m/s² → 5 s later
    assert t_reach == pytest.approx(6.0, abs=0.0101)
    mid = dict(speeds)[3.5]
    assert mid == pytest.approx(10 + 2 * 2.5, abs=2 * 0.0101)


def test_cut_in_changes_lane_with_the_commanded_duration(tmp_path):
    path = scenarios.cut_in(tmp_path)
    result = run_scenario(path, RunConfig(out_dir=tmp_path / "out"))
    assert result.end_reason == "stop_trigger"
    assert result.sim_time == pytest.approx(20.01, abs=0.011)
    starts = [e.time for e in result.events if e.kind == "Event.startTransition"]
    ends = [e.time for e in result.events if e.kind == "Action.endTransition"]
    assert len(starts) == 1 and ends[0] - starts[0] == pytest.approx(3.0, abs=0.0101)
    rows = _rows(tmp_path / "out" / "cut_in.csv", "Target")
    lanes = {int(r["laneId"]) for r in rows}
    assert lanes == {-1, -2}
    last = rows[-1]
    assert int(last["laneId"]) == -1 and abs(float(last["offset"])) < 1e-6
    ego = _rows(tmp_path / "out" / "cut_in.csv", "Ego")
    assert float(last["x"]) > float(ego[-1]["x"])  # the target ended ahead of the ego


def test_same_file_same_seed_gives_byte_identical_logs(tmp_path):
    path = scenarios.cut_in(tmp_path)
    assert main(["run", str(path), "--out", str(tmp_path / "a"), "--seed", "3"]) == 0
    assert main(["run", str(path), "--out", str(tmp_path / "b"), "--seed", "3", "--dt", "1e-2"]) == 0
    a = (tmp_path / "a" / "cut_in.csv").read_bytes()
    assert a == (tmp_path / "b" / "cut_in.csv").read_bytes()
    assert len(a) > 1000


def test_mcap_recording_opens_with_ros2_decoding(tmp_path):
    from mcap_ros2.reader import read_ros2_messages

    path = _speed_scenario(tmp_path, rate=2.0, target=12.0)
    run_scenario(ScenarioSpec(path), RunConfig(out_dir=tmp_path, record=True, record_every=100))
    topics = {m.channel.topic for m in read_ros2_messages(str(tmp_path / "speed.mcap"))}
    assert {"/clock", "/tf", "/entities/Ego/pose", "/entities/Ego/odometry"} <= topics


def test_bad_input_exits_2_without_traceback(tmp_path, capsys):
    assert main(["run", str(tmp_path / "missing.xosc")]) == 2
    path = _speed_scenario(tmp_path, rate=2.0, target=20.0, lane_s=5000.0)  # beyond the 1000 m road
    assert main(["run", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "off road" in err and "Traceback" not in err
    assert main(["run", str(path), "--param", "novalue"]) == 2
