"""Files written the way esmini's own resources are: they load, and only what is really wrong is reported.

Each test writes a minimal file of its own in the shape found in esmini's examples
(a 0.9-era catalog, a step transition without value, esmini's trailer extension, ...).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simplatform.errors import ScenarioError
from simplatform.openscenario import load_scenario
from simplatform.openscenario.validation import validate_file

ROAD = '''<?xml version="1.0"?>
<OpenDRIVE><header revMajor="1" revMinor="4" name="r"/>
<road name="r" length="500" id="1" junction="-1"><link/><planView>
<geometry s="0" x="0" y="0" hdg="0" length="500"><line/></geometry></planView>
<lanes><laneSection s="0"><left><lane id="1" type="driving" level="false"><link/>
<width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane></left>
<center><lane id="0" type="driving" level="false"><link/></lane></center>
<right><lane id="-1" type="driving" level="false"><link/><width sOffset="0" a="3.5" b="0" c="0" d="0"/></lane>
</right></laneSection></lanes></road></OpenDRIVE>
'''

AXLES = ('<Axles><FrontAxle maxSteering="0.5" wheelDiameter="0.8" trackWidth="1.68" positionX="2.98" positionZ="0.4"/>'
         '<RearAxle maxSteering="0.5" wheelDiameter="0.8" trackWidth="1.68" positionX="0" positionZ="0.4"/></Axles>')


def vehicle(name: str, performance: str = 'maxSpeed="69" maxDeceleration="10" maxAcceleration="5"',
            extra: str = "", declarations: str = "") -> str:
    return (f'<Vehicle name="{name}" vehicleCategory="car">{declarations}<BoundingBox><Center x="1.4" y="0" z="0.9"/>'
            f'<Dimensions width="2" length="5" height="1.8"/></BoundingBox><Performance {performance}/>{AXLES}'
            f'{extra}</Vehicle>')


def catalog(folder: Path, entries: str, rev: tuple[int, int] = (1, 1)) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "VehicleCatalog.xosc").write_text(
        f'<?xml version="1.0"?><OpenSCENARIO><FileHeader revMajor="{rev[0]}" revMinor="{rev[1]}" '
        f'date="2020-01-01T00:00:00" description="c" author="t"/>'
        f'<Catalog name="VehicleCatalog">{entries}</Catalog></OpenSCENARIO>')


def scenario(tmp: Path, *, entities: str, init: str = "", events: str = "", params: str = "",
             rev: tuple[int, int] = (1, 1)) -> Path:
    (tmp / "road.xodr").write_text(ROAD)
    events = events or event("idle", speed('dynamicsShape="step" dynamicsDimension="time" value="0"'))
    path = tmp / "s.xosc"
    path.write_text(f'''<?xml version="1.0"?>
<OpenSCENARIO><FileHeader revMajor="{rev[0]}" revMinor="{rev[1]}" date="2021-01-01T00:00:00" description="d" author="t"/>
<ParameterDeclarations>{params}</ParameterDeclarations>
<CatalogLocations><VehicleCatalog><Directory path="Catalogs/Vehicles"/></VehicleCatalog></CatalogLocations>
<RoadNetwork><LogicFile filepath="road.xodr"/></RoadNetwork>
<Entities>{entities}</Entities>
<Storyboard><Init><Actions>{init}</Actions></Init>
<Story name="s"><Act name="a"><ManeuverGroup maximumExecutionCount="1" name="g">
<Actors selectTriggeringEntities="false"><EntityRef entityRef="Ego"/></Actors>
<Maneuver name="m">{events}</Maneuver></ManeuverGroup>
<StartTrigger><ConditionGroup><Condition name="go" delay="0" conditionEdge="none"><ByValueCondition>
<SimulationTimeCondition value="0" rule="greaterThan"/></ByValueCondition></Condition></ConditionGroup></StartTrigger>
</Act></Story><StopTrigger/></Storyboard></OpenSCENARIO>''')
    return path


def event(name: str, action: str, condition_attrs: str = 'delay="0" conditionEdge="none"') -> str:
    return (f'<Event name="{name}" priority="overwrite"><Action name="a_{name}">{action}</Action><StartTrigger>'
            f'<ConditionGroup><Condition name="c_{name}" {condition_attrs}><ByValueCondition>'
            '<SimulationTimeCondition value="1" rule="greaterThan"/></ByValueCondition></Condition></ConditionGroup>'
            '</StartTrigger></Event>')


def speed(dynamics: str, target: float = 10.0) -> str:
    return (f'<PrivateAction><LongitudinalAction><SpeedAction><SpeedActionDynamics {dynamics}/><SpeedActionTarget>'
            f'<AbsoluteTargetSpeed value="{target}"/></SpeedActionTarget></SpeedAction></LongitudinalAction>'
            '</PrivateAction>')


EGO_REF = '<ScenarioObject name="Ego"><CatalogReference catalogName="VehicleCatalog" entryName="car"/></ScenarioObject>'


def ego_vehicle(s):
    return next(o for o in s.entities.scenario_objects if o.name == "Ego").catalog_reference.resolved


def test_a_pre_asam_catalog_loads_with_esminis_acceleration_default(tmp_path):
    """esmini's old VehicleCatalog says revMajor 0 revMinor 9 and has no maxAcceleration (0.9 had none)."""
    catalog(tmp_path / "Catalogs" / "Vehicles", vehicle("car", 'maxSpeed="69" maxDeceleration="30"'), rev=(0, 9))
    s = load_scenario(scenario(tmp_path, entities=EGO_REF))
    assert ego_vehicle(s).performance.max_acceleration == 10.0
    assert validate_file(tmp_path / "Catalogs" / "Vehicles" / "VehicleCatalog.xosc") == []


