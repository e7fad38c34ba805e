"""OpenDRIVE 1.4–1.8 XML to ``model.OpenDriveDocument``.

Reads the file through the hardened lxml parser (``xml_input``), builds the
immutable model element by element (``parse_road``, ``parse_features``) and
then checks every cross reference (``validate``).  Any failure is a
``RoadNetworkError`` naming file, line, element and cause.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from simplatform.errors import RoadNetworkError
from simplatform.opendrive import model as m
from simplatform.opendrive.parse_features import parse_controller, parse_junction, parse_junction_group
from simplatform.opendrive.lane_branches import check_mid_road_links
from simplatform.opendrive.parse_object_parts import resolve_object_references, unsupported_elements
from simplatform.opendrive.parse_road import parse_road
from simplatform.opendrive.validate import check_junctions, check_road_links, check_signals
from simplatform.opendrive.xml_input import Attributes, read_file, read_xml

SUPPORTED_MINOR = range(4, 9)
"""OpenDRIVE 1.4 to 1.8; other 1.x revisions are read with a problem noted."""


def _header(attrs: Attributes, root, problems: list[str]) -> m.Header:
    nodes = list(root.iterchildren("header"))
    if not nodes:
        raise attrs.error(root, "missing <header>")
    h = nodes[0]
    major = attrs.integer(h, "revMajor", 1)
    minor = attrs.integer(h, "revMinor", 4)
    if major != 1:
        raise attrs.error(h, f"OpenDRIVE revision {major}.{minor} is not supported (1.4 to 1.8)")
    if minor not in SUPPORTED_MINOR:
        problems.append(f"{attrs.source}:{h.sourceline}: OpenDRIVE 1.{minor} read as 1.8 (supported: 1.4 to 1.8)")
    geo = None
    for g in h.iterchildren("geoReference"):
        geo = (g.text or "").strip() or None
    offset = m.GeoOffset()
    for o in h.iterchildren("offset"):
        offset = m.GeoOffset(attrs.num(o, "x"), attrs.num(o, "y"), attrs.num(o, "z"), attrs.num(o, "hdg"))
    return m.Header(
        rev_major=major or 1, rev_minor=minor if minor is not None else 4,
        name=attrs.text(h, "name", "") or "", version=attrs.text(h, "version", "") or "",
        date=attrs.text(h, "date", "") or "", vendor=attrs.text(h, "vendor", "") or "",
        north=attrs.num(h, "north"), south=attrs.num(h, "south"),
        east=attrs.num(h, "east"), west=attrs.num(h, "west"),
        geo_reference=geo, offset=offset,
    )


def _unique(attrs: Attributes, items: list, what: str) -> dict:
    out: dict = {}
    for item, node in items:
        if item.id in out:
            raise attrs.error(node, f"duplicate {what} id {item.id!r} (first at line {out[item.id].line})")
        out[item.id] = item
    return out


def parse_document(data: str | bytes, source: str = "<string>") -> m.OpenDriveDocument:
    """Parse OpenDRIVE text into the data model; raises ``RoadNetworkError``."""
    if isinstance(data, str):
        data = data.encode("utf-8")
        # an XML declaration naming another encoding would now be a lie; lxml
        # rejects str input with a declaration, so bytes in UTF-8 it is.
        if data.lstrip().startswith(b"<?xml"):
            end = data.find(b"?>")
            decl = data[:end]
            if b"encoding" in decl and b"utf-8" not in decl.lower():
                data = b'<?xml version="1.0" encoding="UTF-8"' + data[end:]
    problems: list[str] = []
    root = read_xml(data, source, problems)
    attrs = Attributes(source)
    header = _header(attrs, root, problems)
    roads = _unique(attrs, [(parse_road(attrs, n, problems), n) for n in root.iterchildren("road")], "road")
    if not roads:
        raise attrs.error(root, "the file has no <road>")
    junctions = _unique(attrs, [(parse_junction(attrs, n, problems), n) for n in root.iterchildren("junction")], "junction")
    controllers = _unique(attrs, [(parse_controller(attrs, n), n) for n in root.iterchildren("controller")],
                          "controller")
    groups = _unique(attrs, [(parse_junction_group(attrs, n), n) for n in root.iterchildren("junctionGroup")],
                     "junctionGroup")
    roads = resolve_object_references(source, roads, problems)
    check_road_links(source, roads, junctions)
    # a mid-road link's elementS must name a point of its main road: known once every road is read
    check_mid_road_links(SimpleNamespace(roads=roads, junctions=junctions, source=source))
    check_junctions(source, roads, junctions, controllers, problems)
    check_signals(source, roads, controllers, problems)
    for group in groups.values():
        for jid in group.junction_ids:
            if jid not in junctions:
                problems.append(f"{source}:{group.line}: junctionGroup {group.id} names junction {jid} "
                                "which does not exist")
    problems.extend(unsupported_elements(source, root))
    return m.OpenDriveDocument(source=source, header=header, roads=roads, junctions=junctions,
                               controllers=controllers, problems=tuple(problems), junction_groups=groups)


def load_document(path: str | Path) -> m.OpenDriveDocument:
    """Read and parse one .xodr file."""
    data, source = read_file(path)
    return parse_document(data, source)


__all__ = ["parse_document", "load_document", "RoadNetworkError"]
