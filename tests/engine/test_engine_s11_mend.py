"""A storyboard that completes with no stop trigger, and an empty ManeuverGroup that repeats (session 11).

Since a trigger without condition groups is no trigger (1.0-1.2's required ``<StopTrigger/>``), a file
made of Init and ``<StopTrigger/>`` -- with no Story (1.2) or with an Act holding only an idle
ManeuverGroup (1.0; what scenarios/library/builder.py writes for a scenario without actors) --
completes at its first step.  Played as written (no stack) the run ends there, noted; with a stack
under test it is a "free drive" and runs on to ``max_time``, noted once.  Each test writes its own
small road and scenario.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from simplatform.cli import main
from simplatform.engine.run import RunConfig, run_scenario
from simplatform.harness import TestConfig, run_test
from simplatform.notes import notes_summary, result_notes, summary_phrase

sys.path.insert(0, str(Path(__file__).parent))
import engine_scenario_files as roads  # noqa: E402

VEH = ('<Vehicle name="car" vehicleCategory="car"><BoundingBox><Center x="1.5" y="0" z="0.9"/>'
       '<Dimensions width="2.0" length="4.5" height="1.8"/></BoundingBox><Performance maxSpeed="69" '
       'maxAcceleration="10" maxDeceleration="10"/><Axles><FrontAxle maxSteering="0.5" wheelDiameter="0.6" '
       'trackWidth="1.8" positionX="2.98" positionZ="0.3"/><RearAxle maxSteering="0" wheelDiameter="0.6" '
       'trackWidth="1.8" positionX="0" positionZ="0.3"/></Axles><Properties/></Vehicle>')
INIT = ('<Private entityRef="Ego"><PrivateAction><TeleportAction><Position><LanePosition roadId="0" laneId="-1" '
        's="50" offset="0"/></Position></TeleportAction></PrivateAction><PrivateAction><LongitudinalAction>'
        '<SpeedAction><SpeedActionDynamics dynamicsShape="step" value="0" dynamicsDimension="time"/>'
        '<SpeedActionTarget><AbsoluteTargetSpeed value="10"/></SpeedActionTarget></SpeedAction>'
        '</LongitudinalAction></PrivateAction></Private>')


def idle_story(count: int = 1) -> str:
    """One Story, one Act starting at once, one ManeuverGroup without a Maneuver (builder.py's idle group)."""
    return (f'<Story name="story"><Act name="act"><ManeuverGroup name="idle_group" maximumExecutionCount="{count}">'
            '<Actors selectTriggeringEntities="false"><EntityRef entityRef="Ego"/></Actors></ManeuverGroup>'
            '<StartTrigger><ConditionGroup><Condition name="act_start" delay="0" conditionEdge="rising">'
            '<ByValueCondition><SimulationTimeCondition value="0" rule="greaterThan"/></ByValueCondition>'
            '</Condition></ConditionGroup></StartTrigger></Act></Story>')


def write(tmp: Path, *, minor: int, story: str, stop: str = "<StopTrigger/>") -> Path:
    road = roads.straight_road(tmp / "road.xodr", length=1000.0, lanes=2)
    path = tmp / "free_drive.xosc"
    path.write_text(f'''<?xml version="1.0"?>
<OpenSCENARIO><FileHeader revMajor="1" revMinor="{minor}" date="2026-11-27T12:00:00" description="free drive"
author="t"/><ParameterDeclarations/><CatalogLocations/><RoadNetwork><LogicFile filepath="{road}"/></RoadNetwork>
<Entities><ScenarioObject name="Ego">{VEH}</ScenarioObject></Entities>
<Storyboard><Init><Actions>{INIT}</Actions></Init>{story}{stop}</Storyboard></OpenSCENARIO>''')
    return path


SHAPES = {"no_story_1_2": dict(minor=2, story=""), "idle_group_1_0": dict(minor=0, story=idle_story())}


class Coast:
    """The smallest stack under test: no command, so the ego keeps its Init speed."""

    def setup(self, rig, route) -> None:
        return None

    def step(self, observations):
        return None


def storyboard_notes(result) -> list:
    return [e for e in result.events if e.kind == "StoryboardComplete"]


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_without_a_stack_the_run_ends_with_the_storyboard_and_says_why(tmp_path, shape):
    """Played as written (esmini's way) the run still ends at storyboard completion; that it ended at
    once with nothing played is a note, so a one-step result does not pass unseen."""
    result = run_scenario(write(tmp_path, **SHAPES[shape]), RunConfig(max_time=5.0))
    assert result.end_reason == "storyboard_complete" and result.sim_time < 0.05
    [note] = storyboard_notes(result)
    assert note.detail.startswith(f"storyboard complete at t={result.sim_time:.2f} s: no stop trigger and "
                                  "nothing to play")
    assert note in result_notes(result)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_with_a_stack_under_test_the_run_drives_on_to_max_time_noted_once(tmp_path, shape):
    """A "free drive" test of a stack: before, the run ended after one or two steps with a pass."""
    steps: list[float] = []
    result = run_scenario(write(tmp_path, **SHAPES[shape]),
                          RunConfig(max_time=3.0, stack=Coast(), on_step=lambda e: steps.append(e.time)))
    assert result.end_reason == "max_time" and result.sim_time == pytest.approx(3.0)
    assert len(steps) == 300
    [note] = storyboard_notes(result)
    assert note.time < 0.05
    assert note.detail == (f"storyboard complete at t={note.time:.2f} s with no stop trigger: the stack under "
                           "test drives on until max_time")
    if shape == "idle_group_1_0":  # the storyboard's own log is unchanged: the group ended when it started
        ends = [e for e in result.events if e.kind == "Story.endTransition"]
        assert len(ends) == 1 and ends[0].time < 0.05


def test_the_harness_with_the_reference_stack_drives_a_free_drive_file_to_max_time(tmp_path):
    result = run_test(write(tmp_path, **SHAPES["idle_group_1_0"]), TestConfig(max_time=2.0, dt=0.05))
    assert result.error == "" and result.end_reason == "max_time" and result.sim_time == pytest.approx(2.0)
    assert len(storyboard_notes(result)) == 1
    assert summary_phrase(notes_summary([result])) == "1 scenario with a storyboard complete and no stop trigger"


def _story_that_plays() -> str:
    event = ('<Maneuver name="m"><Event name="slow" priority="overwrite"><Action name="slow"><PrivateAction>'
             '<LongitudinalAction><SpeedAction><SpeedActionDynamics dynamicsShape="step" value="0" '
             'dynamicsDimension="time"/><SpeedActionTarget><AbsoluteTargetSpeed value="5"/></SpeedActionTarget>'
             '</SpeedAction></LongitudinalAction></PrivateAction></Action><StartTrigger><ConditionGroup>'
             '<Condition name="at" delay="0" conditionEdge="rising"><ByValueCondition><SimulationTimeCondition '
             'value="0.5" rule="greaterThan"/></ByValueCondition></Condition></ConditionGroup></StartTrigger>'
             '</Event></Maneuver>')
    return idle_story().replace("</Actors></ManeuverGroup>", f"</Actors>{event}</ManeuverGroup>")


@pytest.mark.parametrize("stack", [None, "coast"])
def test_a_story_that_plays_ends_the_run_without_a_note_with_or_without_a_stack(tmp_path, stack):
    """Only a free drive (no event ever started) runs on under a stack: a story that played and completed
    is how a file without a stop trigger is meant to end (ScenarioRunner ends such a scenario too), and
    only an end within the first second with nothing played is noted."""
    config = RunConfig(max_time=5.0, stack=Coast() if stack else None)
    result = run_scenario(write(tmp_path, minor=0, story=_story_that_plays()), config)
    assert result.end_reason == "storyboard_complete" and 0.5 < result.sim_time < 0.6
    assert storyboard_notes(result) == []


def test_a_real_stop_trigger_is_unchanged_with_or_without_a_stack(tmp_path):
    stop = ('<StopTrigger><ConditionGroup><Condition name="end" delay="0" conditionEdge="rising"><ByValueCondition>'
            '<SimulationTimeCondition value="1" rule="greaterThan"/></ByValueCondition></Condition></ConditionGroup>'
            '</StopTrigger>')
    path = write(tmp_path, minor=0, story=idle_story(), stop=stop)
    for stack in (None, Coast()):
        result = run_scenario(path, RunConfig(max_time=5.0, stack=stack))
        assert result.end_reason == "stop_trigger" and result.sim_time == pytest.approx(1.02)
        assert storyboard_notes(result) == []


# --- an empty ManeuverGroup with many executions --------------------------------------------------------------
def test_an_empty_group_with_a_thousand_executions_uses_them_at_once(tmp_path):
    """Each execution ended as it started, and the next one started from inside that end: a count of
    1000 overflowed Python's stack (a bare RecursionError from ``simplatform run``)."""
    result = run_scenario(write(tmp_path, minor=0, story=idle_story(count=1000)), RunConfig(max_time=5.0))
    assert result.end_reason == "storyboard_complete"
    group = [(e.kind.split(".")[1], round(e.time, 2)) for e in result.events if e.kind.startswith("ManeuverGroup.")]
    assert group == [("startTransition", 0.01), ("endTransition", 0.01)]
    assert [e.kind for e in result.events if e.kind.startswith("Act.")] == ["Act.startTransition",
                                                                           "Act.endTransition"]


def test_the_run_command_plays_an_empty_group_with_a_thousand_executions(tmp_path, capsys):
    path = write(tmp_path, minor=0, story=idle_story(count=1000))
    assert main(["run", str(path), "--max-time", "2", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "storyboard_complete" in out and "StoryboardComplete" in out
