"""Loading real-style scenarios: every version, typed values, positions, actions, conditions."""

import dataclasses
from datetime import datetime

import pytest

from simplatform.errors import ParameterError, ScenarioError
from simplatform.openscenario import load_scenario, model, parse_position
from simplatform.openscenario.model import (
    ConditionEdge, DynamicsDimension, DynamicsShape, FollowingMode, Priority, Rule,
)


@pytest.mark.parametrize("minor", [0, 1, 2, 3])
def test_scenariogeneration_output_loads_in_every_version(generated, minor):
    s = load_scenario(generated["scenarios"][minor])
    assert s.version == (1, minor)
    assert s.road_network_path.name == "straight.xodr"
    assert s.parameters == {"EgoSpeed": 30.0}
    target_group = s.storyboard.stories[0].acts[0].maneuver_groups[0]
    cut_in, follow = target_group.maneuvers[0].events
    lc = cut_in.actions[0].private_action.lateral_action.lane_change_action
    assert isinstance(lc, model.LaneChangeAction)
    assert lc.lane_change_action_dynamics.dynamics_shape is DynamicsShape.SINUSOIDAL
    assert lc.lane_change_target.absolute_target_lane.value == "-1"
    cond = cut_in.start_trigger.condition_groups[0].conditions[0]
    rdc = cond.by_entity_condition.entity_condition.relative_distance_condition
    assert isinstance(rdc, model.RelativeDistanceCondition)
    assert (rdc.entity_ref, rdc.value, rdc.rule, rdc.freespace) == ("Ego", 10.0, Rule.GREATER_THAN, True)
    fta = follow.actions[0].private_action.routing_action.follow_trajectory_action
    trajectory = fta.trajectory if minor == 0 else fta.trajectory_ref.trajectory
    vertices = trajectory.shape.polyline.vertices
    assert [v.time for v in vertices] == [0.0, 2.0, 4.0]
    assert vertices[1].position.lane_position.s == 80.0
    walk = s.storyboard.stories[0].acts[0].maneuver_groups[1].maneuvers[0].events[0]
    sync = walk.actions[0].private_action.synchronize_action
    assert sync.master_entity_ref == "Ego"
    assert sync.target_position.world_position.y == -3.0


def test_esmini_style_cut_in_resolves_parameters_and_catalogs(data_dir):
    s = load_scenario(data_dir / "xosc" / "highway_cut_in.xosc")
    assert s.version == (1, 0)
    assert s.road_network_path.name == "straight_500m.xodr" and s.road_network_path.is_file()
    assert s.parameters["CutInLane"] == -1 and s.parameters["UseAcc"] is False
    init = s.storyboard.init.actions
    target_speed = init.privates[1].private_actions[1].longitudinal_action.speed_action
    assert target_speed.speed_action_target.absolute_target_speed.value == pytest.approx(33.3 * 1.1)
    assert init.privates[1].private_actions[0].teleport_action.position.lane_position.offset == 0.2
    lc = s.storyboard.stories[0].acts[0].maneuver_groups[0].maneuvers[0].events[0].actions[0] \
        .private_action.lateral_action.lane_change_action
    assert lc.target_lane_offset == 0.0  # the 1.0 attribute is kept
    assert lc.lane_change_target.relative_target_lane.value == 0
    brake = s.storyboard.stories[0].acts[0].maneuver_groups[0].maneuvers[0].events[1]
    dyn = brake.actions[0].private_action.longitudinal_action.speed_action.speed_action_dynamics
    assert (dyn.dynamics_dimension, dyn.value) == (DynamicsDimension.RATE, -4.0)
    headway = brake.start_trigger.condition_groups[0].conditions[0].by_entity_condition.entity_condition
    assert headway.time_headway_condition.along_route is True
    stop = s.storyboard.stop_trigger.condition_groups[0].conditions[0]
    assert stop.delay == 2.0 and stop.condition_edge is ConditionEdge.RISING
    assert stop.by_value_condition.storyboard_element_state_condition.storyboard_element_ref == "CutInManeuver"


def test_parameter_overrides_change_every_use(data_dir):
    s = load_scenario(data_dir / "xosc" / "highway_cut_in.xosc",
                      {"EgoSpeed": 20, "TargetSpeedFactor": "1.5", "EgoVehicle": "truck", "UseAcc": True})
    assert s.parameters["EgoSpeed"] == 20.0 and s.parameters["UseAcc"] is True
    privates = s.storyboard.init.actions.privates
    assert privates[1].private_actions[1].longitudinal_action.speed_action.speed_action_target \
        .absolute_target_speed.value == 30.0
    assert s.entity_object("Ego").name == "truck"


def test_unknown_or_mistyped_override_is_a_parameter_error(data_dir):
    with pytest.raises(ParameterError, match="no parameter 'Nope'"):
        load_scenario(data_dir / "xosc" / "highway_cut_in.xosc", {"Nope": 1})
    with pytest.raises(ParameterError, match="expected double"):
        load_scenario(data_dir / "xosc" / "highway_cut_in.xosc", {"EgoSpeed": "fast"})


