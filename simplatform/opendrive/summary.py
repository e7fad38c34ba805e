"""A summary of a road network and the problems found in it (``simplatform map info``).

Why: a map is the first thing to doubt when a scenario misbehaves; this says
what the file holds (roads, lanes, junctions, length, extent, geometry kinds,
signals, objects) and what looks wrong in it beyond what the parser refuses:
driving lanes of zero width, lanes that stop at a linked road end without a
successor, lanes whose links contradict their driving direction, and linked
lanes of two roads whose borders do not meet (a hole in the road surface; the
links say the lanes continue, the geometry says they are apart).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np

from simplatform.opendrive import topology

_ZERO_WIDTH = 1e-3
JOINT_GAP = 0.05
"""Metres by which the borders of a lane and of its successor on another road may miss
each other before ``map info`` reports it: exporters' rounding (paramPoly3 fits, short
decimal output) leaves up to a few millimetres in real maps."""


@dataclass(frozen=True)
class NetworkSummary:
    source: str
    name: str
    revision: str
    roads: int
    connecting_roads: int
    lane_sections: int
    lanes: int
    lanes_by_type: dict[str, int]
    junctions: int
    junctions_by_type: dict[str, int]
    total_length_m: float
    connecting_length_m: float
    bounding_box: dict[str, float]
    geometry_counts: dict[str, int]
    signals: int
    dynamic_signals: int
    signal_references: int
    controllers: int
    objects: int
    placed_objects: int
    problems: list[str] = field(default_factory=list)
    tunnels: int = 0
    bridges: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def network_extent(net, step: float = 5.0) -> dict[str, float]:
    """Bounding box of the lanes' outer borders (not only the reference lines)."""
    xs, ys = [], []
    for road in net.roads.values():
        n = max(2, int(np.ceil(road.length / step)) + 1)
        s = np.linspace(0.0, road.length, n)
        s[-1] = max(0.0, road.length - 1e-7)
        lanes = net.frame(road.id).lanes
        for side in (1, -1):
            outer = lanes.all_outer(side, s) if lanes.tables[side] else lanes.offset(s)[0][None, :]
            t = np.nanmax(outer, axis=0) if side > 0 else np.nanmin(outer, axis=0)
            t = np.where(np.isfinite(t), t, 0.0)
            pose = net.road_poses(road.id, s, t)
            xs.append(pose.x)
            ys.append(pose.y)
    if not xs:
        return {"west": 0.0, "south": 0.0, "east": 0.0, "north": 0.0}
    x, y = np.concatenate(xs), np.concatenate(ys)
    return {"west": float(x.min()), "south": float(y.min()), "east": float(x.max()), "north": float(y.max())}


def find_problems(net) -> list[str]:
    """Our checks over a loaded network (see the module docstring)."""
    problems: list[str] = []
    for road in net.roads.values():
        lanes = net.frame(road.id).lanes
        for index, section in enumerate(road.lane_sections):
            s = np.linspace(section.s, max(section.s, section.s_end - 1e-7), 11)
            for lane in (*section.left, *section.right):
                if lane.type not in topology.DRIVABLE_LANE_TYPES:
                    continue
                inner, outer = lanes.boundaries(lane.id, s)
                width = np.abs(outer - inner)
                if np.nanmax(width, initial=0.0) < _ZERO_WIDTH:
                    problems.append(f"road {road.id} lane {lane.id} (section at s={section.s:g}): "
                                    "driving lane has zero width throughout")
                    continue
                key = (road.id, index, lane.id)
                direction = topology.driving_direction(net, road.id, lane.id)
                leaving = "end" if direction > 0 else "start"
                last = index == (len(road.lane_sections) - 1 if direction > 0 else 0)
                link = road.successor if direction > 0 else road.predecessor
                exit_width = width[-1] if direction > 0 else width[0]
                geometric = topology.continuations(net, key, leaving)
                mid_road = link is not None and link.element_type == "road" and link.contact_point is None
                if last and link is not None and not mid_road and exit_width > _ZERO_WIDTH and not geometric:
                    problems.append(f"road {road.id} lane {lane.id}: ends at the road's linked {leaving} "
                                    f"({link.element_type} {link.element_id}) without a successor lane")
                elif geometric and not any((1 if contact == "start" else -1) in topology.lane_directions(net, nxt)
                                           for nxt, contact in geometric):
                    # no lane it touches is driven away from the joint (a two-way lane is, either way)
                    problems.append(f"road {road.id} lane {lane.id}: lane links at its {leaving} lead only "
                                    "into lanes of the opposite driving direction")
    return problems


