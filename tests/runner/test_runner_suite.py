"""Suites from a directory, an index and a launch file; filters; located errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simplatform.errors import ConfigError
from simplatform.runner import load_directory, load_index, load_launch, select
from simplatform.runner.task import derive_seed


def test_index_gives_entries_with_families_tags_and_resolved_requirements(small_suite):
    index = load_index(small_suite)
    ids = [e.scenario_id for e in index.entries]
    assert ids == ["brake.000", "brake.001", "cruise.000", "cruise.001"]
    brake = index.entries[0]
    assert brake.family == "brake" and "braking" in brake.tags and brake.path.is_file()
    assert brake.parameters == {"LeadDecel": 8.0}
    assert Path(brake.requirements) == small_suite.parent / "requirements" / "follow.yaml"


def test_directory_suite_takes_ids_and_families_from_paths(small_suite):
    entries = load_directory(small_suite.parent)
    assert [(e.scenario_id, e.family) for e in entries][:2] == [("brake.brake.000", "brake"), ("brake.brake.001", "brake")]


def test_filters_combine_family_tag_and_id_glob(small_suite):
    entries = load_index(small_suite).entries
    assert [e.scenario_id for e in select(entries, families=["cruise"])] == ["cruise.000", "cruise.001"]
    assert [e.scenario_id for e in select(entries, tags=["braking"], ids=["*.001"])] == ["brake.001"]
    assert select(entries, families=["cruise"], tags=["braking"]) == []


def test_bad_index_entry_names_file_line_and_key(tmp_path):
    (tmp_path / "a.xosc").write_text("<x/>")
    bad = tmp_path / "index.yaml"
    bad.write_text("version: 1\nscenarios:\n  - id: a\n    path: a.xosc\n  - id: b\n    path: a.xosc\n    colour: red\n")
    with pytest.raises(ConfigError) as err:
        load_index(bad)
    assert "index.yaml:5" in str(err.value) and "colour" in str(err.value)
    bad.write_text("version: 1\nscenarios:\n  - id: a/b\n    path: a.xosc\n")
    with pytest.raises(ConfigError, match="may hold only"):
        load_index(bad)
    bad.write_text("version: 1\nscenarios:\n  - id: a\n    path: missing.xosc\n")
    with pytest.raises(ConfigError, match="does not exist"):
        load_index(bad)


def test_launch_file_builds_settings_and_filtered_suite(small_suite, tmp_path):
    launch = tmp_path / "smoke.yaml"
    launch.write_text(yaml.safe_dump({
        "name": "smoke", "stack": "none", "seed": 7, "max_time": 30,
        "suite": {"index": str(small_suite), "family": "brake"},
        "executor": {"kind": "sequential", "timeout": 20}, "outputs": {"dir": "runs/smoke", "reports": ["junit"]}}))
    got = load_launch(launch)
    assert [e.scenario_id for e in got.entries] == ["brake.000", "brake.001"]
    assert got.settings.seed == 7 and got.settings.executor == "sequential" and got.settings.timeout == 20
    assert got.settings.reports == ("junit",) and got.run_dir == (tmp_path / "runs" / "smoke").resolve()
    launch.write_text(yaml.safe_dump({"suite": {"index": str(small_suite)}, "executer": "pool"}))
    with pytest.raises(ConfigError, match="executer"):
        load_launch(launch)


def test_seed_depends_on_run_seed_and_id_only():
    assert derive_seed(1, "cut_in.0001") == derive_seed(1, "cut_in.0001")
    assert len({derive_seed(1, "a"), derive_seed(2, "a"), derive_seed(1, "b")}) == 3
    assert 0 <= derive_seed(0, "x") < 2 ** 63


def test_launch_stack_is_a_name_a_class_file_or_a_block_with_paths_from_the_launch_file(small_suite, tmp_path):
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "mine.py").write_text("class Mine:\n    def setup(self, s): pass\n    def step(self, o): pass\n")
    base = {"suite": {"index": str(small_suite), "per_logical": 1}}
    launch = tmp_path / "l.yaml"
    launch.write_text(yaml.safe_dump(base))
    got = load_launch(launch)
    assert got.settings.stack == "reference" and [e.scenario_id for e in got.entries] == ["brake.000", "cruise.000"]
    launch.write_text(yaml.safe_dump({**base, "stack": "stacks/mine.py:Mine", "stack_params": {"gain": 2}}))
    got = load_launch(launch).settings
    assert got.stack == f"{tmp_path / 'stacks' / 'mine.py'}:Mine" and got.stack_config()[1] == {"gain": 2}
    launch.write_text(yaml.safe_dump({**base, "stack": {"transport": "rosbridge", "command": ["my_stack"],
                                                        "cwd": "stacks", "parameters": {"aeb": False}}}))
    config, params = load_launch(launch).settings.stack_config()
    assert (config.transport, config.cwd, params) == ("rosbridge", str(tmp_path / "stacks"), {"aeb": False})
    launch.write_text(yaml.safe_dump({**base, "stack": {"transport": "rosbridge", "comand": "x"}}))
    with pytest.raises(ConfigError, match="comand") as err:
        load_launch(launch)
    assert "l.yaml" in str(err.value)


def test_running_the_same_launch_file_twice_makes_two_runs(small_suite, tmp_path):
    """The README's first command may be run again: each run gets its own folder under outputs.dir."""
    from simplatform.cli import main

    launch = tmp_path / "again.yaml"
    launch.write_text(yaml.safe_dump({
        "name": "again", "stack": "none", "max_time": 5,
        "suite": {"index": str(small_suite), "family": "brake"},
        "executor": {"kind": "sequential"}, "outputs": {"dir": "runs/again", "reports": ["json"]}}))
    codes = [main(["run", str(launch), "--quiet", "--id", "brake.000"]) for _ in range(2)]
    runs = sorted(p for p in (tmp_path / "runs" / "again").iterdir() if p.is_dir())
    assert len(runs) == 2 and all((p / "results.json").exists() for p in runs)
    assert codes[0] == codes[1] and codes[0] in (0, 1)
