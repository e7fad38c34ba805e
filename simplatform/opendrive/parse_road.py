"""<road> elements to ``model.Road``: links, types, plan view, profiles, lanes.

Section numbers are those of ASAM OpenDRIVE 1.8.0; the element names read here
are the same from OpenDRIVE 1.4 to 1.8 (1.4 lacks <shape>, lane <rule>, road
@rule, which then take their defaults).
"""

from __future__ import annotations

import dataclasses

from simplatform.opendrive import model as m
from simplatform.opendrive.lane_layers import permanent_lanes
from simplatform.opendrive.parse_features import parse_objects, parse_signals, parse_structures
from simplatform.opendrive.parse_object_parts import parse_object_references
from simplatform.opendrive.xml_input import Attributes, LENGTH_UNITS


def _sorted_by(records: list, key: str, what: str, node, problems: list[str], attrs: Attributes) -> tuple:
    """Records in ascending order; the standard requires it, so an unsorted list
    is reported as a problem and sorted (stable) rather than rejected."""
    values = [getattr(r, key) for r in records]
    if any(b < a for a, b in zip(values, values[1:])):
        problems.append(f"{attrs.source}:{node.sourceline}: {what} records not in ascending order; sorted")
        records = sorted(records, key=lambda r: getattr(r, key))
    return tuple(records)


def _cubic(attrs: Attributes, node, s_name: str = "s") -> m.CubicRecord:
    return m.CubicRecord(
        s=attrs.req_number(node, s_name),
        a=attrs.req_number(node, "a"),
        b=attrs.req_number(node, "b"),
        c=attrs.req_number(node, "c"),
        d=attrs.req_number(node, "d"),
        line=node.sourceline,
    )


def parse_link(attrs: Attributes, node) -> m.RoadLink:
    element_type = attrs.choice(node, "elementType", ("road", "junction"), None)
    if element_type is None:
        raise attrs.error(node, "missing required attribute 'elementType'")
    contact = attrs.choice(node, "contactPoint", ("start", "end"), None)
    element_s = attrs.number(node, "elementS")
    # OpenDRIVE 1.7 §10.4 virtual junctions: a road attached to the middle of a main road names the
    # point by @elementS/@elementDir instead of a contact point (the spec's own ConnectingRoad2 example)
    if element_type == "road" and contact is None and element_s is None:
        raise attrs.error(node, "a link to a road needs the attribute 'contactPoint' (or 'elementS' "
                                "for a virtual junction)")
    return m.RoadLink(
        element_type=element_type,
        element_id=attrs.req_text(node, "elementId"),
        contact_point=contact,
        element_s=element_s,
        element_dir=attrs.choice(node, "elementDir", ("+", "-"), None),
        line=node.sourceline,
    )


MAX_TURNING = 1e4
"""Largest heading change (rad) one arc or spiral may make: ~1600 full turns.  Real
roads turn a few rad per record; the spiral integration cost grows with the turning."""


def _check_turning(attrs: Attributes, node, turning: float) -> None:
    if turning > MAX_TURNING:
        raise attrs.error(node, f"the curve turns by {turning:.3g} rad over its length "
                                f"(more than {MAX_TURNING:g} rad): curvature out of range")


def _check_param_speed(attrs: Attributes, node, g: m.ParamPoly3) -> None:
    """A paramPoly3 whose tangent (u'(p), v'(p)) vanishes at an end has no heading
    there (§9.7: the heading is that of the tangent), and s cannot be mapped to p."""
    p_end = g.length if g.p_range == "arcLength" else 1.0
    for p, where in ((0.0, "start"), (p_end, "end")):
        du = g.b_u + p * (2.0 * g.c_u + p * 3.0 * g.d_u)
        dv = g.b_v + p * (2.0 * g.c_v + p * 3.0 * g.d_v)
        if du == 0.0 and dv == 0.0:
            raise attrs.error(node, f"the curve's tangent (u'(p), v'(p)) is zero at its {where} (p={p:g}): "
                                    "it has no heading there")


