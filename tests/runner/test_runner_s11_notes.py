"""A suite's notes reach its user: the console summary, JUnit, JSON, HTML, a resumed run and compare.

``simplatform run FILE`` printed the engine's notes (session 10: an action not applied, a
property-less controller on the ego taken as the system under test, a collision CARLA
reported); a suite of a thousand scenarios did not, so CI saw a green run where a scripted lane
change had been skipped or the ALKS scenarios' ``ALKSController`` had been stood in for.

The suite is ``runner_notes_files``' directory of three 2 s scenarios: ``plain.cruise`` (nothing
to note), ``alks.alks`` (the ego's property-less ``ALKSController``: a system-under-test note) and
``lane.lane`` (the ego's scripted lane change, not applied under a stack under test).
"""

from __future__ import annotations

import json
import sqlite3
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from simplatform.cli import main
from simplatform.notes import NOTE_KINDS, notes_summary, result_notes, summary_phrase
from simplatform.results import MetricEvent, ScenarioResult, Verdict
from simplatform.runner.compare import compare_runs
from simplatform.runner.compare_report import markdown, render_html


def _load_files():
    """``runner_notes_files`` (beside this file), loaded once by the conftest."""
    return sys.modules["runner_notes_files"]


make_notes_suite = _load_files().make_notes_suite


@pytest.fixture(scope="module")
def notes_suite(tmp_path_factory) -> Path:
    return make_notes_suite(tmp_path_factory.mktemp("notes_suite"))


@pytest.fixture(scope="module")
def stack_run(notes_suite, tmp_path_factory) -> tuple[Path, str]:
    """The suite under the reference stack, every report written; (run dir, console output)."""
    import contextlib
    import io

    run_dir = tmp_path_factory.mktemp("stack") / "run"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["run", str(notes_suite), "--stack", "reference", "--executor", "sequential", "--trace-hz", "0",
                     "--quiet", "--run-dir", str(run_dir)])
    assert code in (0, 1)
    return run_dir, out.getvalue()


def _cases(run_dir: Path) -> dict[str, ET.Element]:
    return {c.get("name"): c for c in ET.parse(run_dir / "junit.xml").getroot().iter("testcase")}


def test_the_console_summary_counts_the_scenarios_with_notes_by_kind_and_says_where_to_read_them(stack_run):
    run_dir, out = stack_run
    lines = out.splitlines()
    [head] = [ln for ln in lines if ln.startswith("notes ")]
    assert head == ("notes      1 scenario with actions not applied, 1 with a system-under-test controller "
                    "(2 of 3 scenarios have notes)")
    [alks] = [ln for ln in lines if ln.startswith("  alks.alks ")]
    assert "SystemUnderTestController Ego: controller 'ALKSController'" in alks
    assert alks.endswith("taken as the system under test; the stack under test drives it")
    [lane] = [ln for ln in lines if ln.startswith("  lane.lane ")]
    assert lane == "  lane.lane     1.010 s  LaneChangeAction Ego: not applied: driven by the stack under test"
    assert not any("plain.cruise" in ln for ln in lines)
    where = next(ln for ln in lines if ln.startswith("  every note: "))
    assert "junit.xml (each test case's system-out)" in where and 'results.json ("notes"' in where
    assert lines.index(head) < lines.index(next(ln for ln in lines if ln.startswith("junit ")))


def test_junit_closes_each_test_case_system_out_with_its_notes(stack_run):
    run_dir, _ = stack_run
    cases = _cases(run_dir)
    lane = cases["lane.lane"].find("system-out").text
    assert lane.startswith("end_reason=")  # the existing lines come first, unchanged
    assert lane.endswith("notes (1)\n     1.010 s  LaneChangeAction Ego: not applied: driven by the stack under test\n")
    assert "notes (1)\n     0.000 s  SystemUnderTestController Ego: controller 'ALKSController'" in \
        cases["alks.alks"].find("system-out").text
    assert "notes" not in cases["plain.cruise"].find("system-out").text


def test_the_json_report_lists_each_scenarios_notes_and_counts_them(stack_run):
    run_dir, _ = stack_run
    data = json.loads((run_dir / "results.json").read_text())
    notes = {r["scenario_id"]: r["notes"] for r in data["results"]}
    assert notes["plain.cruise"] == []
    assert notes["lane.lane"] == [{"time": pytest.approx(1.01), "kind": "LaneChangeAction", "entities": ["Ego"],
                                   "detail": "not applied: driven by the stack under test",
                                   "category": "action_not_applied"}]
    [sut] = notes["alks.alks"]
    assert sut["kind"] == "SystemUnderTestController" and sut["category"] == "system_under_test_controller"
    assert data["summary"]["notes"] == {"scenarios": 2, "notes": 2, "by_category": {
        "action_not_applied": 1, "system_under_test_controller": 1}}


def test_the_html_report_has_a_notes_column_filter_and_detail(stack_run):
    run_dir, _ = stack_run
    page = (run_dir / "report.html").read_text()
    start = page.index('id="report-data">') + len('id="report-data">')
    data = json.loads(page[start:page.index("</script>", start)])
    assert [len(r["notes"]) for r in data["results"]] == [1, 1, 0]  # alks, lane, plain (suite order)
    assert data["summary"]["notes"]["scenarios"] == 2
    assert "<th>notes</th>" in page and 'id="f-notes"' in page and 'id="d-notes"' in page
    assert "notesCell(r.notes" in page


