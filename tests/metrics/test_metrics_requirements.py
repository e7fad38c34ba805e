"""Requirement expressions, YAML sets, verdicts with evidence, and the failure formatter."""

from __future__ import annotations

import math

import pytest
from metrics_testkit import entity, run

from metrics import (
    MetricSuite, ScenarioContext, V2XWarning, format_verdicts, load_requirement_set, parse_check,
    parse_requirement_set, requirement,
)
from simplatform.errors import RequirementError
from simplatform.results import Verdict


def test_checks_convert_units_to_the_scalar_unit():
    assert parse_check("ttc_min >= 1.5") == ("ttc_min", ">=", 1.5)
    assert parse_check("ttc_min >= 1500 ms")[2] == pytest.approx(1.5)
    assert parse_check("speed_max <= 36 km/h")[2] == pytest.approx(10.0)
    assert parse_check("decel_max <= 0.5 g")[2] == pytest.approx(4.903325)
    assert parse_check("collisions == 0") == ("collisions", "==", 0.0)


@pytest.mark.parametrize("check, cause", [
    ("tcc_min >= 1.5", "unknown metric 'tcc_min' (did you mean ttc_min"),
    ("ttc_min => 1.5", "bad operator '=>'"),
    ("ttc_min >= 1.5 m", "unit 'm' is a length, the metric is a time"),
    ("ttc_min >= 1.5 parsecs", "unknown unit 'parsecs'"),
    ("collisions == 0.5", "compare it with a whole number"),
    ("collisions == 1 s", "a count takes a plain number"),
    ("route_completion >= 120", "outside 0..100"),
    ("ttc_min is big", "expected '<metric> <op> <number> [unit]'"),
])
def test_bad_checks_are_rejected_with_the_cause(check, cause):
    with pytest.raises(RequirementError) as err:
        parse_check(check)
    assert cause in str(err.value)


YAML = """\
requirements:
  - id: SAF-1
    text: Keep a time to collision of at least 1.5 s
    check: ttc_min >= 1.5 s
  - id: SAF-2
    check: collisions == 0
  - id: FUN-1
    text: Brake within 1 s of a V2X warning
    check: decel_max >= 2 m/s^2
    after: v2x_warning
    within: 1.0
"""


def test_yaml_set_loads_and_errors_name_file_and_line(tmp_path):
    path = tmp_path / "family.yaml"
    path.write_text(YAML)
    reqs = load_requirement_set(path)
    assert [r.id for r in reqs] == ["SAF-1", "SAF-2", "FUN-1"]
    assert reqs.requirements[2].scope.after == "v2x_warning" and reqs.requirements[2].scope.within == 1.0
    bad = path.with_name("bad.yaml")
    bad.write_text(YAML.replace("collisions == 0", "colisions == 0"))
    with pytest.raises(RequirementError) as err:
        load_requirement_set(bad)
    assert err.value.location.file == str(bad) and err.value.location.line == 6
    assert "unknown metric 'colisions'" in err.value.cause and "SAF-2" in str(err.value)


@pytest.mark.parametrize("text, line, cause", [
    ("requirements:\n  - id: A\n    check: ttc_min >= 1\n  - id: A\n    check: thw_min >= 1\n", 4, "duplicate requirement id 'A'"),
    ("requirements:\n  - id: A\n    chek: ttc_min >= 1\n", 3, "unknown key 'chek'"),
    ("requirements:\n  - id: A\n    check: route_completion >= 90\n    window: [0, 5]\n", 3, "cannot be scoped"),
    ("requirements:\n  - id: A\n    check: ttc_min >= 1\n    window: [5, 0]\n", 4, "window end before its start"),
    ("requirements:\n  - check: ttc_min >= 1\n", 2, "without 'id'"),
    ("requirements: [\n", 2, "not valid YAML"),
])
def test_bad_yaml_entries(text, line, cause):
    with pytest.raises(RequirementError) as err:
        parse_requirement_set(text, "set.yaml")
    assert err.value.location.line == line and cause in err.value.cause


def test_run_override_replaces_disables_and_adds_by_id():
    family = parse_requirement_set(YAML, "family.yaml")
    override = parse_requirement_set("requirements:\n  - id: SAF-1\n    check: ttc_min >= 2.0\n"
                                     "  - id: SAF-2\n    disabled: true\n  - id: COM-1\n    check: jerk_long_max <= 5\n")
    merged = family.merge(override)
    assert {r.id: r.threshold for r in merged} == {"SAF-1": 2.0, "FUN-1": 2.0, "COM-1": 5.0}


def _closing_run(reqs, **ctx):
    return run(MetricSuite(ScenarioContext(**ctx), reqs),
               lambda t: [entity("ego", 20 * t, 0, speed=20, ego=True), entity("lead", 50 + 10 * t, 0, speed=10)],
               t_end=3.0, dt=0.1)