def parse_geometry(attrs: Attributes, node) -> m.Geometry:
    """§9.2 <geometry> with exactly one child naming its kind."""
    s = attrs.req_number(node, "s")
    x = attrs.req_number(node, "x")
    y = attrs.req_number(node, "y")
    hdg = attrs.req_number(node, "hdg")
    length = attrs.req_number(node, "length")
    if length <= 0.0:
        raise attrs.error(node, f"geometry length must be positive, got {length:g}")
    kinds = [c for c in node if isinstance(c.tag, str) and c.tag != "userData"]
    if len(kinds) != 1:
        raise attrs.error(node, "a <geometry> needs exactly one of <line>, <arc>, <spiral>, <poly3>, <paramPoly3>")
    k = kinds[0]
    base = dict(s=s, x=x, y=y, hdg=hdg, length=length, line=node.sourceline)
    if k.tag == "line":
        return m.Line(**base)
    if k.tag == "arc":
        curvature = attrs.req_number(k, "curvature")
        _check_turning(attrs, k, abs(curvature) * length)
        return m.Arc(**base, curvature=curvature)
    if k.tag == "spiral":
        curv_start, curv_end = attrs.req_number(k, "curvStart"), attrs.req_number(k, "curvEnd")
        _check_turning(attrs, k, max(abs(curv_start), abs(curv_end)) * length)
        return m.Spiral(**base, curv_start=curv_start, curv_end=curv_end)
    if k.tag == "poly3":
        return m.Poly3(**base, **{n: attrs.req_number(k, n) for n in "abcd"})
    if k.tag == "paramPoly3":
        p_range = attrs.choice(k, "pRange", ("arcLength", "normalized"), "normalized")
        names = ("aU", "bU", "cU", "dU", "aV", "bV", "cV", "dV")
        fields = ("a_u", "b_u", "c_u", "d_u", "a_v", "b_v", "c_v", "d_v")
        g = m.ParamPoly3(**base, **{f: attrs.req_number(k, n) for f, n in zip(fields, names)}, p_range=p_range)
        _check_param_speed(attrs, k, g)
        return g
    raise attrs.error(k, f"unknown geometry kind <{k.tag}>")


LANE_DIRECTIONS = ("standard", "reversed", "both")
"""OpenDRIVE 1.7 e_laneDirection: the lane's traffic goes the way its side and the road
@rule give ("standard"), the opposite way ("reversed"), or both ways ("both")."""


def _lane_link_ids(attrs: Attributes, lane_node, which: str) -> tuple[int, ...]:
    # OpenDRIVE 1.9 lane layers: a link into the temporary layer is not a link of the permanent lanes
    return tuple(
        attrs.req_integer(n, "id") for link in lane_node.iterchildren("link") for n in link.iterchildren(which)
        if (n.get("layer") or "permanent").strip() == "permanent"
    )


def _road_mark(attrs: Attributes, node) -> m.RoadMark:
    lines: list[m.RoadMarkLine] = []
    type_name = None
    for t in node.iterchildren("type"):
        type_name = attrs.text(t, "name")
        for ln in t.iterchildren("line"):
            lines.append(m.RoadMarkLine(
                length=attrs.num(ln, "length"), space=attrs.num(ln, "space"),
                t_offset=attrs.num(ln, "tOffset"), s_offset=attrs.num(ln, "sOffset"),
                rule=attrs.text(ln, "rule"), width=attrs.number(ln, "width"), color=attrs.text(ln, "color"),
            ))
    return m.RoadMark(
        s_offset=attrs.req_number(node, "sOffset"),
        type=attrs.text(node, "type", "none") or "none",
        weight=attrs.text(node, "weight"),
        color=attrs.text(node, "color", "standard") or "standard",
        material=attrs.text(node, "material"),
        width=attrs.number(node, "width"),
        lane_change=attrs.text(node, "laneChange"),
        height=attrs.number(node, "height"),
        type_name=type_name,
        lines=tuple(lines),
        line=node.sourceline,
    )


def parse_lane(attrs: Attributes, node, problems: list[str]) -> m.Lane:
    """§11.4–11.8 one <lane> with its records (sOffset relative to the section)."""
    def so(records, what):
        return _sorted_by(records, "s_offset" if what != "width" and what != "border" else "s", what, node, problems, attrs)

    widths = [_cubic(attrs, n, "sOffset") for n in node.iterchildren("width")]
    borders = [_cubic(attrs, n, "sOffset") for n in node.iterchildren("border")]
    return m.Lane(
        id=attrs.req_integer(node, "id"),
        type=attrs.text(node, "type", "none") or "none",
        level=attrs.boolean(node, "level", False),
        predecessors=_lane_link_ids(attrs, node, "predecessor"),
        successors=_lane_link_ids(attrs, node, "successor"),
        widths=so(widths, "width"),
        borders=so(borders, "border"),
        road_marks=so([_road_mark(attrs, n) for n in node.iterchildren("roadMark")], "roadMark"),
        speeds=so([m.LaneSpeed(attrs.req_number(n, "sOffset"), v, n.sourceline)
                   for n in node.iterchildren("speed") if (v := attrs.speed(n)) is not None], "speed"),
        heights=so([m.LaneHeight(attrs.req_number(n, "sOffset"), attrs.num(n, "inner"), attrs.num(n, "outer"), n.sourceline)
                    for n in node.iterchildren("height")], "height"),
        materials=so([m.LaneMaterial(attrs.req_number(n, "sOffset"), attrs.num(n, "friction", 1.0),
                                     attrs.text(n, "surface"), attrs.number(n, "roughness"), n.sourceline)
                      for n in node.iterchildren("material")], "material"),
        accesses=so([m.LaneAccess(attrs.num(n, "sOffset"), attrs.req_text(n, "restriction"),
                                  attrs.text(n, "rule"), n.sourceline)
                     for n in node.iterchildren("access")], "access"),
        rules=so([m.LaneRule(attrs.num(n, "sOffset"), attrs.req_text(n, "value"), n.sourceline)
                  for n in node.iterchildren("rule")], "rule"),
        line=node.sourceline,
        direction=attrs.choice(node, "direction", LANE_DIRECTIONS, "standard") or "standard",
    )


