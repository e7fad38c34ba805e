"""Quirks of external OpenSCENARIO files the loader meets, round 5 (session 11: more of esmini's
EnvironmentSimulator/Unittest scenarios).  Each test writes its own small scenario in the shape that mattered."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from test_osc_s11_external import scenario  # noqa: E402

from simplatform.openscenario import load_scenario  # noqa: E402
from simplatform.openscenario.validation import validate_file  # noqa: E402

TELEPORT = ('<PrivateAction><TeleportAction><Position><RelativeRoadPosition entityRef="Ego" dLane="0"{attr}>'
            '<Orientation type="relative" h="0"/></RelativeRoadPosition></Position></TeleportAction></PrivateAction>')


def _position(sc):
    act = sc.storyboard.stories[0].acts[0]
    action = act.maneuver_groups[0].maneuvers[0].events[0].actions[0]
    return action.private_action.teleport_action.position.relative_road_position


def test_a_relative_road_position_without_ds_and_dt_is_at_the_reference(tmp_path):
    """esmini's trajectory-continuity.xosc teleports to ``<RelativeRoadPosition entityRef="VUT" dLane="0">``
    (ds and dt are required by the XSD of every version; ``dLane`` is no attribute of it): esmini reads the
    missing ds/dt as 0, the reference's own road position.  Before, the file was refused ("missing required
    attribute 'ds'")."""
    path = scenario(tmp_path, action=TELEPORT.format(attr=""))
    assert validate_file(path) == []
    pos = _position(load_scenario(path))
    assert (pos.ds, pos.dt) == (0.0, 0.0)
    assert any("'ds'" in e.cause for e in validate_file(path, schema=True))  # the schema check still reports it


def test_explicit_ds_and_dt_are_kept(tmp_path):
    pos = _position(load_scenario(scenario(tmp_path, action=TELEPORT.format(attr=' ds="5" dt="-1.5"'))))
    assert (pos.ds, pos.dt) == (5.0, -1.5)
