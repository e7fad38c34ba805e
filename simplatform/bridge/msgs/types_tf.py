"""geometry_msgs/Transform(Stamped) and tf2_msgs/TFMessage as frozen dataclasses.

Why these: a ROS 2 stack learns where its sensors sit from the latched
``/tf_static`` topic (REP-105 frame tree, tf2 ``StaticTransformBroadcaster``),
one ``TransformStamped`` per parent→child frame pair.  Field names, order and
defaults mirror the Humble definitions in :mod:`.definitions` (common_interfaces
geometry_msgs, ros2/geometry2 tf2_msgs); a test holds them together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from .types_core import Header, Quaternion, Vector3


@dataclass(frozen=True)
class Transform:
    """geometry_msgs/Transform: the child frame's origin (``translation``) and orientation
    (``rotation``) expressed in the parent frame (tf2 convention: it maps child coordinates
    into the parent frame)."""

    ROS_TYPE: ClassVar[str] = "geometry_msgs/msg/Transform"
    translation: Vector3 = field(default_factory=Vector3)
    rotation: Quaternion = field(default_factory=Quaternion)

    @classmethod
    def from_xyz_rpy(cls, x: float, y: float, z: float,
                     roll: float = 0.0, pitch: float = 0.0, yaw: float = 0.0) -> "Transform":
        """A mount pose as sensor rigs state it: position and REP-103 roll/pitch/yaw (radians)."""
        return cls(Vector3(float(x), float(y), float(z)), Quaternion.from_euler(roll, pitch, yaw))


@dataclass(frozen=True)
class TransformStamped:
    """geometry_msgs/TransformStamped: ``header.frame_id`` is the parent, ``child_frame_id`` the child."""

    ROS_TYPE: ClassVar[str] = "geometry_msgs/msg/TransformStamped"
    header: Header = field(default_factory=Header)
    child_frame_id: str = ""
    transform: Transform = field(default_factory=Transform)


@dataclass(frozen=True)
class TFMessage:
    """tf2_msgs/TFMessage: the message type of ``/tf`` and ``/tf_static``."""

    ROS_TYPE: ClassVar[str] = "tf2_msgs/msg/TFMessage"
    transforms: tuple[TransformStamped, ...] = ()
