"""Signals, signal references, objects, junctions and controllers to the model.

Parsed fully (every attribute of ASAM OpenDRIVE 1.8.0 §12–14 that has a
meaning for simulation) so that queries built on top (``signals.py``,
``objects.py``, ``routing.py``) never go back to the XML.
"""

from __future__ import annotations

from simplatform.opendrive import model as m
from simplatform.opendrive.parse_object_parts import parse_borders, parse_markings
from simplatform.opendrive.xml_input import Attributes, unit_to_si

ORIENTATIONS = ("+", "-", "none")


def _validity(attrs: Attributes, node) -> tuple[m.LaneValidity, ...]:
    return tuple(
        m.LaneValidity(attrs.req_integer(v, "fromLane"), attrs.req_integer(v, "toLane"))
        for v in node.iterchildren("validity")
    )


def _orientation(attrs: Attributes, node, default: str = "none") -> str:
    value = attrs.choice(node, "orientation", ORIENTATIONS, default)
    return value or default


def parse_signal(attrs: Attributes, node, road_id: str) -> m.Signal:
    """§14.2 <signal>; ``value`` stays in the file's unit, ``value_si`` is SI."""
    value = attrs.number(node, "value")
    unit = attrs.text(node, "unit")
    inertial = road_pos = None
    for p in node.iterchildren("positionInertial"):
        inertial = m.InertialPlacement(
            attrs.req_number(p, "x"), attrs.req_number(p, "y"), attrs.req_number(p, "z"),
            attrs.req_number(p, "hdg"), attrs.num(p, "pitch"), attrs.num(p, "roll"),
        )
    for p in node.iterchildren("positionRoad"):
        road_pos = m.RoadPlacement(
            attrs.req_text(p, "roadId"), attrs.req_number(p, "s"), attrs.req_number(p, "t"),
            attrs.num(p, "zOffset"), attrs.num(p, "hOffset"), attrs.num(p, "pitch"), attrs.num(p, "roll"),
        )
    return m.Signal(
        id=attrs.req_text(node, "id"),
        road_id=road_id,
        s=attrs.req_number(node, "s"),
        t=attrs.req_number(node, "t"),
        dynamic=attrs.boolean(node, "dynamic", False),
        orientation=_orientation(attrs, node),
        z_offset=attrs.num(node, "zOffset"),
        h_offset=attrs.num(node, "hOffset"),
        pitch=attrs.num(node, "pitch"),
        roll=attrs.num(node, "roll"),
        name=attrs.text(node, "name"),
        country=attrs.text(node, "country"),
        country_revision=attrs.text(node, "countryRevision"),
        type=attrs.text(node, "type", "-1") or "-1",
        subtype=attrs.text(node, "subtype", "-1") or "-1",
        value=value,
        unit=unit,
        value_si=unit_to_si(value, unit),
        height=attrs.number(node, "height"),
        width=attrs.number(node, "width"),
        length=attrs.number(node, "length"),
        text=attrs.text(node, "text"),
        validity=_validity(attrs, node),
        dependencies=tuple(m.SignalDependency(attrs.req_text(d, "id"), attrs.text(d, "type"))
                           for d in node.iterchildren("dependency")),
        references=tuple(m.SignalReferenceLink(attrs.req_text(r, "elementType"), attrs.req_text(r, "elementId"),
                                               attrs.text(r, "type"))
                         for r in node.iterchildren("reference")),
        position_inertial=inertial,
        position_road=road_pos,
        line=node.sourceline,
    )


def parse_signals(attrs: Attributes, road, road_id: str) -> tuple[tuple[m.Signal, ...], tuple[m.SignalReference, ...]]:
    """§14 <signals> of one road: signals and signal references."""
    signals: list[m.Signal] = []
    refs: list[m.SignalReference] = []
    for group in road.iterchildren("signals"):
        for node in group.iterchildren("signal"):
            signals.append(parse_signal(attrs, node, road_id))
        for node in group.iterchildren("signalReference"):
            refs.append(m.SignalReference(
                id=attrs.req_text(node, "id"), road_id=road_id,
                s=attrs.req_number(node, "s"), t=attrs.req_number(node, "t"),
                orientation=_orientation(attrs, node), validity=_validity(attrs, node), line=node.sourceline,
            ))
    return tuple(signals), tuple(refs)


