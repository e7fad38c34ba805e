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
from simplatform.opendrive.lane_graph import CHANGE, GraphNode, LaneGraph
from simplatform.opendrive.topology import HasRoads

_EPS = 1e-6


class LanePositionLike(Protocol):
    road_id: str
    lane_id: int
    s: float


@dataclass(frozen=True)
class RouteSegment:
    """Drive lane ``lane_id`` of road ``road_id`` from ``s_start`` to ``s_end``
    (``s_end < s_start`` when the route drives it against s: a lane whose driving
    direction is against s, or a two-way lane driven its other way)."""

    road_id: str
    lane_id: int
    s_start: float
    s_end: float

    @property
    def length(self) -> float:
        return abs(self.s_end - self.s_start)

    @property
    def direction(self) -> int:
        """+1 when the segment is driven with increasing s, -1 against it."""
        return 1 if self.s_end >= self.s_start else -1

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


def _nodes_at(net: HasRoads, graph: LaneGraph, p: LanePositionLike) -> list[GraphNode]:
    """The graph nodes holding position ``p``: one per direction the lane may be
    driven in (two for a two-way lane), the lane's own direction first."""
    road = topology.road(net, str(p.road_id))
    if not -_EPS <= p.s <= road.length + _EPS:
        raise RoadNetworkError(f"s={p.s:g} is outside road {road.id} (length {road.length:g})")
    lane_id = int(p.lane_id)
    primary = topology.driving_direction(net, road.id, lane_id)
    out: list[GraphNode] = []
    at = topology.section_index(road, p.s)
    for direction in (primary, -primary):
        index = at
        if direction < 0 and index > 0 and abs(road.lane_sections[index].s - p.s) < _EPS:
            index -= 1  # on a boundary, against s: the section the position is still in
        if direction == primary:
            topology.lane_in(road, index, lane_id)
        own = graph.pieces.get(((road.id, index, lane_id), direction), ())
        if len(own) == 1:
            out.append(own[0])
        elif own:
            # a section split at mid-road branches: the piece holding s (the one still
            # driven in, on a cut, as for section boundaries)
            i = [graph.index[node] for node in own]
            inside = [k for k, j in enumerate(i) if (graph.s_start[j] <= p.s + 1e-9 if direction > 0
                                                     else graph.s_end[j] >= p.s - _EPS)]
            out.append(own[inside[-1] if direction > 0 else inside[0]] if inside else own[0])
    if not out:
        raise RoadNetworkError(f"road {road.id} lane {p.lane_id} at s={p.s:g} is not a drivable lane")
    return out


def _change_closure(graph: LaneGraph, start: GraphNode) -> dict[GraphNode, tuple[float, list[GraphNode]]]:
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


def _leg(graph: LaneGraph, start: GraphNode, p0: float, goal: GraphNode, p1: float) -> tuple[float, list[GraphNode]]:
    """Cheapest node path from progress ``p0`` in ``start`` to ``p1`` in ``goal``."""
    closure = _change_closure(graph, start)
    best: tuple[float, list[GraphNode]] | None = None
    if goal in closure and p1 >= p0 - _EPS:
        cost, path = closure[goal]
        best = (cost + max(p1 - p0, 0.0), path)
    exits = [(c, e.target, cost + graph.length[graph.index[c]] - p0, path)
             for c, (cost, path) in closure.items() for e in graph.adjacency[c] if e.kind != CHANGE]
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


def _segments(graph: LaneGraph, path: list[GraphNode], s_from: float, s_to: float) -> list[RouteSegment]:
    out: list[RouteSegment] = []
    s = s_from
    for node, nxt in zip(path, path[1:] + [None]):
        follow = nxt is not None and graph.edge(node, nxt).kind != CHANGE  # FOLLOW or BRANCH
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

    A position on a two-way lane may be passed in either direction: the legs are
    joined by the cheapest choice of direction at each point (the same choice
    arriving and leaving, so no turning on the spot at a via point).
    Raises ``RoadNetworkError`` when a position is not on a drivable lane or no
    route exists."""
    points = [start, *via, goal]
    # node at the last point -> (cost so far, segments so far)
    best: dict[GraphNode, tuple[float, list[RouteSegment]]] = {u: (0.0, []) for u in _nodes_at(net, graph, start)}
    for a, b in zip(points, points[1:]):
        targets = _nodes_at(net, graph, b)
        reached: dict[GraphNode, tuple[float, list[RouteSegment]]] = {}
        failure: RoadNetworkError | None = None
        for u, (so_far, segments) in best.items():
            for g in targets:
                try:
                    cost, path = _leg(graph, u, graph.progress(u, a.s), g, graph.progress(g, b.s))
                except RoadNetworkError as exc:
                    failure = failure or exc
                    continue
                total = so_far + cost
                if g not in reached or total < reached[g][0] - 1e-9:
                    reached[g] = (total, segments + _segments(graph, path, float(a.s), float(b.s)))
        if not reached:
            raise failure  # type: ignore[misc]
        best = reached
    total_cost, segments = min(best.values(), key=lambda v: v[0])
    merged = tuple(_merge(segments))
    return Route(merged, float(sum(seg.length for seg in merged)), total_cost)


def route_distance(net: HasRoads, graph: LaneGraph, a: LanePositionLike, b: LanePositionLike) -> float:
    """Length of the shortest route from ``a`` to ``b``."""
    return route(net, graph, a, b).length
