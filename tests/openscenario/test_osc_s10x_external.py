"""Quirks of external OpenSCENARIO files (ASAM ALKS, esmini, the ASAM checker's test files), session 10.

Each test writes its own small road and scenario.
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

SIDE = CAR.replace('name="Ego"', 'name="Side"')


def _scenario(tmp: Path, declarations: str, side_position: str) -> Path:
    (tmp / "road.xodr").write_text(ROAD.replace('<right><lane id="-1"', '<left><lane id="1" type="driving" '
                                                'level="false"><link/><width sOffset="0" a="3.5" b="0" c="0" d="0"/>'
                                                '</lane></left><right><lane id="-1"'))
    path = tmp / "s.xosc"
    path.write_text(f'''<?xml version="1.0"?>
<OpenSCENARIO><FileHeader revMajor="1" revMinor="1" date="2021-01-01T00:00:00" description="d" author="t"/>
<ParameterDeclarations>{declarations}</ParameterDeclarations><CatalogLocations/>
<RoadNetwork><LogicFile filepath="road.xodr"/></RoadNetwork><Entities>{CAR}{SIDE}</Entities>
<Storyboard><Init><Actions>
<Private entityRef="Ego"><PrivateAction><TeleportAction><Position><LanePosition roadId="1" laneId="-1" s="50"
 offset="0"/></Position></TeleportAction></PrivateAction></Private>
<Private entityRef="Side"><PrivateAction><TeleportAction><Position>{side_position}</Position></TeleportAction>
</PrivateAction></Private>
</Actions></Init><StopTrigger/></Storyboard></OpenSCENARIO>''')
    return path


def _side_position(scenario):
    private = scenario.document.storyboard.init.actions.privates[1]
    return private.private_actions[0].teleport_action.position.relative_lane_position


# ALKS 4.1_3 (asam-oss/OSC-ALKS-scenarios, Scenarios/): a string parameter "1"/"-1" multiplied in an expression
ALKS_4_1_3 = ('<RelativeLanePosition entityRef="Ego" dLane="$Lane" ds="0" '
              'offset="${$Lane * -$Offset}"/>')


@pytest.mark.parametrize("lane,offset", [("1", -0.5), ("-1", 0.5), (" +1 ", -0.5)])
def test_a_string_parameter_that_spells_a_number_counts_as_that_number_in_arithmetic(tmp_path, lane, offset):
    path = _scenario(tmp_path, f'<ParameterDeclaration name="Lane" parameterType="string" value="{lane}"/>'
                     '<ParameterDeclaration name="Offset" parameterType="double" value="0.5"/>', ALKS_4_1_3)
    assert validate_file(path) == []
    pos = _side_position(load_scenario(path))
    assert pos.offset == offset and isinstance(pos.offset, float)
    assert pos.d_lane == int(lane)


def test_an_integer_string_keeps_integer_arithmetic(tmp_path):
    path = _scenario(tmp_path, '<ParameterDeclaration name="Lane" parameterType="string" value="2"/>',
                     '<RelativeLanePosition entityRef="Ego" dLane="${$Lane - 3}" ds="0" offset="0"/>')
    assert _side_position(load_scenario(path)).d_lane == -1


@pytest.mark.parametrize("text", ["one", "1 2", "0x10", "1e", ""])
def test_a_string_parameter_that_is_no_number_is_still_a_located_error(tmp_path, text):
    path = _scenario(tmp_path, f'<ParameterDeclaration name="Lane" parameterType="string" value="{text}"/>'
                     '<ParameterDeclaration name="Offset" parameterType="double" value="0.5"/>', ALKS_4_1_3)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    loc = exc.value.location
    assert loc.file.endswith("s.xosc") and loc.line and "Lane" in str(exc.value)
    assert any("needs numbers" in str(e) for e in validate_file(path))


# The ASAM checker's DoubleLaneChangerWrongAttributes.xosc (RA-Consulting-GmbH/openscenario.api.test): values
# the XSD rejects beside a problem only the loader sees (a parameter declared as '$owner')
WRONG = ('<ParameterDeclaration name="Offset" parameterType="double" value="0.5"/>'
         '<ParameterDeclaration name="$owner" parameterType="string" value="Ego"/>')


def test_validate_with_the_schema_still_lists_the_loaders_problems(tmp_path):
    path = _scenario(tmp_path, WRONG, '<RelativeLanePosition entityRef="$owner" dLane="ezert" ds="0" offset="0"/>')
    plain = {(e.location.line, e.cause) for e in validate_file(path)}
    both = {(e.location.line, e.cause) for e in validate_file(path, schema=True)}
    assert any("'$owner'" in cause for _, cause in plain)
    assert plain <= both  # before: the XSD's complaint about dLane="ezert" hid every loader finding
    assert any("schema" in cause and "ezert" in cause for _, cause in both)


def test_validate_with_the_schema_lists_a_distributions_problems(tmp_path):
    scenario = _scenario(tmp_path, '<ParameterDeclaration name="Lane" parameterType="integer" value="1"/>',
                         '<RelativeLanePosition entityRef="Ego" dLane="$Lane" ds="0" offset="0"/>')
    dist = tmp_path / "d.xosc"
    dist.write_text(f'''<?xml version="1.0"?>
<OpenSCENARIO><FileHeader revMajor="1" revMinor="1" date="2021-01-01T00:00:00" description="d" author="t"
 bogus="1"/><ParameterValueDistribution><ScenarioFile filepath="{scenario.name}"/><Deterministic>
<DeterministicSingleParameterDistribution parameterName="Nope"><DistributionSet><Element value="2"/>
</DistributionSet></DeterministicSingleParameterDistribution></Deterministic></ParameterValueDistribution>
</OpenSCENARIO>''')
    plain = {e.cause for e in validate_file(dist)}
    both = {e.cause for e in validate_file(dist, schema=True)}
    assert any("Nope" in c for c in plain) and plain <= both
    assert any("bogus" in c for c in both)


# The ASAM checker's DoubleLaneChangerExpressionsError.xosc: messages show values as the file writes them
@pytest.mark.parametrize("declaration,expression,shown", [
    ('<ParameterDeclaration name="P" parameterType="dateTime" value="2017-02-24T10:00:00"/>', "${$P + 1}",
     "the dateTime 2017-02-24T10:00:00"),
    ('<ParameterDeclaration name="P" parameterType="boolean" value="false"/>', "${$P + 1}", "the boolean false"),
    ('<ParameterDeclaration name="P" parameterType="string" value="test"/>', "${$P + 1}", "the string 'test'"),
    ('<ParameterDeclaration name="P" parameterType="double" value="-9"/>', "${sqrt($P)}", "sqrt(-9.0) is undefined"),
])
def test_expression_errors_show_values_as_written(tmp_path, declaration, expression, shown):
    path = _scenario(tmp_path, declaration,
                     f'<RelativeLanePosition entityRef="Ego" dLane="1" ds="0" offset="{expression}"/>')
    causes = [e.cause for e in validate_file(path)]
    assert any(shown in c for c in causes), causes


# The ASAM checker's DoubleLaneChangerParamsConversionErrors.xosc: integer parameter "testBoolean" = "false"
def test_a_reference_to_a_parameter_whose_declaration_failed_names_that_declaration(tmp_path):
    path = _scenario(tmp_path, '<ParameterDeclaration name="Lane" parameterType="integer" value="false"/>',
                     '<RelativeLanePosition entityRef="Ego" dLane="$Lane" ds="0" offset="0"/>')
    causes = {e.location.line: e.cause for e in validate_file(path)}
    declared_at = next(line for line, c in causes.items() if "expected int, got 'false'" in c)
    assert any(f"'Lane' has no value: its declaration (line {declared_at}) is in error" in c
               for c in causes.values()), causes
    assert not any("not declared" in c for c in causes.values())


# The ASAM checker's DoubleLaneChangerVariablesWrongDataTypes1_3.xosc: wrong variable values beside binding errors
def test_wrong_variable_values_are_reported_beside_binding_errors(tmp_path):
    path = _scenario(tmp_path, '<ParameterDeclaration name="$owner" parameterType="string" value="Ego"/>',
                     '<RelativeLanePosition entityRef="Ego" dLane="1" ds="0" offset="0"/>')
    text = path.read_text().replace('revMinor="1"', 'revMinor="3"').replace(
        "</ParameterDeclarations>", '</ParameterDeclarations><VariableDeclarations>'
        '<VariableDeclaration name="d" variableType="double" value="wrongDouble"/>'
        '<VariableDeclaration name="b" variableType="boolean" value="wrongBoolean"/></VariableDeclarations>')
    path.write_text(text)
    causes = [e.cause for e in validate_file(path)]
    assert any("'$owner'" in c for c in causes)
    assert any("'d': expected double, got 'wrongDouble'" in c for c in causes), causes
    assert any("'b': expected boolean" in c for c in causes), causes


# The ASAM checker's ALKS_Scenario_4.2_1_FullyBlockingTarget_ParameterValidationWrongDataTypes.xosc
def test_a_constraint_value_not_of_the_parameters_type_is_named_as_the_fault(tmp_path):
    path = _scenario(tmp_path, '<ParameterDeclaration name="Gap" parameterType="double" value="30"><ConstraintGroup>'
                     '<ValueConstraint rule="greaterThan" value="wrongDouble"/></ConstraintGroup></ParameterDeclaration>',
                     '<RelativeLanePosition entityRef="Ego" dLane="1" ds="$Gap" offset="0"/>')
    causes = [e.cause for e in validate_file(path)]
    assert any("the constraint value 'wrongDouble'" in c and "expected double" in c for c in causes), causes
    assert not any("violates" in c for c in causes)


def test_a_lane_id_that_is_no_integer_is_reported_by_validate(tmp_path):
    path = _scenario(tmp_path, "", '<LanePosition roadId="1" laneId="Ego_InitPosition_LaneId" s="10" offset="0"/>')
    errors = validate_file(path)
    assert [e.location.element for e in errors] == ["LanePosition"], errors
    assert "'Ego_InitPosition_LaneId' names no lane" in errors[0].cause


@pytest.mark.parametrize("lane", ["-1", "1", " -1 "])
def test_integer_lane_ids_pass(tmp_path, lane):
    path = _scenario(tmp_path, "", f'<LanePosition roadId="1" laneId="{lane}" s="10" offset="0"/>')
    assert validate_file(path) == []


# esmini's light_state.xosc: catalogName="MiscObjectCatalog" names the file MiscObjectCatalog.xosc, whose
# <Catalog name="MiscObject"> carries another name; esmini finds catalogs by file name
CONE_CATALOG = '''<?xml version="1.0"?>
<OpenSCENARIO><FileHeader revMajor="1" revMinor="1" date="2024-12-17T08:00:00" description="c" author="t"/>
<Catalog name="{name}"><MiscObject name="cone-100" mass="1" miscObjectCategory="obstacle"><BoundingBox>
<Center x="0" y="0" z="0.5"/><Dimensions width="0.4" length="0.4" height="1.0"/></BoundingBox><Properties/>
</MiscObject></Catalog></OpenSCENARIO>'''


def _cone_scenario(tmp_path, catalog_name, file_stem, reference):
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / f"{file_stem}.xosc").write_text(CONE_CATALOG.format(name=catalog_name))
    path = _scenario(tmp_path, "", '<RelativeLanePosition entityRef="Ego" dLane="1" ds="5" offset="0"/>')
    text = path.read_text().replace("<CatalogLocations/>", '<CatalogLocations><MiscObjectCatalog><Directory '
                                    'path="cat"/></MiscObjectCatalog></CatalogLocations>')
    text = text.replace("</Entities>", f'<ScenarioObject name="Cone"><CatalogReference catalogName="{reference}" '
                        'entryName="cone-100"/></ScenarioObject></Entities>')
    path.write_text(text)
    return path


def test_a_catalog_reference_falls_back_to_the_catalog_file_of_that_name(tmp_path):
    path = _cone_scenario(tmp_path, "MiscObject", "MiscObjectCatalog", "MiscObjectCatalog")
    assert validate_file(path) == []
    cone = load_scenario(path).document.entities.scenario_objects[2]
    assert cone.catalog_reference.resolved.name == "cone-100"


def test_a_catalog_name_no_catalog_or_file_carries_is_still_an_error(tmp_path):
    path = _cone_scenario(tmp_path, "MiscObject", "MiscObjectCatalog", "Cones")
    causes = [e.cause for e in validate_file(path)]
    assert any("unknown catalog 'Cones'" in c for c in causes), causes


# esmini's follow_reference.xosc declares lane_change_duration="2" twice in its global declarations
def test_an_identical_repeated_declaration_is_accepted(tmp_path):
    decl = '<ParameterDeclaration name="Gap" parameterType="double" value="2"/>'
    path = _scenario(tmp_path, decl + decl, '<RelativeLanePosition entityRef="Ego" dLane="1" ds="$Gap" offset="0"/>')
    assert validate_file(path) == []
    assert _side_position(load_scenario(path)).ds == 2.0


@pytest.mark.parametrize("second", ['<ParameterDeclaration name="Gap" parameterType="double" value="3"/>',
                                    '<ParameterDeclaration name="Gap" parameterType="string" value="2"/>'])
def test_a_repeated_declaration_that_differs_is_still_an_error(tmp_path, second):
    first = '<ParameterDeclaration name="Gap" parameterType="double" value="2"/>'
    path = _scenario(tmp_path, first + second, '<RelativeLanePosition entityRef="Ego" dLane="1" ds="$Gap" offset="0"/>')
    causes = [e.cause for e in validate_file(path)]
    assert any("'Gap' is declared twice" in c and "first at line" in c for c in causes), causes


# esmini's synchronize.xosc assigns its HWManeuvers entry parameterRef="$MS1EgoS" while the scenario has a
# global MS1EgoS too: the '$' is dropped (a parameterRef names a parameter), it is no reference to the global
CAR_CATALOG = '''<?xml version="1.0"?>
<OpenSCENARIO><FileHeader revMajor="1" revMinor="1" date="2024-12-17T08:00:00" description="c" author="t"/>
<Catalog name="Cars"><Vehicle name="car" vehicleCategory="car"><ParameterDeclarations>
<ParameterDeclaration name="Top" parameterType="double" value="50"/></ParameterDeclarations><BoundingBox>
<Center x="1.4" y="0" z="0.9"/><Dimensions width="2" length="5" height="1.8"/></BoundingBox>
<Performance maxSpeed="$Top" maxDeceleration="10" maxAcceleration="5"/><Axles><FrontAxle maxSteering="0.5"
wheelDiameter="0.8" trackWidth="1.68" positionX="2.98" positionZ="0.4"/><RearAxle maxSteering="0.5"
wheelDiameter="0.8" trackWidth="1.68" positionX="0" positionZ="0.4"/></Axles></Vehicle></Catalog></OpenSCENARIO>'''


@pytest.mark.parametrize("ref", ["$Top", "Top"])
def test_a_parameter_assignment_names_its_parameter_with_or_without_dollar(tmp_path, ref):
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "cars.xosc").write_text(CAR_CATALOG)
    path = _scenario(tmp_path, '<ParameterDeclaration name="Top" parameterType="double" value="300"/>',
                     '<RelativeLanePosition entityRef="Ego" dLane="1" ds="5" offset="0"/>')
    text = path.read_text().replace("<CatalogLocations/>", '<CatalogLocations><VehicleCatalog><Directory '
                                    'path="cat"/></VehicleCatalog></CatalogLocations>')
    text = text.replace(SIDE, '<ScenarioObject name="Side"><CatalogReference catalogName="Cars" entryName="car">'
                        f'<ParameterAssignments><ParameterAssignment parameterRef="{ref}" value="12"/>'
                        '</ParameterAssignments></CatalogReference></ScenarioObject>')
    path.write_text(text)
    assert validate_file(path) == []
    side = load_scenario(path).document.entities.scenario_objects[1]
    assert side.catalog_reference.resolved.performance.max_speed == 12.0


# The ASAM checker's DoubleLaneChangerDeprecationValidationErrors1_3.xosc sets deprecated attributes beside
# their replacements: equal values say one thing, different ones are an error naming both
@pytest.mark.parametrize("weather,fault", [
    ('<Sun elevation="0" azimuth="2" illuminance="3" intensity="34"/>', "'intensity' (deprecated) = 34.0"),
    ('<Precipitation precipitationType="rain" intensity="3" precipitationIntensity="20"/>',
     "'intensity' (deprecated) = 3.0"),
    ('<Sun elevation="0" azimuth="2" illuminance="3" intensity="3"/>', None),
])
def test_a_deprecated_attribute_that_disagrees_with_its_replacement_is_an_error(tmp_path, weather, fault):
    path = _scenario(tmp_path, "", '<RelativeLanePosition entityRef="Ego" dLane="1" ds="5" offset="0"/>')
    path.write_text(path.read_text().replace(
        "<Actions>", f'<Actions><GlobalAction><EnvironmentAction><Environment name="env"><Weather>{weather}'
        '</Weather></Environment></EnvironmentAction></GlobalAction>'))
    causes = [e.cause for e in validate_file(path)]
    if fault is None:
        assert causes == []
    else:
        assert len(causes) == 1 and fault in causes[0] and "disagree" in causes[0], causes


def test_a_geo_position_in_radians_and_degrees_must_agree(tmp_path):
    import math
    path = _scenario(tmp_path, "", f'<GeoPosition latitude="{math.radians(57.7)}" latitudeDeg="57.7" '
                     'longitude="0.2" longitudeDeg="11.97"/>')
    causes = [e.cause for e in validate_file(path)]
    assert len(causes) == 1 and "'longitude' (deprecated) = 0.2" in causes[0], causes


# The ASAM checker's DoubleLaneChangerVariablesWrongAction1_2.xosc: Set/ModifyActions that do not fit the
# variable's type (adding 3.4 to a string variable ended the run in an internal error)
def _with_variable_action(tmp_path, declaration, action):
    path = _scenario(tmp_path, "", '<RelativeLanePosition entityRef="Ego" dLane="1" ds="5" offset="0"/>')
    text = path.read_text().replace('revMinor="1"', 'revMinor="2"').replace(
        "</ParameterDeclarations>", f"</ParameterDeclarations><VariableDeclarations>{declaration}"
        "</VariableDeclarations>")
    story = ('<Story name="s"><Act name="a"><ManeuverGroup name="g" maximumExecutionCount="1"><Actors '
             'selectTriggeringEntities="false"/><Maneuver name="m"><Event name="e" priority="override"><Action '
             f'name="x"><GlobalAction>{action}</GlobalAction></Action><StartTrigger><ConditionGroup><Condition '
             'name="c" delay="0" conditionEdge="none"><ByValueCondition><SimulationTimeCondition value="1" '
             'rule="greaterThan"/></ByValueCondition></Condition></ConditionGroup></StartTrigger></Event>'
             '</Maneuver></ManeuverGroup><StartTrigger><ConditionGroup><Condition name="c0" delay="0" '
             'conditionEdge="none"><ByValueCondition><SimulationTimeCondition value="0" rule="greaterOrEqual"/>'
             '</ByValueCondition></Condition></ConditionGroup></StartTrigger></Act></Story>')
    path.write_text(text.replace("</Init>", "</Init>" + story))
    return path


@pytest.mark.parametrize("declaration,action,fault", [
    ('<VariableDeclaration name="b" variableType="boolean" value="true"/>',
     '<VariableAction variableRef="b"><SetAction value="wrongBoolean"/></VariableAction>',
     "SetAction value 'wrongBoolean' is not a boolean"),
    ('<VariableDeclaration name="s" variableType="string" value="x"/>',
     '<VariableAction variableRef="s"><ModifyAction><Rule><AddValue value="3.4"/></Rule></ModifyAction>'
     '</VariableAction>', "variable 's' is a string"),
    ('<VariableDeclaration name="d" variableType="double" value="1"/>',
     '<VariableAction variableRef="d"><ModifyAction><Rule><AddValue value="3.4"/></Rule></ModifyAction>'
     '</VariableAction>', None),
    ('<VariableDeclaration name="d" variableType="dateTime" value="2021-07-09T11:00:00"/>',
     '<VariableAction variableRef="d"><SetAction value="2022-01-01T00:00:00"/></VariableAction>', None),
])
def test_a_set_or_modify_action_must_fit_the_variables_type(tmp_path, declaration, action, fault):
    path = _with_variable_action(tmp_path, declaration, action)
    causes = [e.cause for e in validate_file(path)]
    if fault is None:
        assert causes == []
    else:
        assert len(causes) == 1 and fault in causes[0], causes
        with pytest.raises(ScenarioError):
            load_scenario(path)
