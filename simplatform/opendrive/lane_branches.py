"""Mid-road lane branches: where a road leaves or joins a main road that runs on unsplit.

Source: ASAM OpenDRIVE 1.7 §10.4 / 1.8 §12.7 virtual junctions.  A connecting
road of a virtual junction names the main road by ``<predecessor|successor
elementType="road" elementS=".." elementDir="+|-"/>`` instead of a contact
point: it starts (or ends) at ``s = elementS`` in the middle of the main road,
which is not cut there (driveways, parking-lot entries, farm roads).  Which
lanes meet is said by the connecting road's lane links at that end and by the
junction's ``<connection incomingRoad=main connectingRoad=..>`` lane links.  A
``<connection type="virtual">`` with a <predecessor> and a <successor> (one a road
end, the other a point mid-road; the 1.8 §12.7 XML example) joins a road end to
the main road directly, lane ``from`` into lane ``to``.

The lane graph models a branch by splitting every lane of the main road's lane
section at ``elementS`` (so lane changes and distances stay exact) and adding an
edge from the piece that ends there into the connecting lane (traffic leaving the
main road), or from the connecting lane into the piece that starts there
(traffic joining it).  Which of the two follows from the connecting lane's
driving direction at its linked end; the main lane may be driven either way past
``elementS`` (a left turn across oncoming traffic into a driveway is a lane link
to a lane of the other side).  ``elementDir`` here only picks the direction of
a two-way main lane (@direction="both"): the lane links already say which lanes
meet.

Maps without mid-road links have no branches and no split sections: their
lane graph is the one built before branches existed, node for node.

An ``elementS`` off the main road (below 0 or beyond its length, give or take
1e-6·length) names no point of it: ``check_mid_road_links`` refuses it with a
located ``RoadNetworkError`` rather than leaving the branch out of routing.
"""

from __future__ import annotations

from dataclasses import dataclass

from simplatform.errors import RoadNetworkError
from simplatform.opendrive import model as m
from simplatform.opendrive.topology import HasRoads

_TOL = 1e-6
_REL_TOL = 1e-6  # elementS may overshoot the main road's ends by this fraction of its length


@dataclass(frozen=True)
class LaneBranch:
    """Lane ``lane_id`` of road ``road_id``, at its ``contact`` end ("start"/"end"),
    meets lane ``main_lane`` of road ``main_road`` at ``s`` (reference-line s of the
    main road).  ``element_dir`` is the link's @elementDir ("+", "-" or None)."""

    main_road: str
    main_lane: int
    s: float
    road_id: str
    lane_id: int
    contact: str
    element_dir: str | None = None


def _check_element_s(source: str, main: m.Road, link: m.RoadLink, element: str, owner: str) -> None:
    s = float(link.element_s)
    slack = _REL_TOL * main.length
    if not -slack <= s <= main.length + slack:
        raise RoadNetworkError(
            f"{owner} links to road {main.id} at elementS={s:g}, which is not on that road "
            f"(its s runs from 0 to {main.length:g}): a virtual junction's mid-road link "
            "(OpenDRIVE 1.7 §10.4) must name a point of the main road",
            file=source, line=link.line, element=element)


def check_mid_road_links(net: HasRoads) -> None:
    """Every mid-road link (@elementS, no contactPoint) names a point of its main road:
    0 <= elementS <= main road length; else a ``RoadNetworkError`` at the link's line."""
    source = getattr(net, "source", None)
    for road in net.roads.values():
        for element, link in (("predecessor", road.predecessor), ("successor", road.successor)):
            if link is None or link.element_type != "road" or link.contact_point is not None \
                    or link.element_s is None or link.element_id not in net.roads:
                continue
            _check_element_s(source, net.roads[link.element_id], link, element, f"road {road.id}: {element}")
    for junction in net.junctions.values():
        for vc in junction.virtual_connections:
            for element, link in (("predecessor", vc.predecessor), ("successor", vc.successor)):
                if link.element_s is not None and link.element_id in net.roads:
                    _check_element_s(source, net.roads[link.element_id], link, element,
                                     f"junction {junction.id} virtual connection {vc.id}: {element}")


