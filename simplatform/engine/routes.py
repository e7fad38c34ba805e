"""Routes assigned to entities: which road to take at a junction.

AssignRouteAction's waypoints are resolved to lane positions and joined by
the road model's shortest route (``RoadNetwork.route``); the default
controller, at a road end with several successors, takes the one on the
entity's route (esmini does likewise).  Without a route the first successor
is taken.
"""

from __future__ import annotations

from simplatform.errors import ScenarioError


class RouteStore:
    def __init__(self, engine) -> None:
        self.engine = engine
        self.preferred: dict[int, set[str]] = {}
        self._built: dict[int, object] = {}

    def _lane_position(self, pose):
        from simplatform.opendrive import LanePosition

        c = pose.cursor
        if c is None:
            raise ScenarioError("a route waypoint is off the road network")
        return LanePosition(c.road_id, c.lane_id, c.s, c.offset)

    def build(self, route_el, actor):
        key = id(route_el)
        if key not in self._built:
            pts = [self._lane_position(self.engine.positions.resolve(w.position, actor)) for w in route_el.waypoints]
            if len(pts) < 2:
                raise ScenarioError("a route needs at least two waypoints", element="Route")
            self._built[key] = self.engine.road.net.route(pts[0], pts[-1], list(pts[1:-1]))
        return self._built[key]

    def assign(self, i: int, route_el, actor: str) -> None:
        route = self.build(route_el, actor)
        self.preferred[i] = {seg.road_id for seg in route.segments}

    def acquire(self, i: int, target) -> None:
        t = self.engine.table
        if t.lane_road[i] is None or target.cursor is None:
            return
        from simplatform.opendrive import LanePosition

        start = LanePosition(t.lane_road[i], int(t.lane_id[i]), float(t.lane_s[i]))
        route = self.engine.road.net.route(start, self._lane_position(target))
        self.preferred[i] = {seg.road_id for seg in route.segments}