def _outline(attrs: Attributes, node) -> m.Outline:
    corners: list[m.CornerRoad | m.CornerLocal] = []
    for c in node:
        if c.tag == "cornerRoad":
            corners.append(m.CornerRoad(attrs.req_number(c, "s"), attrs.req_number(c, "t"),
                                        attrs.num(c, "dz"), attrs.num(c, "height"), attrs.text(c, "id")))
        elif c.tag == "cornerLocal":
            corners.append(m.CornerLocal(attrs.req_number(c, "u"), attrs.req_number(c, "v"),
                                         attrs.num(c, "z"), attrs.num(c, "height"), attrs.text(c, "id")))
    kinds = {type(c) for c in corners}
    if len(kinds) > 1:
        raise attrs.error(node, "an outline mixes <cornerRoad> and <cornerLocal>")
    return m.Outline(
        id=attrs.text(node, "id"), corners=tuple(corners), fill_type=attrs.text(node, "fillType"),
        outer=attrs.boolean(node, "outer", True), closed=attrs.boolean(node, "closed", True),
        lane_type=attrs.text(node, "laneType"),
    )


def _repeat(attrs: Attributes, node, problems: list[str] | None, height: float, z_offset: float) -> m.ObjectRepeat:
    """§13.3 <repeat>.  "If attributes are omitted in the repeated objects, the attributes from
    the original object apply" (1.8): a missing heightStart/heightEnd is the object's ``height``,
    a missing zOffsetStart/zOffsetEnd its zOffset (libOpenDRIVE reads them so; esmini's outline
    test maps omit them and were read as 0 m high)."""
    length = attrs.non_negative(node, "length")
    if node.get("distance") is None and problems is not None:
        # §13.3: distance 0 makes the repeat one continuous feature; esmini and
        # libOpenDRIVE read a missing distance as 0 (esmini's crest-curve.xodr omits it).
        problems.append(f"{attrs.source}:{node.sourceline}: <repeat> without 'distance' "
                        "(required by the schema); read as 0, a continuous feature")
        distance = 0.0
    else:
        distance = attrs.non_negative(node, "distance")
    return m.ObjectRepeat(
        s=attrs.req_number(node, "s"), length=length, distance=distance,
        t_start=attrs.req_number(node, "tStart"), t_end=attrs.req_number(node, "tEnd"),
        height_start=attrs.num(node, "heightStart", height), height_end=attrs.num(node, "heightEnd", height),
        z_offset_start=attrs.num(node, "zOffsetStart", z_offset),
        z_offset_end=attrs.num(node, "zOffsetEnd", z_offset),
        width_start=attrs.number(node, "widthStart"), width_end=attrs.number(node, "widthEnd"),
        length_start=attrs.number(node, "lengthStart"), length_end=attrs.number(node, "lengthEnd"),
        radius_start=attrs.number(node, "radiusStart"), radius_end=attrs.number(node, "radiusEnd"),
    )


def _object_position(attrs: Attributes, node, repeats: tuple[m.ObjectRepeat, ...],
                     problems: list[str] | None) -> tuple[float, float]:
    """The object's s and t.  Both are required by the schema, but an object with a
    <repeat> is placed by the repeat alone (§13.3: "attributes of the repeat element
    shall overrule the corresponding attributes of the original object"), so a
    missing s/t there is reported and taken from the first repeat, not refused."""
    missing = [name for name in ("s", "t") if node.get(name) is None]
    if not missing or not repeats or problems is None:
        return attrs.req_number(node, "s"), attrs.req_number(node, "t")
    first = repeats[0]
    problems.append(f"{attrs.source}:{node.sourceline}: <object> {node.get('id')!r} without "
                    f"{' and '.join(repr(n) for n in missing)} (required by the schema); "
                    f"placed by its <repeat> (s={first.s:g}, tStart={first.t_start:g})")
    s = first.s if node.get("s") is None else attrs.req_number(node, "s")
    t = first.t_start if node.get("t") is None else attrs.req_number(node, "t")
    return s, t