def test_carla_style_file_keeps_town_controller_module_and_criteria(data_dir):
    s = load_scenario(data_dir / "xosc" / "carla_follow_leading.xosc")
    assert s.road_network_path is None and s.road_network_name == "Town01"
    hero = s.storyboard.init.actions.privates[0]
    assign = hero.private_actions[1].controller_action.assign_controller_action
    assert assign.controller.properties.properties[0].value == "external_control"
    override = hero.private_actions[1].controller_action.override_controller_value_action
    assert override.gear.active is False
    events = s.storyboard.stories[0].acts[0].maneuver_groups[0].maneuvers[0].events
    assert events[1].priority is Priority.PARALLEL
    custom = events[1].actions[0].user_defined_action.custom_command_action
    assert (custom.type, custom.content) == ("python", 'print("honk")')
    criteria = [c.name for c in s.storyboard.stop_trigger.condition_groups[0].conditions]
    assert criteria == ["criteria_RunningStopTest", "criteria_CollisionTest", "criteria_DrivenDistanceTest"]
    weather = s.storyboard.init.actions.global_actions[0].environment_action.environment.weather
    assert weather.cloud_state is model.CloudState.FREE


@pytest.fixture(scope="module")
def sink(data_dir):
    return load_scenario(data_dir / "xosc" / "kitchen_sink_1_3.xosc")


def _event(sink, name):
    events = sink.storyboard.stories[0].acts[0].maneuver_groups[0].maneuvers[0].events
    return next(e for e in events if e.name == name)


def _action(sink, event, name):
    return next(a for a in _event(sink, event).actions if a.name == name)


def test_kitchen_sink_header_types_and_variables(sink):
    assert sink.version == (1, 3)
    assert sink.file_header.date == datetime(2024, 5, 1, 8, 30)
    assert sink.file_header.license.spdx_id == "MPL-2.0"
    assert sink.parameters == {"Speed": 20.0, "Lanes": 2, "Counter": 3, "Flag": True,
                               "Start": datetime(2024, 5, 1, 8, 30), "Shape": "cubic"}
    assert sink.variables == {"Phase": 0, "Armed": False}
    tsc = sink.road_network.traffic_signals.traffic_signal_controllers[0]
    assert [(p.name, p.duration) for p in tsc.phases] == [("go", 30.0), ("stop", 30.0)]
    assert tsc.phases[0].traffic_signal_states[0].traffic_signal_id == "101"


def test_kitchen_sink_entities(sink):
    ego = sink.entity_object("Ego")
    assert isinstance(ego, model.Vehicle) and ego.role is model.Role.NONE
    assert ego.performance.max_acceleration_rate == 3.0
    assert ego.axles.additional_axles[0].position_x == -1.0
    assert sink.scenario_object("Ego").object_controllers[0].controller.controller_type is model.ControllerType.MOVEMENT
    assert isinstance(sink.entity_object("Ped"), model.Pedestrian)
    selection = sink.entities.entity_selections[0]
    assert [r.entity_ref for r in selection.members.entity_refs] == ["Ego", "Lead"]


def test_kitchen_sink_positions(sink):
    privates = sink.storyboard.init.actions.privates
    lane = privates[0].private_actions[0].teleport_action.position.choice
    assert isinstance(lane, model.LanePosition) and (lane.road_id, lane.lane_id, lane.s) == ("0", "-1", 20.0)
    assert lane.orientation.type is model.ReferenceContext.RELATIVE
    rel_lane = privates[1].private_actions[0].teleport_action.position.choice
    assert isinstance(rel_lane, model.RelativeLanePosition) and (rel_lane.d_lane, rel_lane.ds) == (0, 40.0)
    rel_obj = privates[2].private_actions[0].teleport_action.position.choice
    assert isinstance(rel_obj, model.RelativeObjectPosition) and rel_obj.dy == -8.0
    geo = _action(sink, "Routing", "acquire").private_action.routing_action.acquire_position_action.position
    assert geo.geo_position.latitude_deg == 57.7
    clothoid = _action(sink, "Routing", "follow").private_action.routing_action.follow_trajectory_action \
        .trajectory_ref.trajectory.shape.clothoid
    assert isinstance(clothoid.position.choice, model.RelativeRoadPosition)
    assert clothoid.curvature_prime == 0.0001 and clothoid.stop_time == 5.0


