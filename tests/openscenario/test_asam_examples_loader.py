"""Loader behaviour met in the ASAM OpenSCENARIO example files and the UN R157 ALKS templates.

* ``TransitionDynamics`` with ``dynamicsDimension="rate"`` and ``value="0"``: inside the standard's
  range [0..inf[ (the ALKS cut-in's ``CutInVehicle_Acceleration_Rate_mps2`` = 0.0, "keep the
  speed"); it was refused at load ("a non-zero rate"); a negative time stays refused;
* a distribution that assigns a parameter its scenario does not declare (ASAM's
  EndOfTrafficJamParameterSet.xosc assigns ``Road_SceneGraph``) is an error that names the
  assigning element's line too, not only the ``ParameterValueDistribution``'s.

Each test writes its own small files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simplatform.errors import ScenarioError
from simplatform.openscenario import load_distribution, load_scenario
from simplatform.openscenario.validation import validate_file

import sys  # noqa: E402
sys.path.insert(0, str(Path(__file__).parent))
from osc_small_files import CAR, ROAD  # noqa: E402



def _scenario(tmp: Path, dynamics: str) -> Path:
    (tmp / "road.xodr").write_text(ROAD)
    path = tmp / "s.xosc"
    path.write_text(f'''<?xml version="1.0"?>
<OpenSCENARIO><FileHeader revMajor="1" revMinor="1" date="2021-01-01T00:00:00" description="d" author="t"/>
<ParameterDeclarations><ParameterDeclaration name="Rate" parameterType="double" value="0.0"/>
</ParameterDeclarations><CatalogLocations/>
<RoadNetwork><LogicFile filepath="road.xodr"/></RoadNetwork><Entities>{CAR}</Entities>
<Storyboard><Init><Actions><Private entityRef="Ego"><PrivateAction><LongitudinalAction><SpeedAction>
{dynamics}
<SpeedActionTarget><AbsoluteTargetSpeed value="10"/></SpeedActionTarget></SpeedAction></LongitudinalAction>
</PrivateAction></Private></Actions></Init><StopTrigger/></Storyboard></OpenSCENARIO>''')
    return path


def test_a_zero_rate_loads_and_validates(tmp_path):
    path = _scenario(tmp_path, '<SpeedActionDynamics dynamicsShape="linear" value="$Rate" dynamicsDimension="rate"/>')
    load_scenario(path)
    assert validate_file(path) == []


def test_a_negative_time_is_still_out_of_range(tmp_path):
    path = _scenario(tmp_path, '<SpeedActionDynamics dynamicsShape="linear" value="-1" dynamicsDimension="time"/>')
    with pytest.raises(ScenarioError, match="'value' = -1.0 is out of range"):
        load_scenario(path)


def test_an_undeclared_distribution_parameter_is_named_at_its_assignment(tmp_path):
    scenario = _scenario(tmp_path, '<SpeedActionDynamics dynamicsShape="step" value="0" dynamicsDimension="time"/>')
    dist = tmp_path / "d.xosc"
    dist.write_text(f'''<?xml version="1.0"?>
<OpenSCENARIO><FileHeader revMajor="1" revMinor="2" date="2021-01-01T00:00:00" description="d" author="t"/>
<ParameterValueDistribution><ScenarioFile filepath="{scenario.name}"/><Deterministic>
<DeterministicMultiParameterDistribution><ValueSetDistribution><ParameterValueSet>
<ParameterAssignment parameterRef="Rate" value="1"/>
<ParameterAssignment parameterRef="SceneGraph" value="x.osgb"/>
</ParameterValueSet></ValueSetDistribution></DeterministicMultiParameterDistribution></Deterministic>
</ParameterValueDistribution></OpenSCENARIO>''')
    with pytest.raises(ScenarioError) as err:
        load_distribution(dist)
    assert err.value.location.element == "ParameterValueDistribution"
    assert err.value.cause.startswith("parameter 'SceneGraph' is not declared")
    assert err.value.cause.endswith("(assigned at line 6 <ParameterAssignment>)")


def _declaring(tmp: Path, declarations: str, ref: str) -> Path:
    (tmp / "road.xodr").write_text(ROAD)
    path = tmp / "p.xosc"
    path.write_text(f'''<?xml version="1.0"?>
<OpenSCENARIO><FileHeader revMajor="1" revMinor="2" date="2021-01-01T00:00:00" description="d" author="t"/>
<ParameterDeclarations>{declarations}</ParameterDeclarations><CatalogLocations/>
<RoadNetwork><LogicFile filepath="road.xodr"/></RoadNetwork><Entities>{CAR}</Entities>
<Storyboard><Init><Actions><Private entityRef="{ref}"><PrivateAction><LongitudinalAction><SpeedAction>
<SpeedActionDynamics dynamicsShape="step" value="0" dynamicsDimension="time"/>
<SpeedActionTarget><AbsoluteTargetSpeed value="10"/></SpeedActionTarget></SpeedAction></LongitudinalAction>
</PrivateAction></Private></Actions></Init><StopTrigger/></Storyboard></OpenSCENARIO>''')
    return path


def test_a_parameter_declared_with_a_dollar_name_is_a_clear_error(tmp_path):
    """ASAM's FollowTrajectory_Nurbs.xosc: ``name="$owner"`` makes the name a reference."""
    path = _declaring(tmp_path, '<ParameterDeclaration name="$owner" parameterType="string" value="Ego"/>',
                      "$owner")
    errors = validate_file(path)
    first = errors[0]
    assert first.location.line == 3 and first.location.element == "ParameterDeclaration"
    assert "declared by its name without '$' (name=\"owner\")" in first.cause
    assert any("parameter 'owner' is not declared" in e.cause for e in errors[1:])