def parse_object(attrs: Attributes, node, road_id: str, problems: list[str] | None = None) -> m.RoadObject:
    """§13.2 <object>; outlines as in 1.4 (one <outline>) or 1.5+ (<outlines>).

    With ``problems`` given, two schema violations found in real maps are read
    the way esmini and libOpenDRIVE read them and reported there (see
    ``_object_position`` and ``_repeat``); without it they are errors."""
    outlines = [_outline(attrs, o) for o in node.iterchildren("outline")]
    outlines += [_outline(attrs, o) for group in node.iterchildren("outlines") for o in group.iterchildren("outline")]
    # what a repeat leaves out comes from the object: its height (else its outline's), its zOffset
    corner_heights = [c.height for o in outlines for c in o.corners]
    height = attrs.number(node, "height")
    height = height if height is not None else max(corner_heights, default=0.0)
    repeats = tuple(_repeat(attrs, r, problems, height, attrs.num(node, "zOffset"))
                    for r in node.iterchildren("repeat"))
    s, t = _object_position(attrs, node, repeats, problems)
    outlines_t = tuple(outlines)
    markings = parse_markings(attrs, node, outlines_t, problems)
    borders = parse_borders(attrs, node, outlines_t, problems)
    if (markings or borders) and any(r.distance <= 0 for r in repeats) and problems is not None:
        problems.append(f"{attrs.source}:{node.sourceline}: <object> {node.get('id')!r}: markings and borders "
                        "of a continuous <repeat> (distance 0) are not drawn")
    return m.RoadObject(
        id=attrs.req_text(node, "id"),
        road_id=road_id,
        s=s,
        t=t,
        z_offset=attrs.num(node, "zOffset"),
        type=attrs.text(node, "type"),
        subtype=attrs.text(node, "subtype"),
        name=attrs.text(node, "name"),
        dynamic=attrs.boolean(node, "dynamic", False),
        orientation=_orientation(attrs, node),
        valid_length=attrs.num(node, "validLength"),
        length=_size(attrs, node, "length", problems),
        width=_size(attrs, node, "width", problems),
        height=_size(attrs, node, "height", problems),
        radius=_size(attrs, node, "radius", problems),
        hdg=attrs.num(node, "hdg"),
        pitch=attrs.num(node, "pitch"),
        roll=attrs.num(node, "roll"),
        outlines=outlines_t,
        repeats=repeats,
        validity=_validity(attrs, node),
        line=node.sourceline,
        markings=markings,
        borders=borders,
    )


def _size(attrs: Attributes, node, name: str, problems: list[str] | None) -> float | None:
    """An <object>'s @length/@width/@height/@radius: sizes, never negative in the schema
    (qc-opendrive's check_object_size writes radius="-0.3" and width="-0.04").  A
    negative one is read as its magnitude and reported: taken as written, a negative
    width mirrored the footprint into clockwise order and the object kept a negative
    size.  Without ``problems`` it is an error."""
    value = attrs.number(node, name)
    if value is None or value >= 0.0:
        return value
    if problems is None:
        return attrs.non_negative(node, name)  # raises the located error
    problems.append(f"{attrs.source}:{node.sourceline}: <object> {node.get('id')!r}: {name} {value:g} is negative; "
                    f"read as {-value:g}")
    return -value


def parse_objects(attrs: Attributes, road, road_id: str,
                  problems: list[str] | None = None) -> tuple[m.RoadObject, ...]:
    """§13 <objects> of one road."""
    return tuple(parse_object(attrs, n, road_id, problems) for group in road.iterchildren("objects")
                 for n in group.iterchildren("object"))


def parse_structures(attrs: Attributes, road, road_id: str) -> tuple[tuple[m.RoadTunnel, ...],
                                                                       tuple[m.RoadBridge, ...]]:
    """The <tunnel> and <bridge> records of one road's <objects> (OpenDRIVE 1.8 objects chapter;
    the same elements since 1.4).  Tunnels and bridges are road stretches, not physical
    objects with a footprint, so they are kept apart from ``objects``."""
    tunnels = tuple(
        m.RoadTunnel(id=attrs.req_text(n, "id"), road_id=road_id, s=attrs.req_number(n, "s"),
                     length=attrs.non_negative(n, "length"), name=attrs.text(n, "name"),
                     type=attrs.text(n, "type", "standard") or "standard",
                     lighting=attrs.number(n, "lighting"), daylight=attrs.number(n, "daylight"),
                     validity=_validity(attrs, n), line=n.sourceline)
        for group in road.iterchildren("objects") for n in group.iterchildren("tunnel"))
    bridges = tuple(
        m.RoadBridge(id=attrs.req_text(n, "id"), road_id=road_id, s=attrs.req_number(n, "s"),
                     length=attrs.non_negative(n, "length"), name=attrs.text(n, "name"),
                     type=attrs.text(n, "type"), validity=_validity(attrs, n), line=n.sourceline)
        for group in road.iterchildren("objects") for n in group.iterchildren("bridge"))
    return tunnels, bridges


