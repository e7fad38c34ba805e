"""The parsed OpenDRIVE file as an immutable data model.

Why a separate model: like commonroad-io and esmini's RoadManager, the data a
file states is kept apart from the algorithms that answer questions about it
(``geometry``, ``lanes``, ``locate``, ``routing``...).  Every record keeps the
names of the ASAM OpenDRIVE 1.8 specification (section numbers below refer to
ASAM OpenDRIVE 1.8.0) converted to SI units and snake_case; every record that
came from an XML element carries ``line`` (its 1-based source line, ``None``
when built by hand) so that later checks can still point at the file.

Conventions: s along the reference line, t lateral (+left), lane ids + left,
- right, 0 centre; angles in radians; speeds in m/s; lengths in metres.
Polynomial records (``CubicRecord``) hold ``a + b ds + c ds² + d ds³`` with ds
measured from the record's own start ``s`` (road coordinates) or ``s_offset``
(relative to the lane section start, §11.4).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping


# --------------------------------------------------------------------- header
@dataclass(frozen=True)
class GeoOffset:
    """§6.4 <offset>: inertial shift and rotation applied to the whole map."""

    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    hdg: float = 0.0


@dataclass(frozen=True)
class Header:
    """§6.2 <header>: revision, bounding box, geo-reference (PROJ string) and offset."""

    rev_major: int = 1
    rev_minor: int = 6
    name: str = ""
    version: str = ""
    date: str = ""
    vendor: str = ""
    north: float = 0.0
    south: float = 0.0
    east: float = 0.0
    west: float = 0.0
    geo_reference: str | None = None
    offset: GeoOffset = field(default_factory=GeoOffset)


# ----------------------------------------------------------- polynomial records
@dataclass(frozen=True)
class CubicRecord:
    """a + b·ds + c·ds² + d·ds³ valid from ``s`` on (elevation §10.4.2,
    superelevation §10.5.1, lane offset §11.3, lane width/border §11.5 where
    ``s`` is the sOffset from the lane section start)."""

    s: float
    a: float
    b: float = 0.0
    c: float = 0.0
    d: float = 0.0
    line: int | None = None


@dataclass(frozen=True)
class ShapeRecord:
    """§10.5.2 <shape>: lateral profile a + b·dt + c·dt² + d·dt³ from ``t`` on, at ``s``."""

    s: float
    t: float
    a: float
    b: float = 0.0
    c: float = 0.0
    d: float = 0.0
    line: int | None = None


# ------------------------------------------------------------------ plan view
@dataclass(frozen=True)
class Geometry:
    """§9.1 <geometry>: start s, start pose and length shared by every kind."""

    s: float
    x: float
    y: float
    hdg: float
    length: float
    line: int | None = None

    kind = "geometry"


@dataclass(frozen=True)
class Line(Geometry):
    """§9.3 straight line."""

    kind = "line"


@dataclass(frozen=True)
class Arc(Geometry):
    """§9.5 arc of constant curvature (1/m, + turns left)."""

    curvature: float = 0.0
    kind = "arc"


@dataclass(frozen=True)
class Spiral(Geometry):
    """§9.4 Euler spiral (clothoid): curvature linear in s from curv_start to curv_end."""

    curv_start: float = 0.0
    curv_end: float = 0.0
    kind = "spiral"


@dataclass(frozen=True)
class Poly3(Geometry):
    """§9.6 (deprecated) cubic v(u) = a + b u + c u² + d u³ in the local u/v frame."""

    a: float = 0.0
    b: float = 0.0
    c: float = 0.0
    d: float = 0.0
    kind = "poly3"


@dataclass(frozen=True)
class ParamPoly3(Geometry):
    """§9.7 parametric cubic u(p), v(p); p_range "arcLength" (p ∈ [0, length]) or
    "normalized" (p ∈ [0, 1])."""

    a_u: float = 0.0
    b_u: float = 0.0
    c_u: float = 0.0
    d_u: float = 0.0
    a_v: float = 0.0
    b_v: float = 0.0
    c_v: float = 0.0
    d_v: float = 0.0
    p_range: str = "arcLength"
    kind = "paramPoly3"


# ---------------------------------------------------------------- road links
@dataclass(frozen=True)
class RoadLink:
    """§8.3 <predecessor>/<successor> of a road: to a road (with the contact point,
    "start"/"end") or to a junction (contact point None; element_s/element_dir
    for the virtual junctions of §12.9)."""

    element_type: str  # "road" | "junction"
    element_id: str
    contact_point: str | None = None
    element_s: float | None = None
    element_dir: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class RoadType:
    """§8.4 <type>: road type from s on, with the optional speed limit (m/s; None if
    absent, ``inf`` for "no limit")."""

    s: float
    type: str
    country: str | None = None
    speed: float | None = None
    line: int | None = None


# ---------------------------------------------------------------------- lanes
@dataclass(frozen=True)
class RoadMarkLine:
    """§11.8.3 <type><line>: one line of a compound road mark."""

    length: float
    space: float
    t_offset: float
    s_offset: float
    rule: str | None = None
    width: float | None = None
    color: str | None = None


@dataclass(frozen=True)
class RoadMark:
    """§11.8 <roadMark> from ``s_offset`` (relative to the lane section) on."""

    s_offset: float
    type: str
    weight: str | None = None
    color: str = "standard"
    material: str | None = None
    width: float | None = None
    lane_change: str | None = None
    height: float | None = None
    type_name: str | None = None
    lines: tuple[RoadMarkLine, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class LaneSpeed:
    """§11.7.3 <speed>: maximum speed (m/s) from ``s_offset`` on."""

    s_offset: float
    max: float
    line: int | None = None


@dataclass(frozen=True)
class LaneHeight:
    """§11.7.4 <height>: surface raised by ``inner``/``outer`` metres at the lane edges."""

    s_offset: float
    inner: float
    outer: float
    line: int | None = None


@dataclass(frozen=True)
class LaneMaterial:
    """§11.7.2 <material>: surface code, friction, roughness from ``s_offset`` on."""

    s_offset: float
    friction: float
    surface: str | None = None
    roughness: float | None = None
    line: int | None = None


@dataclass(frozen=True)
class LaneAccess:
    """§11.7.1 <access>: "allow"/"deny" a restriction (e.g. "bus") from ``s_offset`` on."""

    s_offset: float
    restriction: str
    rule: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class LaneRule:
    """§11.7.5 <rule>: free-text lane rule (e.g. "no stopping at any time")."""

    s_offset: float
    value: str
    line: int | None = None


@dataclass(frozen=True)
class Lane:
    """§11.4 <lane>: one lane of one lane section.  A lane has ``widths`` or
    ``borders`` (§11.5; width wins when both are given, as the standard says)."""

    id: int
    type: str = "driving"
    level: bool = False
    predecessors: tuple[int, ...] = ()
    successors: tuple[int, ...] = ()
    widths: tuple[CubicRecord, ...] = ()
    borders: tuple[CubicRecord, ...] = ()
    road_marks: tuple[RoadMark, ...] = ()
    speeds: tuple[LaneSpeed, ...] = ()
    heights: tuple[LaneHeight, ...] = ()
    materials: tuple[LaneMaterial, ...] = ()
    accesses: tuple[LaneAccess, ...] = ()
    rules: tuple[LaneRule, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class LaneSection:
    """§11.2 <laneSection> from ``s`` to ``s_end``.  ``left`` holds lanes 1, 2, ...
    and ``right`` holds -1, -2, ... (both ordered outward from the centre)."""

    s: float
    s_end: float
    center: Lane
    left: tuple[Lane, ...] = ()
    right: tuple[Lane, ...] = ()
    single_side: bool = False
    line: int | None = None

    @property
    def lanes(self) -> Mapping[int, Lane]:
        """All lanes by id, centre included."""
        out = {lane.id: lane for lane in self.left}
        out[0] = self.center
        out.update({lane.id: lane for lane in self.right})
        return out

    @property
    def lane_ids(self) -> list[int]:
        """Lane ids from the leftmost to the rightmost (centre lane 0 included)."""
        return [lane.id for lane in reversed(self.left)] + [0] + [lane.id for lane in self.right]


# -------------------------------------------------------- signals and objects
@dataclass(frozen=True)
class LaneValidity:
    """§13.3 <validity>: lanes ``from_lane``..``to_lane`` a signal/object applies to."""

    from_lane: int
    to_lane: int


@dataclass(frozen=True)
class SignalDependency:
    """§14.5 <dependency>: another signal whose meaning depends on this one."""

    id: str
    type: str | None = None


@dataclass(frozen=True)
class SignalReferenceLink:
    """§14.6 <reference>: a link from a signal to another element (object/signal)."""

    element_type: str
    element_id: str
    type: str | None = None


@dataclass(frozen=True)
class InertialPlacement:
    """§14.3 <positionInertial>: where a signal physically stands, in the inertial frame."""

    x: float
    y: float
    z: float
    hdg: float
    pitch: float = 0.0
    roll: float = 0.0


@dataclass(frozen=True)
class RoadPlacement:
    """§14.3 <positionRoad>: where a signal physically stands, on another road."""

    road_id: str
    s: float
    t: float
    z_offset: float = 0.0
    h_offset: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0


@dataclass(frozen=True)
class Signal:
    """§14.2 <signal> placed on road ``road_id`` at (s, t).  ``value`` is kept in the
    file's ``unit`` (a sign shows "50 km/h"); ``value_si`` holds it converted to SI
    where the unit is one of §2.4 (m/s, m, rad), otherwise None."""

    id: str
    road_id: str
    s: float
    t: float
    dynamic: bool
    orientation: str  # "+", "-", "none"
    z_offset: float = 0.0
    h_offset: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    name: str | None = None
    country: str | None = None
    country_revision: str | None = None
    type: str = "-1"
    subtype: str = "-1"
    value: float | None = None
    unit: str | None = None
    value_si: float | None = None
    height: float | None = None
    width: float | None = None
    length: float | None = None
    text: str | None = None
    validity: tuple[LaneValidity, ...] = ()
    dependencies: tuple[SignalDependency, ...] = ()
    references: tuple[SignalReferenceLink, ...] = ()
    position_inertial: InertialPlacement | None = None
    position_road: RoadPlacement | None = None
    line: int | None = None


@dataclass(frozen=True)
class SignalReference:
    """§14.7 <signalReference>: the signal ``id`` also valid on road ``road_id``."""

    id: str
    road_id: str
    s: float
    t: float
    orientation: str
    validity: tuple[LaneValidity, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class CornerRoad:
    """§13.5.2 <cornerRoad>: an outline corner in road coordinates."""

    s: float
    t: float
    dz: float
    height: float
    id: str | None = None


@dataclass(frozen=True)
class CornerLocal:
    """§13.5.3 <cornerLocal>: an outline corner in the object's local u/v/z frame."""

    u: float
    v: float
    z: float
    height: float
    id: str | None = None