def test_verdicts_carry_value_threshold_time_and_entities():
    reqs = [requirement("SAF-1", "ttc_min >= 2.0 s", "keep 2 s TTC"), requirement("SAF-2", "collisions == 0")]
    ev = _closing_run(reqs)
    fail, ok = ev.verdicts
    assert fail.verdict is Verdict.FAIL and ok.verdict is Verdict.PASS
    assert fail.value == pytest.approx(1.6) and fail.threshold == 2.0
    assert fail.time == pytest.approx(3.0) and fail.entities == ("lead",)
    assert ev.verdict is Verdict.FAIL
    text = format_verdicts(ev.verdicts)
    assert "FAIL  SAF-1: ttc_min >= 2.0 s" in text and "ttc_min = 1.6 s at t=3.00 s with lead" in text
    assert "required >= 2 s" in text and "SAF-2" not in text


def test_missing_context_gives_an_error_verdict_naming_it():
    ev = _closing_run([requirement("FUN-1", "route_completion >= 100")])
    assert ev.verdicts[0].verdict is Verdict.ERROR
    assert "no route" in ev.verdicts[0].message
    assert ev.verdict is Verdict.ERROR


def test_window_and_event_scoped_requirements():
    # TTC falls from 4.6 s; in the window [0, 1] its minimum is 3.6 s (at t = 1).
    ev = _closing_run([requirement("W", "ttc_min >= 3.5", scope=_scope(start=0.0, end=1.0))])
    assert ev.verdicts[0].verdict is Verdict.PASS and ev.verdicts[0].value == pytest.approx(3.6)
    assert ev.verdicts[0].time == pytest.approx(1.0)
    # After a V2X warning at t = 1 s the ego must brake ≥ 2 m/s² within 1 s; it never brakes.
    warn = (V2XWarning(1.0, "hazard"),)
    ev2 = _closing_run([requirement("V", "decel_max >= 2", scope=_scope(after="v2x_warning", within=1.0))], v2x_warnings=warn)
    assert ev2.verdicts[0].verdict is Verdict.FAIL
    # An event that never happens leaves a conditional requirement untriggered (pass, explained).
    ev3 = _closing_run([requirement("C", "decel_max >= 2", scope=_scope(after="collision", within=1.0))])
    assert ev3.verdicts[0].verdict is Verdict.PASS and "not triggered" in ev3.verdicts[0].message


def _scope(**kw):
    from metrics import Scope
    return Scope(**kw)


def test_counts_in_a_window_come_from_events():
    reqs = [requirement("late", "lane_departures == 0", scope=_scope(start=2.0, end=math.inf))]
    from metrics_testkit import FakeStraightRoad
    ev = run(MetricSuite(ScenarioContext(road=FakeStraightRoad()), reqs),
             lambda t: [entity("ego", 10 + 10 * t, -1.75 + 0.5 * t, speed=10, vy=0.5, ego=True)], t_end=3.0)
    assert ev.verdicts[0].verdict is Verdict.PASS  # the departure at 1.5 s is outside the window


def test_run_requirements_merge_family_scenario_criteria_and_override(tmp_path):
    from metrics import requirements_for_run
    from test_metrics_scores import _xosc_with_criteria
    family = tmp_path / "family.yaml"
    family.write_text(YAML)
    scenario = _xosc_with_criteria(tmp_path / "s.xosc", [("criteria_CollisionTest", "", "")])
    override = tmp_path / "run.yaml"
    override.write_text("requirements:\n  - id: FUN-1\n    disabled: true\n")
    reqs = requirements_for_run(family, override, scenario)
    assert [r.id for r in reqs] == ["SAF-1", "SAF-2", "criteria_CollisionTest"]


def test_evaluation_fills_the_scenario_result_fields():
    ev = _closing_run([requirement("SAF-2", "collisions == 0")])
    fields = ev.result_fields()
    assert fields["verdict"] is Verdict.PASS and fields["metrics"]["ttc_min"] == pytest.approx(1.6)
    assert set(fields["scores"]) >= {"safety", "function", "comfort", "overall"}


def test_finishing_twice_gives_the_same_evaluation():
    from metrics_testkit import FakeStraightRoad
    suite = MetricSuite(ScenarioContext(road=FakeStraightRoad(), v2x_warnings=(V2XWarning(0.5, "x"),)))
    first = run(suite, lambda t: [entity("ego", 10 + 10 * t, -1.75 + 0.5 * t, speed=10, vy=0.5, ego=True),
                                  entity("lead", 30 + 10 * t, -1.75, speed=10)], t_end=2.0, dt=0.1)
    second = suite.finish()
    assert first.metrics == second.metrics and first.scores == second.scores
