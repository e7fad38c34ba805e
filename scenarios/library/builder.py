"""Shared pieces of every library scenario: entities, Init, events, environment, stop trigger.

A generator builds one concrete scenario with :class:`ScenarioBuilder` and
returns a :class:`Concrete` (the scenario plus its index record).  Rules the
builder enforces for the whole library:

* the ego is the entity ``Ego``; its Init gives only its start pose, its
  initial speed (so a run without a stack drives on, kept by the engine's
  default controller) and, where the way matters, a route
  (``AssignRouteAction``) — its reaction is the stack's, never scripted;
* the ego's vehicle carries ``simplatform.goal`` = ``"x,y,radius"`` (world
  frame, m): where it is meant to go, for goal and route-completion
  metrics (also in the index);
* targets are scripted; every scenario ends with a StopTrigger (simulation
  time ≥ the expected duration, or the ego inside its goal); where the
  requirement set checks ``goal_reached``, the generator passes the ego's
  route distance to the goal and the time-out is at least
  :func:`goal_time_limit` of it, so that a stack that yields still arrives;
* files are deterministic: fixed FileHeader date, no clock, no randomness.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, Iterable

from scenariogeneration import xosc

from scenarios.library.catalogs import (
    AUTHOR, CONTROLLER_CATALOG, DATE, MISC_CATALOG, OSC_MINOR, PEDESTRIAN_CATALOG, VEHICLE_CATALOG, vehicles,
)

EGO = "Ego"
_STEP = xosc.TransitionDynamics(xosc.DynamicsShapes.step, xosc.DynamicsDimension.time, 0)


@dataclass
class Concrete:
    """One concrete scenario and its index record (see ``scenarios.library.index``)."""

    id: str
    family: str
    logical: str
    source: str
    map: str
    parameters: dict[str, Any]
    tags: list[str]
    requirements: str
    expected_duration_s: float
    scenario: xosc.Scenario
    goal: tuple[float, float, float] | None = None
    description: str = ""
    features: frozenset[str] = frozenset()


def lane(road: int | str, lane_id: int, s: float, offset: float = 0.0, heading: float | None = None) -> xosc.LanePosition:
    """A LanePosition; ``heading`` (rad, relative to the lane's road direction) when the pose must turn."""
    orientation = (xosc.Orientation(h=heading, reference=xosc.ReferenceContext.relative) if heading is not None
                   else xosc.Orientation())
    return xosc.LanePosition(round(s, 4), round(offset, 4), lane_id, str(road), orientation)


def world(x: float, y: float, h: float = 0.0) -> xosc.WorldPosition:
    return xosc.WorldPosition(round(x, 4), round(y, 4), 0.0, round(h, 6), 0.0, 0.0)


def at_time(t: float, name: str = "at_time") -> xosc.ValueTrigger:
    return xosc.ValueTrigger(name, 0, xosc.ConditionEdge.none,
                             xosc.SimulationTimeCondition(round(max(t, 0.0), 4), xosc.Rule.greaterThan))


def near(entity: str, position, distance: float, name: str = "near") -> xosc.EntityTrigger:
    """Fires when ``entity``'s reference point comes within ``distance`` of ``position`` (Euclidean)."""
    cond = xosc.DistanceCondition(round(distance, 3), xosc.Rule.lessThan, position, alongroute=False, freespace=False,
                                  distance_type=xosc.RelativeDistanceType.euclidianDistance,
                                  coordinate_system=xosc.CoordinateSystem.entity)
    return xosc.EntityTrigger(name, 0, xosc.ConditionEdge.none, cond, entity)


def travelled(entity: str, distance: float, name: str = "travelled") -> xosc.EntityTrigger:
    """Fires once ``entity`` has driven ``distance`` m (odometer): the cheap way to say "when the
    ego gets to route position d" on a known route (the engine evaluates it without a road lookup)."""
    return xosc.EntityTrigger(name, 0, xosc.ConditionEdge.none, xosc.TraveledDistanceCondition(round(max(distance, 0.1), 2)),
                              entity)


def headway_below(entity: str, other: str, gap: float, name: str = "gap") -> xosc.EntityTrigger:
    """Fires when ``entity`` comes within ``gap`` m (reference points, Euclidean) of ``other``."""
    cond = xosc.RelativeDistanceCondition(round(gap, 3), xosc.Rule.lessThan, xosc.RelativeDistanceType.euclidianDistance,
                                          other, freespace=False, coordinate_system=xosc.CoordinateSystem.entity)
    return xosc.EntityTrigger(name, 0, xosc.ConditionEdge.none, cond, entity)


def any_of(*triggers) -> xosc.Trigger:
    """A Trigger that fires when any one of ``triggers`` does (one ConditionGroup each: groups
    are OR-ed, the conditions of a group AND-ed, OpenSCENARIO 1.x §7.7.3 Trigger)."""
    trigger = xosc.Trigger()
    for condition in triggers:
        group = xosc.ConditionGroup()
        group.add_condition(condition)
        trigger.add_conditiongroup(group)
    return trigger


def speed_action(v: float, accel: float | None = None) -> xosc.AbsoluteSpeedAction:
    """Go to ``v`` (m/s): a step, or a linear ramp at ``accel`` (m/s², rate dimension)."""
    if accel is None:
        return xosc.AbsoluteSpeedAction(round(v, 4), _STEP)
    return xosc.AbsoluteSpeedAction(round(v, 4), xosc.TransitionDynamics(
        xosc.DynamicsShapes.linear, xosc.DynamicsDimension.rate, round(abs(accel), 4)))


def lane_change(target_lane: int, duration: float, road_relative: bool = False) -> xosc.AbsoluteLaneChangeAction:
    return xosc.AbsoluteLaneChangeAction(target_lane, xosc.TransitionDynamics(
        xosc.DynamicsShapes.sinusoidal, xosc.DynamicsDimension.time, round(duration, 4)))


def lateral_shift(offset: float, lateral_speed: float) -> xosc.AbsoluteLaneOffsetAction:
    """Move to ``offset`` m from the lane centre at ``lateral_speed`` m/s (a UN R157 cut-in/out)."""
    return xosc.AbsoluteLaneOffsetAction(round(offset, 4), xosc.DynamicsShapes.linear,
                                         round(abs(lateral_speed), 4), continuous=False)


def timed_path(name: str, points: list[tuple[float, float, float]], times: list[float]) -> xosc.FollowTrajectoryAction:
    """Follow a polyline through (x, y, h) ``points`` at the given absolute times (s)."""
    traj = xosc.Trajectory(name, False)
    traj.add_shape(xosc.Polyline([round(t, 4) for t in times], [world(*p) for p in points]))
    return xosc.FollowTrajectoryAction(traj, xosc.FollowingMode.position, xosc.ReferenceContext.absolute, 1, 0)


def v2x_message(sender: str, message: str, application: str, cause: str, *, entity: str | None = None,
                position: tuple[float, float] | None = None, validity_s: float = 10.0,
                payload: dict[str, Any] | None = None) -> xosc.UserDefinedAction:
    """A V2X event message (simplatform convention, /work/notes/v2x_convention.md): a
    CustomCommandAction of type ``simplatform.v2x`` whose content is the JSON message."""
    body: dict[str, Any] = {"from": sender, "message": message, "application": application, "cause": cause}
    if entity is not None:
        body["entity"] = entity
    if position is not None:
        body["position"] = {"x": round(position[0], 3), "y": round(position[1], 3)}
    body["validity_s"] = validity_s
    if payload:
        body["payload"] = payload
    return xosc.UserDefinedAction(xosc.CustomCommandAction("simplatform.v2x", json.dumps(body, sort_keys=True)))


def environment(*, night: bool = False, rain: bool = False, fog_m: float | None = None) -> xosc.EnvironmentAction:
    """Light and weather: day is 21 June 12:00, night 23:00 (sun below the horizon); rain is
    heavy rain on a wet road, friction scale 0.7 (wet asphalt μ ≈ 0.7 of dry, PIARC 2003)."""
    tod = xosc.TimeOfDay(False, 2026, 6, 21, 23 if night else 12, 0, 0)
    sun = xosc.Sun(0.0 if night else 100000.0, 3.1416, -0.3 if night else 1.0)
    precipitation = xosc.Precipitation(xosc.PrecipitationType.rain if rain else xosc.PrecipitationType.dry,
                                       0.8 if rain else 0.0)
    fog = xosc.Fog(int(fog_m if fog_m is not None else 100000))
    weather = xosc.Weather(xosc.FractionalCloudCover.eightOktas if rain else xosc.FractionalCloudCover.zeroOktas,
                           sun=sun, fog=fog, precipitation=precipitation)
    road = xosc.RoadCondition(0.7 if rain else 1.0, wetness=xosc.Wetness.wetWithPuddles if rain else xosc.Wetness.dry)
    return xosc.EnvironmentAction(xosc.Environment("environment", tod, weather, road))


def environment_tags(night: bool, rain: bool) -> list[str]:
    return ["light:night" if night else "light:day", "weather:rain" if rain else "weather:dry"]


GOAL_TIME_FACTOR = 1.5
GOAL_TIME_SLACK_S = 10.0


def goal_time_limit(distance: float, speed: float) -> float:
    """The least time-out (s) of a scenario whose ego must reach a goal ``distance`` m of route away,
    starting at ``speed`` m/s: 1.5 × the constant-speed time + 10 s.

    Why these numbers: a stack that behaves correctly loses time against the constant-speed
    drive in two ways.  It drives through turns and past hazards more slowly — a 90° turn
    of 10–15 m radius is taken at 15–20 km/h against 30–50 km/h on approach, so the drive
    takes up to about 1.5 × as long — and it may stop: waiting for a gap or for
    pedestrians (StVO §8/§9/§26; HCM 6th ed. ch. 20 base critical headways at two-way-stop
    junctions are 4.1–7.1 s) plus the deceleration/acceleration loss v/a of 2–4 s at a
    2 m/s² comfort level, hence 10 s.  The goal condition of the StopTrigger still ends the run
    on arrival, so the margin costs simulated time only when the ego does not get there.
    """
    if speed <= 0.0:
        raise ValueError("goal_time_limit needs a positive initial speed")
    return GOAL_TIME_FACTOR * max(distance, 0.0) / speed + GOAL_TIME_SLACK_S


@dataclass
class _Actor:
    name: str
    events: list[xosc.Event] = field(default_factory=list)


class ScenarioBuilder:
    """Collects entities, Init actions and events of one scenario, then builds it."""

    def __init__(self, name: str, map_name: str, duration: float, description: str = "") -> None:
        self.name = name
        self.map_name = map_name
        self.duration = float(duration)
        self.description = description
        self.entities = xosc.Entities()
        self.init = xosc.Init()
        self._actors: dict[str, _Actor] = {}
        self._world_events: list[xosc.Event] = []
        self.goal: tuple[float, float, float] | None = None
        self.features: set[str] = set()
        self._signal_controllers: list[xosc.TrafficSignalController] = []
        self._environment_set = False

    # ------------------------------------------------------------ entities
    def ego(self, entry: str, position, speed: float, *, goal: tuple[float, float, float] | None = None,
            route: list | None = None, v2x: bool = False, goal_distance: float | None = None,
            goal_speed: float | None = None) -> None:
        """The vehicle under test: the catalog body inline, with the goal (and V2X) properties.

        ``goal_distance`` (m, along the ego's route to the goal centre) raises the time-out to
        :func:`goal_time_limit` — given where the requirement set checks ``goal_reached``;
        ``goal_speed`` (m/s) replaces the initial speed there where scripted traffic ahead in
        the ego's lane holds it to less."""
        if goal_distance is not None:
            if goal is None:
                raise ValueError(f"{self.name}: goal_distance without a goal")
            v_goal = min(speed, goal_speed) if goal_speed is not None else speed
            self.duration = max(self.duration, round(goal_time_limit(goal_distance, v_goal), 1))
        vehicle = _inline_vehicle(entry, EGO)
        if goal is not None:
            self.goal = (round(goal[0], 3), round(goal[1], 3), round(goal[2], 3))
            vehicle.add_property("simplatform.goal", ",".join(f"{v:g}" for v in self.goal))
        if v2x:
            vehicle.add_property("v2x.equipped", "true")
        self.entities.add_scenario_object(EGO, vehicle)
        self.init.add_init_action(EGO, xosc.TeleportAction(position))
        self.init.add_init_action(EGO, speed_action(speed))
        if route:
            self.init.add_init_action(EGO, xosc.AssignRouteAction(self._route(f"{EGO}_route", route)))
            self.features.add("AssignRouteAction")

    def vehicle(self, name: str, entry: str, position, speed: float = 0.0, *, controller: str | None = None,
                route: list | None = None, v2x: bool = False, properties: dict[str, str] | None = None) -> None:
        """A scripted vehicle (catalog reference; inline when it needs its own properties)."""
        if v2x or properties:
            obj = _inline_vehicle(entry, name)
            if v2x:
                obj.add_property("v2x.equipped", "true")
            for k, v in (properties or {}).items():
                obj.add_property(k, v)
        else:
            obj = xosc.CatalogReference(VEHICLE_CATALOG, entry)
        ctrl = xosc.CatalogReference(CONTROLLER_CATALOG, controller) if controller else None
        self.entities.add_scenario_object(name, obj, ctrl)
        self.init.add_init_action(name, xosc.TeleportAction(position))
        self.init.add_init_action(name, speed_action(speed))
        if controller:
            self.features.add("driver_model")
        if route:
            self.init.add_init_action(name, xosc.AssignRouteAction(self._route(f"{name}_route", route)))

    def pedestrian(self, name: str, entry: str, position) -> None:
        self.entities.add_scenario_object(name, xosc.CatalogReference(PEDESTRIAN_CATALOG, entry))
        self.init.add_init_action(name, xosc.TeleportAction(position))
        self.init.add_init_action(name, speed_action(0.0))

    def misc(self, name: str, entry: str, position, properties: dict[str, str] | None = None) -> None:
        if properties:
            from scenarios.library.catalogs import misc_objects

            obj = next(m for m in misc_objects() if m.name == entry)
            obj = xosc.MiscObject(name, obj.mass, obj.category, obj.boundingbox)
            for k, v in properties.items():
                obj.add_property(k, v)
        else:
            obj = xosc.CatalogReference(MISC_CATALOG, entry)
        self.entities.add_scenario_object(name, obj)
        self.init.add_init_action(name, xosc.TeleportAction(position))

    def rsu(self, name: str, position, *, spat: Iterable[str] = (), perception: bool = False,
            range_m: float = 300.0) -> None:
        """A roadside unit (V2X convention: a pole with ``v2x.role=rsu``)."""
        props = {"v2x.role": "rsu", "v2x.range": f"{range_m:g}"}
        spat = list(spat)
        if spat:
            props["v2x.spat"] = ",".join(spat)
        if perception:
            props["v2x.perception"] = "true"
        self.misc(name, "rsu", position, props)
        self.features.add("roadside_unit")

    # ------------------------------------------------------------ storyboard
    def event(self, actor: str, name: str, actions, trigger, *, priority=xosc.Priority.override) -> None:
        """An event of ``actor``'s maneuver; ``actions`` one action or a list."""
        event = xosc.Event(name, priority)
        for k, action in enumerate(actions if isinstance(actions, list) else [actions]):
            event.add_action(f"{name}_{k}", action)
            self.features.add(type(action).__name__)
        event.add_trigger(trigger)
        self._actors.setdefault(actor, _Actor(actor)).events.append(event)

    def world_event(self, name: str, actions, trigger) -> None:
        """A global event (signal phases, V2X messages), in the actor-less maneuver group."""
        event = xosc.Event(name, xosc.Priority.parallel)
        for k, action in enumerate(actions if isinstance(actions, list) else [actions]):
            event.add_action(f"{name}_{k}", action)
            self.features.add(type(action).__name__)
        event.add_trigger(trigger)
        self._world_events.append(event)

    def init_private(self, actor: str, action) -> None:
        self.init.add_init_action(actor, action)

    def set_environment(self, *, night: bool = False, rain: bool = False, fog_m: float | None = None) -> None:
        self.init.add_global_action(environment(night=night, rain=rain, fog_m=fog_m))
        self._environment_set = True

    def signal_controller(self, name: str, phases: list[tuple[str, float, dict[str, str]]], *,
                          delay: float | None = None, reference: str | None = None) -> None:
        """A TrafficSignalController (§7.5.2.3) cycling through (phase name, duration, {signal id: state})."""
        ctrl = xosc.TrafficSignalController(name, delay, reference)
        for phase_name, duration, states in phases:
            phase = xosc.Phase(phase_name, round(duration, 3))
            for sid, state in states.items():
                phase.add_signal_state(sid, state)
            ctrl.add_phase(phase)
        self._signal_controllers.append(ctrl)
        self.features.add("TrafficSignalController")

    def concrete(self, family: str, logical: str, source: str, parameters: dict[str, Any], tags: list[str],
                 requirements: str) -> Concrete:
        """Build and wrap with the index record (id = scenario name, map, duration, goal from here)."""
        scenario = self.build()
        return Concrete(self.name, family, logical, source, self.map_name, parameters, list(tags), requirements,
                        self.duration, scenario, self.goal, self.description, frozenset(self.features))

    def _route(self, name: str, waypoints: list) -> xosc.Route:
        route = xosc.Route(name)
        for p in waypoints:
            route.add_waypoint(p, xosc.RouteStrategy.shortest)
        return route

    # ------------------------------------------------------------ build
    def build(self) -> xosc.Scenario:
        if not self._environment_set:
            self.set_environment()
        story = xosc.Story(f"{self.name}_story")
        act = xosc.Act(f"{self.name}_act", at_time(0.0, "act_start"))
        for actor in self._actors.values():
            maneuver = xosc.Maneuver(f"{actor.name}_maneuver")
            for ev in actor.events:
                maneuver.add_event(ev)
            group = xosc.ManeuverGroup(f"{actor.name}_group")
            group.add_actor(actor.name)
            group.add_maneuver(maneuver)
            act.add_maneuver_group(group)
        if self._world_events:
            maneuver = xosc.Maneuver("world_maneuver")
            for ev in self._world_events:
                maneuver.add_event(ev)
            group = xosc.ManeuverGroup("world_group")
            group.add_maneuver(maneuver)
            act.add_maneuver_group(group)
        if not self._actors and not self._world_events:
            # a storyboard needs one act with one maneuver group; an empty maneuver keeps the targets still
            group = xosc.ManeuverGroup("idle_group")
            group.add_actor(EGO)
            act.add_maneuver_group(group)
        story.add_act(act)
        stop = xosc.ConditionGroup()
        stop.add_condition(xosc.ValueTrigger("end_time", 0, xosc.ConditionEdge.none,
                                             xosc.SimulationTimeCondition(round(self.duration, 3), xosc.Rule.greaterThan)))
        trigger = xosc.Trigger("stop")
        trigger.add_conditiongroup(stop)
        if self.goal is not None:
            at_goal = xosc.ConditionGroup()
            at_goal.add_condition(near(EGO, world(self.goal[0], self.goal[1]), self.goal[2], "goal_reached"))
            trigger.add_conditiongroup(at_goal)
        storyboard = xosc.StoryBoard(self.init, trigger)
        storyboard.add_story(story)
        road = xosc.RoadNetwork(roadfile=f"../maps/{self.map_name}.xodr")
        for ctrl in self._signal_controllers:
            road.add_traffic_signal_controller(ctrl)
        catalog = xosc.Catalog()
        for kind in (VEHICLE_CATALOG, PEDESTRIAN_CATALOG, MISC_CATALOG, CONTROLLER_CATALOG):
            catalog.add_catalog(kind, "../catalogs")
        return xosc.Scenario(self.description or self.name, AUTHOR, xosc.ParameterDeclarations(), self.entities,
                             storyboard, road, catalog, osc_minor_version=OSC_MINOR, creation_date=DATE)


def _inline_vehicle(entry: str, name: str) -> xosc.Vehicle:
    template = next(v for v in vehicles() if v.name == entry)
    template.name = entry
    return template


def scenario_text(scenario) -> str:
    """The file text of a built scenario or catalog element: indented, no clock, '\\n' line ends."""
    element = scenario.get_element() if hasattr(scenario, "get_element") else scenario
    ET.indent(element, space="  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode") + "\n"


def kmh(v: float) -> float:
    return v / 3.6


def fmt(value: float) -> str:
    """A parameter value for a file name: 12.5 → '12p5', -50 → 'm50'."""
    text = f"{value:g}".replace(".", "p")
    return text.replace("-", "m")


def heading_of(dx: float, dy: float) -> float:
    return math.atan2(dy, dx)
