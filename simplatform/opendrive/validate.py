"""Reference checks over the whole parsed file: every id a link names must exist.

Why here and not in the element parsers: a road may link to a road defined
later in the file, so links can only be checked once everything is read.
Hard errors (``RoadNetworkError``) are the references a simulation cannot run
with (a road linking to a road that is not there, a lane link to a lane the
neighbouring section lacks); soft ones (a controller naming a missing signal,
common in exported maps) are collected as problems.
"""

from __future__ import annotations

from simplatform.errors import RoadNetworkError
from simplatform.opendrive import model as m


def _err(source: str, line: int | None, element: str, cause: str) -> RoadNetworkError:
    return RoadNetworkError(cause, file=source, line=line, element=element)


def _end_section(road: m.Road, contact: str) -> m.LaneSection:
    return road.lane_sections[0] if contact == "start" else road.lane_sections[-1]


def _linked_section(road: m.Road, link: m.RoadLink, default: str) -> m.LaneSection:
    """The section of ``road`` a link touches: at its contact point, or, for a virtual
    junction's mid-road link (@elementS), the section holding that s."""
    if link.contact_point is None and link.element_s is not None:
        holding = [sec for sec in road.lane_sections if sec.s <= link.element_s + 1e-9]
        return holding[-1] if holding else road.lane_sections[0]
    return _end_section(road, link.contact_point or default)


def _check_lane_ids(source: str, road: m.Road, lane: m.Lane, ids: tuple[int, ...], target: m.LaneSection,
                    where: str) -> None:
    known = target.lanes
    for lid in ids:
        if lid not in known:
            raise _err(source, lane.line, "lane",
                       f"road {road.id} lane {lane.id}: {where} lane {lid} does not exist "
                       f"(lanes there: {sorted(known)})")


def check_road_links(source: str, roads: dict[str, m.Road], junctions: dict[str, m.Junction]) -> None:
    """§8.3 road links and §11.6 lane links point at existing roads, junctions, lanes."""
    for road in roads.values():
        if road.junction is not None and road.junction not in junctions:
            raise _err(source, road.line, "road", f"road {road.id} belongs to junction {road.junction} "
                       "which does not exist")
        ends = {"predecessor": road.predecessor, "successor": road.successor}
        for which, link in ends.items():
            if link is None:
                continue
            table = roads if link.element_type == "road" else junctions
            if link.element_id not in table:
                raise _err(source, link.line, which,
                           f"road {road.id} {which} links to {link.element_type} {link.element_id} "
                           "which does not exist")
        sections = road.lane_sections
        for i, section in enumerate(sections):
            for lane in section.lanes.values():
                if lane.id == 0:
                    continue
                # predecessor lanes: previous section, or the predecessor road's touching section
                if lane.predecessors:
                    if i > 0:
                        _check_lane_ids(source, road, lane, lane.predecessors, sections[i - 1], "predecessor")
                    elif road.predecessor is not None and road.predecessor.element_type == "road":
                        other = roads[road.predecessor.element_id]
                        _check_lane_ids(source, road, lane, lane.predecessors,
                                        _linked_section(other, road.predecessor, "end"),
                                        f"predecessor (road {other.id})")
                if lane.successors:
                    if i + 1 < len(sections):
                        _check_lane_ids(source, road, lane, lane.successors, sections[i + 1], "successor")
                    elif road.successor is not None and road.successor.element_type == "road":
                        other = roads[road.successor.element_id]
                        _check_lane_ids(source, road, lane, lane.successors,
                                        _linked_section(other, road.successor, "start"),
                                        f"successor (road {other.id})")


def _incoming_sections(road: m.Road, junction_id: str) -> list[m.LaneSection]:
    """Lane sections of ``road`` at the end(s) that touch ``junction_id``."""
    out = []
    if road.predecessor is not None and road.predecessor.element_id == junction_id \
            and road.predecessor.element_type == "junction":
        out.append(road.lane_sections[0])
    if road.successor is not None and road.successor.element_id == junction_id \
            and road.successor.element_type == "junction":
        out.append(road.lane_sections[-1])
    return out or [road.lane_sections[0], road.lane_sections[-1]]


def check_junctions(source: str, roads: dict[str, m.Road], junctions: dict[str, m.Junction],
                    controllers: dict[str, m.Controller], problems: list[str]) -> None:
    """§12.3/12.4 connections name existing roads and their lane links existing lanes."""
    for junction in junctions.values():
        for c in junction.connections:
            for what, rid in (("incomingRoad", c.incoming_road), ("connectingRoad", c.connecting_road)):
                if rid not in roads:
                    raise _err(source, c.line, "connection",
                               f"junction {junction.id} connection {c.id}: {what} {rid} does not exist")
            incoming = roads[c.incoming_road]
            connecting = roads[c.connecting_road]
            # a virtual junction's main road runs through it unsplit: its lanes may join anywhere
            in_sections = (list(incoming.lane_sections) if junction.type == "virtual"
                           else _incoming_sections(incoming, junction.id))
            to_section = _end_section(connecting, c.contact_point)
            for ll in c.lane_links:
                if ll.from_lane == 0 or ll.to_lane == 0:
                    problems.append(f"{source}:{c.line}: junction {junction.id} connection {c.id}: laneLink from "
                                    f"{ll.from_lane} to {ll.to_lane} names the centre lane, which carries no "
                                    "traffic; ignored")
                    continue
                if not any(ll.from_lane in sec.lanes for sec in in_sections):
                    raise _err(source, c.line, "laneLink",
                               f"junction {junction.id} connection {c.id}: lane {ll.from_lane} does not exist "
                               f"on incoming road {incoming.id}")
                if ll.to_lane not in to_section.lanes:
                    raise _err(source, c.line, "laneLink",
                               f"junction {junction.id} connection {c.id}: lane {ll.to_lane} does not exist "
                               f"at the {c.contact_point} of connecting road {connecting.id}")
        for k in junction.controllers:
            if k.id not in controllers:
                problems.append(f"{source}:{junction.line}: junction {junction.id} names controller {k.id} "
                                "which does not exist")


def check_signals(source: str, roads: dict[str, m.Road], controllers: dict[str, m.Controller],
                  problems: list[str]) -> None:
    """Signal ids are unique in a file (§14.2); references and controls should resolve."""
    seen: dict[str, m.Signal] = {}
    for road in roads.values():
        for sig in road.signals:
            if sig.id in seen:
                first = seen[sig.id]
                raise _err(source, sig.line, "signal",
                           f"duplicate signal id {sig.id!r} (first on road {first.road_id}, line {first.line})")
            seen[sig.id] = sig
    for road in roads.values():
        for ref in road.signal_references:
            if ref.id not in seen:
                problems.append(f"{source}:{ref.line}: signalReference on road {road.id} names signal {ref.id} "
                                "which does not exist")
        obj_ids: set[str] = set()
        for obj in road.objects:
            if obj.id in obj_ids:
                problems.append(f"{source}:{obj.line}: duplicate object id {obj.id!r} on road {road.id}")
            obj_ids.add(obj.id)
    for ctrl in controllers.values():
        for c in ctrl.controls:
            if c.signal_id not in seen:
                problems.append(f"{source}:{ctrl.line}: controller {ctrl.id} controls signal {c.signal_id} "
                                "which does not exist")
