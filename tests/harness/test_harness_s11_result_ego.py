"""Each result says which entity it judged as the ego (``results.json``'s ``ego``), named or by the rule.

A grader reading a suite's results could not tell which entity the metrics judged when the scenario's
ego was picked by the engine's rule (ego/hero/…, else the first vehicle).
"""

from __future__ import annotations

from alks_like_files import alks_like
from simplatform.harness import TestConfig, run_test
from simplatform.results import ScenarioResult


def test_a_result_names_its_ego_by_the_rule_and_by_name(tmp_path):
    path = alks_like(tmp_path)
    by_rule = run_test(path, TestConfig(out_dir=tmp_path / "a", max_time=0.2))
    assert by_rule.ego == "Ego"
    assert ScenarioResult.from_dict(by_rule.to_dict()).ego == "Ego"


def test_results_stored_before_the_field_load_with_no_ego():
    old = {"scenario_id": "s", "verdict": "pass", "end_reason": "stop_trigger", "sim_time": 1.0, "steps": 20,
           "wall_time": 0.1}
    assert ScenarioResult.from_dict(old).ego == ""
