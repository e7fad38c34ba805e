"""Helpers for the engine tests: a storyboard from (actor, event) pairs, and a per-step trace."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scenariogeneration import xosc

STEP = xosc.TransitionDynamics(xosc.DynamicsShapes.step, xosc.DynamicsDimension.time, 0)


def at_time(name: str, t: float, point: str = "start") -> xosc.ValueTrigger:
    return xosc.ValueTrigger(name, 0, xosc.ConditionEdge.none,
                             xosc.SimulationTimeCondition(t, xosc.Rule.greaterOrEqual), point)


def event(name: str, actions: dict[str, object], trigger, priority=xosc.Priority.parallel) -> xosc.Event:
    ev = xosc.Event(name, priority)
    for action_name, action in actions.items():
        ev.add_action(action_name, action)
    ev.add_trigger(trigger)
    return ev


def place(init: xosc.Init, name: str, position, speed: float | None = None) -> None:
    init.add_init_action(name, xosc.TeleportAction(position))
    if speed is not None:
        init.add_init_action(name, xosc.AbsoluteSpeedAction(speed, STEP))


def assign_route(init: xosc.Init, name: str, waypoints, route_name: str = "route") -> None:
    """An Init AssignRouteAction for ``name`` through ``waypoints`` (positions), shortest between each."""
    route = xosc.Route(route_name)
    for position in waypoints:
        route.add_waypoint(position, xosc.RouteStrategy.shortest)
    init.add_init_action(name, xosc.AssignRouteAction(route))


def write(directory: Path, name: str, road: Path | str | None, objects: dict[str, object], init: xosc.Init,
          events: list[tuple[str, xosc.Event]], duration: float, parameters: xosc.ParameterDeclarations | None = None,
          minor: int = 2) -> Path:
    """A scenario file: one maneuver group per (actor, event), the stop trigger at ``duration``."""
    entities = xosc.Entities()
    for obj_name, obj in objects.items():
        entities.add_scenario_object(obj_name, obj)
    act = xosc.Act("act", at_time("act_start", 0.0))  # from t = 0 (scenariogeneration's default is t > 0)
    for k, (actor, ev) in enumerate(events):
        man = xosc.Maneuver(f"m{k}")
        man.add_event(ev)
        mg = xosc.ManeuverGroup(f"g{k}")
        mg.add_actor(actor)
        mg.add_maneuver(man)
        act.add_maneuver_group(mg)
    story = xosc.Story("story")
    story.add_act(act)
    sb = xosc.StoryBoard(init, at_time("stop", duration, "stop"))
    if events:
        sb.add_story(story)
    network = xosc.RoadNetwork(str(road)) if road is not None else xosc.RoadNetwork()
    sce = xosc.Scenario(name, "simplatform tests", parameters or xosc.ParameterDeclarations(), entities, sb, network,
                        xosc.Catalog(), osc_minor_version=minor)
    out = directory / f"{name}.xosc"
    sce.write_xml(str(out))
    return out


def pedestrian(name: str = "walker") -> xosc.Pedestrian:
    return xosc.Pedestrian(name, 75.0, xosc.PedestrianCategory.pedestrian, xosc.BoundingBox(0.6, 0.5, 1.8, 0, 0, 0.9))


@dataclass
class Trace:
    """``RunConfig.on_step`` observer: every active entity's row after every step (t > 0)."""

    names: tuple[str, ...] = ()
    rows: list[np.ndarray] | None = None
    lanes: list[list[tuple[str | None, int, float, float]]] | None = None
    times: list[float] | None = None
    engine: object = None

    def __call__(self, engine) -> None:
        t = engine.table
        if self.rows is None:
            self.rows, self.lanes, self.times = [], [], []
        self.engine = engine
        self.names = t.names
        self.times.append(engine.time)
        self.rows.append(np.array([t.x, t.y, t.heading, t.speed, t.odometer, t.active.astype(float)]).T.copy())
        self.lanes.append([(t.lane_road[i], int(t.lane_id[i]), float(t.lane_s[i]), float(t.lane_offset[i]))
                           for i in range(len(t))])

    def time(self) -> np.ndarray:
        return np.array(self.times)

    def of(self, name: str) -> np.ndarray:
        """(steps, 6): x, y, heading, speed, odometer, active."""
        i = self.names.index(name)
        return np.array([r[i] for r in self.rows])

    def lane_of(self, name: str) -> list[tuple[str | None, int, float, float]]:
        i = self.names.index(name)
        return [row[i] for row in self.lanes]

    def at(self, name: str, t: float) -> np.ndarray:
        k = int(np.argmin(np.abs(self.time() - t)))
        return self.of(name)[k]
