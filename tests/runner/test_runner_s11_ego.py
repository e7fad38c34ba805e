"""``simplatform run --ego NAME`` and the launch file's ``ego:`` key: which entity is the ego.

Other tools' scenarios name their ego "Ego", "Car1", "Vehicle_1", ...; the engine's rule
(``simplatform.engine.build.guess_ego``) takes an entity named ego / hero / egovehicle / ego_vehicle,
else the first Vehicle.  The user names it: option / launch key -> ``RunSettings.ego`` ->
``ScenarioTask`` -> ``TestConfig`` -> ``RunConfig``.  Which entity the run took is read back from the
trajectory CSV's ``ego`` column (written by the engine's entity table), not from the option itself.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

import runner_suite_files as files
from simplatform.cli import main
from simplatform.errors import ConfigError
from simplatform.runner.launch import load_launch
from simplatform.runner.session import _tasks
from simplatform.runner.settings import RunSettings, settings_digest
from simplatform.runner.suite import load_directory
from simplatform.runner.task import harness_config


def _suite(root: Path) -> Path:
    """``root`` with a.xosc and b.xosc (entities Ego, Lead: the rule's ego is Ego) and c.xosc
    (entities Ego, Car1: no Lead)."""
    root.mkdir(parents=True, exist_ok=True)
    files.straight_road(root / "straight.xodr")
    for name in ("a", "b"):
        files.lead_brake(root / f"{name}.xosc", "straight.xodr", duration=0.3)
    text = (root / "a.xosc").read_text()
    (root / "c.xosc").write_text(text.replace('"Lead"', '"Car1"'))
    return root


def _egos(csv_path: Path) -> set[str]:
    """The names the trajectory CSV marks as the ego (its ``ego`` column)."""
    with csv_path.open() as fh:
        rows = list(csv.reader(fh, skipinitialspace=True))
    head = rows[0]
    return {r[head.index("name")] for r in rows[1:] if r[head.index("ego")].strip() == "1"}


def _results(run_dir: Path) -> tuple[dict, dict[str, dict]]:
    data = json.loads((run_dir / "results.json").read_text())
    return data, {r["scenario_id"]: r for r in data["results"]}


def test_single_file_ego_flag_picks_the_named_entity(tmp_path, capsys):
    root = _suite(tmp_path / "s")
    assert main(["run", str(root / "a.xosc"), "--ego", "Lead", "--out", str(tmp_path / "o1")]) == 0
    out = capsys.readouterr().out
    assert "ego        Lead (--ego)" in out
    assert _egos(tmp_path / "o1" / "a.csv") == {"Lead"}
    # default unchanged: the rule's ego (an entity named "Ego")
    assert main(["run", str(root / "a.xosc"), "--out", str(tmp_path / "o0")]) == 0
    assert "ego        Ego\n" in capsys.readouterr().out
    assert _egos(tmp_path / "o0" / "a.csv") == {"Ego"}


def test_single_file_unknown_ego_is_a_located_usage_error(tmp_path, capsys):
    root = _suite(tmp_path / "s")
    assert main(["run", str(root / "a.xosc"), "--ego", "Nobody", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "a.xosc" in err and "'Nobody'" in err and "Traceback" not in err
    assert "its entities: Ego, Lead" in err     # what the user could have named


def test_single_file_with_a_stack_takes_the_flag(tmp_path, capsys):
    root = _suite(tmp_path / "s")
    code = main(["run", str(root / "a.xosc"), "--stack", "reference", "--ego", "Lead", "--executor", "sequential",
                 "--quiet", "--run-dir", str(tmp_path / "run"), "--out", str(tmp_path)])
    assert code in (0, 1)
    data, results = _results(tmp_path / "run")
    assert results["a"]["verdict"] != "error", results["a"]["error"]
    assert data["run"]["settings"]["ego"] == "Lead"
    assert _egos(Path(results["a"]["artifacts"]["trajectory_csv"])) == {"Lead"}
    assert "ego        Lead (every scenario)" in capsys.readouterr().out


def test_suite_flag_picks_the_entity_and_an_unknown_name_errors_that_scenario_alone(tmp_path, capsys):
    root = _suite(tmp_path / "s")
    code = main(["run", str(root), "--stack", "none", "--ego", "Lead", "--executor", "sequential", "--quiet",
                 "--run-dir", str(tmp_path / "run"), "--out", str(tmp_path)])
    assert code == 1  # c.xosc has no Lead: an error result, not a usage error; the suite went on
    data, results = _results(tmp_path / "run")
    assert set(results) == {"a", "b", "c"}
    for sid in ("a", "b"):
        assert results[sid]["verdict"] == "pass", results[sid]["error"]
        assert _egos(Path(results[sid]["artifacts"]["trajectory_csv"])) == {"Lead"}
    assert results["c"]["verdict"] == "error"
    assert "c.xosc" in results["c"]["error"] and "'Lead'" in results["c"]["error"]
    assert data["run"]["settings"]["ego"] == "Lead"
    out = capsys.readouterr().out
    assert "ego        Lead (every scenario)" in out and "ERROR c" in out
    junit = (tmp_path / "run" / "junit.xml").read_text()
    assert '<property name="ego" value="Lead"' in junit


def test_suite_default_is_unchanged(tmp_path):
    root = _suite(tmp_path / "s")
    code = main(["run", str(root), "--stack", "none", "--executor", "sequential", "--quiet",
                 "--run-dir", str(tmp_path / "run"), "--out", str(tmp_path)])
    assert code == 0
    data, results = _results(tmp_path / "run")
    assert data["run"]["settings"]["ego"] is None
    for sid in ("a", "b", "c"):
        assert _egos(Path(results[sid]["artifacts"]["trajectory_csv"])) == {"Ego"}
    assert "ego" not in RunSettings().result_key()  # runs stored before the option keep their hash (and resume)


def _launch(tmp_path: Path, root: Path, **extra) -> Path:
    path = tmp_path / "launch.yaml"
    path.write_text(yaml.safe_dump({"name": "ego", "stack": "none", "suite": {"directory": str(root)},
                                    "executor": "sequential", "outputs": {"dir": str(tmp_path / "runs")},
                                    **extra}))
    return path


def test_launch_key_picks_the_entity_and_the_flag_overrides_it(tmp_path):
    root = _suite(tmp_path / "s")
    launch = _launch(tmp_path, root, ego="Car1")
    assert load_launch(launch).settings.ego == "Car1"
    assert main(["run", str(launch), "--quiet", "--run-dir", str(tmp_path / "run"), "--out", str(tmp_path)]) == 1
    data, results = _results(tmp_path / "run")
    assert data["run"]["settings"]["ego"] == "Car1"
    assert _egos(Path(results["c"]["artifacts"]["trajectory_csv"])) == {"Car1"}
    assert results["a"]["verdict"] == "error" and "a.xosc" in results["a"]["error"]
    assert main(["run", str(launch), "--ego", "Lead", "--quiet", "--run-dir", str(tmp_path / "run2"),
                 "--out", str(tmp_path)]) == 1
    _, results = _results(tmp_path / "run2")
    assert _egos(Path(results["a"]["artifacts"]["trajectory_csv"])) == {"Lead"}


def test_settings_carry_it_to_the_harness_and_into_the_result_hash(tmp_path):
    root = _suite(tmp_path / "s")
    entries = load_directory(root)
    plain, asked = RunSettings(), RunSettings(ego="Lead")
    assert settings_digest(plain) != settings_digest(asked)
    tasks = _tasks(entries, asked, tmp_path / "run")
    assert {t.ego for t in tasks} == {"Lead"} and {harness_config(t).ego for t in tasks} == {"Lead"}
    assert {harness_config(t).ego for t in _tasks(entries, plain, tmp_path / "run")} == {None}
    assert RunSettings.from_dict(asked.to_dict()).ego == "Lead"  # --resume reads it back


@pytest.mark.parametrize("bad", ["", "  ", ["a"], {"n": 1}])
def test_a_bad_ego_value_is_a_located_launch_error(tmp_path, bad):
    root = _suite(tmp_path / "s")
    with pytest.raises(ConfigError, match="ego") as info:
        load_launch(_launch(tmp_path, root, ego=bad))
    assert "launch.yaml" in str(info.value)
