"""Quirks of external OpenSCENARIO files the loader meets (session 11: CARLA ScenarioRunner's examples and others).

Each test writes its own small road and scenario in the shape that mattered.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from simplatform.errors import ScenarioError
from simplatform.openscenario import load_scenario
from simplatform.openscenario.validation import validate_file

sys.path.insert(0, str(Path(__file__).parent))
from osc_small_files import CAR, ROAD  # noqa: E402


def scenario(tmp: Path, *, action: str, minor: int = 0, init: str = "", head: str = "") -> Path:
    """One Ego on the small road, one event at t > 1 s whose Action holds ``action``."""
    (tmp / "road.xodr").write_text(ROAD)
    path = tmp / "s.xosc"
    path.write_text(f'''{head or '<?xml version="1.0"?>'}
<OpenSCENARIO><FileHeader revMajor="1" revMinor="{minor}" date="2020-03-20T12:00:00" description="CARLA:t" author=""/>
<ParameterDeclarations/><CatalogLocations/><RoadNetwork><LogicFile filepath="road.xodr"/></RoadNetwork>
<Entities>{CAR}</Entities><Storyboard><Init><Actions>{init}<Private entityRef="Ego"><PrivateAction><TeleportAction>
<Position><LanePosition roadId="1" laneId="-1" s="50" offset="0"/></Position></TeleportAction></PrivateAction>
</Private></Actions></Init><Story name="s"><Act name="a"><ManeuverGroup name="g" maximumExecutionCount="1">
<Actors selectTriggeringEntities="false"/><Maneuver name="m"><Event name="e" priority="overwrite">
<Action name="DummyManeuver">{action}</Action><StartTrigger><ConditionGroup><Condition name="c" delay="0"
 conditionEdge="rising"><ByValueCondition><SimulationTimeCondition value="1" rule="greaterThan"/></ByValueCondition>
</Condition></ConditionGroup></StartTrigger></Event></Maneuver></ManeuverGroup><StartTrigger><ConditionGroup>
<Condition name="go" delay="0" conditionEdge="rising"><ByValueCondition><SimulationTimeCondition value="0"
 rule="greaterThan"/></ByValueCondition></Condition></ConditionGroup></StartTrigger></Act></Story><StopTrigger/>
</Storyboard></OpenSCENARIO>''')
    return path


# CARLA ScenarioRunner's ChangingWeather.xosc: <Action name="DummyManeuver"/>, a no-op in ScenarioRunner
@pytest.mark.parametrize("minor", [0, 1, 2, 3])
def test_an_action_without_content_loads(tmp_path, minor):
    path = scenario(tmp_path, action="", minor=minor)
    assert validate_file(path) == []
    action = load_scenario(path).storyboard.stories[0].acts[0].maneuver_groups[0].maneuvers[0].events[0].actions[0]
    assert action.private_action is None and action.global_action is None and action.user_defined_action is None


@pytest.mark.parametrize("minor,schema_complains", [(0, False), (2, False), (3, True)])
def test_the_schema_check_reports_an_empty_action_only_where_the_xsd_does(tmp_path, minor, schema_complains):
    """The ASAM XSDs of 1.0-1.2 give each option of Action's choice minOccurs="0"; 1.3's requires one."""
    path = scenario(tmp_path, action="", minor=minor)
    action_line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "DummyManeuver" in text)
    causes = [e.cause for e in validate_file(path, schema=True) if e.location.line == action_line]
    assert bool(causes) == schema_complains, causes
    if schema_complains:
        assert all("schema 1.3.0" in c for c in causes)


def test_other_empty_choices_are_still_errors(tmp_path):
    path = scenario(tmp_path, action="<PrivateAction/>")
    errors = validate_file(path)
    assert [e.location.element for e in errors] == ["PrivateAction"], errors
    with pytest.raises(ScenarioError):
        load_scenario(path)


# esmini's Unittest/xosc/lat_dist_entity_basic.xosc: h="${pi/2}", a constant esmini's expressions know
@pytest.mark.parametrize("expression,value", [("${pi/2}", 1.5707963267948966), ("${-pi/4}", -0.7853981633974483),
                                              ("${2 * pi}", 6.283185307179586)])
def test_pi_is_a_constant_in_expressions(tmp_path, expression, value):
    path = scenario(tmp_path, action="", init=f'<Private entityRef="Ego"><PrivateAction><TeleportAction><Position>'
                    f'<WorldPosition x="10" y="-2" h="{expression}"/></Position></TeleportAction></PrivateAction>'
                    '</Private>')
    assert validate_file(path) == []
    first = load_scenario(path).storyboard.init.actions.privates
    poses = [p.private_actions[0].teleport_action.position.world_position for p in first]
    assert any(w is not None and w.h == pytest.approx(value, abs=1e-15) for w in poses)


def test_pi_is_no_function_and_other_names_are_still_errors(tmp_path):
    for bad in ("${pi(2)}", "${tau/2}"):
        path = scenario(tmp_path, action="", init=f'<Private entityRef="Ego"><PrivateAction><TeleportAction><Position>'
                        f'<WorldPosition x="10" y="-2" h="{bad}"/></Position></TeleportAction></PrivateAction></Private>')
        assert [e.location.element for e in validate_file(path)] == ["WorldPosition"], bad


# CARLA ScenarioRunner's srunner/examples/catalogs are written in the 0.9 drafts (<Dimension>, <Front>, category=)
CATALOG_09 = '''<?xml version="1.0"?>
<OpenSCENARIO><FileHeader revMajor="0" revMinor="9" date="2020-02-17" description="CARLA:VehicleCatalog" author=""/>
<Catalog name="VehicleCatalog"><Vehicle name="vehicle.tesla.model3" category="car"><ParameterDeclaration/>
<Performance maxSpeed="69.444" maxDeceleration="10.0" mass="1800.0"/><BoundingBox><Center x="1.5" y="0.0" z="0.9"/>
<Dimension width="2.1" length="4.5" height="1.8"/></BoundingBox><Axles><Front maxSteering="0.5" wheelDiameter="0.6"
 trackWidth="1.8" positionX="3.1" positionZ="0.3"/><Rear maxSteering="0.0" wheelDiameter="0.6" trackWidth="1.8"
 positionX="0.0" positionZ="0.3"/></Axles><Properties/></Vehicle></Catalog></OpenSCENARIO>'''


def _with_catalog(tmp_path: Path, catalog: str) -> Path:
    (tmp_path / "catalogs").mkdir()
    (tmp_path / "catalogs" / "VehicleCatalog.xosc").write_text(catalog)
    path = scenario(tmp_path, action="")
    text = path.read_text().replace("<CatalogLocations/>", '<CatalogLocations><VehicleCatalog><Directory '
                                    'path="catalogs"/></VehicleCatalog></CatalogLocations>')
    text = text.replace("</Entities>", '<ScenarioObject name="adversary"><CatalogReference catalogName='
                        '"VehicleCatalog" entryName="vehicle.tesla.model3"/></ScenarioObject></Entities>')
    path.write_text(text)
    return path


def test_a_catalog_entry_in_the_09_format_is_named_as_such_before_its_element_errors(tmp_path):
    errors = validate_file(_with_catalog(tmp_path, CATALOG_09))
    assert "pre-standard OpenSCENARIO 0.9 format" in errors[0].cause, errors[0]
    assert errors[0].location.file.endswith("VehicleCatalog.xosc") and errors[0].location.element == "Vehicle"
    assert any("<Dimension>" in e.cause or "'Dimension'" in e.cause or "Dimension" in e.location.element
               for e in errors[1:])
    with pytest.raises(ScenarioError, match="0.9 format"):
        load_scenario(tmp_path / "s.xosc")


def test_a_09_headed_catalog_of_10_elements_still_loads_without_the_hint(tmp_path):
    """esmini's own catalogs say 0.9 and hold 1.0 elements (session 8)."""
    ok = (CATALOG_09.replace('category="car"><ParameterDeclaration/>', 'vehicleCategory="car"><ParameterDeclarations/>')
          .replace('mass="1800.0"', 'maxAcceleration="10"').replace("<Dimension ", "<Dimensions ")
          .replace("<Front ", "<FrontAxle ").replace("<Rear ", "<RearAxle "))
    assert validate_file(_with_catalog(tmp_path, ok)) == []