@dataclass(frozen=True)
class Outline:
    """§13.5 <outline>: a polygon of corners (all road or all local)."""

    id: str | None
    corners: tuple[CornerRoad | CornerLocal, ...]
    fill_type: str | None = None
    outer: bool = True
    closed: bool = True
    lane_type: str | None = None


@dataclass(frozen=True)
class ObjectRepeat:
    """§13.3 <repeat>: copies of an object along the road from ``s`` for ``length``
    metres, every ``distance`` metres (0 = one continuous object), with linearly
    varying t, size and height."""

    s: float
    length: float
    distance: float
    t_start: float
    t_end: float
    height_start: float
    height_end: float
    z_offset_start: float
    z_offset_end: float
    width_start: float | None = None
    width_end: float | None = None
    length_start: float | None = None
    length_end: float | None = None
    radius_start: float | None = None
    radius_end: float | None = None


@dataclass(frozen=True)
class RoadObject:
    """§13.2 <object> on road ``road_id`` at (s, t); pose angles relative to the road."""

    id: str
    road_id: str
    s: float
    t: float
    z_offset: float = 0.0
    type: str | None = None
    subtype: str | None = None
    name: str | None = None
    dynamic: bool = False
    orientation: str = "none"
    valid_length: float = 0.0
    length: float | None = None
    width: float | None = None
    height: float | None = None
    radius: float | None = None
    hdg: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    outlines: tuple[Outline, ...] = ()
    repeats: tuple[ObjectRepeat, ...] = ()
    validity: tuple[LaneValidity, ...] = ()
    line: int | None = None


