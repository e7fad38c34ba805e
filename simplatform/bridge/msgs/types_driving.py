"""Control, vehicle status, ground-truth objects and traffic lights as frozen dataclasses.

Choices (documented in the bridge README section):

* Control out: ``ackermann_msgs/AckermannDriveStamped`` (the ROS standard for
  car-like targets) and, for stacks that drive pedals, CARLA ROS bridge's
  ``carla_msgs/CarlaEgoVehicleControl``.
* Vehicle status in: ``carla_msgs/CarlaEgoVehicleStatus`` (speed, acceleration,
  attitude and the control the vehicle is executing).
* Ground-truth objects: ``vision_msgs/Detection3DArray`` (vision_msgs 4.x, the
  ROS 2 perception output every tracker and planner consumes); an object's
  ``id`` is the OpenSCENARIO entity name and ``results[0].hypothesis.class_id``
  its category.  Detection3D carries no velocity; a stack differentiates
  successive poses, as it would with a real detector.
* Traffic lights: ``carla_msgs/CarlaTrafficLightStatusList`` (id + one of
  RED/YELLOW/GREEN/OFF/UNKNOWN), simple and stable, and what CARLA users know.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from .types_core import Accel, Header, Pose, PoseWithCovariance, Quaternion, Vector3


@dataclass(frozen=True)
class AckermannDrive:
    """ackermann_msgs/AckermannDrive: speed (m/s) and road-wheel angle (rad, left +) set points."""

    ROS_TYPE: ClassVar[str] = "ackermann_msgs/msg/AckermannDrive"
    steering_angle: float = 0.0
    steering_angle_velocity: float = 0.0
    speed: float = 0.0
    acceleration: float = 0.0
    jerk: float = 0.0


@dataclass(frozen=True)
class AckermannDriveStamped:
    """The lockstep control: ``header.stamp`` must equal the ``/clock`` of the step it answers."""

    ROS_TYPE: ClassVar[str] = "ackermann_msgs/msg/AckermannDriveStamped"
    header: Header = field(default_factory=Header)
    drive: AckermannDrive = field(default_factory=AckermannDrive)


@dataclass(frozen=True)
class CarlaEgoVehicleControl:
    """carla_msgs/CarlaEgoVehicleControl: throttle, brake in [0, 1]; steer in [-1, 1]."""

    ROS_TYPE: ClassVar[str] = "carla_msgs/msg/CarlaEgoVehicleControl"
    header: Header = field(default_factory=Header)
    throttle: float = 0.0
    steer: float = 0.0
    brake: float = 0.0
    hand_brake: bool = False
    reverse: bool = False
    gear: int = 0
    manual_gear_shift: bool = False


@dataclass(frozen=True)
class CarlaEgoVehicleStatus:
    ROS_TYPE: ClassVar[str] = "carla_msgs/msg/CarlaEgoVehicleStatus"
    header: Header = field(default_factory=Header)
    velocity: float = 0.0
    acceleration: Accel = field(default_factory=Accel)
    orientation: Quaternion = field(default_factory=Quaternion)
    control: CarlaEgoVehicleControl = field(default_factory=CarlaEgoVehicleControl)


@dataclass(frozen=True)
class CarlaTrafficLightStatus:
    ROS_TYPE: ClassVar[str] = "carla_msgs/msg/CarlaTrafficLightStatus"
    RED: ClassVar[int] = 0
    YELLOW: ClassVar[int] = 1
    GREEN: ClassVar[int] = 2
    OFF: ClassVar[int] = 3
    UNKNOWN: ClassVar[int] = 4
    id: int = 0
    state: int = 0


@dataclass(frozen=True)
class CarlaTrafficLightStatusList:
    ROS_TYPE: ClassVar[str] = "carla_msgs/msg/CarlaTrafficLightStatusList"
    traffic_lights: tuple[CarlaTrafficLightStatus, ...] = ()


@dataclass(frozen=True)
class ObjectHypothesis:
    ROS_TYPE: ClassVar[str] = "vision_msgs/msg/ObjectHypothesis"
    class_id: str = ""
    score: float = 0.0


@dataclass(frozen=True)
class ObjectHypothesisWithPose:
    ROS_TYPE: ClassVar[str] = "vision_msgs/msg/ObjectHypothesisWithPose"
    hypothesis: ObjectHypothesis = field(default_factory=ObjectHypothesis)
    pose: PoseWithCovariance = field(default_factory=PoseWithCovariance)


@dataclass(frozen=True)
class BoundingBox3D:
    """vision_msgs/BoundingBox3D: box centre pose and full extents (x: length, y: width, z: height)."""

    ROS_TYPE: ClassVar[str] = "vision_msgs/msg/BoundingBox3D"
    center: Pose = field(default_factory=Pose)
    size: Vector3 = field(default_factory=Vector3)


@dataclass(frozen=True)
class Detection3D:
    ROS_TYPE: ClassVar[str] = "vision_msgs/msg/Detection3D"
    header: Header = field(default_factory=Header)
    results: tuple[ObjectHypothesisWithPose, ...] = ()
    bbox: BoundingBox3D = field(default_factory=BoundingBox3D)
    id: str = ""


@dataclass(frozen=True)
class Detection3DArray:
    ROS_TYPE: ClassVar[str] = "vision_msgs/msg/Detection3DArray"
    header: Header = field(default_factory=Header)
    detections: tuple[Detection3D, ...] = ()
