"""OpenDRIVE road networks: parse, (road, lane, s, t) ↔ world, lanes, topology.

Public API (see the contract in the package notes): ``load_opendrive``,
``parse_opendrive``, ``RoadNetwork``, ``Pose``, ``PoseArray``, ``LanePosition``,
``LocateResult``, and the data model records (``Road``, ``Lane``, ...).
"""

from simplatform.errors import RoadNetworkError
from simplatform.opendrive.model import (
    Arc, CubicRecord, Controller, ControlEntry, CornerLocal, CornerRoad, GeoOffset, Geometry, Header,
    Junction, JunctionConnection, JunctionController, Lane, LaneLink, LaneSection, LaneValidity, Line,
    ObjectRepeat, OpenDriveDocument, Outline, ParamPoly3, Poly3, Road, RoadLink, RoadMark, RoadMarkLine,
    RoadObject, RoadTunnel, RoadBridge, JunctionPriority, JunctionGroup, RoadType, ShapeRecord, Signal,
    SignalDependency, SignalReference, Spiral,
)
from simplatform.opendrive.network import RoadNetwork, load_opendrive, parse_opendrive
from simplatform.opendrive.positions import LanePosition, LocateResult, Pose, PoseArray
from simplatform.opendrive.lane_graph import LaneGraph
from simplatform.opendrive.routing import Route, RouteSegment

__all__ = [
    "load_opendrive", "parse_opendrive", "RoadNetwork", "RoadNetworkError",
    "Pose", "PoseArray", "LanePosition", "LocateResult", "LaneGraph", "Route", "RouteSegment",
    "Arc", "CubicRecord", "Controller", "ControlEntry", "CornerLocal", "CornerRoad", "GeoOffset", "Geometry",
    "Header", "Junction", "JunctionConnection", "JunctionController", "Lane", "LaneLink", "LaneSection",
    "LaneValidity", "Line", "ObjectRepeat", "OpenDriveDocument", "Outline", "ParamPoly3", "Poly3", "Road",
    "RoadLink", "RoadMark", "RoadMarkLine", "RoadObject", "RoadTunnel", "RoadBridge", "JunctionPriority", "JunctionGroup",
    "RoadType", "ShapeRecord", "Signal",
    "SignalDependency", "SignalReference", "Spiral",
]