def test_a_dollar_name_that_references_a_declared_parameter_still_declares_it(tmp_path):
    decls = ('<ParameterDeclaration name="which" parameterType="string" value="owner"/>'
             '<ParameterDeclaration name="$which" parameterType="string" value="Ego"/>')
    path = _declaring(tmp_path, decls, "$owner")
    assert validate_file(path) == []


def _placed_relative(tmp: Path, other_position: str) -> Path:
    """Ego placed 50 m behind Other in a Private written before Other's (SlowPrecedingVehicle.xosc)."""
    (tmp / "road.xodr").write_text(ROAD)
    other = CAR.replace('name="Ego"', 'name="Other"')
    path = tmp / "i.xosc"
    path.write_text(f'''<?xml version="1.0"?>
<OpenSCENARIO><FileHeader revMajor="1" revMinor="3" date="2021-01-01T00:00:00" description="d" author="t"/>
<CatalogLocations/><RoadNetwork><LogicFile filepath="road.xodr"/></RoadNetwork><Entities>{CAR}{other}</Entities>
<Storyboard><Init><Actions>
<Private entityRef="Ego"><PrivateAction><TeleportAction><Position><RelativeLanePosition entityRef="Other" dLane="0"
 ds="-50"/></Position></TeleportAction></PrivateAction></Private>
<Private entityRef="Other"><PrivateAction><TeleportAction><Position>{other_position}</Position></TeleportAction>
</PrivateAction></Private>
</Actions></Init><StopTrigger/></Storyboard></OpenSCENARIO>''')
    return path


def test_init_privates_come_after_the_entities_their_positions_refer_to(tmp_path):
    sc = load_scenario(_placed_relative(tmp_path, '<LanePosition roadId="1" laneId="-1" s="200"/>'))
    assert [p.entity_ref for p in sc.storyboard.init.actions.privates] == ["Other", "Ego"]


def test_init_privates_that_refer_to_each_other_keep_their_file_order(tmp_path):
    sc = load_scenario(_placed_relative(tmp_path, '<RelativeLanePosition entityRef="Ego" dLane="0" ds="50"/>'))
    assert [p.entity_ref for p in sc.storyboard.init.actions.privates] == ["Ego", "Other"]
