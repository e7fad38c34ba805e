"""Object markings, borders and references to the model; elements not modelled yet, listed.

Sources: ASAM OpenDRIVE 1.7/1.8 objects chapter (<markings>, <borders>,
<objectReference>).  Exported maps (RoadRunner, CARLA's tools) are not always
schema-clean, so what a simulation can do without is reported in ``problems``
(a marking with neither a side nor two corners, a corner id the outline lacks)
and that part is left out; an <objectReference> to an object that does not
exist is an error, because the reference would silently mean nothing.
"""

from __future__ import annotations

import dataclasses

from simplatform.errors import RoadNetworkError
from simplatform.opendrive import model as m
from simplatform.opendrive.model_objects import BORDER_TYPES, MARKING_SIDES
from simplatform.opendrive.xml_input import Attributes

UNSUPPORTED = {
    "surface": "<surface> (OpenCRG road surface) is not modelled; the road is meshed without it",
    "railroad": "<railroad> (railroad switches and stations) is not modelled",
    "station": "<station> (railroad station) is not modelled",
    "include": "<include> is not followed; the included file is not read",
}


def _corner_ids(attrs: Attributes, node) -> tuple[str, ...]:
    return tuple(attrs.req_text(c, "id") for c in node.iterchildren("cornerReference"))


def _outline_corner_ids(outlines: tuple[m.Outline, ...]) -> list[set[str]]:
    return [{c.id for c in o.corners if c.id is not None} for o in outlines]


def _has_box(attrs: Attributes, node) -> bool:
    """Whether the object (or each copy of its repeats) has a length × width bounding box."""
    if (attrs.number(node, "length") or 0) > 0 and (attrs.number(node, "width") or 0) > 0:
        return True
    repeats = list(node.iterchildren("repeat"))
    return bool(repeats) and all((attrs.number(r, "lengthStart") or 0) > 0 and (attrs.number(r, "widthStart") or 0) > 0
                                 for r in repeats)


def _not_drawn(attrs: Attributes, part, tag: str, node, cause: str, problems: list[str] | None) -> None:
    """A marking or border that cannot be drawn: a located error where problems are not collected,
    else a problem line (the object itself still loads)."""
    what = f"<{tag}> of object {node.get('id')!r} {cause}"
    if problems is None:
        raise attrs.error(part, what)
    problems.append(f"{attrs.source}:{part.sourceline}: {what}; not drawn")


def parse_markings(attrs: Attributes, node, outlines: tuple[m.Outline, ...],
                   problems: list[str] | None) -> tuple[m.ObjectMarking, ...]:
    """The <marking>s of one <object>; unusable ones are reported and left out."""
    out = []
    known = _outline_corner_ids(outlines)
    for group in node.iterchildren("markings"):
        for mk in group.iterchildren("marking"):
            marking = m.ObjectMarking(
                color=attrs.text(mk, "color", "standard") or "standard",
                line_length=attrs.non_negative(mk, "lineLength"),
                space_length=attrs.non_negative(mk, "spaceLength"),
                start_offset=attrs.num(mk, "startOffset"),
                stop_offset=attrs.num(mk, "stopOffset"),
                width=attrs.number(mk, "width"),
                weight=attrs.text(mk, "weight"),
                z_offset=attrs.number(mk, "zOffset"),
                side=attrs.choice(mk, "side", MARKING_SIDES),
                corner_ids=_corner_ids(attrs, mk),
                line=mk.sourceline,
            )
            cause = None
            if marking.side is not None and len(marking.corner_ids) < 2:
                # a side and a lone corner: the side is the only line there is to draw
                marking = dataclasses.replace(marking, corner_ids=())
            if marking.corner_ids:
                if len(marking.corner_ids) < 2:
                    cause = "names one <cornerReference>; a marking needs two or more"
                elif not any(set(marking.corner_ids) <= ids for ids in known):
                    cause = f"names corners {', '.join(marking.corner_ids)} that no outline of the object has"
            elif marking.side is None:
                cause = "has neither 'side' nor <cornerReference>s"
            elif not _has_box(attrs, node):
                cause = f"is on side {marking.side!r} of an object without length and width"
            if cause is not None:
                _not_drawn(attrs, mk, "marking", node, cause, problems)
                continue
            out.append(marking)
    return tuple(out)


