"""Routes assigned to entities: which road to take at a junction, and where to leave a road mid-lane.

AssignRouteAction's waypoints are resolved to lane positions and joined by
the road model's shortest route (``RoadNetwork.route``); the default
controller, at a road end with several successors, takes the one on the
entity's route (esmini does likewise).  Without a route the first successor
is taken.

Two kinds of route the road-end successors cannot follow keep their segments
as *legs* (``RouteStore.legs``, read by ``RoadAdaptor.advance``): a branch of a
virtual junction (OpenDRIVE 1.7 §10.4 / 1.8 §12.7: a road linked to the middle
of a main road, left or joined at ``elementS``), and a two-way lane
(``@direction="both"``) driven against its standard direction.  Every other
route keeps only its road set, so its entity moves exactly as it did before
legs existed (the compiled lane kernels included).
"""

from __future__ import annotations

from simplatform.errors import ScenarioError

_EPS = 1e-6


def needs_legs(net, segments) -> bool:
    """Whether lane following by road-end successors would miss this route: a segment driven
    against its lane's driving direction (a two-way lane driven its other way), or a step to
    another road that is not at both roads' ends (a mid-lane branch)."""
    length = {}

    def at_end(road_id: str, s: float) -> bool:
        if road_id not in length:
            length[road_id] = float(net.roads[road_id].length)
        return abs(s) < _EPS or abs(s - length[road_id]) < _EPS

    for k, seg in enumerate(segments):
        if seg.direction != net.driving_direction(seg.road_id, seg.lane_id):
            return True
        if k + 1 < len(segments):
            nxt = segments[k + 1]
            if nxt.road_id != seg.road_id and not (at_end(seg.road_id, seg.s_end) and at_end(nxt.road_id, nxt.s_start)):
                return True
    return False


class RouteStore:
    def __init__(self, engine) -> None:
        self.engine = engine
        self.preferred: dict[int, set[str]] = {}
        self.legs: dict[int, tuple] = {}
        """Entity -> its route's segments, only for routes ``needs_legs`` says successors miss."""
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

    def _keep(self, i: int, route) -> None:
        self.preferred[i] = {seg.road_id for seg in route.segments}
        if needs_legs(self.engine.road.net, route.segments):
            self.legs[i] = tuple(route.segments)
        else:
            self.legs.pop(i, None)

    def assign(self, i: int, route_el, actor: str) -> None:
        self._keep(i, self.build(route_el, actor))

    def acquire(self, i: int, target) -> None:
        t = self.engine.table
        if t.lane_road[i] is None or target.cursor is None:
            return
        from simplatform.opendrive import LanePosition

        start = LanePosition(t.lane_road[i], int(t.lane_id[i]), float(t.lane_s[i]))
        self._keep(i, self.engine.road.net.route(start, self._lane_position(target)))