def _lane_group(attrs: Attributes, section, side: str, sign: int, problems: list[str]) -> tuple[m.Lane, ...]:
    lanes: list[m.Lane] = []
    for group in section.iterchildren(side):
        for node in group.iterchildren("lane"):
            lane = parse_lane(attrs, node, problems)
            if sign == 0 and lane.id != 0 or sign != 0 and (lane.id * sign <= 0):
                raise attrs.error(node, f"lane id {lane.id} is not allowed in <{side}>")
            if sign != 0 and not lane.widths and not lane.borders:
                raise attrs.error(node, f"lane {lane.id} has neither <width> nor <border>")
            lanes.append(lane)
    ids = [lane.id for lane in lanes]
    for lane in lanes:
        if ids.count(lane.id) > 1:
            raise attrs.error(section, f"duplicate lane id {lane.id} in lane section")
    lanes.sort(key=lambda lane: abs(lane.id))
    expected = list(range(1, len(lanes) + 1))
    if sign != 0 and [abs(i) for i in (lane.id for lane in lanes)] != expected:
        raise attrs.error(section, f"<{side}> lane ids {sorted(ids, key=abs)} are not consecutive from {sign}")
    return tuple(lanes)


_SECTION_PAST_END = 1e-3
"""Metres a lane section may start past its road's end before it is dropped: exporters'
rounding puts a closing section a hair beyond @length (kept, zero length, as before)."""


def _within_road(attrs: Attributes, raw: list, road_length: float, problems: list[str]) -> list:
    """Drop lane sections that start beyond the road's end (qc-opendrive's
    check_lanesection_valid_s writes one at s=500 on a 100 m road).  A section runs
    to the next one's s, so keeping it would stretch the section before it past the
    road's end, where no reference line exists (routes there failed with "s outside
    road").  The first section always stays: a road needs one."""
    kept = raw[:1]
    for item in raw[1:]:
        if item[0] > road_length + _SECTION_PAST_END:
            problems.append(f"{attrs.source}:{item[1].sourceline}: lane section at s={item[0]:g} starts beyond the "
                            f"road's end (length {road_length:g}); ignored")
            continue
        kept.append(item)
    return kept


def parse_lanes(attrs: Attributes, lanes_node, road_length: float, problems: list[str]) -> tuple[tuple, tuple]:
    """§11 <lanes>: lane offsets and lane sections (each closed by the next one)."""
    offsets = _sorted_by([_cubic(attrs, n) for n in lanes_node.iterchildren("laneOffset")],
                         "s", "laneOffset", lanes_node, problems, attrs)
    raw = []
    for sec in lanes_node.iterchildren("laneSection"):
        s = attrs.req_number(sec, "s")
        center = _lane_group(attrs, sec, "center", 0, problems)
        if len(center) != 1:
            raise attrs.error(sec, "a lane section needs exactly one centre lane (id 0)")
        raw.append((s, sec, center[0], _lane_group(attrs, sec, "left", 1, problems),
                    _lane_group(attrs, sec, "right", -1, problems)))
    if not raw:
        raise attrs.error(lanes_node, "<lanes> has no <laneSection>")
    if any(b[0] < a[0] for a, b in zip(raw, raw[1:])):
        raise attrs.error(lanes_node, "lane sections are not in ascending s")
    raw = _within_road(attrs, raw, road_length, problems)
    sections = []
    for i, (s, sec, center, left, right) in enumerate(raw):
        s_end = raw[i + 1][0] if i + 1 < len(raw) else max(road_length, s)
        for side in (left, right):
            # lane @level: "only lanes with @level = true shall follow up to the road edge"
            flags = [lane.level for lane in side]
            if True in flags and not all(flags[flags.index(True):]):
                bad = side[flags.index(False, flags.index(True))]
                problems.append(f"{attrs.source}:{bad.line}: lane {bad.id} (section at s={s:g}) is not level but "
                                "lies outside a level lane; it is tilted from that lane's outer edge")
        sections.append(m.LaneSection(
            s=s, s_end=s_end, center=center, left=left, right=right,
            single_side=attrs.boolean(sec, "singleSide", False), line=sec.sourceline,
        ))
    _offset_with_borders(attrs, lanes_node, offsets, sections, problems)
    return offsets, tuple(sections)