def test_kitchen_sink_private_actions(sink):
    speed = sink.storyboard.init.actions.privates[0].private_actions[1].longitudinal_action.speed_action
    dyn = speed.speed_action_dynamics
    assert (dyn.dynamics_shape, dyn.following_mode) == (DynamicsShape.CUBIC, FollowingMode.FOLLOW)
    assert speed.speed_action_target.absolute_target_speed.value == 20.0
    rel = _action(sink, "Relative", "relative_speed").private_action.longitudinal_action.speed_action
    target = rel.speed_action_target.relative_target_speed
    assert (target.entity_ref, target.value, target.speed_target_value_type) == (
        "Lead", -2.0, model.SpeedTargetValueType.DELTA)
    dist = _action(sink, "Relative", "keep_distance").private_action.longitudinal_action.longitudinal_distance_action
    assert dist.displacement is model.LongitudinalDisplacement.TRAILING_REFERENCED_ENTITY
    assert dist.dynamic_constraints.max_speed == 40.0
    offset = _action(sink, "Relative", "offset").private_action.lateral_action.lane_offset_action
    assert offset.lane_offset_target.absolute_target_lane_offset.value == 0.5
    lc = _action(sink, "Relative", "lane_change").private_action.lateral_action.lane_change_action
    # the story's own ParameterDeclarations shadow nothing here but expressions see globals
    assert lc.lane_change_action_dynamics.value == 4.0
    assert lc.lane_change_action_dynamics.dynamics_shape is DynamicsShape.CUBIC
    nurbs = _action(sink, "Routing", "nurbs").private_action.routing_action.follow_trajectory_action \
        .trajectory_ref.trajectory.shape.nurbs
    assert nurbs.order == 3 and len(nurbs.control_points) == 3 and len(nurbs.knots) == 6
    sync = _action(sink, "Routing", "sync").private_action.synchronize_action
    assert sync.final_speed.absolute_speed.target_time_steady_state.time == 2.0
    vis = _action(sink, "Globals", "visibility").private_action.visibility_action
    assert (vis.graphics, vis.sensors, vis.traffic) == (True, False, True)


def test_kitchen_sink_global_actions_and_conditions(sink):
    var = _action(sink, "Globals", "set_variable").global_action.variable_action
    assert var.variable_ref == "Phase" and var.set_action.value == "1"
    tsc = _action(sink, "Globals", "signal").global_action.infrastructure_action.traffic_signal_action
    assert tsc.traffic_signal_controller_action.phase == "stop"
    swarm = _action(sink, "Globals", "swarm").global_action.traffic_action.traffic_swarm_action
    assert swarm.number_of_vehicles == 10 and swarm.central_object.entity_ref == "Ego"
    weights = [e.weight for e in swarm.traffic_definition.vehicle_category_distribution
               .vehicle_category_distribution_entries]
    assert weights == [0.8, 0.2]
    sink_action = _action(sink, "Globals", "sink").global_action.traffic_action.traffic_sink_action
    assert sink_action.rate == 2.0
    groups = _event(sink, "Relative").start_trigger.condition_groups
    ttc = groups[0].conditions[0].by_entity_condition.entity_condition.time_to_collision_condition
    assert ttc.time_to_collision_condition_target.entity_ref.entity_ref == "Lead"
    assert groups[0].conditions[0].condition_edge is ConditionEdge.RISING_OR_FALLING
    clearance = groups[0].conditions[1].by_entity_condition.entity_condition.relative_clearance_condition
    assert (clearance.distance_forward, clearance.relative_lane_ranges[0].from_) == (30.0, -1)
    distance = groups[1].conditions[0].by_entity_condition.entity_condition.distance_condition
    assert distance.position.road_position.t == -1.75
    values = [c.by_value_condition.choice for c in _event(sink, "Globals").start_trigger.condition_groups[0].conditions]
    assert [type(v).__name__ for v in values] == ["VariableCondition", "TrafficSignalControllerCondition",
                                                  "ParameterCondition", "SimulationTimeCondition"]
    assert values[3].value == 3.5
    assert _event(sink, "Relative").maximum_execution_count == 2


def test_every_element_knows_its_source_line(sink):
    lines = [e.source.line for e in sink.document.walk()]
    assert all(isinstance(n, int) and n > 0 for n in lines)
    speed = sink.storyboard.init.actions.privates[0].private_actions[1].longitudinal_action.speed_action
    assert speed.source.element == "SpeedAction" and speed.source.file.endswith("kitchen_sink_1_3.xosc")


def test_model_is_frozen(sink):
    with pytest.raises(dataclasses.FrozenInstanceError):
        sink.storyboard.stories[0].name = "x"


def test_parse_position_with_parameters():
    pos = parse_position('<Position><RoadPosition roadId="3" s="${$s0 + 5}" t="-1.5"/></Position>', {"s0": 10.0})
    assert pos.road_position.s == 15.0 and pos.choice is pos.road_position
    with pytest.raises(ScenarioError, match="exactly one"):
        parse_position("<Position/>")


def test_loading_a_catalog_or_distribution_as_scenario_is_refused(data_dir):
    with pytest.raises(ScenarioError, match="a catalog, not a scenario"):
        load_scenario(data_dir / "xosc" / "Catalogs" / "Vehicles" / "VehicleCatalog.xosc")
    with pytest.raises(ScenarioError, match="load_distribution"):
        load_scenario(data_dir / "xosc" / "sweep_deterministic.xosc")