def mid_road_branches(net: HasRoads) -> list[LaneBranch]:
    """Every lane pair joined by a mid-road road link (@elementS), in road order;
    raises ``RoadNetworkError`` for a link whose elementS is off its main road."""
    check_mid_road_links(net)
    out: list[LaneBranch] = []
    for road in net.roads.values():
        for contact, link in (("start", road.predecessor), ("end", road.successor)):
            if link is None or link.element_type != "road" or link.contact_point is not None \
                    or link.element_s is None:
                continue
            main = net.roads.get(link.element_id)
            if main is None:
                continue
            s = min(max(float(link.element_s), 0.0), main.length)  # checked: off by at most 1e-6·length
            index = 0 if contact == "start" else len(road.lane_sections) - 1
            pairs: list[tuple[int, int]] = []
            for lane in road.lane_sections[index].lanes.values():
                for main_lane in (lane.predecessors if contact == "start" else lane.successors):
                    pairs.append((main_lane, lane.id))
            junction = net.junctions.get(road.junction) if road.junction is not None else None
            for connection in (junction.connections if junction is not None else ()):
                if connection.incoming_road == main.id and connection.connecting_road == road.id \
                        and connection.contact_point == contact:
                    pairs.extend((link_.from_lane, link_.to_lane) for link_ in connection.lane_links)
            out.extend(_branches(main.id, s, road.id, contact, link.element_dir, pairs))
    for junction in net.junctions.values():
        for vc in junction.virtual_connections:
            # traffic goes predecessor -> successor, lane link from -> to; one end is mid-road
            at_main = vc.predecessor if vc.predecessor.element_s is not None else vc.successor
            other = vc.successor if at_main is vc.predecessor else vc.predecessor
            main, road = net.roads.get(at_main.element_id), net.roads.get(other.element_id)
            if main is None or road is None:
                continue
            s = min(max(float(at_main.element_s), 0.0), main.length)
            pairs = [(ll.from_lane, ll.to_lane) if at_main is vc.predecessor else (ll.to_lane, ll.from_lane)
                     for ll in vc.lane_links]
            out.extend(_branches(main.id, s, road.id, other.contact_point, at_main.element_dir, pairs))
    return out


def _branches(main_road: str, s: float, road_id: str, contact: str, element_dir: str | None,
              pairs: list[tuple[int, int]]) -> list[LaneBranch]:
    out: list[LaneBranch] = []
    for main_lane, lane_id in pairs:
        branch = LaneBranch(main_road, main_lane, s, road_id, lane_id, contact, element_dir)
        if main_lane != 0 and lane_id != 0 and branch not in out:
            out.append(branch)
    return out


def section_cuts(net: HasRoads, branches: list[LaneBranch]) -> dict[tuple[str, int], list[float]]:
    """Where each (road id, lane section index) is split: the branch points strictly
    inside the section, ascending (a branch at a section boundary needs no split)."""
    cuts: dict[tuple[str, int], set[float]] = {}
    for branch in branches:
        road = net.roads[branch.main_road]
        for index, section in enumerate(road.lane_sections):
            if section.s + _TOL < branch.s < section.s_end - _TOL:
                cuts.setdefault((road.id, index), set()).add(branch.s)
    return {key: sorted(values) for key, values in cuts.items()}


def piece_at(pieces: list[tuple[float, float, object]], s: float, direction: int, end: str) -> object | None:
    """The piece (``(s0, s1, node)`` in ascending s) whose ``end`` ("entry"/"exit") in
    ``direction`` lies at ``s``; None if no piece of the lane ends or starts there."""
    at_high = (direction > 0) == (end == "exit")
    for s0, s1, node in pieces:
        if abs((s1 if at_high else s0) - s) <= _TOL and s1 - s0 > _TOL:
            return node
    return None