def _offset_with_borders(attrs: Attributes, lanes_node, offsets, sections, problems: list[str]) -> None:
    """§11.4 rule road.lanes.lane_offset.no_offset_if_border_defined: a non-zero
    <laneOffset> beside lanes drawn by <border> (qc-opendrive rule 104's invalid case)
    leaves open whether a border's t counts from the reference line or from the
    shifted centre lane.  We read it from the centre lane, like a width; say so."""
    if not any(r.a or r.b or r.c or r.d for r in offsets):
        return
    if any(lane.borders and not lane.widths for sec in sections for lane in (*sec.left, *sec.right)):
        problems.append(f"{attrs.source}:{lanes_node.sourceline}: <laneOffset> together with lane <border>s "
                        "(the standard allows one or the other); the borders are read from the offset centre lane")


def _crossfalls(attrs: Attributes, road, problems: list[str]) -> tuple[tuple, tuple]:
    """OpenDRIVE 1.4/1.5 <crossfall> records (s, a..d in rad, side left/right/both) per side."""
    left, right = [], []
    for p in road.iterchildren("lateralProfile"):
        for n in p.iterchildren("crossfall"):
            side = attrs.choice(n, "side", ("left", "right", "both"), "both")
            record = _cubic(attrs, n)
            if side in ("left", "both"):
                left.append(record)
            if side in ("right", "both"):
                right.append(record)
    return (_sorted_by(left, "s", "crossfall", road, problems, attrs),
            _sorted_by(right, "s", "crossfall", road, problems, attrs))


def _plan_view(attrs: Attributes, road, road_id: str, problems: list[str]) -> list[m.Geometry]:
    """§9.2 the <geometry> records of a road.

    A geometry of length 0 covers no s and changes nothing (§9.2: each record's s is
    the sum of the lengths before it); exporters write them (SUMO's netconvert for
    straight connections, eclipse-sumo/sumo#12679), so it is left out and reported
    rather than refused — unless the road has nothing else."""
    nodes = [g for pv in road.iterchildren("planView") for g in pv.iterchildren("geometry")]
    if not nodes:
        raise attrs.error(road, f"road {road_id} has no <planView><geometry>")
    kept = [g for g in nodes if attrs.req_number(g, "length") != 0.0]
    if not kept:
        raise attrs.error(nodes[0], f"geometry length must be positive, got 0 (road {road_id} has no "
                                    "geometry of non-zero length)")
    for g in nodes:
        if attrs.req_number(g, "length") == 0.0:
            problems.append(f"{attrs.source}:{g.sourceline}: road {road_id}: <geometry> at s={attrs.num(g, 's'):g} "
                            "has length 0; left out")
    return [parse_geometry(attrs, g) for g in kept]


def _on_road(records: tuple, length: float, road_id: str, what: str, attrs: Attributes,
             problems: list[str]) -> tuple:
    """Records whose s lies outside [0, road length] (§13, §14: s is a road coordinate),
    moved to the nearest road end and reported: the plan view is not defined beyond
    its end, and far beyond it a spiral's evaluation would not terminate."""
    out = []
    for rec in records:
        repeats = getattr(rec, "repeats", ())
        if any(not -1e-6 <= r.s <= length + 1e-6 for r in repeats):
            problems.append(f"{attrs.source}:{rec.line}: {what} {rec.id!r} on road {road_id} has a <repeat> starting "
                            f"outside the road (length {length:g}); its start is moved to the nearest road end")
            rec = dataclasses.replace(rec, repeats=tuple(
                dataclasses.replace(r, s=min(max(r.s, 0.0), length)) for r in repeats))
        if -1e-6 <= rec.s <= length + 1e-6:
            out.append(rec)
            continue
        s = min(max(rec.s, 0.0), length)
        problems.append(f"{attrs.source}:{rec.line}: {what} {rec.id!r} on road {road_id} at s={rec.s:g} lies "
                        f"outside the road (length {length:g}); placed at s={s:g}")
        out.append(dataclasses.replace(rec, s=s))
    return tuple(out)


