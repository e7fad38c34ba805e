"""Messages built from a :class:`~simplatform.world.WorldSnapshot`: clock, ego state, ground truth, lights.

Frames: the world frame is published as ``map`` (OpenDRIVE inertial, x east,
y north, z up); the ego body frame is ``base_link`` at the OpenSCENARIO
reference point (rear-axle centre), REP-103 axes.  Odometry follows REP-105:
pose in ``map``, twist in ``base_link``.  Sensor messages (lidar, camera,
radar, GNSS, IMU) come from ``sensors/``; this module covers what the bridge
derives from the snapshot itself.
"""

from __future__ import annotations

import math
import zlib
from functools import lru_cache
from typing import Iterable, Mapping, NamedTuple

from ..control import Control
from ..world import WorldSnapshot
from .controls import from_engine_command
from .msgs import (
    Accel, BoundingBox3D, CarlaEgoVehicleControl, CarlaEgoVehicleStatus, CarlaTrafficLightStatus,
    CarlaTrafficLightStatusList, Clock, Detection3D, Detection3DArray, Header, ObjectHypothesis,
    ObjectHypothesisWithPose, Odometry, Path, Point, Pose, PoseStamped, PoseWithCovariance, Quaternion,
    Time, Twist, TwistWithCovariance, Vector3,
)

MAP_FRAME = "map"
BASE_FRAME = "base_link"


_ZERO_VECTOR = Vector3()
"""Shared by every message that states no angular acceleration: the messages are frozen, so one will do."""


def clock(time_s: float) -> Clock:
    return Clock(clock=Time.from_seconds(time_s))


def _header(time_s: float, frame: str) -> Header:
    return Header(stamp=Time.from_seconds(time_s), frame_id=frame)


class _EgoRow(NamedTuple):
    """The ego's columns a message needs, read once per step (no full ``EntityState`` with its box)."""

    x: float
    y: float
    z: float
    heading: float
    pitch: float
    roll: float
    speed: float
    vx: float
    vy: float
    ax: float
    ay: float
    yaw_rate: float


def _ego_row(snapshot: WorldSnapshot) -> _EgoRow:
    if snapshot.ego is None:
        raise ValueError("the snapshot has no ego entity")
    i = snapshot.index(snapshot.ego)
    return _EgoRow(float(snapshot.x[i]), float(snapshot.y[i]), float(snapshot.z[i]), float(snapshot.heading[i]),
                   float(snapshot.pitch[i]), float(snapshot.roll[i]), float(snapshot.speed[i]),
                   float(snapshot.vx[i]), float(snapshot.vy[i]), float(snapshot.ax[i]), float(snapshot.ay[i]),
                   float(snapshot.yaw_rate[i]))


def ego_messages(snapshot: WorldSnapshot, control: Control | None = None, *,
                 stamp: Time | None = None) -> tuple[Odometry, CarlaEgoVehicleStatus]:
    """``(ego_odometry(snapshot), vehicle_status(snapshot, control))`` in one pass over the ego's columns.

    The two messages share the step's stamp and attitude quaternion (frozen
    objects, so sharing changes no content): the observer calls this once a
    step instead of building the ego's state, stamp and rotation twice.
    ``stamp``, when given, is ``Time.from_seconds(snapshot.time)`` already
    built (the observer's ``/clock`` shares it)."""
    ego = _ego_row(snapshot)
    if stamp is None:
        stamp = Time.from_seconds(snapshot.time)
    attitude = Quaternion.from_euler(ego.roll, ego.pitch, ego.heading)
    return _odometry(ego, stamp, attitude), _status(ego, stamp, attitude, control)


def ego_odometry(snapshot: WorldSnapshot, *, stamp: Time | None = None) -> Odometry:
    """The ego's pose (map) and body-frame twist (base_link); covariances zero: this is ground truth.
    ``stamp`` as in :func:`ego_messages`."""
    ego = _ego_row(snapshot)
    return _odometry(ego, Time.from_seconds(snapshot.time) if stamp is None else stamp,
                     Quaternion.from_euler(ego.roll, ego.pitch, ego.heading))


def vehicle_status(snapshot: WorldSnapshot, control: Control | None = None, *,
                   stamp: Time | None = None) -> CarlaEgoVehicleStatus:
    """Speed, body-frame acceleration, attitude and the pedal/steer command being executed.
    ``stamp`` as in :func:`ego_messages`."""
    ego = _ego_row(snapshot)
    return _status(ego, Time.from_seconds(snapshot.time) if stamp is None else stamp,
                   Quaternion.from_euler(ego.roll, ego.pitch, ego.heading), control)


def _odometry(ego: _EgoRow, stamp: Time, attitude: Quaternion) -> Odometry:
    # positional arguments, in each type's field order (a keyword call costs ~0.25 µs more, ~16 a step)
    c, s = math.cos(ego.heading), math.sin(ego.heading)
    v_lat = -s * ego.vx + c * ego.vy  # world velocity rotated into the body frame
    return Odometry(Header(stamp, MAP_FRAME), BASE_FRAME,  # header, child_frame_id, pose, twist
                    PoseWithCovariance(Pose(Point(ego.x, ego.y, ego.z), attitude)),
                    TwistWithCovariance(Twist(Vector3(ego.speed, v_lat, 0.0), Vector3(0.0, 0.0, ego.yaw_rate))))


