"""Quirks of external OpenSCENARIO files the loader meets, round 4 (session 11: esmini's
EnvironmentSimulator/Unittest scenarios).  Each test writes its own small scenario in the shape that mattered."""

from __future__ import annotations

import sys

import pytest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from test_osc_s11_external import scenario  # noqa: E402

from simplatform.openscenario import load_scenario  # noqa: E402
from simplatform.openscenario.validation import validate_file  # noqa: E402

OFFSET = ('<PrivateAction><LateralAction><LaneOffsetAction{attr}><LaneOffsetActionDynamics dynamicsShape="linear" '
          'maxLateralAcc="2.0"/><LaneOffsetTarget><AbsoluteTargetLaneOffset value="-3.07"/></LaneOffsetTarget>'
          '</LaneOffsetAction></LateralAction></PrivateAction>')


def _offset_action(sc):
    act = sc.storyboard.stories[0].acts[0]
    return act.maneuver_groups[0].maneuvers[0].events[0].actions[0].private_action.lateral_action.lane_offset_action


def test_a_lane_offset_action_without_continuous_is_not_continuous(tmp_path):
    """esmini's lateral_maneuvers_test.xosc leaves out LaneOffsetAction@continuous (required by the XSD of every
    version); esmini takes it as false.  Before, the file was refused ("missing required attribute
    'continuous'")."""
    path = scenario(tmp_path, action=OFFSET.format(attr=""))
    assert validate_file(path) == []
    assert _offset_action(load_scenario(path)).continuous is False
    line = path.read_text().splitlines().index(next(x for x in path.read_text().splitlines()
                                                    if "LaneOffsetAction>" in x or "<LaneOffsetAction" in x)) + 1
    schema = [e for e in validate_file(path, schema=True) if "continuous" in e.cause]
    assert schema and schema[0].location.line == line  # the schema check still reports it


def test_an_explicit_continuous_is_kept(tmp_path):
    path = scenario(tmp_path, action=OFFSET.format(attr=' continuous="true"'))
    assert _offset_action(load_scenario(path)).continuous is True


def _with_count(path: Path, where: str, count: str) -> Path:
    text = path.read_text()
    if where == "Event":
        text = text.replace('<Event name="e" priority="overwrite">',
                            f'<Event name="e" priority="overwrite" maximumExecutionCount="{count}">')
    else:
        text = text.replace('<ManeuverGroup name="g" maximumExecutionCount="1">',
                            f'<ManeuverGroup name="g" maximumExecutionCount="{count}">')
    path.write_text(text)
    return path


@pytest.mark.parametrize("where", ["Event", "ManeuverGroup"])
def test_a_maximum_execution_count_of_minus_one_is_unlimited(tmp_path, where):
    """esmini (Unittest test-collision-detection.xosc: an Event repeated at every colliding step) and openPASS's
    documentation write maximumExecutionCount="-1" for "no limit".  Before, the file was refused (expected
    unsignedInt); the schema check still reports it."""
    path = _with_count(scenario(tmp_path, action=""), where, "-1")
    assert validate_file(path) == []
    act = load_scenario(path).storyboard.stories[0].acts[0]
    element = act.maneuver_groups[0] if where == "ManeuverGroup" else act.maneuver_groups[0].maneuvers[0].events[0]
    assert element.maximum_execution_count == 2**32 - 1
    assert any("'-1' is not a valid value" in e.cause for e in validate_file(path, schema=True))


def test_other_negative_execution_counts_are_still_errors(tmp_path):
    path = _with_count(scenario(tmp_path, action=""), "Event", "-2")
    errors = validate_file(path)
    assert len(errors) == 1 and "maximumExecutionCount" in errors[0].cause