def test_a_1x_catalog_without_max_acceleration_is_still_reported(tmp_path):
    catalog(tmp_path / "Catalogs" / "Vehicles", vehicle("car", 'maxSpeed="69" maxDeceleration="30"'), rev=(1, 0))
    errors = validate_file(scenario(tmp_path, entities=EGO_REF))
    assert any("missing required attribute 'maxAcceleration'" in e.cause for e in errors)


def test_a_pre_asam_scenario_is_still_refused(tmp_path):
    catalog(tmp_path / "Catalogs" / "Vehicles", vehicle("car"))
    with pytest.raises(ScenarioError, match="unsupported OpenSCENARIO version 0.9"):
        load_scenario(scenario(tmp_path, entities=EGO_REF, rev=(0, 9)))


def test_a_string_expression_concatenates_like_esmini(tmp_path):
    """cut-in.xosc names a condition ${BrakeCondition_HWT + _ + $HeadwayTime_Brake}."""
    catalog(tmp_path / "Catalogs" / "Vehicles", vehicle("car"))
    ev = event("brake", speed('dynamicsShape="step" dynamicsDimension="time" value="0"'))
    ev = ev.replace('name="c_brake"', 'name="${BrakeCondition_HWT + _ + $Hwt}"')
    s = load_scenario(scenario(tmp_path, entities=EGO_REF, events=ev,
                               params='<ParameterDeclaration name="Hwt" parameterType="double" value="0.7"/>'))
    names = [c.name for c in s.storyboard.stories[0].acts[0].maneuver_groups[0].maneuvers[0].events[0]
             .start_trigger.condition_groups[0].conditions]
    assert names == ["BrakeCondition_HWT_0.7"]


def test_a_bare_name_in_a_numeric_expression_is_still_an_error(tmp_path):
    catalog(tmp_path / "Catalogs" / "Vehicles", vehicle("car"))
    ev = event("go", speed('dynamicsShape="step" dynamicsDimension="time" value="0"', target="${Speed + 1}"))
    errors = validate_file(scenario(tmp_path, entities=EGO_REF, events=ev))
    assert any("unknown function or name 'Speed'" in e.cause for e in errors)


def test_a_step_transition_may_omit_dimension_and_value(tmp_path):
    catalog(tmp_path / "Catalogs" / "Vehicles", vehicle("car"))
    s = load_scenario(scenario(tmp_path, entities=EGO_REF, events=event("go", speed('dynamicsShape="step"'))))
    dyn = (s.storyboard.stories[0].acts[0].maneuver_groups[0].maneuvers[0].events[0].actions[0]
           .private_action.longitudinal_action.speed_action.speed_action_dynamics)
    assert (str(dyn.dynamics_dimension), dyn.value) == ("time", 0.0)