def parse_junction(attrs: Attributes, node, problems: list[str] | None = None) -> m.Junction:
    """§12 <junction> with connections and lane links.

    A virtual junction's ``type="virtual"`` connection may name its roads by <predecessor>/
    <successor> (road, elementS, elementDir) instead of incomingRoad/connectingRoad (OpenDRIVE
    1.7 §10.4, the 1.8 §12.7 XML example).  With ``problems`` given, one that joins a road end
    (contactPoint) to a point mid-road (elementS) is kept as a ``VirtualConnection`` (the lane
    graph branches there, ``lane_branches``); any other shape is listed there and left out
    rather than refused."""
    jtype = attrs.text(node, "type", "default") or "default"
    connections = []
    virtual = []
    for c in node.iterchildren("connection"):
        if (problems is not None and attrs.text(c, "type") == "virtual" and c.get("incomingRoad") is None
                and c.get("connectingRoad") is None and c.get("linkedRoad") is None):
            found = _virtual_connection(attrs, c)
            if found is not None:
                virtual.append(found)
                continue
            ends = [f"{e.tag} road {e.get('elementId')} at s={e.get('elementS')}"
                    for e in c if e.tag in ("predecessor", "successor")]
            problems.append(f"{attrs.source}:{c.sourceline}: junction {node.get('id')} virtual connection "
                            f"{c.get('id')} ({', '.join(ends) or 'no roads'}) is not modelled")
            continue
        linked = attrs.text(c, "linkedRoad")
        connecting = attrs.text(c, "connectingRoad") or linked
        if connecting is None:
            raise attrs.error(c, "missing required attribute 'connectingRoad'")
        contact = attrs.choice(c, "contactPoint", ("start", "end"), None)
        if contact is None:
            raise attrs.error(c, "missing required attribute 'contactPoint'")
        connections.append(m.JunctionConnection(
            id=attrs.req_text(c, "id"),
            incoming_road=attrs.req_text(c, "incomingRoad"),
            connecting_road=connecting,
            contact_point=contact,
            lane_links=tuple(m.LaneLink(attrs.req_integer(ll, "from"), attrs.req_integer(ll, "to"))
                             for ll in c.iterchildren("laneLink")),
            type=attrs.text(c, "type"),
            line=c.sourceline,
        ))
    ids = [c.id for c in connections]
    for c in connections:
        if ids.count(c.id) > 1:
            raise attrs.error(node, f"duplicate connection id {c.id!r} in junction")
    return m.Junction(
        id=attrs.req_text(node, "id"),
        name=attrs.text(node, "name", "") or "",
        type=jtype,
        connections=tuple(connections),
        controllers=tuple(m.JunctionController(attrs.req_text(k, "id"), attrs.text(k, "type"),
                                               attrs.integer(k, "sequence"))
                          for k in node.iterchildren("controller")),
        main_road=attrs.text(node, "mainRoad"),
        s_start=attrs.number(node, "sStart"),
        s_end=attrs.number(node, "sEnd"),
        orientation=attrs.text(node, "orientation"),
        line=node.sourceline,
        priorities=tuple(m.JunctionPriority(attrs.text(p, "high"), attrs.text(p, "low"))
                         for p in node.iterchildren("priority")),
        virtual_connections=tuple(virtual),
    )


def _virtual_connection(attrs: Attributes, c) -> m.VirtualConnection | None:
    """A <connection type="virtual"> from a road end to a point mid-road (or the other way),
    or None for any other shape (a missing end, two mid-road points, a junction, bad links)."""
    from simplatform.errors import RoadNetworkError
    from simplatform.opendrive.parse_road import parse_link

    try:
        ends = {e.tag: parse_link(attrs, e) for e in c if e.tag in ("predecessor", "successor")}
        cid = attrs.req_text(c, "id")
        links = tuple(m.LaneLink(attrs.req_integer(ll, "from"), attrs.req_integer(ll, "to"))
                      for ll in c.iterchildren("laneLink"))
    except RoadNetworkError:
        return None
    pred, succ = ends.get("predecessor"), ends.get("successor")
    if pred is None or succ is None or "junction" in (pred.element_type, succ.element_type):
        return None
    def mid_road(link: m.RoadLink) -> bool:
        return link.element_s is not None and link.contact_point is None

    def road_end(link: m.RoadLink) -> bool:
        return link.contact_point is not None and link.element_s is None

    if not ((mid_road(pred) and road_end(succ)) or (road_end(pred) and mid_road(succ))):
        return None
    return m.VirtualConnection(cid, pred, succ, links, c.sourceline)


def parse_junction_group(attrs: Attributes, node) -> m.JunctionGroup:
    """<junctionGroup> with its <junctionReference>s."""
    return m.JunctionGroup(
        id=attrs.req_text(node, "id"), name=attrs.text(node, "name"),
        type=attrs.text(node, "type", "unknown") or "unknown",
        junction_ids=tuple(attrs.req_text(r, "junction") for r in node.iterchildren("junctionReference")),
        line=node.sourceline,
    )


def parse_controller(attrs: Attributes, node) -> m.Controller:
    """§14.8 <controller> and the signals it controls."""
    return m.Controller(
        id=attrs.req_text(node, "id"),
        name=attrs.text(node, "name"),
        sequence=attrs.integer(node, "sequence"),
        controls=tuple(m.ControlEntry(attrs.req_text(c, "signalId"), attrs.text(c, "type"))
                       for c in node.iterchildren("control")),
        line=node.sourceline,
    )
