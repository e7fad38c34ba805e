"""Shortest lane-level routes between lane positions, and distances along them.

Why a route object: OpenSCENARIO's routing actions (AssignRouteAction with
waypoints, §7.4.6 of ASAM OpenSCENARIO 1.2) and its road-coordinate distance
conditions need "how far along my route is that actor", which is the distance
between two positions measured on one route, not a straight line.

Dijkstra (``scipy.sparse.csgraph.dijkstra``) runs on the ``LaneGraph``.  Graph
costs are entry-to-entry (see ``lane_graph``); for positions inside lane
sections the distance is ``D(entry of first node after the start section) +
the rest of the start section + progress into the goal section``.  A lane
change happens where the route is when it is taken; in the start section that
is the start position, elsewhere the entry of the section, so segments are
exact in s and the route length is the sum of the s-spans driven.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np
from scipy.sparse.csgraph import dijkstra

from simplatform.errors import RoadNetworkError
from simplatform.opendrive import topology
from simplatform.opendrive.lane_graph import CHANGE, FOLLOW, LaneGraph
from simplatform.opendrive.topology import HasRoads, LaneKey

_EPS = 1e-6


class LanePositionLike(Protocol):
    road_id: str
    lane_id: int
    s: float


@dataclass(frozen=True)
class RouteSegment:
    """Drive lane ``lane_id`` of road ``road_id`` from ``s_start`` to ``s_end``
    (``s_end < s_start`` when the lane runs against s)."""

    road_id: str
    lane_id: int
    s_start: float
    s_end: float

    @property
    def length(self) -> float:
        return abs(self.s_end - self.s_start)

    def contains(self, s: float, tol: float = 1e-6) -> bool:
        lo, hi = sorted((self.s_start, self.s_end))
        return lo - tol <= s <= hi + tol


@dataclass(frozen=True)
class Route:
    """A drivable lane-level route: its segments in driving order, its length
    (metres along the reference lines) and its cost (length + lane-change penalties)."""

    segments: tuple[RouteSegment, ...]
    length: float
    cost: float

    @property
    def roads(self) -> list[str]:
        """Road ids in driving order, without repeats in a row."""
        out: list[str] = []
        for seg in self.segments:
            if not out or out[-1] != seg.road_id:
                out.append(seg.road_id)
        return out

    def position_along(self, p: LanePositionLike) -> float:
        """Distance from the route start to position ``p`` (on the route's lane there,
        or else on another lane of the same side of that road, i.e. the same
        driving direction, at that s)."""
        for same_lane in (True, False):
            along = 0.0
            for seg in self.segments:
                if seg.road_id == str(p.road_id) and seg.contains(p.s) \
                        and (seg.lane_id == int(p.lane_id) if same_lane
                             else (seg.lane_id > 0) == (int(p.lane_id) > 0)):
                    return along + abs(p.s - seg.s_start)
                along += seg.length
        raise RoadNetworkError(
            f"position road {p.road_id} lane {p.lane_id} s={p.s:g} is not on the route "
            f"(roads {', '.join(self.roads)})")

    def distance_between(self, a: LanePositionLike, b: LanePositionLike) -> float:
        """Signed distance along the route from ``a`` to ``b`` (negative: b is behind a)."""
        return self.position_along(b) - self.position_along(a)


def _node_at(net: HasRoads, graph: LaneGraph, p: LanePositionLike) -> LaneKey:
    road = topology.road(net, str(p.road_id))
    if not -_EPS <= p.s <= road.length + _EPS:
        raise RoadNetworkError(f"s={p.s:g} is outside road {road.id} (length {road.length:g})")
    index = topology.section_index(road, p.s)
    direction = topology.driving_direction(net, road.id, int(p.lane_id))
    if direction < 0 and index > 0 and abs(road.lane_sections[index].s - p.s) < _EPS:
        index -= 1  # on a boundary, against s: the section the position is still in
    key = (road.id, index, int(p.lane_id))
    topology.lane_in(road, index, key[2])
    if key not in graph.index:
        raise RoadNetworkError(f"road {road.id} lane {p.lane_id} at s={p.s:g} is not a drivable lane")
    return key


def _change_closure(graph: LaneGraph, start: LaneKey) -> dict[LaneKey, tuple[float, list[LaneKey]]]:
    """Nodes reachable from ``start`` by lane changes alone: cost and path."""
    out = {start: (0.0, [start])}
    frontier = [start]
    while frontier:
        node = frontier.pop(0)
        cost, path = out[node]
        for edge in graph.adjacency[node]:
            if edge.kind == CHANGE and edge.target not in out:
                out[edge.target] = (cost + edge.cost, path + [edge.target])
                frontier.append(edge.target)
    return out


def _leg(graph: LaneGraph, start: LaneKey, p0: float, goal: LaneKey, p1: float) -> tuple[float, list[LaneKey]]:
    """Cheapest node path from progress ``p0`` in ``start`` to ``p1`` in ``goal``."""
    closure = _change_closure(graph, start)
    best: tuple[float, list[LaneKey]] | None = None
    if goal in closure and p1 >= p0 - _EPS:
        cost, path = closure[goal]
        best = (cost + max(p1 - p0, 0.0), path)
    exits = [(c, e.target, cost + graph.length[graph.index[c]] - p0, path)
             for c, (cost, path) in closure.items() for e in graph.adjacency[c] if e.kind == FOLLOW]
    if exits:
        sources = sorted({graph.index[w] for _, w, _, _ in exits})
        dist, pred = dijkstra(graph.matrix, directed=True, indices=sources, return_predecessors=True)
        row_of = {src: r for r, src in enumerate(sources)}
        g = graph.index[goal]
        for c, w, cost, path in exits:
            row = row_of[graph.index[w]]
            if not np.isfinite(dist[row, g]):
                continue
            total = cost + float(dist[row, g]) + p1
            if best is None or total < best[0] - 1e-9:
                chain, j = [], g
                while j != graph.index[w]:
                    chain.append(graph.nodes[j])
                    j = pred[row, j]
                best = (total, path + [w] + chain[::-1])
    if best is None:
        raise RoadNetworkError(
            f"no drivable route from road {start[0]} lane {start[2]} to road {goal[0]} lane {goal[2]}")
    return best


def _segments(graph: LaneGraph, path: list[LaneKey], s_from: float, s_to: float) -> list[RouteSegment]:
    out: list[RouteSegment] = []
    s = s_from
    for node, nxt in zip(path, path[1:] + [None]):
        follow = nxt is not None and graph.edge(node, nxt).kind == FOLLOW
        end = s_to if nxt is None else (graph.exit_s(node) if follow else s)
        if abs(end - s) > _EPS:
            out.append(RouteSegment(node[0], node[2], s, end))
        if follow:
            s = graph.entry_s(nxt)
    return out


def _merge(segments: list[RouteSegment]) -> list[RouteSegment]:
    out: list[RouteSegment] = []
    for seg in segments:
        last = out[-1] if out else None
        if last is not None and last.road_id == seg.road_id and last.lane_id == seg.lane_id \
                and abs(last.s_end - seg.s_start) < _EPS \
                and np.sign(last.s_end - last.s_start) == np.sign(seg.s_end - seg.s_start):
            out[-1] = RouteSegment(seg.road_id, seg.lane_id, last.s_start, seg.s_end)
        else:
            out.append(seg)
    return out


def route(net: HasRoads, graph: LaneGraph, start: LanePositionLike, goal: LanePositionLike,
          via: Sequence[LanePositionLike] = ()) -> Route:
    """The cheapest route from ``start`` through each of ``via`` (in order) to ``goal``.

    Raises ``RoadNetworkError`` when a position is not on a drivable lane or no
    route exists."""
    points = [start, *via, goal]
    segments: list[RouteSegment] = []
    total_cost = 0.0
    for a, b in zip(points, points[1:]):
        u, g = _node_at(net, graph, a), _node_at(net, graph, b)
        cost, path = _leg(graph, u, graph.progress(u, a.s), g, graph.progress(g, b.s))
        total_cost += cost
        segments.extend(_segments(graph, path, float(a.s), float(b.s)))
    merged = tuple(_merge(segments))
    return Route(merged, float(sum(seg.length for seg in merged)), total_cost)


def route_distance(net: HasRoads, graph: LaneGraph, a: LanePositionLike, b: LanePositionLike) -> float:
    """Length of the shortest route from ``a`` to ``b``."""
    return route(net, graph, a, b).length
