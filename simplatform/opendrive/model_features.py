"""Signals, objects, junctions and controllers of the OpenDRIVE data model.

Split from ``model`` (which re-exports every name here) only to keep files
small; the conventions of ``model`` apply: ASAM OpenDRIVE 1.8.0 names in
snake_case, SI units, radians, ``line`` = 1-based source line.
"""

from __future__ import annotations

from dataclasses import dataclass

from simplatform.opendrive.model_objects import ObjectBorder, ObjectMarking


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
    markings: tuple[ObjectMarking, ...] = ()
    borders: tuple[ObjectBorder, ...] = ()


@dataclass(frozen=True)
class RoadTunnel:
    """<tunnel> (ASAM OpenDRIVE 1.8, objects chapter: tunnels): the road's whole cross section (or the lanes of ``validity``)
    runs through a tunnel from ``s`` for ``length`` metres; ``type`` is "standard"
    or "underpass" (sides open to daylight), ``lighting``/``daylight`` in [0, 1]."""

    id: str
    road_id: str
    s: float
    length: float
    name: str | None = None
    type: str = "standard"
    lighting: float | None = None
    daylight: float | None = None
    validity: tuple[LaneValidity, ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class RoadBridge:
    """<bridge> (ASAM OpenDRIVE 1.8, objects chapter: bridges): the road (or the lanes of ``validity``) runs over a bridge from
    ``s`` for ``length`` metres; ``type`` is its material (concrete, steel, brick, wood)."""

    id: str
    road_id: str
    s: float
    length: float
    name: str | None = None
    type: str | None = None
    validity: tuple[LaneValidity, ...] = ()
    line: int | None = None


# ------------------------------------------------------------------ junctions
@dataclass(frozen=True)
class JunctionPriority:
    """<priority> of a junction (ASAM OpenDRIVE 1.8, junctions: priorities): connecting road ``high`` has right of way over
    connecting road ``low`` where their paths cross."""

    high: str | None
    low: str | None


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
class VirtualConnection:
    """A virtual junction's <connection type="virtual"> that names its roads by
    <predecessor>/<successor> instead of incomingRoad/connectingRoad (OpenDRIVE 1.7
    §10.4, the 1.8 §12.7 XML example): traffic goes from the predecessor into the
    successor, lane ``from_lane`` into ``to_lane`` of each ``LaneLink``; one of the two
    is a road end (contactPoint), the other a point mid-road (elementS, elementDir)."""

    id: str
    predecessor: "RoadLink"  # noqa: F821 (simplatform.opendrive.model.RoadLink)
    successor: "RoadLink"  # noqa: F821
    lane_links: tuple[LaneLink, ...] = ()
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
    priorities: tuple[JunctionPriority, ...] = ()
    virtual_connections: tuple[VirtualConnection, ...] = ()


@dataclass(frozen=True)
class JunctionGroup:
    """<junctionGroup> (ASAM OpenDRIVE 1.8, junctions: junction groups): junctions that
    belong together, e.g. the junctions of one roundabout (``type`` "roundabout")."""

    id: str
    name: str | None
    type: str
    junction_ids: tuple[str, ...]
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
