"""The lane-level routing graph of a road network.

Why lane level and not road level: a route must say which lane to be in (an
exit lane, an acceleration lane), and lane changes have a cost; this is the
graph esmini's RoadManager and Lanelet2's routing graph build, here over the
OpenDRIVE lane sections themselves.

Nodes are lane sections of drivable lanes, driven one way: ``(road id, section
index, lane id)`` for a lane in its driving direction (``topology.
driving_direction``).  Two cases add nodes of the longer form ``(road id,
section index, lane id, direction, piece)``:

* a two-way lane (OpenDRIVE 1.7 lane @direction="both", or the deprecated lane
  type "bidirectional") is driven both ways: its second direction is a node of
  its own (``direction`` = -driving direction);
* a lane section that a virtual junction's mid-road link touches (``lane_branches``)
  is split at the link's ``elementS`` into pieces, numbered in increasing s,
  all its lanes alike.

Maps with neither have exactly the nodes, edges and order they always had.
Edges:

* ``FOLLOW`` – traffic leaves the node into a following lane section
  (``topology.continuations``, the target driven away from the end it is
  entered at) or into the next piece of the same lane; its cost is the node's
  length along the reference line (``s_end - s``: road-coordinate length, the
  measure OpenSCENARIO's road distances use);
* ``BRANCH`` – the same, across a mid-road link: from the piece of the main
  road's lane that ends at ``elementS`` into the connecting road, or from the
  connecting road into the piece that starts there (cost: the source's length);
* ``CHANGE`` – a lane change to the neighbour of the same direction in the
  same lane section (and piece), cost ``lane_change_cost`` (metres-equivalent
  penalty); none on a junction's connecting roads, where lanes of different
  connections overlap.

Costs are therefore "cost of entering the edge's target at its entry end
after entering the source at its entry end"; ``routing`` turns that into
distances between positions inside nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable

import numpy as np
from scipy.sparse import csr_matrix

from simplatform.opendrive import topology
from simplatform.opendrive.lane_branches import LaneBranch, mid_road_branches, piece_at, section_cuts
from simplatform.opendrive.topology import HasRoads, LaneKey

FOLLOW = 0
CHANGE = 1
BRANCH = 2
LANE_CHANGE_COST = 5.0

GraphNode = Hashable  # a LaneKey, or (road id, section index, lane id, direction, piece)


def lane_key(node: GraphNode) -> LaneKey:
    """The lane section ``(road id, section index, lane id)`` a graph node lies in."""
    return node[:3]  # type: ignore[index]


@dataclass(frozen=True)
class LaneEdge:
    target: GraphNode
    cost: float
    kind: int  # FOLLOW, CHANGE or BRANCH


@dataclass
class LaneGraph:
    """Drivable lane sections and the moves between them (see the module docstring).

    ``adjacency`` maps each node to its outgoing ``LaneEdge``s; ``matrix`` is
    the same graph as a scipy CSR matrix over ``nodes`` (index ``index[node]``)
    for ``scipy.sparse.csgraph``.  ``pieces[(lane section key, direction)]`` lists
    the nodes of a lane section driven one way, in increasing s; ``branches`` the
    mid-road links the graph follows."""

    nodes: list[GraphNode]
    index: dict[GraphNode, int]
    adjacency: dict[GraphNode, list[LaneEdge]]
    length: np.ndarray  # (N,) reference-line length of each node
    s_start: np.ndarray  # (N,) node start s
    s_end: np.ndarray  # (N,) node end s
    direction: np.ndarray  # (N,) +1 / -1 driving direction
    lane_change_cost: float = LANE_CHANGE_COST
    pieces: dict[tuple[LaneKey, int], list[GraphNode]] = field(default_factory=dict)
    branches: list[LaneBranch] = field(default_factory=list)
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

    def successors(self, node: GraphNode) -> list[GraphNode]:
        """Nodes traffic drives into from ``node`` (lane ends and mid-road branches)."""
        return [e.target for e in self.adjacency.get(node, ()) if e.kind != CHANGE]

    def edge(self, a: GraphNode, b: GraphNode) -> LaneEdge | None:
        """The cheapest edge from ``a`` to ``b`` (None if they are not adjacent)."""
        found = [e for e in self.adjacency.get(a, ()) if e.target == b]
        return min(found, key=lambda e: e.cost) if found else None

    def entry_s(self, node: GraphNode) -> float:
        i = self.index[node]
        return float(self.s_start[i] if self.direction[i] > 0 else self.s_end[i])

    def exit_s(self, node: GraphNode) -> float:
        i = self.index[node]
        return float(self.s_end[i] if self.direction[i] > 0 else self.s_start[i])

    def progress(self, node: GraphNode, s: float) -> float:
        """Distance driven inside ``node`` from its entry end to ``s``."""
        i = self.index[node]
        return float((s - self.s_start[i]) if self.direction[i] > 0 else (self.s_end[i] - s))


def _directed_successors(net: HasRoads, key: LaneKey, direction: int,
                         allowed: dict[LaneKey, tuple[int, ...]]) -> list[tuple[LaneKey, int]]:
    """Lane sections (and the direction they are driven in) that traffic driving
    ``key`` in ``direction`` enters at its exit end: ``topology.lane_successors``
    for lanes that may be driven either way."""
    out: list[tuple[LaneKey, int]] = []
    for nxt, contact in topology.continuations(net, key, "end" if direction > 0 else "start"):
        need = 1 if contact == "start" else -1  # drive away from the end entered at
        if need in allowed.get(nxt, ()) and (nxt, need) not in out:
            out.append((nxt, need))
    return out


def build_lane_graph(net: HasRoads, *, lane_change_cost: float = LANE_CHANGE_COST,
                     lane_types: frozenset[str] = topology.DRIVABLE_LANE_TYPES) -> LaneGraph:
    """The lane graph of ``net`` over lanes of ``lane_types``."""
    branches = mid_road_branches(net)
    cuts = section_cuts(net, branches)
    nodes: list[GraphNode] = []
    s0, s1, direction = [], [], []
    allowed: dict[LaneKey, tuple[int, ...]] = {}
    drivable: set[LaneKey] = set()
    pieces: dict[tuple[LaneKey, int], list[GraphNode]] = {}
    for road in net.roads.values():
        for index, section in enumerate(road.lane_sections):
            bounds = [section.s, *cuts.get((road.id, index), ()), section.s_end]
            for lane in section.lanes.values():
                if lane.id == 0 or lane.type not in lane_types:
                    continue
                key = (road.id, index, lane.id)
                primary = topology.driving_direction(net, road.id, lane.id)
                allowed[key] = (primary, -primary) if topology.is_two_way(lane) else (primary,)
                if topology.is_drivable(lane):
                    drivable.add(key)
                for d in allowed[key]:
                    own = pieces[(key, d)] = []
                    for j in range(len(bounds) - 1):
                        node = key if d == primary and len(bounds) == 2 else (road.id, index, lane.id, d, j)
                        own.append(node)
                        nodes.append(node)
                        s0.append(bounds[j])
                        s1.append(bounds[j + 1])
                        direction.append(d)
    index_of = {node: i for i, node in enumerate(nodes)}
    s_start, s_end = np.asarray(s0, float), np.asarray(s1, float)
    length = s_end - s_start
    branch_edges = _branch_edges(net, branches, pieces, s_start, s_end, index_of, length)
    adjacency: dict[GraphNode, list[LaneEdge]] = {}
    for i, node in enumerate(nodes):
        key, d = lane_key(node), int(direction[i])
        own = pieces[(key, d)]
        j = own.index(node) if len(own) > 1 else 0
        nxt_j = j + d
        if 0 <= nxt_j < len(own):
            edges = [LaneEdge(own[nxt_j], float(length[i]), FOLLOW)]
        else:
            edges = [LaneEdge(_entry(pieces[(nxt, nd)], nd), float(length[i]), FOLLOW)
                     for nxt, nd in _directed_successors(net, key, d, allowed) if (nxt, nd) in pieces]
        edges.extend(branch_edges.get(node, ()))
        # no lane changes inside a junction (connecting roads cross each other there)
        for side in ((1, -1) if net.roads[key[0]].junction is None else ()):
            beside = _neighbour(key, d, side)
            if beside in drivable and d in allowed[beside]:
                edges.append(LaneEdge(pieces[(beside, d)][j], lane_change_cost, CHANGE))
        adjacency[node] = edges
    return LaneGraph(nodes, index_of, adjacency, length, s_start, s_end,
                     np.asarray(direction, int), lane_change_cost, pieces, branches)


def _entry(own: list[GraphNode], d: int) -> GraphNode:
    return own[0] if d > 0 else own[-1]


def _neighbour(key: LaneKey, d: int, side: int) -> LaneKey:
    """The lane beside ``key`` to the driver's left (+1) or right (-1) when driving ``d``
    (as ``topology.neighbour_in_section``: the driver's left is +t driving with s)."""
    candidate = key[2] + side * d
    if candidate == 0:
        candidate += side * d
    return (key[0], key[1], candidate)


def _branch_edges(net: HasRoads, branches: list[LaneBranch], pieces, s_start, s_end, index_of,
                  length) -> dict[GraphNode, list[LaneEdge]]:
    """BRANCH edges of the mid-road links (``lane_branches``)."""
    def along(road_id: str, lane_id: int, d: int) -> list[tuple[float, float, GraphNode]]:
        road = net.roads[road_id]
        out = []
        for index in range(len(road.lane_sections)):
            for node in pieces.get(((road_id, index, lane_id), d), ()):
                i = index_of[node]
                out.append((float(s_start[i]), float(s_end[i]), node))
        return out

    edges: dict[GraphNode, list[LaneEdge]] = {}
    for b in branches:
        connecting = net.roads[b.road_id]
        key = (b.road_id, 0 if b.contact == "start" else len(connecting.lane_sections) - 1, b.lane_id)
        main_dirs = [d for d in (1, -1) if along(b.main_road, b.main_lane, d)]
        wanted = {"+": 1, "-": -1}.get(b.element_dir or "")
        if wanted in main_dirs and len(main_dirs) > 1:
            main_dirs = [wanted]
        for dc in (1, -1):
            own = pieces.get((key, dc))
            if not own:
                continue
            entered = (b.contact == "start") == (dc > 0)  # the connecting lane starts at the main road
            for dm in main_dirs:
                main = along(b.main_road, b.main_lane, dm)
                if entered:
                    source, target = piece_at(main, b.s, dm, "exit"), _entry(own, dc)
                else:
                    source, target = (own[-1] if dc > 0 else own[0]), piece_at(main, b.s, dm, "entry")
                if source is None or target is None:
                    continue
                edge = LaneEdge(target, float(length[index_of[source]]), BRANCH)
                if edge not in edges.setdefault(source, []):
                    edges[source].append(edge)
    return edges
