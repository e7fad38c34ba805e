"""``simplatform run --route-length M`` and the launch file's ``route_length``: the no-goal route's length.

The harness gives a stack without a goal the lanes as far as the ego could drive in the run's time
(``test_harness_s10r_route_reach``); a user can ask for a length of their own.  Runner plumbing:
option / launch key -> ``RunSettings.route_length`` -> ``ScenarioTask`` -> ``TestConfig``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scenariogeneration import xodr

import stack_scenario_files as files
from simplatform.cli import main
from simplatform.errors import ConfigError
from simplatform.runner import cli as runner_cli
from simplatform.runner.launch import load_launch
from simplatform.runner.settings import RunSettings, settings_digest
from simplatform.runner.task import harness_config
from simplatform.runner.session import _tasks

RECORDER = f"{Path(__file__).resolve().parent / 'test_harness_s10r_route_reach.py'}:RouteRecorder"


def _no_goal(directory: Path, *, duration: float = 0.2) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    odr = files.road_file(directory / "road.xodr", [xodr.Line(4000)], lanes=1)
    return files.scenario(directory, "no_goal", odr, {"Ego": (20, -1, 25.0)}, duration=duration)


def test_the_option_reaches_the_run_settings(tmp_path, monkeypatch):
    seen = {}

    def fake_run_suite(entries, settings, run_dir, quiet=False):
        seen["settings"] = settings
        return "outcome"

    monkeypatch.setattr(runner_cli, "run_suite", fake_run_suite)
    monkeypatch.setattr(runner_cli, "_print", lambda outcome: 0)
    xosc = _no_goal(tmp_path / "s")
    assert main(["run", str(xosc), "--stack", "reference", "--route-length", "2500", "--out", str(tmp_path)]) == 0
    assert seen["settings"].route_length == 2500.0
    assert main(["run", str(xosc), "--stack", "reference", "--out", str(tmp_path)]) == 0
    assert seen["settings"].route_length is None


def test_the_settings_carry_it_to_the_harness_and_into_the_result_hash(tmp_path):
    entries = runner_cli.load_directory(_no_goal(tmp_path / "s").parent)
    plain, asked = RunSettings(), RunSettings(route_length=2500.0)
    assert "route_length" not in plain.result_key()  # runs stored before the option keep their hash
    assert settings_digest(plain) != settings_digest(asked)
    [task] = _tasks(entries, asked, tmp_path / "run")
    assert task.route_length == 2500.0 and harness_config(task).route_length == 2500.0
    [task] = _tasks(entries, plain, tmp_path / "run")
    assert harness_config(task).route_length is None
    with pytest.raises(ConfigError, match="route_length"):
        RunSettings(route_length=-1.0)


def _launch(tmp_path: Path, extra: str) -> Path:
    _no_goal(tmp_path / "scenarios")
    path = tmp_path / "campaign.yaml"
    path.write_text(f"stack: '{RECORDER}'\nstack_params: {{route_out: {tmp_path / 'route.json'}}}\n"
                    f"suite: {{directory: scenarios}}\nexecutor: sequential\nmax_time: 100\n"
                    f"outputs: {{dir: runs, trace_hz: 0, reports: [json]}}\n{extra}")
    return path


def test_a_launch_file_names_it_and_the_stack_is_given_that_route(tmp_path):
    launch = _launch(tmp_path, "route_length: 300\n")
    assert load_launch(launch).settings.route_length == 300.0
    assert main(["run", str(launch), "--quiet"]) == 0
    given = json.loads((tmp_path / "route.json").read_text())["length"]
    assert given == pytest.approx(300.0, abs=0.01)
    assert main(["run", str(launch), "--quiet", "--route-length", "700"]) == 0  # the option overrides the file
    assert json.loads((tmp_path / "route.json").read_text())["length"] == pytest.approx(700.0, abs=0.01)


def test_without_it_the_launch_run_gives_the_reach_of_max_time(tmp_path):
    assert main(["run", str(_launch(tmp_path, "")), "--quiet"]) == 0
    assert json.loads((tmp_path / "route.json").read_text())["length"] == pytest.approx(2500.0, abs=0.01)


def test_a_bad_launch_value_names_the_file(tmp_path, capsys):
    assert main(["run", str(_launch(tmp_path, "route_length: -5\n"))]) == 2
    err = capsys.readouterr().err
    assert "campaign.yaml" in err and "route_length" in err


def test_a_single_file_played_as_written_refuses_it(tmp_path, capsys):
    assert main(["run", str(_no_goal(tmp_path / "s")), "--route-length", "300", "--out", str(tmp_path)]) == 2
    assert "--stack" in capsys.readouterr().err