def negative_widths(net, tolerance: float = _ZERO_WIDTH) -> list[str]:
    """Lanes whose width goes below zero (§11.5: a lane's outer border crossing its inner
    one; qc-opendrive's check_lane_valid_width runs a width cubic down to -2 m).  The
    lane then overlaps its inner neighbour and locate/mesh see it folded back; the
    geometry is kept as written, this only says so.  Sampled every metre or so."""
    out = []
    for road in net.roads.values():
        lanes = net.frame(road.id).lanes
        for section in road.lane_sections:
            n = int(min(max(section.s_end - section.s, 0.0), 400.0)) + 11
            s = np.linspace(section.s, max(section.s, section.s_end - 1e-7), n)
            for lane in (*section.left, *section.right):
                inner, outer = lanes.boundaries(lane.id, s)
                width = (outer - inner) if lane.id > 0 else (inner - outer)
                i = int(np.argmin(width))
                if width[i] < -tolerance:
                    out.append(f"road {road.id} lane {lane.id} (section at s={section.s:g}): width is negative, "
                               f"down to {width[i]:.2f} m at s={s[i]:.1f}")
    return out


def _border_points(net, key, s: float) -> tuple[tuple[float, float], tuple[float, float]]:
    road_id, lane_id = key[0], key[2]  # a lane graph node: (road, section, lane[, direction, piece])
    inner, outer = net.frame(road_id).lanes.boundaries_scalar(lane_id, s)
    a, b = net.road_pose(road_id, s, inner), net.road_pose(road_id, s, outer)
    return (a.x, a.y), (b.x, b.y)


def joint_gaps(net, tolerance: float = JOINT_GAP) -> list[str]:
    """Lanes that the lane graph says continue into a lane of another road, where the two
    lanes' borders (inner and outer, §11.5) are more than ``tolerance`` apart at the joint.
    Lanes that start or end at zero width (merges, splits) are skipped."""
    from simplatform.opendrive.lane_graph import FOLLOW

    graph = net.lane_graph
    out = []
    for a, edges in graph.adjacency.items():
        for edge in edges:
            b = edge.target
            if edge.kind != FOLLOW or a[0] == b[0]:
                continue
            ia, ib = graph.index[a], graph.index[b]
            eps = 1e-7
            sa = graph.s_end[ia] - eps if graph.direction[ia] > 0 else graph.s_start[ia] + eps
            sb = graph.s_start[ib] + eps if graph.direction[ib] > 0 else graph.s_end[ib] - eps
            pa, pb = _border_points(net, a, float(sa)), _border_points(net, b, float(sb))
            if min(float(np.hypot(*np.subtract(*pa))), float(np.hypot(*np.subtract(*pb)))) < 0.05:
                continue
            same = max(float(np.hypot(*np.subtract(pa[0], pb[0]))), float(np.hypot(*np.subtract(pa[1], pb[1]))))
            crossed = max(float(np.hypot(*np.subtract(pa[0], pb[1]))), float(np.hypot(*np.subtract(pa[1], pb[0]))))
            gap = min(same, crossed)
            if gap > tolerance:
                out.append(f"road {a[0]} lane {a[2]} continues into road {b[0]} lane {b[2]}, but their borders are "
                           f"{gap:.2f} m apart at the joint")
    return out


def _cross_section(net, road_id: str, s: float) -> tuple[np.ndarray, np.ndarray]:
    """The road's two outermost lane borders at ``s`` as x/y points (the reference
    line point where it has no lanes)."""
    lanes = net.frame(road_id).lanes
    ts = [0.0]
    for lane_id in net.lane_ids(road_id, s):
        if lane_id != 0:
            ts.extend(lanes.boundaries_scalar(lane_id, s))
    a, b = net.road_pose(road_id, s, min(ts)), net.road_pose(road_id, s, max(ts))
    return np.array([a.x, a.y]), np.array([b.x, b.y])