# ---------------------------------------------------------------------- roads
@dataclass(frozen=True)
class Road:
    """§8 <road>: reference line (plan view), profiles, lanes, signals and objects."""

    id: str
    name: str
    length: float
    junction: str | None  # None for "-1" (not part of a junction)
    rule: str  # "RHT" | "LHT"
    predecessor: RoadLink | None
    successor: RoadLink | None
    types: tuple[RoadType, ...]
    plan_view: tuple[Geometry, ...]
    elevations: tuple[CubicRecord, ...] = ()
    superelevations: tuple[CubicRecord, ...] = ()
    shapes: tuple[ShapeRecord, ...] = ()
    lane_offsets: tuple[CubicRecord, ...] = ()
    lane_sections: tuple[LaneSection, ...] = ()
    signals: tuple[Signal, ...] = ()
    signal_references: tuple[SignalReference, ...] = ()
    objects: tuple[RoadObject, ...] = ()
    line: int | None = None


# ------------------------------------------------------------------ junctions
@dataclass(frozen=True)
class LaneLink:
    """§12.4 <laneLink>: lane ``from_lane`` of the incoming road continues as
    ``to_lane`` of the connecting road."""

    from_lane: int
    to_lane: int


@dataclass(frozen=True)
class JunctionConnection:
    """§12.3 <connection>: incoming road → connecting road entered at ``contact_point``
    (for a direct junction, §12.8, ``connecting_road`` is the linked road)."""

    id: str
    incoming_road: str
    connecting_road: str
    contact_point: str
    lane_links: tuple[LaneLink, ...] = ()
    type: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class JunctionController:
    """§12.6 <controller> of a junction, with its control sequence."""

    id: str
    type: str | None = None
    sequence: int | None = None


