"""``simplatform run FILE`` prints the run's notes beside the storyboard events that fired.

The engine records a ``SystemUnderTestController`` event when it takes a property-less controller on
the ego for the system under test (the ASAM ALKS scenarios' ALKSController); before session 10 the
single-file summary printed storyboard events only, so a user of ``--stack none`` never learned that
the controller under test had been stood in for.  Each test writes its own road and scenario.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree
from scenariogeneration import xodr

import stack_scenario_files as files
from alks_like_files import alks_like as _alks_like
from simplatform.cli import main
from simplatform.commands.run import NOTE_KINDS, format_note, result_notes
from simplatform.results import MetricEvent, ScenarioResult, Verdict


def test_the_single_file_summary_prints_the_system_under_test_note(tmp_path, capsys):
    path = _alks_like(tmp_path)
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--stack", "none"]) == 0
    out = capsys.readouterr().out
    assert "notes      1" in out
    [line] = [ln for ln in out.splitlines() if "SystemUnderTestController" in ln]
    assert line.startswith("     0.000 s  SystemUnderTestController Ego: controller 'ALKSController' (")
    assert "default controller keeps driving it" in line
    assert out.index("events") < out.index("notes") < out.index("trajectory_csv")


def test_a_run_without_notes_prints_no_notes_line(tmp_path, capsys):
    odr = files.road_file(tmp_path / "road.xodr", [xodr.Line(300)], lanes=1)
    path = files.scenario(tmp_path, "plain", odr, {"Ego": (20, -1, 20.0)}, duration=0.5)
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 0
    assert not any(ln.startswith("notes") for ln in capsys.readouterr().out.splitlines())


def test_notes_are_the_note_kinds_and_actions_not_applied_in_time_order():
    events = (
        MetricEvent(0.0, "Story.startTransition", (), None, "story"),
        MetricEvent(0.0, "ActivateControllerAction", ("Ego",), None, "longitudinal=on lateral=on"),
        MetricEvent(1.0, "SystemUnderTestController", ("Ego",), None, "controller 'X' ... system under test"),
        MetricEvent(2.0, "LaneChangeAction", ("Ego",), None, "not applied: driven by the stack under test"),
        MetricEvent(3.0, "CarlaCollision", ("Ego",), None, "Other"),
        MetricEvent(4.0, "Event.startTransition", (), None, "not applied"),  # a storyboard element's name
        MetricEvent(0.5, "SystemUnderTestController", ("Ego",), None, "an Init activation, recorded later"),
    )
    result = ScenarioResult(scenario_id="s", verdict=Verdict.PASS, end_reason="stop_trigger", sim_time=5.0,
                            steps=500, wall_time=0.1, events=events)
    notes = result_notes(result)
    assert [(e.time, e.kind) for e in notes] == [(0.5, "SystemUnderTestController"), (1.0, "SystemUnderTestController"),
                                                 (2.0, "LaneChangeAction"), (3.0, "CarlaCollision")]
    assert NOTE_KINDS == {"SystemUnderTestController", "CarlaCollision", "StoryboardComplete"}
    assert format_note(notes[2]) == "     2.000 s  LaneChangeAction Ego: not applied: driven by the stack under test"