def test_a_resumed_run_keeps_the_notes_of_the_scenarios_run_before_the_interruption(notes_suite, tmp_path, capsys):
    run_dir = tmp_path / "run"
    args = ["run", str(notes_suite), "--stack", "reference", "--executor", "sequential", "--trace-hz", "0",
            "--quiet", "--run-dir", str(run_dir)]
    main(args)
    # as if the run had been killed after the two scenarios with notes: the third's row never committed
    with sqlite3.connect(run_dir / "results.sqlite") as db:
        db.execute("DELETE FROM results WHERE scenario_id = 'plain.cruise'")
        db.execute("UPDATE runs SET finished = NULL")
    for name in ("junit.xml", "results.json", "report.html"):
        (run_dir / name).unlink()
    capsys.readouterr()
    main(["run", "--resume", str(run_dir), "--quiet"])
    out = capsys.readouterr().out
    assert "(ran 1, reused 2)" in out
    assert "notes      1 scenario with actions not applied, 1 with a system-under-test controller" in out
    cases = _cases(run_dir)
    assert "LaneChangeAction Ego: not applied" in cases["lane.lane"].find("system-out").text
    assert "SystemUnderTestController" in cases["alks.alks"].find("system-out").text
    data = json.loads((run_dir / "results.json").read_text())
    assert data["summary"]["notes"]["scenarios"] == 2


def test_compare_flags_the_scenarios_whose_notes_differ(notes_suite, stack_run, tmp_path, capsys):
    stack_dir, _ = stack_run
    none_dir = tmp_path / "none"
    main(["run", str(notes_suite), "--stack", "none", "--executor", "sequential", "--trace-hz", "0", "--quiet",
          "--reports", "json", "--run-dir", str(none_dir)])
    (c,) = compare_runs([none_dir, stack_dir])
    changes = {r["scenario_id"]: r for r in c.note_changes}
    assert sorted(changes) == ["alks.alks", "lane.lane"]  # plain.cruise has no notes in either run
    assert changes["lane.lane"]["only_baseline"] == []  # without a stack the lane change is played
    assert changes["lane.lane"]["only_candidate"] == [
        "LaneChangeAction Ego: not applied: driven by the stack under test"]
    [was], [now] = changes["alks.alks"]["only_baseline"], changes["alks.alks"]["only_candidate"]
    assert was.endswith("the storyboard's default controller keeps driving it")
    assert now.endswith("the stack under test drives it")
    text = markdown([c])
    assert "### Notes differ (2)" in text
    assert "| lane.lane | lane |" in text and "not applied: driven by the stack under test |" in text
    assert "<h3>Notes differ (2)</h3>" in render_html([c])
    (same,) = compare_runs([stack_dir, stack_dir])
    assert same.note_changes == [] and "### Notes differ (0)\n\nnone" in markdown([same])


def test_the_single_file_command_and_the_runner_share_one_definition_of_a_note():
    import simplatform.commands.run as single
    import simplatform.notes as notes

    assert single.result_notes is notes.result_notes and single.format_note is notes.format_note
    assert single.NOTE_KINDS is NOTE_KINDS


def _result(sid: str, *events: MetricEvent) -> ScenarioResult:
    return ScenarioResult(scenario_id=sid, verdict=Verdict.PASS, end_reason="stop_trigger", sim_time=5.0, steps=500,
                          wall_time=0.1, events=events)


def test_the_summary_counts_a_scenario_once_per_kind_and_in_a_fixed_order():
    sut = MetricEvent(0.0, "SystemUnderTestController", ("Ego",), None, "controller 'X' … system under test")
    lane = MetricEvent(1.0, "LaneChangeAction", ("Ego",), None, "not applied: driven by the stack under test")
    offset = MetricEvent(2.0, "LaneOffsetAction", ("Ego",), None, "not applied: driven by the stack under test")
    crash = MetricEvent(3.0, "CarlaCollision", ("Ego",), None, "Lead")
    results = [_result("a", sut, lane, offset), _result("b", crash), _result("c", lane),
               _result("d", MetricEvent(0.0, "Story.startTransition", (), None, "not applied"))]
    counts = notes_summary(results)
    assert counts == {"scenarios": 3, "notes": 5, "by_category": {
        "action_not_applied": 2, "system_under_test_controller": 1, "carla_collision": 1}}
    assert summary_phrase(counts) == ("2 scenarios with actions not applied, 1 with a system-under-test controller, "
                                      "1 with a collision reported by CARLA")
    assert result_notes(results[3]) == []


def test_carla_criteria_and_a_storyboard_complete_count_apart_from_actions_not_applied():
    """A CARLA criterion's record reads "not applied: ..." but skipped nothing of the storyboard (its criteria are
    the metrics' requirements); before, the summary counted it with the actions not applied.  An empty Action is
    one; a storyboard complete with no stop trigger (engine/run.py) has its own category."""
    criterion = MetricEvent(0.0, "CarlaCriterion", (), None, "not applied: CARLA ScenarioRunner's evaluation criteria "
                            "CollisionTest (line 40) of the StopTrigger at line 38 are no conditions here")
    empty = MetricEvent(2.0, "EmptyAction", ("hero",), None, "not applied: action 'DummyManeuver' (line 30) has no "
                        "content; it does nothing and ends at once")
    complete = MetricEvent(0.05, "StoryboardComplete", (), None, "storyboard complete at t=0.05 s with no stop "
                           "trigger: the stack under test drives on until max_time")
    results = [_result("a", criterion, empty), _result("b", criterion), _result("c", complete)]
    counts = notes_summary(results)
    assert counts == {"scenarios": 3, "notes": 4, "by_category": {
        "action_not_applied": 1, "carla_criteria": 2, "storyboard_complete": 1}}
    assert summary_phrase(counts) == ("1 scenario with actions not applied, 2 with CARLA evaluation criteria left to "
                                      "the metrics, 1 with a storyboard complete and no stop trigger")
    assert "StoryboardComplete" in NOTE_KINDS  # the other two are notes as records of something not applied