def _status(ego: _EgoRow, stamp: Time, attitude: Quaternion, control: Control | None) -> CarlaEgoVehicleStatus:
    c, s = math.cos(ego.heading), math.sin(ego.heading)
    header = Header(stamp, BASE_FRAME)
    executed = (from_engine_command(control, stamp) if isinstance(control, Control)
                else CarlaEgoVehicleControl(header))
    # header, velocity, acceleration (linear, angular), orientation, control
    return CarlaEgoVehicleStatus(header, ego.speed,
                                 Accel(Vector3(c * ego.ax + s * ego.ay, -s * ego.ax + c * ego.ay, 0.0), _ZERO_VECTOR),
                                 attitude, executed)


def ground_truth_objects(snapshot: WorldSnapshot, *, include_ego: bool = False) -> Detection3DArray:
    """Every visible entity as a vision_msgs Detection3D: box centre pose in ``map``, size, id, class.

    The box centre is the reference point moved by the bounding-box centre
    offset (OpenSCENARIO BoundingBox.Center, in the entity frame) — vectorised
    over all entities with :meth:`WorldSnapshot.bbox_centers`.
    """
    header = _header(snapshot.time, MAP_FRAME)
    if len(snapshot) == 0:
        return Detection3DArray(header=header)
    centers = snapshot.bbox_centers()
    cz = snapshot.z + snapshot.bbox_center_z
    detections = []
    for i, name in enumerate(snapshot.names):
        if not snapshot.visible[i] or (name == snapshot.ego and not include_ego):
            continue
        q = Quaternion.from_euler(float(snapshot.roll[i]), float(snapshot.pitch[i]), float(snapshot.heading[i]))
        pose = Pose(position=Point(float(centers[i, 0]), float(centers[i, 1]), float(cz[i])), orientation=q)
        detections.append(Detection3D(
            header=header,
            results=(ObjectHypothesisWithPose(
                hypothesis=ObjectHypothesis(class_id=snapshot.categories[i], score=1.0),
                pose=PoseWithCovariance(pose=pose)),),
            bbox=BoundingBox3D(center=pose, size=Vector3(float(snapshot.length[i]), float(snapshot.width[i]),
                                                         float(snapshot.height[i]))),
            id=name,
        ))
    return Detection3DArray(header=header, detections=tuple(detections))


_STATE_WORDS = {
    "red": CarlaTrafficLightStatus.RED, "stop": CarlaTrafficLightStatus.RED,
    "yellow": CarlaTrafficLightStatus.YELLOW, "amber": CarlaTrafficLightStatus.YELLOW,
    "green": CarlaTrafficLightStatus.GREEN, "go": CarlaTrafficLightStatus.GREEN,
    "off": CarlaTrafficLightStatus.OFF,
}


def signal_state(state: str) -> int:
    """An OpenSCENARIO traffic-signal state string as a CarlaTrafficLightStatus state.

    Accepts a colour word (``red``, ``yellow``/``amber``, ``green``, ``off``) or
    a lamp list ``"on;off;off"`` read top to bottom as red;yellow;green, the
    convention of the ASAM OpenSCENARIO examples; red wins when several are on.
    """
    text = state.strip().lower()
    if text in _STATE_WORDS:
        return _STATE_WORDS[text]
    lamps = [p.strip() for p in text.split(";")]
    if len(lamps) == 3 and all(p in ("on", "off", "flashing") for p in lamps):
        for lamp, value in zip(lamps, (CarlaTrafficLightStatus.RED, CarlaTrafficLightStatus.YELLOW,
                                       CarlaTrafficLightStatus.GREEN)):
            if lamp != "off":
                return value
        return CarlaTrafficLightStatus.OFF
    return CarlaTrafficLightStatus.UNKNOWN


def signal_id(name: str) -> int:
    """The uint32 id of a signal: its OpenDRIVE id when numeric, else the CRC-32 of the name (stable)."""
    stripped = name.strip()
    if stripped.isdigit() and int(stripped) < 2**32:
        return int(stripped)
    return zlib.crc32(stripped.encode("utf-8"))


def traffic_lights(signals: Mapping[str, str]) -> CarlaTrafficLightStatusList:
    return CarlaTrafficLightStatusList(traffic_lights=tuple(_light(k, v) for k, v in sorted(signals.items())))


@lru_cache(maxsize=4096)
def _light(name: str, state: str) -> CarlaTrafficLightStatus:
    """One signal's status: a pure function of its name and state string, and a frozen message — a map's
    few signals cycle through a few states, so a light list is rebuilt from a handful of cached items."""
    return CarlaTrafficLightStatus(id=signal_id(name), state=signal_state(state))


def route_path(points: Iterable[tuple[float, float, float]], *, time_s: float = 0.0) -> Path:
    """A route as nav_msgs/Path from (x, y, heading) waypoints in the map frame."""
    header = _header(time_s, MAP_FRAME)
    return Path(header=header, poses=tuple(
        PoseStamped(header=header, pose=Pose(position=Point(float(x), float(y), 0.0),
                                             orientation=Quaternion.from_euler(0.0, 0.0, float(h))))
        for x, y, h in points))
