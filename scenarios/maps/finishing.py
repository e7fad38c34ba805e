"""Finishing touches on a scenariogeneration-built OpenDRIVE tree (see ``generate``).

Each function fixes one place where ``scenariogeneration.xodr`` 0.16 stops
short of ASAM OpenDRIVE 1.7, on the ``xml.etree`` tree before it is written.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET


def _lane_elements(section: ET.Element) -> dict[int, ET.Element]:
    return {int(lane.get("id")): lane for lane in section.iter("lane") if lane.get("id") != "0"}


def _set_lane_link(lane: ET.Element, kind: str, target: int) -> None:
    """Add ``<predecessor>``/``<successor>`` to a lane's ``<link>`` unless it has one."""
    link = lane.find("link")
    if link is None:
        link = ET.Element("link")
        lane.insert(0, link)
    if link.find(kind) is not None:
        return
    element = ET.Element(kind, id=str(target))
    if kind == "predecessor":
        link.insert(0, element)
    else:
        link.append(element)


def link_lanes(root: ET.Element) -> None:
    """§11.6: lanes continue with the same id into the next lane section, and
    across a road-to-road link (id negated when the roads meet head to head
    or tail to tail)."""
    roads = {road.get("id"): road for road in root.findall("road")}
    for road in roads.values():
        sections = road.findall("lanes/laneSection")
        for before, after in zip(sections, sections[1:]):
            lanes_before, lanes_after = _lane_elements(before), _lane_elements(after)
            for lane_id in lanes_before.keys() & lanes_after.keys():
                _set_lane_link(lanes_before[lane_id], "successor", lane_id)
                _set_lane_link(lanes_after[lane_id], "predecessor", lane_id)
        for kind, section in (("successor", sections[-1]), ("predecessor", sections[0])):
            link = road.find(f"link/{kind}")
            if link is None or link.get("elementType") != "road":
                continue
            other = roads[link.get("elementId")]
            contact = link.get("contactPoint")
            other_section = other.findall("lanes/laneSection")[0 if contact == "start" else -1]
            other_lanes = _lane_elements(other_section)
            same_sense = (kind == "successor") == (contact == "start")
            for lane_id, lane in _lane_elements(section).items():
                target = lane_id if same_sense else -lane_id
                if target in other_lanes:
                    _set_lane_link(lane, kind, target)


def one_connection_per_connecting_road(root: ET.Element) -> None:
    """OpenDRIVE 1.7 rule junctions.connection.one_connection_element: keep the
    connection that enters the connecting road at its start."""
    for junction in root.findall("junction"):
        kept: dict[str, ET.Element] = {}
        for connection in junction.findall("connection"):
            road = connection.get("connectingRoad")
            if road is None:
                continue  # direct junction: linkedRoad, one per incoming road
            previous = kept.get(road)
            if previous is None:
                kept[road] = connection
            elif connection.get("contactPoint") == "start" and previous.get("contactPoint") != "start":
                junction.remove(previous)
                kept[road] = connection
            else:
                junction.remove(connection)
        for index, connection in enumerate(junction.findall("connection")):
            connection.set("id", str(index))


def strip_junction_marks(root: ET.Element) -> None:
    for road in root.findall("road"):
        if road.get("junction", "-1") != "-1":
            for lane in road.iter("lane"):
                for mark in lane.findall("roadMark"):
                    lane.remove(mark)


def add_controllers(root: ET.Element, controllers: dict[str, tuple[str, tuple[str, ...]]],
                     junction_id: str) -> None:
    """§14.8 controllers after the roads, and the junction's references to them (§12.6)."""
    position = max(i for i, child in enumerate(root) if child.tag == "road") + 1
    for offset, (cid, (name, signal_ids)) in enumerate(controllers.items()):
        controller = ET.Element("controller", id=cid, name=name, sequence=str(offset))
        for signal_id in signal_ids:
            ET.SubElement(controller, "control", signalId=signal_id, type="trafficLight")
        root.insert(position + offset, controller)
    junction = next(j for j in root.findall("junction") if j.get("id") == junction_id)
    insert_at = len(junction.findall("connection"))
    for offset, cid in enumerate(controllers):
        junction.insert(insert_at + offset, ET.Element("controller", id=cid, type="trafficLight",
                                                       sequence=str(offset)))