@dataclass(frozen=True)
class Junction:
    """§12 <junction>: type "default", "virtual", "direct" or "crossing"."""

    id: str
    name: str
    type: str
    connections: tuple[JunctionConnection, ...]
    controllers: tuple[JunctionController, ...] = ()
    main_road: str | None = None
    s_start: float | None = None
    s_end: float | None = None
    orientation: str | None = None
    line: int | None = None


# ---------------------------------------------------------------- controllers
@dataclass(frozen=True)
class ControlEntry:
    """§14.8 <control>: one signal a controller switches."""

    signal_id: str
    type: str | None = None


@dataclass(frozen=True)
class Controller:
    """§14.8 <controller>: a group of signals switched together (one phase plan)."""

    id: str
    name: str | None
    sequence: int | None
    controls: tuple[ControlEntry, ...]
    line: int | None = None

    @property
    def signal_ids(self) -> tuple[str, ...]:
        """Ids of the signals this controller switches."""
        return tuple(c.signal_id for c in self.controls)


@dataclass(frozen=True)
class OpenDriveDocument:
    """Everything one file states, before any geometry is computed."""

    source: str
    header: Header
    roads: Mapping[str, Road]
    junctions: Mapping[str, Junction]
    controllers: Mapping[str, Controller]
    problems: tuple[str, ...] = ()
