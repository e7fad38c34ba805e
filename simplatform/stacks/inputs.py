"""What the reference stack reads from its topics, turned into plain numeric state.

The stack sees only ROS 2 topics (DESIGN.md "Bridge topics"):

=========================  =========================================  ==========================================
topic                      type                                       used for
=========================  =========================================  ==========================================
/clock                     rosgraph_msgs/Clock                        the step's time
/ego/odometry              nav_msgs/Odometry                          ego pose (map) and speed (base_link)
/route                     nav_msgs/Path (latched)                    lane-centre waypoints, start to goal
/route/info                std_msgs/String (latched, JSON)            per-waypoint limits and stop lines, below
/sensors/mounts            std_msgs/String (latched, JSON)            sensor frame -> base_link, below
/sensors/<n>/objects       vision_msgs/Detection3DArray               object list (sensor frame or ``map``)
/ground_truth/objects      vision_msgs/Detection3DArray               perception-free runs (``map`` frame)
/sensors/<n>/points        sensor_msgs/PointCloud2                    the lidar variant (:mod:`.lidar`)
/traffic_lights            carla_msgs/CarlaTrafficLightStatusList     signal states by id
/v2x/<n>                   std_msgs/String (JSON)                     warnings (DENM-like), see V2X below
=========================  =========================================  ==========================================

``/route/info`` (one JSON document; arrays are indexed like the ``/route`` poses)::

    {"speed_limit": [m/s | null, ...], "lane_width": [m, ...],
     "lanes_left": [n, ...], "lanes_right": [n, ...],     # same-direction drivable lanes beside the route lane
     "lane": ["road:lane", ...],
     "stop_lines": [{"id": <uint32 as in /traffic_lights>, "x": m, "y": m, "heading": rad}, ...]}

It reads nothing else: not ``/ego/vehicle_status`` (the speed is the odometry's twist) nor ``/goal``
(``ReferenceStack.subscribed_topics`` lists the platform topics by name).

ROS has no standard message for lane attributes or stop-line positions
(Autoware uses its own ``autoware_map_msgs``; CARLA its ``CarlaTrafficLightInfo``),
so these ride as JSON in ``std_msgs/String`` like the V2X topics do.

``/sensors/mounts``: ``{"<frame_id>": {"x", "y", "z", "roll", "pitch", "yaw"}}``
— each sensor frame relative to ``base_link`` (the rear-axle centre, REP-103),
what ``/tf_static`` would carry in a ROS 2 system.

V2X: a ``/v2x/<n>`` document (or a list of them) whose ``message`` is
``DENM`` / ``IVI`` or whose ``application`` is a hazard warning (EEBL, FCW,
ICW, HLW, RWW, TJW, VRUCW, AVW, CLW, EVW, RLVW, SLW) counts as a warning.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping, NamedTuple

import numpy as np

from simplatform.bridge.msgs import (
    CarlaTrafficLightStatusList, Clock, Detection3DArray, Odometry, Path, PointCloud2, String,
)

ROUTE = "/route"
ROUTE_INFO = "/route/info"
SENSOR_MOUNTS = "/sensors/mounts"
TRAFFIC_LIGHTS = "/traffic_lights"
ODOMETRY = "/ego/odometry"
CLOCK = "/clock"
GROUND_TRUTH_OBJECTS = "/ground_truth/objects"
MAP_FRAME = "map"

WARNING_APPLICATIONS = frozenset({"EEBL", "FCW", "ICW", "HLW", "RWW", "TJW", "VRUCW", "AVW", "CLW", "EVW",
                                  "RLVW", "SLW"})


class EgoState(NamedTuple):
    """The ego at one step (a named tuple: built every step, ~5× cheaper than a frozen dataclass)."""

    time: float
    x: float
    y: float
    z: float
    heading: float
    speed: float
    yaw_rate: float


@dataclass(frozen=True)
class Detections:
    """Objects of one perception output in the map frame: box centres, yaw, size, id and class."""

    stamp: float
    ids: tuple[str, ...]
    categories: tuple[str, ...]
    xy: np.ndarray          # (N, 2)
    yaw: np.ndarray         # (N,)
    size: np.ndarray        # (N, 3) length, width, height

    @staticmethod
    def empty(stamp: float) -> "Detections":
        return Detections(stamp, (), (), np.zeros((0, 2)), np.zeros(0), np.zeros((0, 3)))


@dataclass(frozen=True)
class Warning:
    time: float
    application: str
    x: float | None
    y: float | None
    validity_s: float


@dataclass
class RouteInfo:
    speed_limit: np.ndarray | None = None
    lane_width: np.ndarray | None = None
    lanes_left: np.ndarray | None = None
    lanes_right: np.ndarray | None = None
    stop_lines: list[dict[str, float]] = field(default_factory=list)


def ego_state(clock: Clock, odometry: Odometry) -> EgoState:
    pose = odometry.pose.pose
    twist = odometry.twist.twist
    return EgoState(clock.clock.to_seconds(), pose.position.x, pose.position.y, pose.position.z,
                    pose.orientation.yaw(), twist.linear.x, twist.angular.z)


def route_points(path: Path) -> np.ndarray:
    return np.array([[p.pose.position.x, p.pose.position.y] for p in path.poses], dtype=float).reshape(-1, 2)


def _json(msg: Any) -> Any:
    if not isinstance(msg, String):
        return None
    try:
        return json.loads(msg.data)
    except (ValueError, TypeError):
        return None


def _array(values: Any) -> np.ndarray | None:
    if not isinstance(values, list):
        return None
    return np.array([np.inf if v is None else float(v) for v in values], dtype=float)


def route_info(msg: Any) -> RouteInfo:
    doc = _json(msg)
    if not isinstance(doc, dict):
        return RouteInfo()
    lines = [dict(x=float(s["x"]), y=float(s["y"]), heading=float(s.get("heading", 0.0)), id=int(s["id"]))
             for s in doc.get("stop_lines", []) if isinstance(s, dict) and {"x", "y", "id"} <= set(s)]
    return RouteInfo(_array(doc.get("speed_limit")), _array(doc.get("lane_width")),
                     _array(doc.get("lanes_left")), _array(doc.get("lanes_right")), lines)


def sensor_mounts(msg: Any) -> dict[str, np.ndarray]:
    """frame_id -> 4x4 homogeneous transform sensor -> base_link."""
    doc = _json(msg)
    out: dict[str, np.ndarray] = {}
    if not isinstance(doc, dict):
        return out
    for frame, m in doc.items():
        if isinstance(m, dict):
            out[frame] = homogeneous(float(m.get("x", 0)), float(m.get("y", 0)), float(m.get("z", 0)),
                                     float(m.get("roll", 0)), float(m.get("pitch", 0)), float(m.get("yaw", 0)))
    return out


def homogeneous(x: float, y: float, z: float, roll: float, pitch: float, yaw: float) -> np.ndarray:
    """Child -> parent for intrinsic z-y'-x'' angles (REP-103 / ISO 8855)."""
    cr, sr, cp, sp, cy, sy = math.cos(roll), math.sin(roll), math.cos(pitch), math.sin(pitch), math.cos(yaw), math.sin(yaw)
    return np.array([[cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr, x],
                     [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr, y],
                     [-sp, cp * sr, cp * cr, z],
                     [0.0, 0.0, 0.0, 1.0]], dtype=float)


