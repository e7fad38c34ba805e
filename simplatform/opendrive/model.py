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

from simplatform.opendrive.model_features import (  # noqa: F401  (re-exported)
    LaneValidity,
    SignalDependency,
    SignalReferenceLink,
    InertialPlacement,
    RoadPlacement,
    Signal,
    SignalReference,
    CornerRoad,
    CornerLocal,
    Outline,
    ObjectRepeat,
    RoadObject,
    RoadTunnel,
    RoadBridge,
    JunctionPriority,
    JunctionGroup,
    LaneLink,
    JunctionConnection,
    VirtualConnection,
    JunctionController,
    Junction,
    ControlEntry,
    Controller,
)
from simplatform.opendrive.model_objects import ObjectBorder, ObjectMarking, ObjectReference  # noqa: F401


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
    direction: str = "standard"  # 1.7 @direction: "standard", "reversed" or "both"


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
    crossfall_left: tuple[CubicRecord, ...] = ()   # 1.4/1.5 <crossfall> angles (rad) per side
    crossfall_right: tuple[CubicRecord, ...] = ()
    lane_offsets: tuple[CubicRecord, ...] = ()
    lane_sections: tuple[LaneSection, ...] = ()
    signals: tuple[Signal, ...] = ()
    signal_references: tuple[SignalReference, ...] = ()
    objects: tuple[RoadObject, ...] = ()
    line: int | None = None
    tunnels: tuple[RoadTunnel, ...] = ()
    bridges: tuple[RoadBridge, ...] = ()
    object_references: tuple[ObjectReference, ...] = ()


@dataclass(frozen=True)
class OpenDriveDocument:
    """Everything one file states, before any geometry is computed."""

    source: str
    header: Header
    roads: Mapping[str, Road]
    junctions: Mapping[str, Junction]
    controllers: Mapping[str, Controller]
    problems: tuple[str, ...] = ()
    junction_groups: Mapping[str, JunctionGroup] = field(default_factory=dict)
