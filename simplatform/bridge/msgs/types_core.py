"""builtin_interfaces, std_msgs, rosgraph_msgs, geometry_msgs and nav_msgs as frozen dataclasses.

Field names, order and defaults mirror the ROS 2 definitions in
:mod:`.definitions` exactly (a test holds them together), so a message built
here encodes to the same JSON a ``rclpy`` node would publish through
rosbridge, and to the same CDR bytes.  Fixed-size arrays are tuples of the
declared length; ``ROS_TYPE`` names the ROS 2 type.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

ZERO_COVARIANCE_36: tuple[float, ...] = (0.0,) * 36


@dataclass(frozen=True)
class Time:
    """builtin_interfaces/Time: seconds and nanoseconds since the epoch (here: since scenario start)."""

    ROS_TYPE: ClassVar[str] = "builtin_interfaces/msg/Time"
    sec: int = 0
    nanosec: int = 0

    @classmethod
    def from_seconds(cls, t: float) -> "Time":
        """Split a time in seconds the way rclpy's ``Time(seconds=...)`` does: floor, then nanoseconds."""
        total_ns = int(round(t * 1e9))
        return cls(total_ns // 1_000_000_000, total_ns % 1_000_000_000)  # (sec, nanosec), positional: per step

    def to_seconds(self) -> float:
        return self.sec + self.nanosec * 1e-9

    def to_nanoseconds(self) -> int:
        return self.sec * 1_000_000_000 + self.nanosec


@dataclass(frozen=True)
class Duration:
    """builtin_interfaces/Duration."""

    ROS_TYPE: ClassVar[str] = "builtin_interfaces/msg/Duration"
    sec: int = 0
    nanosec: int = 0


@dataclass(frozen=True)
class Header:
    """std_msgs/Header: when (``stamp``) and in which frame (``frame_id``) the data hold."""

    ROS_TYPE: ClassVar[str] = "std_msgs/msg/Header"
    stamp: Time = field(default_factory=Time)
    frame_id: str = ""


@dataclass(frozen=True)
class String:
    """std_msgs/String; the V2X topics carry a JSON document in ``data`` (see topics.py)."""

    ROS_TYPE: ClassVar[str] = "std_msgs/msg/String"
    data: str = ""


@dataclass(frozen=True)
class Clock:
    """rosgraph_msgs/Clock: the simulation time a ROS 2 node with ``use_sim_time`` follows."""

    ROS_TYPE: ClassVar[str] = "rosgraph_msgs/msg/Clock"
    clock: Time = field(default_factory=Time)


@dataclass(frozen=True)
class Point:
    ROS_TYPE: ClassVar[str] = "geometry_msgs/msg/Point"
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0


@dataclass(frozen=True)
class Quaternion:
    """geometry_msgs/Quaternion; the default is the identity rotation (w = 1), as in ROS 2."""

    ROS_TYPE: ClassVar[str] = "geometry_msgs/msg/Quaternion"
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    w: float = 1.0

    @classmethod
    def from_euler(cls, roll: float, pitch: float, yaw: float) -> "Quaternion":
        """Intrinsic Z-Y'-X'' (yaw, pitch, roll) as REP-103 uses for vehicle attitude."""
        cr, sr = math.cos(roll / 2), math.sin(roll / 2)
        cp, sp = math.cos(pitch / 2), math.sin(pitch / 2)
        cy, sy = math.cos(yaw / 2), math.sin(yaw / 2)
        return cls(  # x, y, z, w (positional: built for every entity of every object list)
            sr * cp * cy - cr * sp * sy,
            cr * sp * cy + sr * cp * sy,
            cr * cp * sy - sr * sp * cy,
            cr * cp * cy + sr * sp * sy,
        )

    def yaw(self) -> float:
        """Heading about +z, radians (the inverse of :meth:`from_euler` for the yaw part)."""
        return math.atan2(2 * (self.w * self.z + self.x * self.y), 1 - 2 * (self.y**2 + self.z**2))


@dataclass(frozen=True)
class Vector3:
    ROS_TYPE: ClassVar[str] = "geometry_msgs/msg/Vector3"
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0


@dataclass(frozen=True)
class Pose:
    ROS_TYPE: ClassVar[str] = "geometry_msgs/msg/Pose"
    position: Point = field(default_factory=Point)
    orientation: Quaternion = field(default_factory=Quaternion)


@dataclass(frozen=True)
class PoseWithCovariance:
    """Row-major 6x6 covariance over (x, y, z, roll, pitch, yaw)."""

    ROS_TYPE: ClassVar[str] = "geometry_msgs/msg/PoseWithCovariance"
    pose: Pose = field(default_factory=Pose)
    covariance: tuple[float, ...] = ZERO_COVARIANCE_36


@dataclass(frozen=True)
class PoseStamped:
    ROS_TYPE: ClassVar[str] = "geometry_msgs/msg/PoseStamped"
    header: Header = field(default_factory=Header)
    pose: Pose = field(default_factory=Pose)


@dataclass(frozen=True)
class Twist:
    ROS_TYPE: ClassVar[str] = "geometry_msgs/msg/Twist"
    linear: Vector3 = field(default_factory=Vector3)
    angular: Vector3 = field(default_factory=Vector3)


@dataclass(frozen=True)
class TwistWithCovariance:
    ROS_TYPE: ClassVar[str] = "geometry_msgs/msg/TwistWithCovariance"
    twist: Twist = field(default_factory=Twist)
    covariance: tuple[float, ...] = ZERO_COVARIANCE_36


@dataclass(frozen=True)
class Accel:
    ROS_TYPE: ClassVar[str] = "geometry_msgs/msg/Accel"
    linear: Vector3 = field(default_factory=Vector3)
    angular: Vector3 = field(default_factory=Vector3)


@dataclass(frozen=True)
class Odometry:
    """nav_msgs/Odometry: pose in ``header.frame_id``, twist in ``child_frame_id`` (REP-105)."""

    ROS_TYPE: ClassVar[str] = "nav_msgs/msg/Odometry"
    header: Header = field(default_factory=Header)
    child_frame_id: str = ""
    pose: PoseWithCovariance = field(default_factory=PoseWithCovariance)
    twist: TwistWithCovariance = field(default_factory=TwistWithCovariance)


@dataclass(frozen=True)
class Path:
    """nav_msgs/Path: the route the ego is asked to follow, as poses in the map frame."""

    ROS_TYPE: ClassVar[str] = "nav_msgs/msg/Path"
    header: Header = field(default_factory=Header)
    poses: tuple[PoseStamped, ...] = ()