def frame_to_map(frame_id: str, ego: EgoState, mounts: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """The transform of a message frame into ``map``; None when the frame is unknown.

    The ego's roll and pitch are neglected (planar odometry), the usual 2-D
    localisation assumption of a baseline stack.
    """
    if frame_id == MAP_FRAME:
        return np.eye(4)
    base = homogeneous(ego.x, ego.y, ego.z, 0.0, 0.0, ego.heading)
    if frame_id in ("base_link", ""):
        return base
    mount = mounts.get(frame_id)
    return None if mount is None else base @ mount


def detections(msg: Detection3DArray, ego: EgoState, mounts: Mapping[str, np.ndarray]) -> Detections | None:
    """Box centres in the map frame; None when the message's frame is unknown (no mount published)."""
    stamp = msg.header.stamp.to_seconds()
    to_map = frame_to_map(msg.header.frame_id, ego, mounts)
    if to_map is None:
        return None
    if not msg.detections:
        return Detections.empty(stamp)
    local, rel_yaw, size = [], [], []
    for d in msg.detections:          # one pass over the boxes
        centre, extent = d.bbox.center, d.bbox.size
        local.append([centre.position.x, centre.position.y, centre.position.z, 1.0])
        rel_yaw.append(centre.orientation.yaw())
        size.append([extent.x, extent.y, extent.z])
    world = np.array(local) @ to_map.T
    frame_yaw = math.atan2(to_map[1, 0], to_map[0, 0])
    cats = tuple((d.results[0].hypothesis.class_id if d.results else "") for d in msg.detections)
    return Detections(stamp, tuple(d.id for d in msg.detections), cats, world[:, :2], np.array(rel_yaw) + frame_yaw,
                      np.array(size))


def traffic_lights(msg: Any) -> dict[int, int]:
    if not isinstance(msg, CarlaTrafficLightStatusList):
        return {}
    return {int(t.id): int(t.state) for t in msg.traffic_lights}


def warnings(msg: Any, now: float) -> list[Warning]:
    """Hazard warnings in one V2X document (or list of documents)."""
    doc = _json(msg)
    docs = doc if isinstance(doc, list) else [doc]
    out = []
    for d in docs:
        if not isinstance(d, dict):
            continue
        app = str(d.get("application", "")).upper()
        kind = str(d.get("message", "")).upper()
        if kind not in ("DENM", "IVI") and app not in WARNING_APPLICATIONS:
            continue
        pos = d.get("position") if isinstance(d.get("position"), dict) else {}
        x, y = pos.get("x"), pos.get("y")
        out.append(Warning(now, app or kind, None if x is None else float(x), None if y is None else float(y),
                           float(d.get("validity_s", 10.0))))
    return out


def point_cloud_xyz(msg: PointCloud2) -> np.ndarray:
    """(N, 3) float64 x, y, z of a cloud (any extra fields ignored), finite points only."""
    arr = msg.to_array()
    xyz = np.stack([arr["x"], arr["y"], arr["z"]], axis=1).astype(float)
    return xyz[np.all(np.isfinite(xyz), axis=1)]