def _segment_distance(p0, p1, q0, q1) -> float:
    def to_segment(x, a, b) -> float:
        d = b - a
        u = 0.0 if not d.any() else float(np.clip(np.dot(x - a, d) / np.dot(d, d), 0.0, 1.0))
        return float(np.hypot(*(a + u * d - x)))

    def side(a, b, c) -> float:
        return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))

    if side(p0, p1, q0) * side(p0, p1, q1) < 0 and side(q0, q1, p0) * side(q0, q1, p1) < 0:
        return 0.0  # the cross-sections cross
    return min(to_segment(p0, q0, q1), to_segment(p1, q0, q1), to_segment(q0, p0, p1), to_segment(q1, p0, p1))


def link_gaps(net, tolerance: float = JOINT_GAP) -> list[str]:
    """Road-to-road links (§8.3 <predecessor>/<successor> with a contact point) whose
    roads do not touch there: the cross-sections (outermost border to outermost border)
    at the two linked ends are more than ``tolerance`` apart.  ``joint_gaps`` only sees
    lanes the graph joins; a link to the wrong road end (qc-opendrive's
    check_road_linkage_backward: road 2's successor is road 19's far end, 103 m away)
    joins no lanes and was silent."""
    out, seen = [], set()
    for road in net.roads.values():
        for link, own_end in ((road.predecessor, "start"), (road.successor, "end")):
            if (link is None or link.element_type != "road" or link.contact_point not in ("start", "end")
                    or link.element_id not in net.roads):
                continue
            key = frozenset({(road.id, own_end), (link.element_id, link.contact_point)})
            if key in seen:
                continue
            seen.add(key)
            other = net.roads[link.element_id]
            here = _cross_section(net, road.id, 0.0 if own_end == "start" else road.length)
            there = _cross_section(net, other.id, 0.0 if link.contact_point == "start" else other.length)
            gap = _segment_distance(*here, *there)
            if gap > tolerance:
                out.append(f"road {road.id} links at its {own_end} to the {link.contact_point} of road {other.id}, "
                           f"but the roads are {gap:.2f} m apart there")
    return out


def summarise(net) -> NetworkSummary:
    """Counts, lengths, extent and problems of ``net`` (a ``RoadNetwork``)."""
    from simplatform.opendrive import objects as objects_module

    connecting = [r for r in net.roads.values() if r.junction is not None]
    lanes = [lane for r in net.roads.values() for sec in r.lane_sections for lane in (*sec.left, *sec.right)]
    signals = [sig for r in net.roads.values() for sig in r.signals]
    records = [obj for r in net.roads.values() for obj in r.objects]
    header = net.header
    return NetworkSummary(
        source=str(net.source),
        name=header.name,
        revision=f"{header.rev_major}.{header.rev_minor}",
        roads=len(net.roads),
        connecting_roads=len(connecting),
        lane_sections=sum(len(r.lane_sections) for r in net.roads.values()),
        lanes=len(lanes),
        lanes_by_type=dict(sorted(Counter(lane.type for lane in lanes).items())),
        junctions=len(net.junctions),
        junctions_by_type=dict(sorted(Counter(j.type for j in net.junctions.values()).items())),
        total_length_m=float(sum(r.length for r in net.roads.values())),
        connecting_length_m=float(sum(r.length for r in connecting)),
        bounding_box=network_extent(net),
        geometry_counts=dict(sorted(Counter(g.kind for r in net.roads.values() for g in r.plan_view).items())),
        signals=len(signals),
        dynamic_signals=sum(1 for sig in signals if sig.dynamic),
        signal_references=sum(len(r.signal_references) for r in net.roads.values()),
        controllers=len(net.controllers),
        objects=len(records),
        placed_objects=len(objects_module.build_objects(net)),
        problems=list(getattr(net, "problems", [])) + find_problems(net) + negative_widths(net) + link_gaps(net)
        + joint_gaps(net),
        tunnels=sum(len(r.tunnels) for r in net.roads.values()),
        bridges=sum(len(r.bridges) for r in net.roads.values()),
    )