def parse_borders(attrs: Attributes, node, outlines: tuple[m.Outline, ...],
                  problems: list[str] | None) -> tuple[m.ObjectBorder, ...]:
    """The <border>s of one <object>; unusable ones are reported and left out."""
    out = []
    for group in node.iterchildren("borders"):
        for b in group.iterchildren("border"):
            corner_ids = _corner_ids(attrs, b)
            kind = attrs.text(b, "type", "concrete") or "concrete"
            border = m.ObjectBorder(
                width=attrs.non_negative(b, "width"),
                type=kind if kind in BORDER_TYPES else "concrete",
                outline_id=attrs.text(b, "outlineId"),
                use_complete_outline=attrs.boolean(b, "useCompleteOutline", not corner_ids),
                corner_ids=corner_ids,
                line=b.sourceline,
            )
            outline = next((o for o in outlines if border.outline_id is None or o.id == border.outline_id), None)
            cause = None
            if outline is None:
                cause = (f"names outline {border.outline_id!r} which the object does not have"
                         if outlines else "belongs to an object without an outline")
            elif not border.use_complete_outline:
                ids = {c.id for c in outline.corners if c.id is not None}
                if len(corner_ids) < 2:
                    cause = "uses part of the outline but names fewer than two <cornerReference>s"
                elif not set(corner_ids) <= ids:
                    cause = f"names corners {', '.join(corner_ids)} that outline {outline.id!r} lacks"
            if cause is not None:
                _not_drawn(attrs, b, "border", node, cause, problems)
                continue
            if kind != border.type and problems is not None:
                problems.append(f"{attrs.source}:{b.sourceline}: <border> type {kind!r} is not one of "
                                f"{', '.join(BORDER_TYPES)}; drawn as concrete")
            out.append(border)
    return tuple(out)


def parse_object_references(attrs: Attributes, road, road_id: str) -> tuple[m.ObjectReference, ...]:
    """The <objectReference>s of one road's <objects>; resolved by ``resolve_object_references``."""
    from simplatform.opendrive.parse_features import _orientation, _validity

    return tuple(
        m.ObjectReference(
            id=attrs.req_text(n, "id"), road_id=road_id, s=attrs.req_number(n, "s"), t=attrs.req_number(n, "t"),
            z_offset=attrs.num(n, "zOffset"), valid_length=attrs.num(n, "validLength"),
            orientation=_orientation(attrs, n), validity=_validity(attrs, n), line=n.sourceline)
        for group in road.iterchildren("objects") for n in group.iterchildren("objectReference"))


def resolve_object_references(source: str, roads: dict[str, m.Road],
                              problems: list[str]) -> dict[str, m.Road]:
    """Each reference with its object filled in.  Object ids should be unique in a file
    (1.8: "ID shall be unique within database"); when several roads use one id the
    first in file order is taken and the ambiguity reported."""
    if not any(road.object_references for road in roads.values()):
        return roads
    by_id: dict[str, list[m.RoadObject]] = {}
    for road in roads.values():
        for obj in road.objects:
            by_id.setdefault(obj.id, []).append(obj)
    out = dict(roads)
    for rid, road in roads.items():
        if not road.object_references:
            continue
        resolved = []
        for ref in road.object_references:
            found = by_id.get(ref.id)
            if not found:
                raise RoadNetworkError(f"objectReference on road {rid} names object {ref.id!r} which does not exist",
                                       file=source, line=ref.line, element="objectReference")
            if len({o.road_id for o in found}) > 1:
                problems.append(f"{source}:{ref.line}: objectReference on road {rid} names object {ref.id!r}, "
                                f"which roads {', '.join(dict.fromkeys(o.road_id for o in found))} all define; "
                                f"the one on road {found[0].road_id} is taken")
            resolved.append(dataclasses.replace(ref, object=found[0]))
        out[rid] = dataclasses.replace(road, object_references=tuple(resolved))
    return out


def unsupported_elements(source: str, root) -> list[str]:
    """A problem line for each element of the file that is read but not modelled."""
    return [f"{source}:{node.sourceline}: {UNSUPPORTED[node.tag]}"
            for node in root.iter(*UNSUPPORTED) if isinstance(node.tag, str)]
