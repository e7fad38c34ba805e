"""The lane-level routing graph of a road network.

Why lane level and not road level: a route must say which lane to be in (an
exit lane, an acceleration lane), and lane changes have a cost; this is the
graph esmini's RoadManager and Lanelet2's routing graph build, here over the
OpenDRIVE lane sections themselves.

Nodes are lane sections of drivable lanes, ``(road id, section index, lane
id)``.  Edges:

* ``FOLLOW`` – traffic leaves the node into a following lane section
  (``topology.lane_successors``); its cost is the node's length along the
  reference line (``s_end - s``: road-coordinate length, the measure
  OpenSCENARIO's road distances use);
* ``CHANGE`` – a lane change to the neighbour of the same direction in the
  same lane section, cost ``lane_change_cost`` (metres-equivalent penalty);
  none on a junction's connecting roads, where lanes of different
  connections overlap.

Costs are therefore "cost of entering the edge's target at its entry end
after entering the source at its entry end"; ``routing`` turns that into
distances between positions inside nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_matrix

from simplatform.opendrive import topology
from simplatform.opendrive.topology import HasRoads, LaneKey

FOLLOW = 0
CHANGE = 1
LANE_CHANGE_COST = 5.0


@dataclass(frozen=True)
class LaneEdge:
    target: LaneKey
    cost: float
    kind: int  # FOLLOW or CHANGE


@dataclass
class LaneGraph:
    """Drivable lane sections and the moves between them (see the module docstring).

    ``adjacency`` maps each node to its outgoing ``LaneEdge``s; ``matrix`` is
    the same graph as a scipy CSR matrix over ``nodes`` (index ``index[node]``)
    for ``scipy.sparse.csgraph``."""

    nodes: list[LaneKey]
    index: dict[LaneKey, int]
    adjacency: dict[LaneKey, list[LaneEdge]]
    length: np.ndarray  # (N,) reference-line length of each node
    s_start: np.ndarray  # (N,) lane section start s
    s_end: np.ndarray  # (N,) lane section end s
    direction: np.ndarray  # (N,) +1 / -1 driving direction
    lane_change_cost: float = LANE_CHANGE_COST
    matrix: csr_matrix = field(init=False, repr=False)

    def __post_init__(self) -> None:
        rows, cols, costs = [], [], []
        for node, edges in self.adjacency.items():
            for edge in edges:
                rows.append(self.index[node])
                cols.append(self.index[edge.target])
                # csgraph treats explicit zeros as missing edges: keep a tiny positive cost
                costs.append(max(edge.cost, 1e-9))
        n = len(self.nodes)
        self.matrix = csr_matrix((np.asarray(costs, float), (rows, cols)), shape=(n, n))

    def successors(self, node: LaneKey) -> list[LaneKey]:
        return [e.target for e in self.adjacency.get(node, ()) if e.kind == FOLLOW]

    def edge(self, a: LaneKey, b: LaneKey) -> LaneEdge | None:
        """The cheapest edge from ``a`` to ``b`` (None if they are not adjacent)."""
        found = [e for e in self.adjacency.get(a, ()) if e.target == b]
        return min(found, key=lambda e: e.cost) if found else None

    def entry_s(self, node: LaneKey) -> float:
        i = self.index[node]
        return float(self.s_start[i] if self.direction[i] > 0 else self.s_end[i])

    def exit_s(self, node: LaneKey) -> float:
        i = self.index[node]
        return float(self.s_end[i] if self.direction[i] > 0 else self.s_start[i])

    def progress(self, node: LaneKey, s: float) -> float:
        """Distance driven inside ``node`` from its entry end to ``s``."""
        i = self.index[node]
        return float((s - self.s_start[i]) if self.direction[i] > 0 else (self.s_end[i] - s))


def build_lane_graph(net: HasRoads, *, lane_change_cost: float = LANE_CHANGE_COST,
                     lane_types: frozenset[str] = topology.DRIVABLE_LANE_TYPES) -> LaneGraph:
    """The lane graph of ``net`` over lanes of ``lane_types``."""
    nodes: list[LaneKey] = []
    s0, s1, direction = [], [], []
    for road in net.roads.values():
        for index, section in enumerate(road.lane_sections):
            for lane in section.lanes.values():
                if lane.id == 0 or lane.type not in lane_types:
                    continue
                nodes.append((road.id, index, lane.id))
                s0.append(section.s)
                s1.append(section.s_end)
                direction.append(topology.driving_direction(net, road.id, lane.id))
    index = {node: i for i, node in enumerate(nodes)}
    s_start, s_end = np.asarray(s0, float), np.asarray(s1, float)
    length = s_end - s_start
    adjacency: dict[LaneKey, list[LaneEdge]] = {}
    for i, node in enumerate(nodes):
        edges = [LaneEdge(nxt, float(length[i]), FOLLOW)
                 for nxt in topology.lane_successors(net, node) if nxt in index]
        # no lane changes inside a junction (connecting roads cross each other there)
        for side in ((1, -1) if net.roads[node[0]].junction is None else ()):
            beside = topology.neighbour_in_section(net, node, side)
            if beside is not None and beside in index:
                edges.append(LaneEdge(beside, lane_change_cost, CHANGE))
        adjacency[node] = edges
    return LaneGraph(nodes, index, adjacency, length, s_start, s_end,
                     np.asarray(direction, int), lane_change_cost)