def _road_types(attrs: Attributes, road) -> tuple[m.RoadType, ...]:
    out = []
    for n in road.iterchildren("type"):
        speed = None
        for sp in n.iterchildren("speed"):
            speed = attrs.speed(sp)
        out.append(m.RoadType(attrs.req_number(n, "s"), attrs.req_text(n, "type"),
                              attrs.text(n, "country"), speed, n.sourceline))
    return tuple(sorted(out, key=lambda r: r.s))


def parse_road(attrs: Attributes, road, problems: list[str]) -> m.Road:
    """§8 one <road>."""
    road_id = attrs.req_text(road, "id")
    length = attrs.req_number(road, "length")
    if length < 0.0:
        raise attrs.error(road, f"road length must not be negative, got {length:g}")
    junction = attrs.text(road, "junction", "-1")
    rule = attrs.choice(road, "rule", ("RHT", "LHT"), "RHT")
    pred = succ = None
    for link in road.iterchildren("link"):
        for n in link.iterchildren("predecessor"):
            pred = parse_link(attrs, n)
        for n in link.iterchildren("successor"):
            succ = parse_link(attrs, n)
    for which, rl in (("predecessor", pred), ("successor", succ)):
        if rl is not None and rl.element_type == "road" and rl.contact_point is None:
            problems.append(f"{attrs.source}:{rl.line}: road {road_id}: {which} road {rl.element_id} at "
                            f"s={rl.element_s:g} (a virtual junction's mid-road link): routes branch there "
                            "mid-lane; lane-end successors/predecessors do not list it")
    plan = _plan_view(attrs, road, road_id, problems)
    plan_t = _sorted_by(plan, "s", "geometry", road, problems, attrs)
    total = sum(g.length for g in plan_t)
    end = plan_t[-1].s + plan_t[-1].length
    if abs(end - length) > 1e-3 or abs(total - length) > 1e-3:
        problems.append(f"{attrs.source}:{road.sourceline}: road {road_id}: length {length:g} differs from its "
                        f"plan view (geometry ends at s={end:g}, total length {total:g})")
    elev = [_cubic(attrs, n) for p in road.iterchildren("elevationProfile") for n in p.iterchildren("elevation")]
    superelev = [_cubic(attrs, n) for p in road.iterchildren("lateralProfile") for n in p.iterchildren("superelevation")]
    shapes = [m.ShapeRecord(attrs.req_number(n, "s"), attrs.req_number(n, "t"), attrs.req_number(n, "a"),
                            attrs.req_number(n, "b"), attrs.req_number(n, "c"), attrs.req_number(n, "d"), n.sourceline)
              for p in road.iterchildren("lateralProfile") for n in p.iterchildren("shape")]
    crossfall_left, crossfall_right = _crossfalls(attrs, road, problems)
    offsets, sections = parse_lanes(attrs, permanent_lanes(attrs, road, road_id, problems), length, problems)
    signals, references = parse_signals(attrs, road, road_id)
    signals = _on_road(signals, length, road_id, "signal", attrs, problems)
    references = _on_road(references, length, road_id, "signalReference", attrs, problems)
    objects = _on_road(parse_objects(attrs, road, road_id, problems), length, road_id, "object", attrs, problems)
    tunnels, bridges = parse_structures(attrs, road, road_id)
    object_refs = _on_road(parse_object_references(attrs, road, road_id), length, road_id, "objectReference",
                           attrs, problems)
    return m.Road(
        id=road_id,
        name=attrs.text(road, "name", "") or "",
        length=length,
        junction=None if junction in (None, "-1", "") else junction,
        rule=rule or "RHT",
        predecessor=pred,
        successor=succ,
        types=_road_types(attrs, road),
        plan_view=plan_t,
        elevations=_sorted_by(elev, "s", "elevation", road, problems, attrs),
        superelevations=_sorted_by(superelev, "s", "superelevation", road, problems, attrs),
        shapes=tuple(sorted(shapes, key=lambda r: (r.s, r.t))),
        crossfall_left=crossfall_left,
        crossfall_right=crossfall_right,
        lane_offsets=offsets,
        lane_sections=sections,
        signals=signals,
        signal_references=references,
        objects=objects,
        line=road.sourceline,
        tunnels=tunnels,
        bridges=bridges,
        object_references=object_refs,
    )


__all__ = ["parse_road", "parse_geometry", "parse_lane", "parse_link", "LENGTH_UNITS"]
