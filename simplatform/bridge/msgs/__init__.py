"""ROS 2 message types of the bridge: frozen dataclasses, their ``.msg`` text and schemas.

``from simplatform.bridge.msgs import Odometry, PointCloud2, ...``; see
:mod:`.definitions` for the ROS 2 sources and :mod:`.types_driving` for the
choice of control, object and traffic-light types.
"""

from .schema import (
    MESSAGE_CLASSES,
    FieldSpec,
    MessageSchema,
    UnknownMessageType,
    canonical_type,
    concatenated_definition,
    definition_text,
    message_class,
    schema,
    short_type,
    type_of,
)
from .types_arrays import Float32MultiArray, MultiArrayDimension, MultiArrayLayout
from .types_core import (
    Accel, Clock, Duration, Header, Odometry, Path, Point, Pose, PoseStamped,
    PoseWithCovariance, Quaternion, String, Time, Twist, TwistWithCovariance, Vector3,
)
from .types_driving import (
    AckermannDrive, AckermannDriveStamped, BoundingBox3D, CarlaEgoVehicleControl,
    CarlaEgoVehicleStatus, CarlaTrafficLightStatus, CarlaTrafficLightStatusList, Detection3D,
    Detection3DArray, ObjectHypothesis, ObjectHypothesisWithPose,
)
from .types_sensor import (
    CameraInfo, Image, Imu, NavSatFix, NavSatStatus, PointCloud2, PointField, RadarReturn,
    RadarScan, RegionOfInterest,
)
from .types_tf import TFMessage, Transform, TransformStamped

__all__ = [name for name in dir() if not name.startswith("_")]
