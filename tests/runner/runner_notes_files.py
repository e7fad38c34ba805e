"""The notes suite of ``test_runner_s11_notes``: three 2 s scenarios on a straight road.

* ``plain.cruise``: the ego follows a cruising lead (``runner_suite_files.lead_brake``), nothing to note;
* ``alks.alks``: the same, the ego carrying a property-less ``ALKSController`` activated in Init
  (as the ASAM ALKS scenarios do): a ``SystemUnderTestController`` note, saying who drives;
* ``lane.lane``: the same, the storyboard changing the ego's lane after 1 s: under a stack under
  test that action is not applied (the stack drives the ego); without one it is played.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lxml import etree

LANE_CHANGE = """<ManeuverGroup maximumExecutionCount="1" name="ego_lane_group">
  <Actors selectTriggeringEntities="false"><EntityRef entityRef="Ego"/></Actors>
  <Maneuver name="ego_lane"><Event name="ego_lane_change" priority="override"><Action name="ego_lane_change">
    <PrivateAction><LateralAction><LaneChangeAction>
      <LaneChangeActionDynamics dynamicsShape="sinusoidal" value="1.5" dynamicsDimension="time"/>
      <LaneChangeTarget><AbsoluteTargetLane value="-2"/></LaneChangeTarget>
    </LaneChangeAction></LateralAction></PrivateAction></Action>
    <StartTrigger><ConditionGroup><Condition name="at_1s" delay="0" conditionEdge="rising"><ByValueCondition>
      <SimulationTimeCondition value="1.0" rule="greaterThan"/></ByValueCondition></Condition></ConditionGroup>
    </StartTrigger></Event></Maneuver></ManeuverGroup>"""


def _scenario(path: Path) -> etree._ElementTree:
    files = sys.modules["runner_suite_files"]
    files.lead_brake(path, "../straight.xodr", gap=40.0, decel=0.0, duration=2.0)
    return etree.parse(str(path))


def make_notes_suite(root: Path) -> Path:
    """The three-scenario directory described in the module docstring (``root``, made here)."""
    files = sys.modules["runner_suite_files"]
    root.mkdir(parents=True, exist_ok=True)
    files.straight_road(root / "straight.xodr")
    for family in ("plain", "alks", "lane"):
        (root / family).mkdir(exist_ok=True)
    _scenario(root / "plain" / "cruise.xosc")
    tree = _scenario(root / "alks" / "alks.xosc")
    tree.find(".//ScenarioObject[@name='Ego']/Vehicle").addnext(etree.fromstring(
        '<ObjectController><Controller name="ALKSController"><Properties/></Controller></ObjectController>'))
    tree.find(".//Init/Actions/Private[@entityRef='Ego']").append(etree.fromstring(
        '<PrivateAction><ControllerAction><ActivateControllerAction lateral="true" longitudinal="true"/>'
        '</ControllerAction></PrivateAction>'))
    tree.write(str(root / "alks" / "alks.xosc"))
    tree = _scenario(root / "lane" / "lane.xosc")
    tree.find(".//Act/ManeuverGroup").addprevious(etree.fromstring(LANE_CHANGE))
    tree.write(str(root / "lane" / "lane.xosc"))
    return root