def test_a_linear_transition_without_value_is_still_reported(tmp_path):
    catalog(tmp_path / "Catalogs" / "Vehicles", vehicle("car"))
    errors = validate_file(scenario(tmp_path, entities=EGO_REF,
                                    events=event("go", speed('dynamicsShape="linear" dynamicsDimension="time"'))))
    assert [e.cause for e in errors] == ["missing required attribute 'value'"]


def test_a_condition_without_edge_or_delay_reads_as_esmini_does(tmp_path):
    catalog(tmp_path / "Catalogs" / "Vehicles", vehicle("car"))
    s = load_scenario(scenario(tmp_path, entities=EGO_REF,
                               events=event("go", speed('dynamicsShape="step"'), condition_attrs="")))
    c = (s.storyboard.stories[0].acts[0].maneuver_groups[0].maneuvers[0].events[0]
         .start_trigger.condition_groups[0].conditions[0])
    assert (str(c.condition_edge), c.delay) == ("none", 0.0)


def test_a_relative_object_position_without_offsets_is_the_reference_itself(tmp_path):
    catalog(tmp_path / "Catalogs" / "Vehicles", vehicle("car"))
    tele = ('<PrivateAction><TeleportAction><Position><RelativeObjectPosition entityRef="Ego"/></Position>'
            '</TeleportAction></PrivateAction>')
    s = load_scenario(scenario(tmp_path, entities=EGO_REF, events=event("go", tele)))
    pos = (s.storyboard.stories[0].acts[0].maneuver_groups[0].maneuvers[0].events[0].actions[0]
           .private_action.teleport_action.position.relative_object_position)
    assert (pos.dx, pos.dy) == (0.0, 0.0)


ESMINI_TRAILER = '<TrailerHitch dx="-1.2"/><Trailer><EntityRef entityRef="$TrailerRef"/></Trailer>'


def test_esminis_trailer_extension_with_an_empty_reference_is_no_trailer(tmp_path):
    decl = ('<ParameterDeclarations><ParameterDeclaration name="TrailerRef" parameterType="string" value=""/>'
            '</ParameterDeclarations>')
    catalog(tmp_path / "Catalogs" / "Vehicles", vehicle("car", extra=ESMINI_TRAILER, declarations=decl))
    s = load_scenario(scenario(tmp_path, entities=EGO_REF))
    assert ego_vehicle(s).trailer is None


def test_esminis_trailer_extension_maps_to_the_13_trailer(tmp_path):
    inline = ('<TrailerHitch dx="-1.2"/><Trailer>' + vehicle("caravan").replace('vehicleCategory="car"',
                                                                                 'vehicleCategory="trailer"')
              + '</Trailer>')
    entries = vehicle("car", extra=inline) + vehicle(
        "towing", extra='<Trailer><EntityRef entityRef="Other"/></Trailer>')
    catalog(tmp_path / "Catalogs" / "Vehicles", entries)
    s = load_scenario(scenario(tmp_path, entities=EGO_REF + '<ScenarioObject name="Other"><CatalogReference '
                               'catalogName="VehicleCatalog" entryName="towing"/></ScenarioObject>'))
    assert ego_vehicle(s).trailer.trailer.vehicle.name == "caravan"
    other = next(o for o in s.entities.scenario_objects if o.name == "Other").catalog_reference.resolved
    assert other.trailer.trailer_ref.entity_ref == "Other"


def test_esminis_trailer_extension_naming_both_forms_is_reported(tmp_path):
    both = '<Trailer><EntityRef entityRef="Other"/>' + vehicle("caravan") + '</Trailer>'
    catalog(tmp_path / "Catalogs" / "Vehicles", vehicle("car", extra=both))
    errors = validate_file(scenario(tmp_path, entities=EGO_REF))
    assert any("names both an entity" in e.cause and e.location.element == "Trailer" for e in errors)


def test_a_catalog_header_without_description_validates_like_esmini(tmp_path):
    folder = tmp_path / "Catalogs" / "Vehicles"
    catalog(folder, vehicle("car"))
    path = folder / "VehicleCatalog.xosc"
    path.write_text(path.read_text().replace(' description="c"', ""))
    assert validate_file(path) == []
    assert any("description" in e.cause for e in validate_file(path, schema=True))
